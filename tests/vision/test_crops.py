"""Crops around the players found last frame, packed into model tiles or, live, one canvas, plus the sweep."""

import numpy as np
import pytest

from edge_app.config import ZoomConfig
from edge_app.vision.detections import Detections
from edge_app.vision.tiles import TilePlan


def test_packing_keeps_crops_apart_inside_their_tiles():
    from edge_app.vision.crops import GAP, pack

    crops = [(10.0 * i, 5.0, 1.0 + i / 10, 136, 184) for i in range(13)] + [(0.0, 0.0, 0.5, 480, 384)]
    plan = pack(crops, None, [], (960, 384), (1920, 1080))
    # 960 / (136 + 8) = 6 a shelf, 2 shelves of 184 + 8 + 184 = 376 <= 384: 12 a tile; the 480x384 crop
    # fills a tile's height, so it takes the first tile (tallest first) with 3 small ones beside it
    # (488, 632, 776 + 136 <= 960); the other 10 fill a second tile, 6 + 4.
    assert plan.n_tiles == 2
    assert [p[0] for p in plan.places] == [0] * 4 + [1] * 10
    for k in range(plan.n_tiles):
        boxes = [(ox, oy, ox + w, oy + h) for t, ox, oy, w, h in plan.places if t == k]
        for a in boxes:
            assert a[0] >= 0 and a[1] >= 0 and a[2] <= 960 and a[3] <= 384
            for b in boxes:
                if a is not b:  # apart by the grey gap at least
                    assert a[2] + GAP <= b[0] or b[2] + GAP <= a[0] or a[3] + GAP <= b[1] or b[3] + GAP <= a[1]
    np.testing.assert_allclose(plan.rects()[0], [0, 0, 960, 768])  # the source of the 0.5x crop: 2x its model size


def test_crops_widen_with_the_time_since_their_seed_frame():
    from edge_app.vision.crops import CONTEXT, REACH_MAX, CropPlanner, PackedPlan, reach_for

    # A file run cuts 1-2 frames after the seeds: the crop is CONTEXT; a live run that dropped frames
    # cuts later, and the player may have run further: the crop grows, up to a cap.
    assert reach_for(0.0) == reach_for(0.08) == 0.0
    assert 0 < reach_for(0.3) < reach_for(0.4) <= reach_for(60.0) == REACH_MAX
    size, tile = (1920, 1080), (960, 384)
    plan = TilePlan(tuple((x, 300.0, 1.6) for x in (0.0, 600.0, 1200.0)), tile, size)
    sizes = {}
    for dt in (0.04, 0.6):
        planner = CropPlanner(sweep=1)
        planner.update(
            Detections(np.array([[900, 500, 924, 560]], np.float32), np.array([0.9], np.float32), np.array([0])), t=10.0
        )
        packed = planner.plan(plan, ZoomConfig(), t=10.0 + dt)
        assert isinstance(packed, PackedPlan)
        x1, y1, x2, y2 = packed.rects()[-1]  # the crop (the sweep tile comes first)
        assert x1 <= 900 and x2 >= 924 and y1 <= 500 and y2 >= 560  # around its seed
        sizes[dt] = (x2 - x1, y2 - y1)
    assert sizes[0.04][0] == pytest.approx(CONTEXT[0] * 60, abs=8) and sizes[0.04][1] == pytest.approx(
        CONTEXT[1] * 60, abs=8
    )
    grow = 2 * reach_for(0.6) * 60
    assert sizes[0.6][0] == pytest.approx(sizes[0.04][0] + grow, abs=8)
    assert sizes[0.6][1] == pytest.approx(sizes[0.04][1] + grow, abs=8)


