"""Polku: open-source platform for co-development paths."""

__version__ = "0.2.0"
