"""History (search, open, compare), Players (name, merge, split) and Settings (saved, validated) screens."""

import pytest
from PySide6.QtCore import Qt

from edge_app.config import load_config
from edge_app.report import compare_sessions
from tests.conftest import CALIBRATION, SAMPLE
from tests.ui.conftest import UI_OVERRIDES


def second_session(kiosk, frames=40):
    """Another real session of the sample clip in the same database (a shorter one)."""
    from edge_app.pipeline import Pipeline
    from edge_app.pitch import Calibration
    from edge_app.report import summarize_session
    from edge_app.store import SessionStore

    cal = Calibration.load(CALIBRATION)
    with SessionStore(kiosk.db_path) as store:
        pipe = Pipeline(load_config(overrides=UI_OVERRIDES), store, calibration=cal)
        try:
            sid = pipe.run(str(SAMPLE), max_frames=frames).session_id
        finally:
            pipe.close()
        summarize_session(store, sid, calibration=cal, profile="u13")
    return sid


def test_history_search_open_and_compare(recorded_window, recorded_kiosk, qtbot):
    first = recorded_kiosk.store.list_sessions()[0]["id"]
    second = second_session(recorded_kiosk)
    recorded_window.show_screen("history")
    h = recorded_window.screens["history"]
    assert h.list.count() == 2
    visible = lambda: [h.list.item(i) for i in range(h.list.count()) if not h.list.item(i).isHidden()]  # noqa: E731
    qtbot.keyClicks(h.search, "completed vtest")
    assert len(visible()) == 2
    h.search.clear()
    qtbot.keyClicks(h.search, "interrupted")
    assert visible() == []
    h.search.clear()

    for item in visible():
        item.setSelected(True)
    qtbot.mouseClick(h.compare_btn, Qt.MouseButton.LeftButton)
    assert h.compare_table.isVisible()
    expected = compare_sessions(recorded_kiosk.store.get_summary(first), recorded_kiosk.store.get_summary(second))
    rows = {
        h.compare_table.item(r, 0).text(): [h.compare_table.item(r, c).text() for c in (1, 2, 3)]
        for r in range(h.compare_table.rowCount())
    }
    assert rows["Players"] == [f"{v:g}" for v in expected["players"][:2]] + [f"{expected['players'][2]:+g}"]
    assert rows["Distance"][0] == f"{expected['distance'][0]:g}"
    assert float(rows["Duration s"][2]) < 0  # the second session is the shorter one (40 vs 80 frames)

    h.list.clearSelection()
    h.list.item(0).setSelected(True)
    h.open_selected()
    assert recorded_window.stack.currentWidget() is recorded_window.screens["summary"]


