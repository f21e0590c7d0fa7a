""" "Who is this?" on the kiosk over the sample clip's real session: the Players screen counts the open
questions; the dialog shows the track's photo and the candidates' photos and names; a tap applies the answer
(the track moved, the summary rebuilt) and the next question comes up."""

import pytest

from edge_app import player_edits
from edge_app.identity import questions as q_module
from ui.bridge import Job
from ui.screens import questions as dialog_module


@pytest.fixture(autouse=True)
def _wider_margin(monkeypatch):
    monkeypatch.setattr(q_module, "ASK_MARGIN", 0.6)  # the sample's 8 s links are all sure (margins 0.3-0.5)


def test_the_kiosk_asks_and_applies_the_answer(recorded_window, recorded_kiosk, qtbot):
    assert (dialog_module.SOMEONE_ELSE, dialog_module.NOT_A_PLAYER) == (
        player_edits.SOMEONE_ELSE,
        player_edits.NOT_A_PLAYER,
    )
    store = recorded_kiosk.store
    sid = store.list_sessions()[0]["id"]
    expected = player_edits.questions(store, sid)
    assert len(expected) >= 1  # the sample clip has one or more (the flow after the answer checks both cases)
    recorded_kiosk.open_session(sid)
    recorded_window.show_screen("players")
    screen = recorded_window.screens["players"]
    qtbot.waitUntil(lambda: screen.ask_btn.isVisible(), timeout=60_000)
    assert screen.ask_btn.text() == f"Who is this? ({len(expected)})"

    qtbot.mouseClick(screen.ask_btn, dialog_module.Qt.MouseButton.LeftButton)
    dialog = screen.question_dialog
    assert dialog.isVisible()
    first = expected[0]
    assert dialog.question["track_id"] == first["track_id"]
    assert not dialog.photo.pixmap().isNull()  # the track's own photo
    assert [b.text() for b in dialog.choices] == [c["name"] for c in first["candidates"]]
    assert all(not b.icon().isNull() for b in dialog.choices)  # each candidate's photo
    assert dialog.choices[0].height() >= dialog_module.ICON.height() and dialog.else_btn.isVisible()

    other = first["candidates"][1]["player"]
    other_tracks = next(p["track_ids"] for p in store.players(sid) if p["player"] == other)
    qtbot.mouseClick(dialog.choices[1], dialog_module.Qt.MouseButton.LeftButton)
    together = {first["track_id"], *other_tracks}
    qtbot.waitUntil(
        lambda: any(set(p["track_ids"]) == together for p in (store.get_summary(sid) or {})["players"]),
        timeout=60_000,
    )
    qtbot.waitUntil(lambda: dialog.question is None or dialog.question["track_id"] != first["track_id"], timeout=60_000)
    left = player_edits.questions(store, sid)
    assert first["track_id"] not in {q["track_id"] for q in left}
    if left:  # the next one is up, the count down
        assert dialog.isVisible() and dialog.question["track_id"] == left[0]["track_id"]
        qtbot.waitUntil(lambda: screen.ask_btn.text() == f"Who is this? ({len(left)})", timeout=10_000)
    else:
        assert not dialog.isVisible() and not screen.ask_btn.isVisible()
    qtbot.waitUntil(lambda: not Job._running, timeout=60_000)  # no thread left mid-query at the end
