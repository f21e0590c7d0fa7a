"""Helpers shared by the capture tests."""


def one_line_error(excinfo) -> str:
    msg = str(excinfo.value)
    assert msg and "\n" not in msg and "\r" not in msg
    return msg
