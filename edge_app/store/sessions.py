"""Sessions and their summaries: starting and ending a session, listing and reading sessions and
their frames back, storing the summary (with its outbox message in the same transaction)."""

from __future__ import annotations

import uuid
from typing import Iterator

import numpy as np

from edge_app.store.connection import StoreConnection
from edge_app.store.process import current_process
from edge_app.store.records import BoxRows, StoredFrame, StoredPose, detections_from_rows, dumps, loads, unblob
from edge_app.timeutil import utc_now_iso

STATUSES = ("running", "completed", "interrupted", "failed")


class SessionsMixin(StoreConnection):
    """Session rows, summaries, and frames read back (part of `SessionStore`)."""

    # ----------------------------------------------------------------- writing

    def start_session(
        self,
        source,
        config=None,
        models=None,
        fps: float | None = None,
        frame_size: tuple[int, int] | None = None,
        live: bool = False,
    ) -> str:
        """Create a `running` session and return its id (a UUID4 string)."""
        self._check_open()
        sid = str(uuid.uuid4())
        width, height = (None, None) if frame_size is None else (int(frame_size[0]), int(frame_size[1]))
        pid, token = current_process()
        now = utc_now_iso()
        row = {
            "id": sid,
            "device_id": self.device_id,
            "source": None if source is None else str(source),
            "status": "running",
            "started_at": now,
            "ended_at": None,
            "updated_at": now,
            "fps": None if fps is None else float(fps),
            "width": width,
            "height": height,
            "live": int(bool(live)),
            "frames": 0,
            "config": dumps(config),
            "models": dumps(models),
            "stats": None,
            "pid": pid,
            "proc_token": token,
        }
        with self._lock, self._guard("starting a session"), self._transaction():
            self.db["sessions"].insert(row)
        self._sessions[sid] = {"last_frame": None}
        return sid

    def end_session(self, session_id: str, status: str = "completed", stats: dict | None = None) -> None:
        """Flush, then record the end: status, `ended_at` (UTC), frame count and stats JSON."""
        if status not in STATUSES or status == "running":
            raise ValueError(f"end status must be one of completed, interrupted, failed, not {status!r}")
        sid = self.resolve_id(session_id)
        self.flush()
        with self._lock, self._guard("ending a session"), self._transaction():
            self._conn.execute(
                """UPDATE sessions SET status = ?, ended_at = ?, updated_at = ?, stats = ?,
                       frames = (SELECT count(*) FROM frames WHERE session_id = ?)
                   WHERE id = ?""",
                (status, utc_now_iso(), utc_now_iso(), dumps(stats), sid, sid),
            )
        self._sessions.pop(sid, None)

    def save_summary(self, session_id: str, summary, *, enqueue: bool = False) -> dict:
        """Validate (edge_app.summary) and store a session's summary, replacing the last one.

        `enqueue=True` also writes an outbox row (kind 'summary', a new UUID) in the same
        transaction, so the summary is synced exactly when it is stored (a re-save enqueues
        the new version as a new message).
        """
        from edge_app.summary import validate_summary

        sid = self.resolve_id(session_id)
        data = summary if isinstance(summary, dict) else summary.to_json_dict()
        checked = validate_summary(data).to_json_dict()
        text = dumps(checked)
        now = utc_now_iso()
        with self._lock, self._guard("saving a summary"), self._transaction():
            self._conn.execute(
                "INSERT OR REPLACE INTO summaries (session_id, schema, summary, updated_at) VALUES (?, ?, ?, ?)",
                (sid, checked["schema"], text, now),
            )
            if enqueue:
                self._conn.execute(
                    "INSERT INTO outbox (id, topic_kind, session_id, payload, state, attempts, next_try_at, created_at) "
                    "VALUES (?, 'summary', ?, ?, 'pending', 0, 0, ?)",
                    (str(uuid.uuid4()), sid, text, now),
                )
        return checked

    # ----------------------------------------------------------------- reading

    @staticmethod
    def _session_dict(row: dict) -> dict:
        out = dict(row)
        for key in ("config", "models", "stats"):
            if key in out:
                out[key] = loads(out[key])
        out["live"] = bool(out.get("live"))
        out["frame_size"] = None if out.get("width") is None else [out["width"], out["height"]]
        return out

    def list_sessions(self) -> list[dict]:
        """Every session, newest first (without config and models; see `get_session`)."""
        self._check_open()
        with self._lock, self._guard("listing sessions"):
            rows = list(
                self.db.query(
                    """SELECT s.id, s.device_id, s.source, s.status, s.started_at, s.ended_at, s.updated_at, s.fps,
                          s.width, s.height, s.live, s.frames, s.stats, s.pid,
                          (SELECT count(*) FROM tracks t WHERE t.session_id = s.id) AS track_count
                   FROM sessions s ORDER BY s.started_at DESC, s.id"""
                )
            )
        return [self._session_dict(r) for r in rows]

    def get_session(self, session_id: str) -> dict:
        """The session row (JSON fields parsed) plus `tracks`: one summary per track id."""
        sid = self.resolve_id(session_id)
        with self._lock, self._guard("reading a session"):
            row = self.db["sessions"].get(sid)
            tracks = list(
                self.db.query(
                    """SELECT track_id, class_id, first_frame, last_frame, first_t, last_t, frames AS frames_seen,
                          CASE WHEN frames > 0 THEN sum_box_height / frames END AS mean_box_height, pose_samples
                   FROM tracks WHERE session_id = ? ORDER BY track_id""",
                    (sid,),
                )
            )
        out = self._session_dict(row)
        out.pop("proc_token", None)
        out["tracks"] = tracks
        return out

    def frames(self, session_id: str) -> Iterator[StoredFrame]:
        """Every stored frame of a session in order (empty frames included), as `StoredFrame`s."""
        sid = self.resolve_id(session_id)
        self.flush()
        return self._iter_frames(sid)

    def _iter_frames(self, sid: str) -> Iterator[StoredFrame]:
        with self._reader("reading frames") as conn:
            frames = conn.execute("SELECT frame, t FROM frames WHERE session_id = ? ORDER BY frame", (sid,))
            dets = conn.execute(
                "SELECT frame, track_id, class_id, score, x1, y1, x2, y2, keypoints FROM detections "
                "WHERE session_id = ? ORDER BY frame, id",
                (sid,),
            )
            poses = conn.execute(
                "SELECT frame, track_id, score, landmarks, world FROM pose_samples "
                "WHERE session_id = ? ORDER BY frame, id",
                (sid,),
            )
            det_next, pose_next = dets.fetchone(), poses.fetchone()
            for frame, t in frames:
                rows = []
                while det_next is not None and det_next[0] == frame:
                    rows.append(det_next)
                    det_next = dets.fetchone()
                plist = []
                while pose_next is not None and pose_next[0] == frame:
                    _, tid, score, lm, world = pose_next
                    plist.append(StoredPose(tid, unblob(lm, 4), unblob(world, 4), score))
                    pose_next = poses.fetchone()
                yield StoredFrame(frame, t, detections_from_rows(rows), plist)

    def person_boxes(self, session_id: str) -> BoxRows:
        """Every person box of a session, in frame order then as stored: the rows the positions stage
        reads (a 90-minute session is ~10^6 boxes: arrays, not an object per frame)."""
        sid = self.resolve_id(session_id)
        self.flush()
        with self._reader("reading person boxes") as conn:
            rows = conn.execute(
                "SELECT d.frame, f.t, coalesce(d.track_id, -1), d.x1, d.y1, d.x2, d.y2 FROM detections d "
                "JOIN frames f ON f.session_id = d.session_id AND f.frame = d.frame "
                "WHERE d.session_id = ? AND d.class_id = 0 ORDER BY d.frame, d.id",
                (sid,),
            ).fetchall()
        a = np.array(rows, dtype=float).reshape(-1, 7)
        # float32, as the boxes were given to `add_frame` (Detections), so every position is the same
        return BoxRows(a[:, 0].astype(np.int64), a[:, 1], a[:, 2].astype(np.int64), a[:, 3:].astype(np.float32))

    def world_poses(self, session_id: str) -> dict[int, list[tuple[float, np.ndarray]]]:
        """Per track, (t, world landmarks) of every pose sample that has them, in frame order."""
        sid = self.resolve_id(session_id)
        self.flush()
        out: dict[int, list] = {}
        with self._reader("reading poses") as conn:
            for t, tid, world in conn.execute(
                "SELECT f.t, p.track_id, p.world FROM pose_samples p JOIN frames f "
                "ON f.session_id = p.session_id AND f.frame = p.frame "
                "WHERE p.session_id = ? AND p.world IS NOT NULL ORDER BY p.frame, p.id",
                (sid,),
            ):
                out.setdefault(int(tid), []).append((t, unblob(world, 4)))
        return out

    def get_summary(self, session_id: str) -> dict | None:
        sid = self.resolve_id(session_id)
        with self._lock, self._guard("reading a summary"):
            row = self._conn.execute("SELECT summary FROM summaries WHERE session_id = ?", (sid,)).fetchone()
        return None if row is None else loads(row[0])
