"""Ventanilla: one inbox and one customer record across every channel."""

__version__ = "0.1.0"