def test_live_never_runs_the_whole_plan_and_the_sweep_takes_what_the_budget_leaves():
    from edge_app.vision.crops import LIVE_FIRST_SCAN, LIVE_SWEEP_EVERY_S, CropPlanner, PackedPlan

    size, tile = (1920, 1080), (960, 384)
    plan = TilePlan(tuple((x, y, 1.6) for y in (0.0, 300.0) for x in (0.0, 400.0, 800.0, 1200.0, 1300.0)), tile, size)
    n, tile_px = len(plan), 960 * 384
    assert CropPlanner(sweep=1).plan(plan, ZoomConfig(), t=0.0) is plan  # a file: nobody followed, the whole plan
    live = CropPlanner(sweep=1)
    first = live.plan(plan, ZoomConfig(), t=0.0, live=True)  # no timing yet: 2 tiles, not all 10
    assert isinstance(first, PackedPlan) and first.n_tiles == 2 and len(first.tiles) == 2
    seed = Detections(np.array([[900, 500, 924, 560]], np.float32), np.array([0.9], np.float32), np.array([0]))
    live.update(seed, t=0.0)
    crop_px = tile_px  # packed in whole tiles (a fixed-shape backend), the crop costs one
    # The first scan is paid like the sweep, from what the crop leaves, at most LIVE_FIRST_SCAN a frame:
    # half a tile left is no tile this frame; then plenty is LIVE_FIRST_SCAN, then what is left of the plan.
    assert len(live.plan(plan, ZoomConfig(), t=0.2, live=True, budget=crop_px + tile_px / 2).tiles) == 0 + 1
    big = live.plan(plan, ZoomConfig(), t=0.4, live=True, budget=crop_px + 100 * tile_px)
    assert len(big.tiles) == LIVE_FIRST_SCAN + 1
    rest = live.plan(plan, ZoomConfig(), t=0.6, live=True, budget=crop_px + 100 * tile_px)
    assert len(rest.tiles) == n - 2 - LIVE_FIRST_SCAN + 1 and live._swept == n
    assert sorted(first.tiles + big.tiles[:-1] + rest.tiles[:-1]) == sorted(plan.tiles)  # each tile once
    # Then the sweep takes what the crop leaves: half a tile of room a frame is a tile every other frame.
    live._credit = 0.0
    sweeps = []
    for i in range(6):
        live.update(seed, t=0.2 + 0.2 * i)  # found again every frame: the crop keeps its size
        sweeps.append(
            len(live.plan(plan, ZoomConfig(), t=0.4 + 0.2 * i, live=True, budget=crop_px + tile_px / 2).tiles) - 1
        )
    assert sweeps == [0, 1, 0, 1, 0, 1]
    # A large budget: at most `sweep` tiles a frame.
    assert len(live.plan(plan, ZoomConfig(), t=2.0, live=True, budget=100 * tile_px).tiles) == 1 + 1
    # A budget the crops alone use up: no sweep, except one every LIVE_SWEEP_EVERY_S (new players are found, later).
    t, swept = 2.0, []
    while t < 2.0 + 2 * LIVE_SWEEP_EVERY_S:
        live.update(seed, t=t)
        t += 0.2
        swept.append(t) if len(live.plan(plan, ZoomConfig(), t=t, live=True, budget=crop_px).tiles) > 1 else None
    assert len(swept) == 2 and swept[1] - swept[0] == pytest.approx(LIVE_SWEEP_EVERY_S)


def test_live_crops_share_one_canvas_only_as_tall_as_they_need():
    from edge_app.vision.crops import GAP, CropPlanner, PackedPlan, packed_batch

    size, tile = (1920, 1080), (960, 384)
    plan = TilePlan(tuple((x, 300.0, 1.6) for x in (0.0, 600.0, 1200.0)), tile, size)
    live = CropPlanner(sweep=1)
    live._swept = len(plan)  # past the first scan
    live.update(
        Detections(
            np.array([[100, 500, 124, 560], [900, 500, 924, 560]], np.float32),
            np.array([0.9, 0.9], np.float32),
            np.array([0, 0]),
        ),
        t=0.0,
    )
    canvas = live.plan(plan, ZoomConfig(), t=0.04, live=True, max_height=1280)  # no timing: one sweep tile
    assert isinstance(canvas, PackedPlan) and canvas.n_tiles == 1
    # The sweep tile on top, then one shelf of two 60 px players at the plan's most zoom, 1.6, in LIVE_CONTEXT
    # (1.2 × 1.6 heights): 115.2 x 153.6 model px (up to multiples of 8: 120 x 160), so 384 + 8 + 160 = 552
    # rows, up to a multiple of 32: 576 (two tiles would be 768).
    assert canvas.tile_size == (960, 576) and canvas.places[0] == (0, 0, 0, 960, 384)
    assert [p[1:] for p in canvas.places[1:]] == [(0, 384 + GAP, 120, 160), (120 + GAP, 384 + GAP, 120, 160)]
    batch = packed_batch(np.zeros((1080, 1920, 3), np.uint8), canvas)
    assert batch.shape == (1, 3, 576, 960)
    # A file run keeps whole tiles (its results stay as measured on the harness).
    live_file = CropPlanner(sweep=1)
    live_file.update(
        Detections(np.array([[100, 500, 124, 560]], np.float32), np.array([0.9], np.float32), np.array([0])), t=0.0
    )
    assert live_file.plan(plan, ZoomConfig(), t=0.04, max_height=1280).tile_size == tile


