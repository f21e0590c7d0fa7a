"""Export: a session as a JSON document (`axolotl.session-export/1`) or a CSV table, streamed."""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from edge_app.errors import AxolotlError
from edge_app.store.records import StoredFrame, json_default
from edge_app.store.sessions import SessionsMixin

EXPORT_SCHEMA = "axolotl.session-export/1"
CSV_COLUMNS = ("session_id", "frame", "t", "track_id", "x1", "y1", "x2", "y2", "score")


class ExportMixin(SessionsMixin):
    """Whole-session exports (part of `SessionStore`), read through `get_session` and `frames`."""

    def export_session(self, session_id: str, fmt: str = "json") -> str:
        """The session as a JSON document or a CSV table (one row per frame and box)."""
        buf = io.StringIO()
        self.write_export(session_id, fmt, buf)
        return buf.getvalue()

    def write_export(self, session_id: str, fmt: str, fp) -> None:
        """Like `export_session`, streamed to a text file object (for long sessions)."""
        if fmt not in ("json", "csv"):
            raise AxolotlError(f"unknown export format '{fmt}'; use --format json or --format csv")
        session = self.get_session(session_id)
        sid = session["id"]
        if fmt == "csv":
            writer = csv.writer(fp, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            for fr in self.frames(sid):
                d = fr.detections
                for i in range(len(d)):
                    tid = "" if d.tracker_id is None or d.tracker_id[i] < 0 else int(d.tracker_id[i])
                    x1, y1, x2, y2 = (round(float(v), 2) for v in d.xyxy[i])
                    writer.writerow(
                        (sid, fr.frame, repr(round(fr.t, 6)), tid, x1, y1, x2, y2, round(float(d.confidence[i]), 4))
                    )
            return
        tracks = session.pop("tracks")
        session.pop("pid", None)
        head = json.dumps({"schema": EXPORT_SCHEMA, "session": session, "tracks": tracks}, default=json_default)
        fp.write(head[:-1] + ', "frames": [')
        for n, fr in enumerate(self.frames(sid)):
            fp.write((", " if n else "") + json.dumps(frame_json(fr), separators=(",", ":")))
        fp.write("]}")


def frame_json(fr: StoredFrame) -> dict:
    """One stored frame as the JSON export writes it (rounded: 2 decimals px, 4 scores)."""
    d = fr.detections
    dets = []
    for i in range(len(d)):
        row = {
            "track_id": None if d.tracker_id is None or d.tracker_id[i] < 0 else int(d.tracker_id[i]),
            "class_id": int(d.class_id[i]),
            "score": round(float(d.confidence[i]), 4),
            "box": [round(float(v), 2) for v in d.xyxy[i]],
        }
        if d.keypoints is not None:
            row["keypoints"] = np.round(d.keypoints[i].astype(np.float64), 3).tolist()
        dets.append(row)
    poses = [
        {
            "track_id": p.track_id,
            "score": None if p.score is None else round(p.score, 4),
            "landmarks": np.round(p.landmarks.astype(np.float64), 3).tolist(),
            "world_landmarks": None
            if p.world_landmarks is None
            else np.round(p.world_landmarks.astype(np.float64), 4).tolist(),
        }
        for p in fr.poses
    ]
    return {"frame": fr.frame, "t": fr.t, "detections": dets, "poses": poses}
