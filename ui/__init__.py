"""The pitch-side kiosk (PySide6): screens and widgets only.

Everything it shows comes from `edge_app` and `sync` functions the CLI also uses; it starts
work on background threads and watches results through Qt signals.
"""
