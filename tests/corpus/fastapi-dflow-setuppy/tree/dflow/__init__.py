__version__ = "0.4.0"
__author__ = "klpanagi"

from .language import dflow_language
from .generator import dflow_generate_rasa
