from . import healthcheck
from . import notifications
from . import one_on_ones
from . import token
from . import users

__all__ = [
    'healthcheck',
    'notifications',
    'one_on_ones',
    'token',
    'users',
]
