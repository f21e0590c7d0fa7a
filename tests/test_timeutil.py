"""The one UTC timestamp format: ISO 8601, UTC, `Z`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from edge_app.timeutil import utc_now_iso


def test_utc_now_iso_is_utc_with_a_z():
    before = datetime.now(timezone.utc)
    ms, s = utc_now_iso(), utc_now_iso("seconds")
    assert ms.endswith("Z") and "+" not in ms and len(ms) == len("2026-12-02T06:32:38.123Z")
    assert s.endswith("Z") and len(s) == len("2026-12-02T06:32:38Z")
    parsed = datetime.fromisoformat(ms.replace("Z", "+00:00"))
    assert parsed.tzinfo == timezone.utc and abs(parsed - before) < timedelta(minutes=1)
