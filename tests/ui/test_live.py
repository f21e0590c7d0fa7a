"""Live screen: start a session from the sample clip, see tracks appear, name a player by tapping
them, stop; the summary opens with the name in it, and the feedback arrives while the LLM writes."""

import re

import pytest
from PySide6.QtCore import QPoint, Qt

from edge_app.config import load_config
from tests.ui.conftest import UI_OVERRIDES

pytestmark = pytest.mark.slow


def box_centre(view, tid):
    t = view.tracked
    i = list(t.tracker_id).index(tid)
    x0, y0, x1, y1 = t.xyxy[i]
    p = view.to_widget((x0 + x1) / 2, (y0 + y1) / 2)
    return QPoint(round(p.x()), round(p.y()))


def test_a_live_session_from_the_file_source_names_a_player_and_ends_in_a_summary_with_feedback(window, kiosk, qtbot):
    kiosk.config = load_config(
        overrides={**UI_OVERRIDES, "session": {"roster": ["Sam", "Alex", "Jo"], "profile": "u13"}}
    )
    live = window.screens["live"]
    live.refresh_sources()
    live.source.setCurrentIndex(1)  # the sample clip, as a coach picks it
    assert "sample clip" in live.source.currentText()
    qtbot.mouseClick(live.start_btn, Qt.MouseButton.LeftButton)
    assert not live.start_btn.isEnabled() and live.stop_btn.isEnabled()

    # tracks appear: boxes drawn on the video, a tile per player with live metres
    qtbot.waitUntil(lambda: live.video.tracked is not None and len(live.tiles) >= 2, timeout=90_000)
    qtbot.waitUntil(
        lambda: live.frames_drawn >= 5 and any(" m · " in t.figures.text() for t in live.tiles.values()), timeout=60_000
    )
    assert re.fullmatch(r"\d+\.\d FPS", live.fps_badge.text())
    assert live.backend_badge.text() == "CPU"
    assert live.bridge.taken <= live.bridge.pushed  # the UI takes the latest frame; it never queues them all
    assert all(
        re.search(r"\d+ m · \d+ km/h", t.figures.text())
        for t in live.tiles.values()
        if "calibrate" not in t.figures.text()
    )

    # tap a player on the video: the naming dialog opens with the roster; pick "Sam"
    tid = next(int(t) for t, c in zip(live.video.tracked.tracker_id, live.video.tracked.class_id) if c == 0)
    qtbot.mouseClick(live.video, Qt.MouseButton.LeftButton, pos=box_centre(live.video, tid))
    dialog = live.name_dialog
    key = live.video.keys[tid]  # the player key live (kept across track breaks)
    assert dialog is not None and dialog.who == key and key.startswith("P")
    assert [b.text() for b in dialog.roster_buttons] == ["Sam", "Alex", "Jo"]
    qtbot.mouseClick(dialog.roster_buttons[0], Qt.MouseButton.LeftButton)
    assert live.names[key] == "Sam"
    assert live.tiles[key].name.text() == "Sam"
    qtbot.waitUntil(lambda: not live.unsaved, timeout=10_000)  # stored with the session

    qtbot.waitUntil(lambda: live.bridge.pushed >= 60, timeout=60_000)  # 6 s of play: enough for players' summaries
    qtbot.mouseClick(live.stop_btn, Qt.MouseButton.LeftButton)
    summary_screen = window.screens["summary"]
    qtbot.waitUntil(lambda: window.stack.currentWidget() is summary_screen, timeout=60_000)
    assert kiosk.live.error is None and kiosk.live.summary is not None
    names = [summary_screen.table.item(r, 0).text() for r in range(summary_screen.table.rowCount())]
    assert "Sam" in names and len(names) == len(kiosk.live.summary["players"])
    sam = next(p for p in kiosk.live.summary["players"] if p["player"] == "Sam")
    assert tid in sam["track_ids"] and sam["distance"] > 0

    # feedback: entries arrive one by one (and tokens while the model writes), then the stored result
    arrived, shown = [], []
    show_progress = summary_screen.feedback_progress

    def spy(item):  # what the screen gets, and what it shows after each piece
        arrived.append(item[0])
        show_progress(item)
        shown.append(summary_screen.feedback.toPlainText())

    summary_screen.feedback_progress = spy
    qtbot.mouseClick(summary_screen.feedback_btn, Qt.MouseButton.LeftButton)
    assert not summary_screen.feedback_btn.isEnabled()
    qtbot.waitUntil(lambda: summary_screen.feedback_btn.isEnabled(), timeout=180_000)
    stored = kiosk.store.get_summary(kiosk.session_id)["feedback"]
    players = len(stored["players"]) + (1 if stored.get("team") else 0)
    assert arrived.count("entry") == players >= 2
    if stored["model"]:  # the local model streamed tokens before each entry was done
        assert arrived.index("token") < arrived.index("entry")
    first = arrived.index("entry")
    assert (stored.get("team") or stored["players"][0])["text"][:30] in shown[first]  # on screen before the end
    html = summary_screen.feedback.toPlainText()
    assert "Sam" in html and stored["players"][0]["text"][:30] in html
