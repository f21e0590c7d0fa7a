"""Summary screen over a real recorded session: the sortable table, charts, sprints, export to a USB stick."""

import csv
import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap

from ui.screens import summary as summary_mod


@pytest.fixture
def screen(recorded_window, recorded_kiosk, qtbot):
    sid = recorded_kiosk.store.list_sessions()[0]["id"]
    recorded_kiosk.open_session(sid)
    s = recorded_window.screens["summary"]
    assert recorded_window.stack.currentWidget() is s  # opening a session shows its summary
    qtbot.waitUntil(lambda: bool(s.charts), timeout=60_000)
    return s


def column(table, c):
    return [table.item(r, c).text() for r in range(table.rowCount())]


def test_the_table_shows_every_player_and_sorts_by_number(screen, recorded_kiosk):
    summary = recorded_kiosk.store.get_summary(recorded_kiosk.session_id)
    assert screen.table.rowCount() == len(summary["players"]) >= 2
    assert sorted(column(screen.table, 0)) == sorted(p["player"] for p in summary["players"])
    screen.table.sortItems(1, Qt.SortOrder.DescendingOrder)  # what a tap on the Distance header does
    shown = [float(t.split()[0]) for t in column(screen.table, 1)]
    assert shown == sorted(shown, reverse=True)  # numeric, not text order ("9 m" < "10 m")
    top = max(summary["players"], key=lambda p: p["distance"])
    assert screen.table.item(0, 0).text() == top["player"]
    assert "u13" in screen.title.text()


def test_charts_are_the_metrics_code_images(screen, recorded_kiosk):
    summary = recorded_kiosk.store.get_summary(recorded_kiosk.session_id)
    first = summary["players"][0]["player"]
    assert {f"{first}-heatmap.png", f"{first}-speed.png"} <= set(screen.charts)
    assert not screen.heatmap.pixmap().isNull() and not screen.speed.pixmap().isNull()
    # a tap on another player's row shows that player's heatmap file (scaled as the label is), not the first's:
    # any pixmap has a non-zero cacheKey, so the label's content is what is compared
    row = max(r for r in range(screen.table.rowCount()) if screen.table.item(r, 0).text() != first)
    other = screen.table.item(row, 0).text()
    screen.table.selectRow(row)

    def heatmap(player):
        return (
            QPixmap(str(screen.charts[f"{player}-heatmap.png"]))
            .scaled(
                max(200, screen.width() // 2 - 40),
                max(120, screen.tabs.height() - 60),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            .toImage()
        )

    assert screen.heatmap.pixmap().toImage() == heatmap(other) != heatmap(first)


def test_export_to_a_usb_stick(screen, recorded_kiosk, tmp_path, monkeypatch, qtbot):
    stick = tmp_path / "media" / "COACH_USB"
    stick.mkdir(parents=True)
    monkeypatch.setattr(summary_mod, "usb_folders", lambda: [stick])
    qtbot.mouseClick(screen.export_csv, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "exported" in screen.status.text(), timeout=10_000)
    qtbot.mouseClick(screen.export_json, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.status.text().count("exported") and ".json" in screen.status.text(), timeout=10_000)
    summary = recorded_kiosk.store.get_summary(recorded_kiosk.session_id)
    (csv_path,) = stick.glob("*.csv")
    rows = list(csv.DictReader(csv_path.open()))
    assert [r["player"] for r in rows] == [p["player"] for p in summary["players"]]
    assert float(rows[0]["distance"]) == summary["players"][0]["distance"] and rows[0]["units"] == "m"
    (json_path,) = stick.glob("*.json")
    assert json.loads(json_path.read_text()) == summary
    assert "USB stick" in screen.status.text()
    assert not list(stick.glob("*.part"))  # written whole, then renamed


def test_without_a_stick_the_export_stays_on_the_box(screen, recorded_kiosk, monkeypatch, qtbot):
    monkeypatch.setattr(summary_mod, "usb_folders", lambda: [])
    screen.export("players")
    qtbot.waitUntil(lambda: "exported" in screen.status.text(), timeout=10_000)
    assert "no USB stick found" in screen.status.text()
    assert list((recorded_kiosk.home / "exports").glob("*.csv"))


def test_sprints_list(screen, recorded_kiosk):
    summary = recorded_kiosk.store.get_summary(recorded_kiosk.session_id)
    n = sum(p["sprint_count"] for p in summary["players"])
    items = [screen.sprints.item(i).text() for i in range(screen.sprints.count())]
    assert items == ["no sprints in this session"] if n == 0 else len(items) == n