def test_players_name_merge_split(recorded_window, recorded_kiosk, qtbot):
    sid = recorded_kiosk.store.list_sessions()[0]["id"]
    recorded_kiosk.config = load_config(overrides={"session": {"roster": ["Sam", "Alex"]}})
    recorded_kiosk.open_session(sid)
    recorded_window.show_screen("players")
    p = recorded_window.screens["players"]
    before = recorded_kiosk.store.players(sid)
    # the rows: the summary's players (a few-frame noise player of the store's is none)
    assert p.list.count() == len(recorded_kiosk.store.get_summary(sid)["players"]) >= 3
    assert p.list.count() <= len(before)

    p.list.item(0).setSelected(True)
    p.name_selected()
    qtbot.mouseClick(p.name_dialog.roster_buttons[1], Qt.MouseButton.LeftButton)  # "Alex"
    qtbot.waitUntil(lambda: "summary updated" in p.status.text(), timeout=30_000)
    summary = recorded_kiosk.store.get_summary(sid)
    assert summary["players"][0]["player"] == "Alex"

    # two people seen at the same moment cannot be one player: refused in one line, nothing changes
    p.list.clearSelection()
    p.list.item(1).setSelected(True)
    p.list.item(2).setSelected(True)
    p.merge_selected()
    assert "different people" in p.status.text() and len(recorded_kiosk.store.players(sid)) == len(before)

    # split a one-track player at a frame in the middle of its track: two players
    single = next(i for i in range(p.list.count()) if len(p.list.item(i).data(256)["track_ids"]) == 1)
    tid = p.list.item(single).data(256)["track_ids"][0]
    frames = [
        fr.frame
        for fr in recorded_kiosk.store.frames(sid)
        if fr.detections.tracker_id is not None and tid in fr.detections.tracker_id
    ]
    p.list.clearSelection()
    p.list.item(single).setSelected(True)
    p.split_frame.setValue(frames[len(frames) // 2])
    p.split_selected()
    qtbot.waitUntil(lambda: "split" in p.status.text() and "summary updated" in p.status.text(), timeout=30_000)
    after = recorded_kiosk.store.players(sid)
    assert len(after) == len(before) + 1
    halves = [
        i
        for i in range(p.list.count())
        if p.list.item(i).data(256)["track_ids"][0] == tid
        or p.list.item(i).data(256)["track_ids"][0] > max(q for b in before for q in b["track_ids"])
    ]
    assert len(halves) == 2

    # ... and merge the two halves back into one player
    p.list.clearSelection()
    for i in halves:
        p.list.item(i).setSelected(True)
    p.merge_selected()
    qtbot.waitUntil(lambda: "merged" in p.status.text() and "summary updated" in p.status.text(), timeout=30_000)
    assert len(recorded_kiosk.store.players(sid)) == len(before)

    p.list.clearSelection()
    p.merge_selected()  # nothing selected: told what to do, nothing changes
    assert "select two or more" in p.status.text()


def test_settings_are_saved_validated_and_used(window, kiosk, qtbot):
    window.show_screen("settings")
    s = window.screens["settings"]
    s.profile.setCurrentText("u15")
    s.input_size.setCurrentText("640")
    s.camera.setCurrentText("csi:0")
    for name in ("Sam", "Alex", "Sam"):
        s.new_name.setText(name)
        s.add_name()
    qtbot.mouseClick(s.save_btn, Qt.MouseButton.LeftButton)
    assert "saved" in s.status.text()
    cfg = load_config(kiosk.config_path)
    assert cfg.session.profile == "u15" and cfg.session.roster == ["Sam", "Alex"] and cfg.session.camera == "csi:0"
    assert cfg.detector.input_size == 640 and kiosk.config == cfg
    assert window.screens["live"].source.itemData(0) == "csi:0"  # the live screen follows

    text = kiosk.config_path.read_text()
    s.sprint.setValue(10.0)  # below the u15 high-speed bound: refused, file untouched
    s.save()
    assert s.status.text().startswith("not saved:") and "\n" not in s.status.text()
    assert kiosk.config_path.read_text() == text


@pytest.mark.parametrize("size", [(1024, 600), (1920, 1080)])
def test_every_touch_target_is_at_least_48_px(window, size, qtbot):
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit

    window.resize(*size)
    for key in window.screens:
        window.show_screen(key)
        qtbot.wait(20)
        screen = window.stack.currentWidget()
        for w in [c for kind in (QAbstractButton, QComboBox, QLineEdit) for c in screen.findChildren(kind)]:
            if w.isVisible() and not w.inherits("QTabBar"):
                assert w.height() >= 48, (key, type(w).__name__, w.text() if hasattr(w, "text") else "", w.height())


def test_a_rename_keeps_the_coachs_sprint_threshold(recorded_kiosk, qtbot):
    """Sessions recorded with Settings' sprint threshold keep it when the Players screen rebuilds the summary."""
    from edge_app.metrics.profiles import get_profile
    from edge_app.pitch import Calibration
    from edge_app.report import summarize_session
    from ui.screens.players import PlayersScreen

    sid = recorded_kiosk.store.list_sessions()[0]["id"]
    summarize_session(
        recorded_kiosk.store,
        sid,
        calibration=Calibration.load(CALIBRATION),
        profile=get_profile("u13", {"sprint_kmh": 16.0}),
    )
    recorded_kiosk.open_session(sid)
    p = PlayersScreen(recorded_kiosk)
    qtbot.addWidget(p)
    p.refresh()
    p.list.item(0).setSelected(True)
    p.name_selected()
    p.name_dialog.edit.setText("Sam")  # typed: this kiosk has no roster
    qtbot.mouseClick(p.name_dialog.ok_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "summary updated" in p.status.text(), timeout=30_000)
    th = recorded_kiosk.store.get_summary(sid)["profile"]["thresholds"]
    assert th["sprint_lower_ms"] == pytest.approx(16.0 / 3.6, abs=1e-3)
    assert th["sprint_entry_ms"] == pytest.approx(16.0 / 3.6, abs=1e-3)


def test_settings_say_which_feedback_wording_the_box_uses(window, kiosk, tmp_path):
    """Issue 15: when the model fails the quality gate, the box says so once, in plain words, on Settings."""
    from edge_app.feedback.gate import Verdict, model_identity, store_verdict

    model = tmp_path / "smol.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    feedback = kiosk.config.feedback.model_copy(update={"model": str(model)})
    kiosk.save_config(kiosk.config.model_copy(update={"feedback": feedback}))
    window.show_screen("settings")
    s = window.screens["settings"]
    assert s.wording.text() == "Feedback wording: smol.gguf is checked the first time feedback is written."
    store_verdict(Verdict("smol.gguf", model_identity(model), False, 1, 6, "2026-01-01T00:00:00Z", []), kiosk.home)
    window.show_screen("settings")
    assert s.wording.text() == (
        "Feedback wording: built-in sentences. The language model smol.gguf passed only 1 "
        "of 6 test sessions, so its words are not used."
    )
    model.unlink()
    window.show_screen("settings")
    assert s.wording.text() == "Feedback wording: built-in sentences (no language model installed)."
