"""Is the process that wrote a `running` session still alive? (pid + a start token, so a reused
pid is not mistaken for the writer.)"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_BOOT_ID: str | None = None


def _boot_id() -> str:
    global _BOOT_ID
    if _BOOT_ID is None:
        try:
            _BOOT_ID = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        except OSError:
            _BOOT_ID = ""
    return _BOOT_ID


def proc_token(pid: int) -> str | None:
    """Boot id + start time (clock ticks since boot) of a live process, None if there is none.

    Linux only (reads /proc); a zombie counts as dead.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the command name may hold spaces and parentheses
    if not fields or fields[0] in ("Z", "X", "x"):
        return None
    return f"{_boot_id()}:{fields[19]}"


HAVE_PROC = Path("/proc/self/stat").exists()
_MY_PID = os.getpid()
_MY_TOKEN = proc_token(_MY_PID) if HAVE_PROC else None


def current_process() -> tuple[int, str | None]:
    """This process's pid and start token (recomputed after a fork)."""
    global _MY_PID, _MY_TOKEN
    if os.getpid() != _MY_PID:  # forked
        _MY_PID = os.getpid()
        _MY_TOKEN = proc_token(_MY_PID) if HAVE_PROC else None
    return _MY_PID, _MY_TOKEN


def process_alive(pid: int | None, token: str | None) -> bool:
    """Is the process that wrote a `running` session still the one running under that pid?"""
    if pid is None:
        return False
    if HAVE_PROC:
        current = proc_token(pid)
        if current is None:
            return False
        return token is None or current == token  # no token stored (written elsewhere): trust the pid
    if sys.platform == "win32":  # os.kill would terminate it; we cannot tell, so leave it running
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
