"""Exports: JSON and CSV parse back to what was stored."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from edge_app.errors import AxolotlError
from edge_app.store import SessionStore
from tests.store.helpers import assert_one_line, make_frame, make_pose


def test_export_json_and_csv_parse_back(tmp_path):
    rng = np.random.default_rng(4)
    with SessionStore(tmp_path / "a.db") as s:
        sid = s.start_session(source="clip.avi", config={"a": 1}, models={}, fps=10.0, frame_size=(768, 576))
        sent = []
        for i in range(4):
            det = make_frame(rng, 3)
            s.add_frame(sid, i, i / 10, det, [make_pose(rng, 2)])
            sent.append(det)
        s.end_session(sid, stats={"frames": 4})

        doc = json.loads(s.export_session(sid[:8], "json"))
        assert doc["schema"] == "axolotl.session-export/1"
        assert doc["session"]["id"] == sid and doc["session"]["config"] == {"a": 1}
        assert [t["track_id"] for t in doc["tracks"]] == [1, 2, 3]
        assert [f["frame"] for f in doc["frames"]] == [0, 1, 2, 3]
        f0 = doc["frames"][0]
        assert f0["detections"][1]["box"] == pytest.approx(sent[0].xyxy[1].tolist(), abs=0.01)
        assert np.array(f0["detections"][0]["keypoints"]) == pytest.approx(sent[0].keypoints[0], abs=1e-3)
        assert f0["poses"][0]["track_id"] == 2 and len(f0["poses"][0]["landmarks"]) == 33

        rows = list(csv.DictReader(io.StringIO(s.export_session(sid, "csv"))))
        assert tuple(rows[0].keys()) == ("session_id", "frame", "t", "track_id", "x1", "y1", "x2", "y2", "score")
        assert len(rows) == 12 and {r["session_id"] for r in rows} == {sid}
        r = rows[4]  # frame 1, second box
        assert (int(r["frame"]), int(r["track_id"])) == (1, 2) and float(r["t"]) == pytest.approx(0.1)
        assert [float(r[k]) for k in ("x1", "y1", "x2", "y2")] == pytest.approx(sent[1].xyxy[1].tolist(), abs=0.01)
        assert float(r["score"]) == pytest.approx(float(sent[1].confidence[1]), abs=1e-4)

        with pytest.raises(AxolotlError) as e:
            s.export_session(sid, "xml")
        assert_one_line(e, "format")
