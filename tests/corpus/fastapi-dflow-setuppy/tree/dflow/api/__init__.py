from .api import api
