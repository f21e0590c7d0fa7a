"""UTC timestamps as the project writes them: ISO 8601 with a `Z` suffix."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now_iso(timespec: str = "milliseconds") -> str:
    """Now in UTC, e.g. '2026-12-02T06:32:38.123Z' (`timespec` as `datetime.isoformat`'s)."""
    return datetime.now(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")
