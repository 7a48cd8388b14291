"""hello: the example app built by `make demo`."""

__version__ = "1.0.0"
