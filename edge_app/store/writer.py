"""The frame writer: `add_frame` queues rows, a thread commits them.

Writes are asynchronous: `add_frame` only converts the frame to plain rows and appends them to
a buffer; a writer thread (`store-writer:<file>`, started with the store, stopped by `close`)
commits the buffer about once a second in one transaction (`executemany`), so the pipeline
never waits on the disk and a SIGKILL loses at most about a second. `flush`, `end_session` and
`close` write synchronously. A failed write keeps its rows for the next try.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from edge_app.store.connection import StoreConnection
from edge_app.store.records import blob
from edge_app.timeutil import utc_now_iso
from edge_app.vision.detections import Detections


def _photo_rows(sid: str, photos) -> list[tuple]:
    return [
        (
            sid,
            int(p.track_id),
            int(p.frame),
            float(p.t),
            bytes(p.jpeg),
            float(p.box_height),
            float(p.score),
            int(p.clear),
        )
        for p in photos or ()
    ]


class FrameWriter(StoreConnection):
    """The store's write path for frames: the buffer, the writer thread, the `tracks` upsert."""

    def __init__(
        self, path: str | Path, *, busy_timeout: float = 5.0, flush_interval: float = 1.0, max_pending_s: float = 30.0
    ):
        self.flush_interval = float(flush_interval)
        self.max_pending_s = float(max_pending_s)  # add_frame raises once the writer has failed this long
        self.write_stats = {"transactions": 0, "frames": 0, "detections": 0, "poses": 0}
        self._buf_lock = threading.Lock()  # the pending buffer only (add_frame never waits on the disk)
        self._pending: list[tuple] = []
        self._pending_since: float | None = None
        self._writer_error: BaseException | None = None
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None
        super().__init__(path, busy_timeout=busy_timeout)
        self._writer = threading.Thread(target=self._writer_loop, name=f"store-writer:{self.path.name}", daemon=True)
        self._writer.start()

    def add_frame(
        self,
        session_id: str,
        frame_index: int,
        t_s: float,
        tracked: Detections,
        poses=(),
        appearance: dict[int, np.ndarray] | None = None,
        photos=(),
    ) -> None:
        """Queue one frame's tracked detections and pose samples; returns without touching the disk.

        `appearance`: track id -> torso histogram (`identity.torso_histogram`), for the tracks
        sampled this frame (the stitching pass averages them per track). `photos`: `vision.photos.TrackPhoto`s
        (a track's best crop so far; the store keeps only the best per track).

        Raises the writer's `AxolotlError` once the buffer could not be written for
        `max_pending_s` (e.g. the disk is full), so a run does not silently keep data only in memory.
        """
        self._check_open()
        sid = session_id if session_id in self._sessions else self._adopt(session_id)
        state = self._sessions[sid]
        frame_index, t_s = int(frame_index), float(t_s)
        if state["last_frame"] is not None and frame_index <= state["last_frame"]:
            raise ValueError(
                f"frame {frame_index} of session {sid[:8]} comes after frame {state['last_frame']}; frame indices must increase"
            )
        err = self._writer_error
        if (
            err is not None
            and self._pending_since is not None
            and time.monotonic() - self._pending_since > self.max_pending_s
        ):
            raise err
        n = len(tracked)
        det_rows = []
        if n:
            xyxy = np.asarray(tracked.xyxy, dtype=np.float64).reshape(n, 4).tolist()
            score = np.asarray(tracked.confidence, dtype=np.float64).tolist()
            cls = np.asarray(tracked.class_id).astype(np.int64).tolist()
            tid = [None] * n if tracked.tracker_id is None else np.asarray(tracked.tracker_id).astype(np.int64).tolist()
            if tracked.keypoints is None:
                kps = [None] * n
            else:
                kp = np.ascontiguousarray(tracked.keypoints, dtype="<f4").reshape(n, -1, 3)
                kps = [kp[i].tobytes() for i in range(n)]
            det_rows = [(sid, frame_index, t_s, tid[i], cls[i], score[i], *xyxy[i], kps[i]) for i in range(n)]
        pose_rows = []
        for p in poses or ():
            world = getattr(p, "world_landmarks", None)
            score = getattr(p, "score", None)
            pose_rows.append(
                (
                    sid,
                    frame_index,
                    t_s,
                    int(p.track_id),
                    None if score is None else float(score),
                    blob(p.landmarks, 4),
                    None if world is None else blob(world, 4),
                )
            )
        app_rows = [
            (sid, frame_index, t_s, int(tid), blob(h, 1)) for tid, h in (appearance or {}).items() if h is not None
        ]
        self._queue((sid, frame_index, t_s, det_rows, pose_rows, app_rows, _photo_rows(sid, photos)))
        state["last_frame"] = frame_index

    def add_photos(self, session_id: str, photos) -> None:
        """Queue track photos outside a frame (the ones still waiting when a run ends)."""
        self._check_open()
        sid = session_id if session_id in self._sessions else self._adopt(session_id)
        rows = _photo_rows(sid, photos)
        if rows:
            self._queue((sid, None, None, [], [], [], rows))

    def _queue(self, item: tuple) -> None:
        with self._buf_lock:
            if not self._pending:
                self._pending_since = time.monotonic()
            self._pending.append(item)

    def _adopt(self, session_id: str) -> str:
        """Start writing to a session this store did not start (e.g. given by a prefix)."""
        sid = self.resolve_id(session_id)
        if sid not in self._sessions:
            self.flush()
            with self._lock, self._guard("reading a session"):
                last = self._conn.execute("SELECT max(frame) FROM frames WHERE session_id = ?", (sid,)).fetchone()[0]
            self._sessions[sid] = {"last_frame": last}
        return sid

    def flush(self) -> None:
        """Write everything queued so far, now, in one transaction."""
        self._check_open()
        self._write_pending()

    def _writer_loop(self) -> None:
        while not self._stop.wait(self.flush_interval):
            try:
                self._write_pending()
            except BaseException as exc:  # kept, retried next tick, raised by add_frame/flush
                self._writer_error = exc

    def _write_pending(self) -> None:
        with self._lock:
            with self._buf_lock:
                batch, since = self._pending, self._pending_since
                self._pending, self._pending_since = [], None
            if not batch:
                return
            try:
                with self._guard("writing frames"):
                    self._write_batch(batch)
            except BaseException:
                with self._buf_lock:  # keep the rows: nothing is lost, the next write tries again
                    self._pending = batch + self._pending
                    self._pending_since = since
                raise
            self._writer_error = None

    def _write_batch(self, batch: list[tuple]) -> None:
        frames_rows, det_rows, pose_rows, app_rows, photo_rows = [], [], [], [], []
        tracks: dict[tuple[str, int], list] = {}
        per_session: dict[str, int] = {}

        def track(sid, tid, frame, t):
            agg = tracks.get((sid, tid))
            if agg is None:  # class_id, first_frame, last_frame, first_t, last_t, frames, sum_h, poses
                agg = tracks[(sid, tid)] = [None, frame, frame, t, t, 0, 0.0, 0]
            agg[2], agg[4] = frame, t
            return agg

        for sid, frame, t, dets, poses, apps, photos in batch:
            photo_rows.extend(photos)
            if frame is None:  # photos only (add_photos)
                continue
            frames_rows.append((sid, frame, t, len(dets)))
            app_rows.extend(apps)
            per_session[sid] = per_session.get(sid, 0) + 1
            det_rows.extend(dets)
            pose_rows.extend(poses)
            for d in dets:
                if d[3] is not None:
                    agg = track(sid, d[3], frame, t)
                    agg[0] = d[4]
                    agg[5] += 1
                    agg[6] += d[9] - d[7]  # y2 - y1
            for p in poses:
                track(sid, p[3], frame, t)[7] += 1
        now = utc_now_iso()
        conn = self._conn
        with self._transaction():
            conn.executemany("INSERT INTO frames (session_id, frame, t, detections) VALUES (?, ?, ?, ?)", frames_rows)
            if det_rows:
                conn.executemany(
                    "INSERT INTO detections (session_id, frame, t, track_id, class_id, score, x1, y1, x2, y2, keypoints) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    det_rows,
                )
            if pose_rows:
                conn.executemany(
                    "INSERT INTO pose_samples (session_id, frame, t, track_id, score, landmarks, world) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    pose_rows,
                )
            if app_rows:
                conn.executemany(
                    "INSERT INTO appearance (session_id, frame, t, track_id, hist) VALUES (?, ?, ?, ?, ?)", app_rows
                )
            if photo_rows:
                # the best per track: a clear crop over a crowded one, then a taller box, then a surer one
                conn.executemany(
                    """INSERT INTO track_photos (session_id, track_id, frame, t, jpeg, box_height, score, clear)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT (session_id, track_id) DO UPDATE SET
                           frame = excluded.frame, t = excluded.t, jpeg = excluded.jpeg,
                           box_height = excluded.box_height, score = excluded.score, clear = excluded.clear
                       WHERE (excluded.clear, excluded.box_height, excluded.score)
                             > (track_photos.clear, track_photos.box_height, track_photos.score)""",
                    photo_rows,
                )
            if tracks:
                conn.executemany(
                    """INSERT INTO tracks (session_id, track_id, class_id, first_frame, last_frame, first_t, last_t,
                                           frames, sum_box_height, pose_samples)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT (session_id, track_id) DO UPDATE SET
                           class_id = coalesce(excluded.class_id, class_id),
                           first_t = CASE WHEN excluded.first_frame < first_frame THEN excluded.first_t ELSE first_t END,
                           first_frame = min(first_frame, excluded.first_frame),
                           last_t = CASE WHEN excluded.last_frame > last_frame THEN excluded.last_t ELSE last_t END,
                           last_frame = max(last_frame, excluded.last_frame),
                           frames = frames + excluded.frames,
                           sum_box_height = sum_box_height + excluded.sum_box_height,
                           pose_samples = pose_samples + excluded.pose_samples""",
                    [(sid, tid, *agg) for (sid, tid), agg in tracks.items()],
                )
            conn.executemany(
                "UPDATE sessions SET frames = frames + ?, updated_at = ? WHERE id = ?",
                [(n, now, sid) for sid, n in per_session.items()],
            )
        ws = self.write_stats
        ws["transactions"] += 1
        ws["frames"] += len(frames_rows)
        ws["detections"] += len(det_rows)
        ws["poses"] += len(pose_rows)
        ws["appearance"] = ws.get("appearance", 0) + len(app_rows)
        ws["photos"] = ws.get("photos", 0) + len(photo_rows)

    def close(self) -> None:
        """Flush and close. Idempotent."""
        if self._closed:
            return
        try:
            self._write_pending()
        finally:
            self._closed = True
            self._stop.set()
            if self._writer is not None and self._writer is not threading.current_thread():
                self._writer.join(timeout=10)
            self._close_connection()
