from .humanize_time import humanize_time
from .iso_time import iso_time
from .mention import add_mentions

__all__ = ['humanize_time', 'iso_time', 'add_mentions']
