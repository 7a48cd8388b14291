from .one_on_one import can_view_one_on_one, can_delete_one_on_one

__all__ = ['can_view_one_on_one', 'can_delete_one_on_one']
