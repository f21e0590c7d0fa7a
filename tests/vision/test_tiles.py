"""The zoom's tiles: planned from a calibration, one batched call, one box per player across tile edges."""

import numpy as np
import pytest

from edge_app.positions.camera import CalibratedScale
from edge_app.vision.detections import Detections
from edge_app.vision.tiles import TilePlan, decode_tiles, merge_tiles, plan_tiles, tile_batch
from tests.vision.helpers import recall
from tests.vision.scene import hand_height, level_calibration


def test_tiles_follow_the_person_size_worked_by_hand():
    scale = CalibratedScale(level_calibration(), (1920, 1080), margin_m=3.0)
    plan = plan_tiles(scale, (1920, 1080), (960, 384), target_px=100)
    # The far edge (touchline + 3 m: Y = 71, v = 540 + 20000/91 = 759.8) is sampled at row 760:
    # a 0.18 × 220 = 39.6 px person needs zoom 100 / 39.6 = 2.525, so a 960×384 tile covers
    # 380×152 frame px, starting 1.15 × 39.6 px above the feet (y = 714.5). The row spans the
    # frame (the pitch is wider than the view there); its biggest person (feet at 864: 58 px)
    # sets the overlap, 0.6 × 58 = 35 px, so ceil((1920 − 35) / (380 − 35)) = 6 tiles.
    first = [t for t in plan.tiles if t[1] == plan.tiles[0][1]]
    x, y, z = first[0]
    assert 2.48 <= z <= 2.53
    assert y == pytest.approx(714.5, abs=1.0)
    assert len(first) == 6
    assert first[0][0] == 0 and first[-1][0] + 960 / z == pytest.approx(1920)
    # Everyone on the pitch is whole in a tile that shows them at >= 100 px, and no row zooms
    # more than its smallest person needs.
    rects = plan.rects()
    zooms = np.array([t[2] for t in plan.tiles])
    for v in np.arange(762, 1080, 7.0):
        for u in (5.0, 480.0, 961.0, 1700.0, 1915.0):
            h = hand_height(v)
            box = (u - 0.3 * h, v - h, u + 0.3 * h, v)
            whole = (
                (rects[:, 0] <= max(box[0], 0))
                & (rects[:, 1] <= box[1])
                & (rects[:, 2] >= min(box[2], 1920))
                & (rects[:, 3] >= box[3])
            )
            assert whole.any(), (u, v)
            assert (zooms[whole] * h).max() >= 99.0, (u, v)
    for _x, y, z in plan.tiles:
        # The smallest person whole in this tile has feet at v with v - 0.18 (v - 540) >= y.
        smallest = hand_height(max((y - 97.2) / 0.82, 760))
        assert z * smallest <= 101, (y, z)


def _person(x1, y1, x2, y2, score):
    return Detections(np.array([[x1, y1, x2, y2]], np.float32), np.array([score], np.float32), np.zeros(1, np.int32))


def test_a_box_cut_by_an_inner_tile_edge_gives_way_to_the_whole_one():
    # Two tiles side by side at zoom 1 (960×384 model px each), overlapping from x = 700 to 960.
    plan = TilePlan(((0.0, 0.0, 1.0), (700.0, 0.0, 1.0)), (960, 384), (1660, 384))
    # A person from x = 600 to 760: whole in the left tile; the right tile sees them from its edge
    # (x = 700) on, and scores the fragment higher. IoU 60/160 = 0.375: NMS alone keeps both.
    left, right = _person(600, 100, 760, 300, 0.6), _person(700, 100, 760, 300, 0.8)
    merged = merge_tiles([left, right], plan, iou=0.5)
    assert len(merged) == 1
    np.testing.assert_allclose(merged.xyxy[0], [600, 100, 760, 300])
    # A player standing behind another, cut by the edge: most of their box is inside the whole
    # one's, but their head and feet are elsewhere (y 40-240 against 100-300): not a fragment, kept.
    merged = merge_tiles([left, _person(700, 40, 760, 240, 0.5)], plan, iou=0.5)
    assert len(merged) == 2
    # A box on the frame's own edge is not a fragment of anything: kept.
    merged = merge_tiles([_person(0, 100, 40, 300, 0.5), Detections.empty()], plan, iou=0.5)
    assert len(merged) == 1
    # Two whole boxes of one player from the overlap: NMS keeps the better one.
    merged = merge_tiles([_person(750, 100, 850, 300, 0.7), _person(752, 101, 851, 300, 0.9)], plan, iou=0.5)
    assert len(merged) == 1 and merged.confidence[0] == pytest.approx(0.9)


def test_one_batched_call_gives_what_tiles_one_by_one_give(backend, mast_frame):
    frame, _ = mast_frame
    plan = TilePlan(((0, 300, 2.5), (300, 300, 2.5), (500, 500, 1.25)), (640, 384), (1920, 1080))
    batch = tile_batch(frame, plan)
    assert batch.shape == (3, 3, 384, 640)
    together = backend.infer_batch(batch)
    apart = np.concatenate([backend.infer(batch[k : k + 1].copy()) for k in range(3)])
    np.testing.assert_allclose(together, apart, atol=2e-3, rtol=1e-3)
    # A model with a fixed batch of 1 gets the tiles in turn, with the same result.
    backend.max_batch = 1
    try:
        np.testing.assert_allclose(backend.infer_batch(batch), apart, atol=2e-3, rtol=1e-3)
    finally:
        backend.max_batch = None


def test_a_player_across_a_tile_border_is_found_once(backend, mast_frame):
    frame, truth = mast_frame
    # The biggest pasted person, with a tile border through the middle of their body.
    k = int(np.argmax(truth[:, 3] - truth[:, 1]))
    x1, y1, x2, y2 = truth[k]
    cx = (x1 + x2) / 2
    z = 1.0
    # The left tile ends at their middle; the right one (as a planned row's overlap does) holds them whole.
    plan = TilePlan(((cx - 640, y2 - 350, z), (x1 - 10, y2 - 350, z)), (640, 384), (1920, 1080))
    b = backend
    per_tile = decode_tiles(
        b.infer_batch(tile_batch(frame, plan)), plan, b.layout, conf=0.25, iou=b.iou, classes=b.classes
    )
    near = [d[(d.xyxy[:, 0] < x2) & (d.xyxy[:, 2] > x1) & (d.xyxy[:, 1] < y2) & (d.xyxy[:, 3] > y1)] for d in per_tile]
    assert len(near[0]) >= 1 and len(near[1]) >= 1  # both tiles see (part of) them
    merged = merge_tiles(near, plan, iou=b.iou)
    assert len(merged) == 1
    assert recall(merged, truth[k : k + 1], iou=0.7) == 1.0
