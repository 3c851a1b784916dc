"""kommunenyt: a static news-site generator for Danish municipal IT news."""

__version__ = "0.1.0"
