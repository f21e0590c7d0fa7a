"""Live tiles follow the players in the picture: a player gone for 10 s of video loses their tile,
and the panel closes up (no holes)."""

import numpy as np

from edge_app.capture import Frame
from edge_app.pipeline import FrameResult
from edge_app.vision.detections import PERSON, SPORTS_BALL, Detections


def result(t, ids, ball=False, players=None):
    n = len(ids) + ball
    boxes = np.array([[10 + 60 * i, 10, 50 + 60 * i, 120] for i in range(n)], np.float32)
    classes = np.array([PERSON] * len(ids) + [SPORTS_BALL] * ball, np.int32)
    tracked = Detections(boxes, np.ones(n, np.float32), classes, tracker_id=np.array(list(ids) + [99] * ball, np.int64))
    frame = Frame(int(t * 10), int(t * 1e9), t, np.zeros((240, 320, 3), np.uint8))
    return FrameResult(frame, tracked, [], {}, {}, players or {})


def positions(screen):
    grid = screen.tile_grid
    return {tid: grid.getItemPosition(grid.indexOf(tile))[:2] for tid, tile in screen.tiles.items()}


def test_tiles_are_the_players_in_the_picture(kiosk, qtbot):
    from ui.screens.live import TILE_KEEP_S, LiveScreen

    screen = LiveScreen(kiosk)
    qtbot.addWidget(screen)
    screen.resize(1024, 600)
    totals = {"#1": {"distance": 12.0, "speed": 2.0, "sprints": 0, "load": 0.5}}
    screen._update_tiles(result(0.0, [1, 2, 3], ball=True), totals)
    assert set(screen.tiles) == {"#1", "#2", "#3"}  # players only, not the ball
    assert "12 m" in screen.tiles["#1"].figures.text() and screen.tiles["#1"].load.value() == 50
    screen._update_tiles(result(5.0, [1, 3]), totals)
    assert set(screen.tiles) == {"#1", "#2", "#3"}  # 5 s away is not gone
    screen._update_tiles(result(TILE_KEEP_S + 0.5, [1, 4]), totals)
    assert set(screen.tiles) == {"#1", "#3", "#4"}  # 2 was last seen 10.5 s ago
    screen._update_tiles(result(16.0, [1, 4]), totals)
    assert set(screen.tiles) == {"#1", "#4"}  # 3 was last seen at 5 s, 11 s ago
    assert positions(screen) == {"#1": (0, 0), "#4": (1, 0)}
    screen._update_tiles(result(16.5 + TILE_KEEP_S, [4]), totals)
    assert set(screen.tiles) == {"#4"}
    assert positions(screen) == {"#4": (0, 0)}  # closed up: no empty rows above


def test_a_track_back_under_its_player_key_keeps_its_tile_and_name(kiosk, qtbot):
    from ui.screens.live import LiveScreen

    screen = LiveScreen(kiosk)
    qtbot.addWidget(screen)
    totals = {"P1": {"distance": 12.0, "speed": 2.0, "sprints": 0, "load": 0.5}}
    screen._update_tiles(result(0.0, [1, 2], players={1: "P1", 2: "P2"}), totals)
    tile = screen.tiles["P1"]
    screen.names["P1"] = "Sam"
    # the tracker lost player 1; the re-linker gave their new track 7 the key P1
    screen._update_tiles(result(3.0, [7, 2], players={7: "P1", 2: "P2"}), totals)
    assert set(screen.tiles) == {"P1", "P2"} and screen.tiles["P1"] is tile
    assert tile.name.text() == "Sam" and "12 m" in tile.figures.text()


def test_the_video_forgets_trails_of_players_long_gone(qtbot):
    from ui.widgets import TRAIL, VideoView

    view = VideoView()
    qtbot.addWidget(view)
    for f in range(TRAIL + 5):
        ids = [1, 2] if f < 3 else [1]  # 2 leaves after 3 frames
        view.show_result(result(f / 10, ids), {})
    assert set(view.trails) == {1} and len(view.trails[1]) == TRAIL
    assert view.track_at(30, 60) == 1 and view.track_at(300, 60) is None
