""" "Who is this?" on the sample clip's real session: the questions name the players as the kiosk does, and
an answer is an edit (the track moved, both players pinned), after which the summary is rebuilt."""

import pytest

from edge_app import player_edits
from edge_app.identity import questions as q_module
from edge_app.store import SessionStore
from tests.conftest import copy_db


@pytest.fixture
def sample(tmp_path, analysed_sample, monkeypatch):
    # the sample's 8 s links are all sure (margins 0.3-0.5): a wider margin makes questions of them
    monkeypatch.setattr(q_module, "ASK_MARGIN", 0.6)
    with SessionStore(copy_db(analysed_sample[0], tmp_path / "axolotl.db")) as store:
        yield store, store.list_sessions()[0]["id"]


def test_an_answer_moves_the_track_and_rebuilds_the_summary(sample):
    store, sid = sample
    asked = player_edits.questions(store, sid)
    assert 0 < len(asked) <= 5
    assert [q["minutes"] for q in asked] == sorted((q["minutes"] for q in asked), reverse=True)
    order = [p["player"] for p in store.players(sid)]
    for q in asked:
        assert q["candidates"][0]["player"] == q["player"] and q["metres"] is not None
        for c in q["candidates"]:  # "Player n" as the Players screen numbers them
            assert c["name"] == f"Player {order.index(c['player']) + 1}"

    q = asked[0]
    track, other = q["track_id"], q["candidates"][1]["player"]
    other_tracks = next(p["track_ids"] for p in store.players(sid) if p["player"] == other)
    before = store.get_summary(sid)["created_at"] if "created_at" in store.get_summary(sid) else None
    summary = player_edits.answer(store, sid, track, other)

    groups = {frozenset(p["track_ids"]) for p in store.players(sid)}
    assert frozenset([track, *other_tracks]) in groups
    assert {frozenset(p["track_ids"]) for p in summary["players"]} <= groups
    assert any(track in p["track_ids"] and set(other_tracks) <= set(p["track_ids"]) for p in summary["players"])
    assert store.get_summary(sid) == summary and (before is None or summary.get("created_at") != before)
    assert track not in {x["track_id"] for x in player_edits.questions(store, sid)}  # answered: never again


def test_someone_else_gives_the_track_a_player_of_its_own(sample):
    store, sid = sample
    q = next(q for q in player_edits.questions(store, sid) if q["player"].startswith("player-"))
    was = next(p["track_ids"] for p in store.players(sid) if p["player"] == q["player"])
    summary = player_edits.answer(store, sid, q["track_id"], player_edits.SOMEONE_ELSE)
    groups = {frozenset(p["track_ids"]) for p in store.players(sid)}
    assert frozenset([q["track_id"]]) in groups and frozenset(set(was) - {q["track_id"]}) in groups
    assert all(p["track_ids"] != was for p in summary["players"])
    assert player_edits.questions(store, sid) == [
        x for x in player_edits.questions(store, sid) if x["track_id"] not in was
    ]
