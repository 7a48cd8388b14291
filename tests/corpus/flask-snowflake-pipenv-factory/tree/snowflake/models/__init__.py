from .appreciation import Appreciation
from .comment import Comment
from .like import Like
from .mention import Mention
from .notification import Notification
from .one_on_one import OneOnOne
from .one_on_one_action_item import OneOnOneActionItem
from .user import User

__all__ = ['Appreciation', 'Comment', 'Like', 'Mention', 'Notification', 'OneOnOne',
           'OneOnOneActionItem', 'User']
