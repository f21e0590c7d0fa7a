"""The Players screen says who is who: a photo per row, the name (or "Player n"), when and where they were
seen, their time tracked and distance from the stored summary; over the sample clip's real session."""

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from ui.screens.players import PHOTO, PHOTO_ROLE, PLAYER_ROLE, mmss, pitch_area


def _grid(row: int, col: int, rows: int = 6, cols: int = 10) -> list[list[float]]:
    grid = [[0.0] * cols for _ in range(rows)]
    grid[row][col] = 1.0
    return grid


@pytest.mark.parametrize(
    ("heatmap", "area"),
    [
        (_grid(0, 5), "left wing"),
        (_grid(3, 4), "centre"),
        (_grid(5, 9), "right forward"),
        (_grid(2, 0), "centre back"),
        ([[0.5, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.5]], "centre"),  # the mean place between two corners
        ([], None),  # uncalibrated: no heatmap, no words
    ],
)
def test_where_a_player_was_in_one_phrase(heatmap, area):
    assert pitch_area(heatmap) == area


def test_each_row_shows_the_players_photo_time_and_distance(recorded_window, recorded_kiosk, qtbot):
    store = recorded_kiosk.store
    sid = store.list_sessions()[0]["id"]
    recorded_kiosk.open_session(sid)
    recorded_window.show_screen("players")
    screen = recorded_window.screens["players"]
    photos, summary = store.player_photos(sid), store.get_summary(sid)
    times = {r[0]: (r[4], r[5]) for r in store.track_rows(sid)}
    stats = {tuple(sorted(q["track_ids"])): q for q in summary["players"]}
    # the rows: the summary's players (the store's few-frame noise players are left out)
    players = [p for p in store.players(sid) if tuple(sorted(p["track_ids"])) in stats]
    assert len(players) == len(summary["players"]) <= len(store.players(sid))
    assert screen.list.count() == len(players) >= 3
    assert set(photos) >= {p["player"] for p in players}  # every player has a photo (crowded if never clear)

    for n, p in enumerate(players, 1):
        item = screen.list.item(n - 1)
        assert item.data(256)["player"] == p["player"]
        decoded = cv2.imdecode(np.frombuffer(photos[p["player"]], np.uint8), cv2.IMREAD_COLOR)
        photo = item.data(PHOTO_ROLE)
        assert not item.icon().isNull() and (photo.height(), photo.width()) == decoded.shape[:2]
        name, facts = item.text().split("\n")
        assert name == f"Player {n}"
        q = stats[tuple(sorted(p["track_ids"]))]
        first, last = min(times[t][0] for t in p["track_ids"]), max(times[t][1] for t in p["track_ids"])
        assert facts.startswith(f"{mmss(first)}–{mmss(last)}  ·  {pitch_area(q['heatmap'])}  ·  ")
        assert f"tracked {mmss(q['quality']['tracked_time_s'])}" in facts and f"{q['distance']:.0f} m" in facts
        assert screen.list.visualItemRect(item).height() >= PHOTO.height()  # a photo-sized, finger-sized row

    named = players[1]["player"]
    store.name_player(sid, named, "Alex")
    screen.refresh()
    assert screen.list.item(1).text().startswith("Alex\n") and screen.list.item(1).data(PHOTO_ROLE) is not None


def test_not_a_player_on_the_players_screen_is_a_role_and_can_be_taken_back(recorded_window, recorded_kiosk, qtbot):
    from edge_app.report import team_totals

    store = recorded_kiosk.store
    sid = store.list_sessions()[0]["id"]
    recorded_kiosk.open_session(sid)
    recorded_window.show_screen("players")
    screen = recorded_window.screens["players"]
    squad = team_totals(store.get_summary(sid))["players"]
    assert not screen.role_btn.isHidden() and screen.role_btn.height() >= 48

    screen.role_selected()  # nothing selected: told what to do, nothing changes
    assert "select who is not a player" in screen.status.text()

    tracks = screen.list.item(1).data(256)["track_ids"]
    screen.list.item(1).setSelected(True)
    qtbot.mouseClick(screen.role_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "summary updated" in screen.status.text(), timeout=30_000)
    summary = store.get_summary(sid)
    them = next(p for p in summary["players"] if p["track_ids"] == tracks)
    assert them["role"] == "other" and team_totals(summary)["players"] == squad - 1
    row = next(
        screen.list.item(i) for i in range(screen.list.count()) if screen.list.item(i).data(256)["track_ids"] == tracks
    )
    assert row.data(PLAYER_ROLE) == "other" and row.text().split("\n")[0].endswith("not a player")

    screen.list.clearSelection()
    row.setSelected(True)
    screen.role_selected()  # every one selected is marked: a player again
    qtbot.waitUntil(lambda: "a player again; summary updated" in screen.status.text(), timeout=30_000)
    summary = store.get_summary(sid)
    assert next(p for p in summary["players"] if p["track_ids"] == tracks)["role"] == "player"
    assert team_totals(summary)["players"] == squad
