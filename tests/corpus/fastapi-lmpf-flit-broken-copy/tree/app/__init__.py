"""LMPF: Labor Market and Population Forecasting Toolkit package."""

__version__ = "0.1.0"
