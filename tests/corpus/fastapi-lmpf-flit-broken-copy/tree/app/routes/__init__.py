# This file marks the 'routes' directory as a Python package.
# You can use it to import route modules for easy inclusion in main.py, e.g.:
# from . import auth, subscription, payment

