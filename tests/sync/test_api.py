"""The local API's border (issue 13), on the ASGI app: bodies capped and never echoed, errors that do not
name the box's files, and live sessions only from the box's cameras or its recordings folder.
(The same over TLS to the real `serve`: tests/sync/test_cli_border.py.)"""

from __future__ import annotations

import os
import shutil

import pytest
from fastapi.testclient import TestClient

from sync.api import MAX_BODY, create_app
from sync.live_sources import LiveSources
from tests.conftest import SAMPLE
from tests.sync.helpers import FakeLive


@pytest.fixture
def api(tmp_path):
    live = FakeLive()
    app = create_app(
        tmp_path / "axolotl.db",
        tmp_path,
        on_live_start=live.start,
        on_live_stop=live.stop,
        live_metrics=live.metrics,
        live_sources=LiveSources(["0", "rtsp://cam.local/main"], tmp_path / "recordings"),
    )
    with TestClient(app) as client:
        client.live = live
        code = app.state.pairing.new_code()
        client.token_headers = {"Authorization": f"Bearer {client.post('/pair', json={'code': code}).json()['token']}"}
        yield client


def test_a_10_mb_body_to_pair_is_refused_and_not_echoed(api):
    big = "7" * (10 * 1024 * 1024)
    resp = api.post("/pair", json={"code": big, "client_name": "m"})
    assert resp.status_code == 413 and len(resp.content) < 200 and "777" not in resp.text
    chunks = (b'{"code": "' + b"7" * 65536 for _ in range(160))  # no Content-Length: streamed, chunked
    resp = api.post("/pair", content=chunks, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and "777" not in resp.text


def test_a_validation_error_names_the_field_but_not_the_input(api):
    resp = api.post("/pair", json={"code": "8" * 5000, "client_name": "x" * 100, "s3cret-key": "s3cret-value"})
    assert resp.status_code == 422
    assert "888" not in resp.text and "xxx" not in resp.text and "s3cret-value" not in resp.text
    fields = {d["loc"][-1] for d in resp.json()["detail"]}
    assert fields == {"code", "client_name", "s3cret-key"} and len(resp.content) < 1000
    resp = api.post("/pair", content=b'{"code": "12345678", oops', headers={"Content-Type": "application/json"})
    assert resp.status_code == 422 and "oops" not in resp.text


def test_a_404_does_not_name_the_database(api, tmp_path):
    resp = api.get("/sessions/ffffffff/summary", headers=api.token_headers)
    assert resp.status_code == 404 and "ffffffff" in resp.text
    assert str(tmp_path) not in resp.text and "axolotl.db" not in resp.text


def test_live_start_does_not_tell_whether_a_file_exists(api, tmp_path):
    rec = tmp_path / "recordings"
    rec.mkdir()
    shutil.copy(SAMPLE, rec / "match.avi")
    (rec / "notes.avi").write_text("not a video")
    secret = tmp_path / "secret.mp4"
    shutil.copy(SAMPLE, secret)  # a real video, but outside the recordings folder
    (rec / "link.avi").symlink_to(secret)
    probes = [
        str(secret),
        "../secret.mp4",
        "link.avi",
        "/etc/passwd",
        "/nonexistent/x.mp4",
        "missing.avi",
        "notes.avi",
        "rtsp://10.0.0.9/stream",
        "rtsp://cam.local/main/../other",
        "1",
        "v4l2src ! appsink",
        "/dev/video0",
    ]
    if os.geteuid() != 0:  # root reads every file: an unreadable one cannot be made here
        unreadable = rec / "locked.avi"
        shutil.copy(SAMPLE, unreadable)
        unreadable.chmod(0)
        probes.append("locked.avi")
    answers = set()
    for source in probes:
        resp = api.post("/live/start", headers=api.token_headers, json={"source": source})
        assert resp.status_code == 409, source
        answers.add(resp.json()["detail"])
    assert answers == {
        "that source is not one of this box's cameras or a video in its recordings folder; "
        "leave source out for the box's camera, or name a recording"
    }
    assert api.live.calls == []  # none reached the pipeline
    for source, opened in (
        ("match.avi", str((rec / "match.avi").resolve())),
        (str(rec / "match.avi"), None),
        ("rtsp://cam.local/main", "rtsp://cam.local/main"),
        ("0", "0"),
        (None, None),
    ):
        assert api.post("/live/start", headers=api.token_headers, json={"source": source}).status_code == 200, source
        assert api.live.calls[-1] == (
            "start",
            {"source": opened or str((rec / "match.avi").resolve()) if source else None, "options": {}},
        )


def test_max_body_fits_the_largest_real_request():
    from sync.api import CloudCredentials

    assert MAX_BODY >= 16 * 1024 and "ca_pem" in CloudCredentials.model_fields


def test_a_players_photo_is_served_as_jpeg_and_only_for_its_own_session(tmp_path, analysed_sample):
    """The phone shows the kiosk's photos: the sample clip's real session, over the API."""
    import cv2
    import numpy as np

    from edge_app.store import SessionStore
    from edge_app.vision.photos import TrackPhoto, encode_photo
    from tests.conftest import copy_db
    from tests.store.helpers import dets

    db = copy_db(analysed_sample[0], tmp_path / "axolotl.db")
    with SessionStore(db) as store:
        sample = store.list_sessions()[0]["id"]
        players = store.players(sample)
        expected = store.player_photos(sample)
        # another session, whose one track (900) the sample's session does not have
        other = store.start_session("other", fps=10.0, frame_size=(768, 576))
        photo = TrackPhoto(900, 0, 0.0, encode_photo(np.full((100, 40, 3), 200, np.uint8)), 100.0, 0.9)
        store.add_frame(other, 0, 0.0, dets([(900, 300, 400, 100)]), photos=[photo])
        store.end_session(other)
    app = create_app(db, tmp_path)
    with TestClient(app) as client:
        code = app.state.pairing.new_code()
        auth = {"Authorization": f"Bearer {client.post('/pair', json={'code': code}).json()['token']}"}
        summary = client.get(f"/sessions/{sample}/summary", headers=auth).json()
        assert [q["player"] for q in summary["players"]] and len(expected) == len(players)
        for q in summary["players"]:  # as the summary names them
            resp = client.get(f"/sessions/{sample[:8]}/players/{q['player']}/photo", headers=auth)
            assert resp.status_code == 200 and resp.headers["content-type"] == "image/jpeg"
            key = next(p["player"] for p in players if sorted(p["track_ids"]) == sorted(q["track_ids"]))
            assert resp.content == expected[key]
            assert cv2.imdecode(np.frombuffer(resp.content, np.uint8), cv2.IMREAD_COLOR) is not None

        assert client.get(f"/sessions/{other}/players/track-900/photo", headers=auth).content == photo.jpeg
        for path in (
            f"/sessions/{sample}/players/track-900/photo",  # another session's player
            f"/sessions/{other}/players/{players[0]['player']}/photo",  # ... and the other way round
            f"/sessions/{sample}/players/nobody/photo",
            "/sessions/ffffffff/players/track-1/photo",
        ):
            resp = client.get(path, headers=auth)
            assert resp.status_code == 404 and str(tmp_path) not in resp.text, path
        assert client.get(f"/sessions/{other}/players/track-900/photo").status_code == 401
