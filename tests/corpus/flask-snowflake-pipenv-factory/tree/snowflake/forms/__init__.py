from .appreciation_form import AppreciationForm
from .comment_form import CommentForm
from .like_form import LikeForm
from .one_on_one_action_item_form import OneOnOneActionItemForm
from .one_on_one_action_item_state_change import OneOnOneActionItemStateChange
from .one_on_one_form import OneOnOneForm
from .registration_form import RegistrationForm

__all__ = ['AppreciationForm', 'CommentForm', 'LikeForm', 'OneOnOneActionItemForm',
           'OneOnOneActionItemStateChange', 'OneOnOneForm', 'RegistrationForm', ]
