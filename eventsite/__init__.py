"""eventsite: static schedule sites from Open Event exports and servers."""

__version__ = "0.1.0"
