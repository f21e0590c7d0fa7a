"""The one exception type the CLI turns into a one-line message (no traceback)."""


class AxolotlError(Exception):
    """A problem the user can fix. The message names the problem and the fix, on one line."""


def describe_validation(exc) -> str:
    """A pydantic ValidationError in one line: where, what, and how many more."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"at '{where}': {err['msg']} ({exc.error_count()} error(s))"
