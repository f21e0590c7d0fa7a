"""Muting native libraries that print straight to file descriptor 2."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def native_stderr_muted():
    """Silence fd 2 while a native library starts (MediaPipe's TFLite/absl, llama.cpp).

    They print one-off INFO/WARNING lines with no Python logging and no switch that turns
    them off; those lines would break the CLI's one-line errors and the progress bar.
    Use it around start-up only, so later native errors still show.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
