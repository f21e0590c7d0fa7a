"""The one exception type the CLI turns into a one-line message (no traceback)."""


class AxolotlError(Exception):
    """A problem the user can fix. The message names the problem and the fix, on one line."""


def describe_validation(exc) -> str:
    """A pydantic ValidationError in one line: where, what, and how many more."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"at '{where}': {err['msg']} ({exc.error_count()} error(s))"


def first_line(exc: BaseException, limit: int | None = None) -> str:
    """An exception's message cut to its first non-blank line (and to `limit` characters), or its type
    name when it says nothing: library errors (SQL, TLS, JSON) can span lines, a one-line message cannot."""
    lines = str(exc).strip().splitlines()
    text = lines[0].strip() if lines else type(exc).__name__
    return text if limit is None else text[:limit]
