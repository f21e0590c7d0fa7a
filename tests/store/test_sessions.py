"""Sessions on a real SQLite file: the round trip of boxes, keypoints and poses, id prefixes."""

from __future__ import annotations

import numpy as np
import pytest

from edge_app.errors import AxolotlError
from edge_app.store import SessionStore
from edge_app.vision.detections import Detections
from tests.store.helpers import assert_one_line, make_frame, make_pose


def test_round_trip_boxes_keypoints_poses(tmp_path):
    path = tmp_path / "nested" / "dir" / "axolotl.db"
    rng = np.random.default_rng(1)
    sent = []
    with SessionStore(path) as s:
        device = s.device_id
        sid = s.start_session(
            source="clip.avi",
            config={"detector": {"conf": 0.25}},
            models={"detector": {"name": "yolo11n-pose", "sha256": "ab"}},
            fps=10.0,
            frame_size=(768, 576),
            live=False,
        )
        assert len(sid) == 36 and sid.count("-") == 4
        for i in range(6):
            det = make_frame(rng, 2) if i != 3 else Detections.empty(17)  # frame 3: nobody seen
            poses = [make_pose(rng, 1)] if i % 2 == 0 else []
            s.add_frame(sid, i, i * 0.1, det, poses)
            sent.append((det, poses))
        s.end_session(sid, status="completed", stats={"fps": np.float32(9.5), "frames": 6})

    with SessionStore(path) as s:  # a fresh open reads what the first one wrote
        assert s.device_id == device
        got = s.get_session(sid[:8])  # prefix
        assert got["id"] == sid and got["status"] == "completed" and got["frames"] == 6
        assert got["source"] == "clip.avi" and got["fps"] == 10.0 and got["frame_size"] == [768, 576]
        assert got["live"] is False and got["device_id"] == device
        assert got["config"] == {"detector": {"conf": 0.25}}
        assert got["models"]["detector"]["name"] == "yolo11n-pose"
        assert got["stats"] == {"fps": 9.5, "frames": 6}
        assert got["started_at"].endswith("Z") and got["ended_at"] >= got["started_at"]
        tracks = {t["track_id"]: t for t in got["tracks"]}
        assert set(tracks) == {1, 2}
        t1 = tracks[1]
        assert (t1["first_frame"], t1["last_frame"], t1["frames_seen"], t1["pose_samples"]) == (0, 5, 5, 3)
        assert t1["first_t"] == 0.0 and t1["last_t"] == pytest.approx(0.5)
        heights = [float(d.xyxy[0, 3] - d.xyxy[0, 1]) for d, _ in sent if len(d)]
        assert t1["mean_box_height"] == pytest.approx(np.mean(heights), rel=1e-5)

        frames = list(s.frames(sid))
        assert [f.frame for f in frames] == list(range(6))
        for f, (det, poses) in zip(frames, sent):
            assert f.t == pytest.approx(f.frame * 0.1)
            assert len(f.detections) == len(det)
            if len(det):
                np.testing.assert_array_equal(f.detections.xyxy, det.xyxy)
                np.testing.assert_array_equal(f.detections.confidence, det.confidence)
                np.testing.assert_array_equal(f.detections.keypoints, det.keypoints)
                np.testing.assert_array_equal(f.detections.tracker_id, det.tracker_id)
            assert len(f.poses) == len(poses)
            for a, b in zip(f.poses, poses):
                assert a.track_id == b.track_id and a.landmarks.dtype == np.float32
                np.testing.assert_array_equal(a.landmarks, b.landmarks)
                np.testing.assert_array_equal(a.world_landmarks, b.world_landmarks)

        listed = s.list_sessions()
        assert [x["id"] for x in listed] == [sid] and listed[0]["track_count"] == 2


def test_session_id_prefix_unknown_and_ambiguous(tmp_path):
    with SessionStore(tmp_path / "a.db") as s:
        ids = [s.start_session(source=f"c{i}", config={}, models={}, fps=1.0, frame_size=(1, 1)) for i in range(40)]
        assert s.resolve_id(ids[0][:8]) == ids[0]
        assert s.resolve_id(ids[0].upper()) == ids[0]
        with pytest.raises(AxolotlError) as e:
            s.get_session("ffffffff-nope")
        assert_one_line(e, "no session", "sessions list")
        # 40 ids over 16 first hex digits: some first digit is shared
        firsts = [i[0] for i in ids]
        shared = next(c for c in firsts if firsts.count(c) > 1)
        with pytest.raises(AxolotlError) as e:
            s.get_session(shared)
        assert_one_line(e, f"'{shared}' matches", "more characters")


def test_current_process_running_sessions_stay_running(tmp_path):
    path = tmp_path / "a.db"
    s = SessionStore(path)
    sid = s.start_session(source="live", config={}, models={}, fps=25.0, frame_size=(640, 480), live=True)
    s.flush()
    with SessionStore(path) as other:  # same process: its session is not someone else's leftover
        assert other.get_session(sid)["status"] == "running"
    s.close()
