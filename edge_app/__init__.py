"""Axolotl Edge: the on-device core (capture → vision → metrics → store)."""

__version__ = "0.1.0"
