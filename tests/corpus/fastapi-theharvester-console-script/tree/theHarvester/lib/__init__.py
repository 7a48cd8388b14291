__all__ = ['hostchecker']
