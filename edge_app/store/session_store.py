"""`SessionStore`: the store's parts assembled over one connection."""

from __future__ import annotations

from edge_app.store.export import ExportMixin
from edge_app.store.outbox import OutboxMixin
from edge_app.store.players import PlayersMixin
from edge_app.store.sessions import SessionsMixin
from edge_app.store.writer import FrameWriter


class SessionStore(PlayersMixin, ExportMixin, OutboxMixin, SessionsMixin, FrameWriter):
    """Sessions, frames, detections and poses in one SQLite file. Thread-safe.

    `SessionStore(path, *, busy_timeout=5.0, flush_interval=1.0, max_pending_s=30.0)` opens (and
    creates or migrates) the file, marks sessions left `running` by a dead process `interrupted`
    and starts the frame writer thread; `close()` (or leaving a `with` block) writes what is
    queued and stops it. Each job is in its own module: `connection` (opening, locking, ids,
    meta), `writer` (frames), `sessions` (sessions, summaries, frames read back), `outbox`,
    `export`, `players`.
    """
