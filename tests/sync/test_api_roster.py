"""The box's roster from the phone: `GET/PUT /roster` through the real API app, behind the token, checked
by the roster file's own rules (one-line 422s), written as a docs/ROSTER.md file the CLI reads."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from edge_app.identity import read_roster
from sync.api import create_app


@pytest.fixture
def api(tmp_path):
    app = create_app(tmp_path / "axolotl.db", tmp_path)
    with TestClient(app) as client:
        code = app.state.pairing.new_code()
        client.token_headers = {"Authorization": f"Bearer {client.post('/pair', json={'code': code}).json()['token']}"}
        yield client


def test_the_phone_sets_and_reads_the_boxs_roster(api, tmp_path):
    auth = api.token_headers
    assert api.get("/roster").status_code == 401
    assert api.put("/roster", json={"players": ["Sam"]}).status_code == 401
    assert api.get("/roster", headers=auth).status_code == 404  # none set yet

    squad = {
        "teams": {"reds": "red", "bibs": "#f0d020"},
        "players": [{"name": "Sam", "team": "reds", "number": 7}, {"name": "Kim", "colour": "green"}, "Alex", {}],
    }
    resp = api.put("/roster", json=squad, headers=auth)
    assert resp.status_code == 200, resp.text
    saved = resp.json()
    assert saved["teams"] == {"reds": "#c81e1e", "bibs": "#f0d020"}
    assert saved["players"] == [
        {"name": "Sam", "team": "reds", "number": 7},
        {"name": "Kim", "colour": "#1ea032"},
        {"name": "Alex"},
        {},
    ]
    assert api.get("/roster", headers=auth).json() == saved
    roster = read_roster(tmp_path / "roster.toml")  # the same file `analyze` and live sessions read
    assert len(roster) == 4 and roster.players[0].name == "Sam" and roster.teams["reds"] == "#c81e1e"


def test_a_bad_roster_is_refused_with_one_line_and_the_old_one_kept(api, tmp_path):
    auth = api.token_headers
    assert api.put("/roster", json={"players": ["Sam", "Kim"]}, headers=auth).status_code == 200
    for bad, words in (
        ({"players": [{"name": "Sam", "team": "blue"}]}, "which [teams] does not give a colour"),
        ({"players": ["Sam", "sam"]}, "is there twice"),
        ({"players": []}, "lists no players"),
        ({"teams": {"a": "mauve"}, "players": ["x"]}, "give #rrggbb"),
        ({"squad": ["x"]}, "unknown key 'squad'"),
    ):
        resp = api.put("/roster", json=bad, headers=auth)
        assert resp.status_code == 422, bad
        detail = resp.json()["detail"]
        assert isinstance(detail, str) and "\n" not in detail and words in detail
        assert str(tmp_path) not in detail
    assert (
        api.put("/roster", content=b"[1, 2]", headers={**auth, "Content-Type": "application/json"}).status_code == 422
    )
    assert [p["name"] for p in api.get("/roster", headers=auth).json()["players"]] == ["Sam", "Kim"]