def test_a_backend_that_builds_kernels_per_shape_gets_canvases_in_its_steps():
    from edge_app.vision.crops import CropPlanner

    size, tile = (1920, 1080), (960, 384)
    plan = TilePlan(tuple((x, 300.0, 1.6) for x in (0.0, 600.0, 1200.0)), tile, size)
    boxes = Detections(
        np.array([[100, 500, 124, 560], [900, 500, 924, 560]], np.float32),
        np.array([0.9, 0.9], np.float32),
        np.array([0, 0]),
    )
    shapes = {}
    for step in (32, 128):
        live = CropPlanner(sweep=1)
        live._swept = len(plan)
        live.update(boxes, t=0.0)
        # The sweep tile and the two 120 x 160 crops above: 552 rows, up to the step.
        with_sweep = live.plan(plan, ZoomConfig(), t=0.04, live=True, max_height=1280, step=step).tile_size
        # Crops alone (a budget with nothing left over): the fewest pixels in the step's widths and heights.
        alone = live.plan(plan, ZoomConfig(), t=0.08, live=True, budget=0.0, max_height=1280, step=step).tile_size
        shapes[step] = with_sweep, alone
    assert shapes[32] == ((960, 576), (256, 160))  # one shelf: 120 + 8 + 120 wide
    assert shapes[128] == ((960, 640), (128, 384))  # 256 x 256 would be more: two shelves, 328 rows


def test_overlapping_crops_merge_when_that_costs_no_more_pixels():
    from edge_app.vision.crops import merge_overlapping

    # Two 100 x 180 crops at zoom 1, overlapping by 80 px across: the union is 120 x 180 (21,600 px) for
    # 36,000; two crops apart stay two; a merge that would be larger than both does not happen.
    crops = [(0.0, 0.0, 1.0, 104, 184), (20.0, 0.0, 1.0, 104, 184), (500.0, 0.0, 1.0, 104, 184)]
    out = sorted(merge_overlapping(crops, (960, 384)))
    assert out == [(0.0, 0.0, 1.0, 128, 184), (500.0, 0.0, 1.0, 104, 184)]
    diagonal = [(0.0, 0.0, 1.0, 104, 184), (100.0, 180.0, 1.0, 104, 184)]  # touching at a corner: union 204 x 364
    assert len(merge_overlapping(diagonal, (960, 384))) == 2


def test_a_player_the_last_frame_missed_keeps_a_crop_moved_by_their_velocity():
    from edge_app.vision.crops import LOST_S, CropPlanner

    size, tile = (1920, 1080), (960, 384)
    plan = TilePlan(tuple((x, 300.0, 1.6) for x in (0.0, 600.0, 1200.0)), tile, size)
    live = CropPlanner(sweep=1)
    live._swept = len(plan)
    box = np.array([[900, 500, 924, 560]], np.float32)
    live.follow(Detections(box, np.array([0.9], np.float32), np.array([0]), tracker_id=np.array([7])), t=0.0)
    live.follow(
        Detections(box + [20, 0, 20, 0], np.array([0.9], np.float32), np.array([0]), tracker_id=np.array([7])), t=0.2
    )
    # 100 px/s from its two positions, averaged with 0: 50 px/s. The next frame misses it.
    nobody = Detections(
        np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, int), tracker_id=np.zeros(0, int)
    )
    live.follow(nobody, t=0.4)
    live.update(nobody, t=0.4)

    def crop_centre(t):
        p = live.plan(plan, ZoomConfig(), t=t, live=True, budget=0.0)
        rects = p.rects()[[i for i, q in enumerate(p.places) if q[3] != 960]]
        return None if not len(rects) else ((rects[0, 0] + rects[0, 2]) / 2, (rects[0, 1] + rects[0, 3]) / 2)

    cx, cy = crop_centre(0.6)  # 0.4 s since seen at x 932: 932 + 50 × 0.4 = 952
    assert cx == pytest.approx(952, abs=2) and cy == pytest.approx(530, abs=2)
    live.follow(nobody, t=0.2 + LOST_S + 0.1)
    assert crop_centre(0.2 + LOST_S + 0.2) is None  # lost too long: the sweep will find them again


