"""Inspection evidence and child's-journey audit platform."""

__version__ = "0.1.0"
