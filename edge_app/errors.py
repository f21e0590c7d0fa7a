"""The one exception type the CLI turns into a one-line message (no traceback)."""


class AxolotlError(Exception):
    """A problem the user can fix. The message names the problem and the fix, on one line."""
