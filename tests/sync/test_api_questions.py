""" "Who is this?" on the phone (sync/questions.py), over the sample clip's real session and the real edits
handed in as `serve` hands them: the kiosk's questions with photo URLs that serve the crops, an answer that
is an edit (and "not-a-player" a role), and bad input answered in one line."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from edge_app import player_edits
from edge_app.identity import questions as q_module
from edge_app.report import team_totals
from edge_app.store import SessionStore
from sync import questions as sync_questions
from sync.api import create_app
from tests.conftest import copy_db


@pytest.fixture
def phone(tmp_path, analysed_sample, monkeypatch):
    # the sample's 8 s links are all sure (margins 0.3-0.5): a wider margin makes questions of them
    monkeypatch.setattr(q_module, "ASK_MARGIN", 0.6)
    db = copy_db(analysed_sample[0], tmp_path / "axolotl.db")
    with SessionStore(db) as store:
        sid = store.list_sessions()[0]["id"]
    app = create_app(db, tmp_path, questions=player_edits.questions, on_answer=player_edits.answer)
    with TestClient(app) as client:
        code = app.state.pairing.new_code()
        client.headers["Authorization"] = f"Bearer {client.post('/pair', json={'code': code}).json()['token']}"
        client.db, client.sid = db, sid
        yield client


def test_the_answers_are_the_edits_own():
    assert (sync_questions.SOMEONE_ELSE, sync_questions.NOT_A_PLAYER) == (
        player_edits.SOMEONE_ELSE,
        player_edits.NOT_A_PLAYER,
    )


def test_the_phone_gets_the_kiosks_questions_with_photos(phone):
    with SessionStore(phone.db) as store:
        expected = player_edits.questions(store, phone.sid)
        players_with, tracks_with = (
            set(store.player_photos(phone.sid)),
            {r[0] for r in store.track_photo_rows(phone.sid)},
        )
    assert expected
    resp = phone.get(f"/sessions/{phone.sid[:8]}/questions")
    assert resp.status_code == 200
    got = resp.json()
    strip = [{**q, "candidates": [{k: v for k, v in c.items() if k != "photo"} for c in q["candidates"]]} for q in got]
    assert [{k: v for k, v in q.items() if k != "photo"} for q in strip] == expected
    urls = []
    for q in got:  # a URL for every crop there is, null for none
        assert q["photo"] == (
            f"/sessions/{phone.sid}/tracks/{q['track_id']}/photo" if q["track_id"] in tracks_with else None
        )
        for c in q["candidates"]:
            assert c["photo"] == (
                f"/sessions/{phone.sid}/players/{c['player']}/photo" if c["player"] in players_with else None
            )
        urls += [u for u in (q["photo"], *(c["photo"] for c in q["candidates"])) if u]
    assert len(urls) >= 2 * len(got)  # the sample's people were nearly all seen clear once
    for url in urls:  # every crop the phone is pointed at is there
        photo = phone.get(url)
        assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg", url
        assert photo.content[:2] == b"\xff\xd8"


def test_an_answer_moves_the_track(phone):
    asked = phone.get(f"/sessions/{phone.sid}/questions").json()
    q = asked[0]
    other = q["candidates"][1]["player"]
    resp = phone.post(f"/sessions/{phone.sid}/questions/{q['track_id']}", json={"who": other})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    with SessionStore(phone.db) as store:
        owner = next(p for p in store.players(phone.sid) if q["track_id"] in p["track_ids"])
        assert body["player"] == owner["player"] and body["summary"] == store.get_summary(phone.sid)
    assert q["track_id"] not in [x["track_id"] for x in phone.get(f"/sessions/{phone.sid}/questions").json()]


def test_not_a_player_is_other_and_out_of_the_team(phone):
    q = phone.get(f"/sessions/{phone.sid}/questions").json()[0]
    resp = phone.post(f"/sessions/{phone.sid}/questions/{q['track_id']}", json={"who": "not-a-player"})
    assert resp.status_code == 200, resp.text
    summary = resp.json()["summary"]
    them = next(p for p in summary["players"] if q["track_id"] in p["track_ids"])
    assert them["role"] == "other" and them["track_ids"] == [q["track_id"]]
    assert team_totals(summary)["players"] == sum(p["role"] == "player" for p in summary["players"])
    assert team_totals(summary)["players"] == len(summary["players"]) - 1


def test_bad_input_is_one_line_and_changes_nothing(phone, tmp_path):
    q = phone.get(f"/sessions/{phone.sid}/questions").json()[0]
    with SessionStore(phone.db) as store:
        before = store.get_summary(phone.sid), store.players(phone.sid)
    url = f"/sessions/{phone.sid}/questions/{q['track_id']}"
    for path, body, status, words in (
        ("/sessions/ffffffff/questions/1", {"who": "not-a-player"}, 404, "ffffffff"),
        (f"/sessions/{phone.sid}/questions/99999", {"who": "not-a-player"}, 404, "no player track 99999"),
        (url, {"who": "player-9999"}, 422, "answer with a candidate's player key"),
        (url, {"who": "nobody"}, 422, "'not-a-player'"),
    ):
        resp = phone.post(path, json=body)
        detail = resp.json()["detail"]
        assert resp.status_code == status and words in detail and "\n" not in detail, (path, body, resp.text)
        assert str(tmp_path) not in resp.text and "nobody" not in detail
    for path, body in ((url, {}), (url, {"who": ""}), (url, {"who": "x", "more": 1}), (url[:-1] + "x", {"who": "x"})):
        assert phone.post(path, json=body).status_code == 422, (path, body)
    assert phone.get("/sessions/ffffffff/questions").status_code == 404
    assert phone.get(f"/sessions/{phone.sid}/tracks/99999/photo").status_code == 404
    with SessionStore(phone.db) as store:
        assert (store.get_summary(phone.sid), store.players(phone.sid)) == before
    del phone.headers["Authorization"]
    for resp in (phone.get(f"/sessions/{phone.sid}/questions"), phone.post(url, json={"who": "not-a-player"})):
        assert resp.status_code == 401


def test_without_the_edits_the_routes_say_so(tmp_path, analysed_sample):
    db = copy_db(analysed_sample[0], tmp_path / "axolotl.db")
    app = create_app(db, tmp_path)
    with TestClient(app) as client:
        auth = {
            "Authorization": f"Bearer {client.post('/pair', json={'code': app.state.pairing.new_code()}).json()['token']}"
        }
        sid = client.get("/sessions", headers=auth).json()[0]["id"]
        assert client.get(f"/sessions/{sid}/questions", headers=auth).status_code == 503
        assert client.post(f"/sessions/{sid}/questions/1", headers=auth, json={"who": "x"}).status_code == 503