def test_live_sweep_looks_first_where_a_player_went_missing():
    from edge_app.vision.crops import LOST_S, CropPlanner

    size, tile = (1920, 1080), (960, 384)
    plan = TilePlan(tuple((x, y, 1.6) for y in (0.0, 500.0) for x in (0.0, 600.0, 1200.0)), tile, size)
    live = CropPlanner(sweep=1)
    live._swept = len(plan)  # past the first scan
    box = np.array([[1500, 700, 1524, 760]], np.float32)  # its centre in tile 5 only (x 1200-1800, y 500-740)
    live.follow(Detections(box, np.array([0.9], np.float32), np.array([0]), tracker_id=np.array([3])), t=0.0)
    nobody = Detections(
        np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, int), tracker_id=np.zeros(0, int)
    )
    live.follow(nobody, t=LOST_S + 0.2)  # missing now: no crop, but the sweep looks where they were
    live.update(nobody, t=LOST_S + 0.2)
    first = live.plan(plan, ZoomConfig(), t=LOST_S + 0.4, live=True)  # no timing: a tile a frame
    np.testing.assert_allclose(first.rects()[0], plan.rects()[5])
    second = live.plan(plan, ZoomConfig(), t=LOST_S + 0.6, live=True)  # looked there once: then in turn
    np.testing.assert_allclose(second.rects()[0], plan.rects()[0])


def test_a_place_that_moved_outside_the_crops_gets_a_crop_at_the_zoom_there():
    from edge_app.vision.crops import LIVE_CONTEXT, CropPlanner
    from edge_app.vision.motion import MotionMap

    size, tile = (1920, 1080), (960, 384)
    plan = TilePlan(((0.0, 0.0, 2.5), (0.0, 400.0, 1.25)), tile, size)  # far row 2.5x, near row 1.25x
    live = CropPlanner(sweep=1)
    live._swept = len(plan)
    live.update(
        Detections(np.array([[1500, 500, 1530, 580]], np.float32), np.array([0.9], np.float32), np.array([0])), t=0.0
    )
    grey = np.full((1080, 1920, 3), 90, np.uint8)
    moved = grey.copy()
    moved[60:100, 100:116] = 200  # something person-sized moved in the far row (tile 0 only)
    moved[500:580, 1500:1530] = 200  # and the followed player moved: their crop covers it
    motion = MotionMap()
    motion.update(grey)
    motion.update(moved)
    packed = live.plan(plan, ZoomConfig(), t=0.04, live=True, motion=motion)
    crops = [
        (r, z) for r, (_, _, z), p in zip(packed.rects(), packed.tiles, packed.places) if p[3] != 960 or p[4] != 384
    ]
    assert len(crops) == 2  # the followed player's, and one for the place that moved
    (x1, y1, x2, y2), z = next((r, z) for r, z in crops if r[0] < 500)
    assert z == 2.5  # the far row's zoom: a person there is 100 / 2.5 = 40 px
    assert x1 <= 100 and x2 >= 116 and y1 <= 60 and y2 >= 100  # around the whole place that moved
    # The place (40 px tall) plus 0.4 of a 40 px person each side, at least LIVE_CONTEXT; the motion mask's
    # blur and dilation in the 480 px copy spread it by up to 4 copy px (16 frame px) a side.
    assert max(40 + 0.8 * 40, LIVE_CONTEXT[1] * 40) <= y2 - y1 <= 40 + 0.8 * 40 + 32 + 8 / 2.5
    assert (y1 + y2) / 2 == pytest.approx(80, abs=4)
