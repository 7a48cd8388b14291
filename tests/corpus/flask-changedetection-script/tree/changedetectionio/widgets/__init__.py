from .ternary_boolean import TernaryNoneBooleanWidget, TernaryNoneBooleanField

__all__ = ['TernaryNoneBooleanWidget', 'TernaryNoneBooleanField']