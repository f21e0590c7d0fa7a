"""edge_app.errors.first_line: a multi-line library error becomes one line."""

from edge_app.errors import first_line


def test_first_line_of_an_exception():
    assert first_line(ValueError("duplicate key value\nDETAIL:  Key (id)=(1) already exists.")) == "duplicate key value"
    assert first_line(OSError("\n  the real message  \nmore")) == "the real message"
    assert first_line(KeyError()) == "KeyError"  # no message: its type
    assert first_line(RuntimeError("x" * 300), limit=160) == "x" * 160
