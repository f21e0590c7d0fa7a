"""Seeing small players: tiles planned from a calibration, one batched call, one box per player
across tile edges, and the real model on small pasted people."""

import cv2
import numpy as np
import pytest

from edge_app.config import OnnxRuntimeDetectorConfig, ZoomConfig
from edge_app.pitch import FULL, Calibration
from edge_app.vision.detections import Detections
from edge_app.vision.detectors import create_detector
from edge_app.positions.camera import CalibratedScale
from edge_app.vision.zoom import (TilePlan, ZoomDetector, decode_tiles, merge_tiles, plan_tiles, tile_batch,
                                  view_warning)
from tests.vision import scene
from tests.vision.scene import LEVEL_G, hand_height, level_calibration

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
            whole = (rects[:, 0] <= max(box[0], 0)) & (rects[:, 1] <= box[1]) & (rects[:, 2] >= min(box[2], 1920)) & (rects[:, 3] >= box[3])
            assert whole.any(), (u, v)
            assert (zooms[whole] * h).max() >= 99.0, (u, v)
    for x, y, z in plan.tiles:
        # The smallest person whole in this tile has feet at v with v - 0.18 (v - 540) >= y.
        smallest = hand_height(max((y - 97.2) / 0.82, 760))
        assert z * smallest <= 101, (y, z)


def test_calibrate_warns_when_the_far_side_is_too_small():
    # The far touchline (Y = 68) is at v = 767.3, sampled at row 768: 0.18 × 228 = 41.0 px.
    assert view_warning(level_calibration()) is None  # the default 40 px
    warning = view_warning(level_calibration(), min_person_px=45)
    assert "only 41 px tall" in warning and "too small" in warning
    # A farther camera (40 m behind the touchline instead of 20): v = 540 + 20000 / 108 = 725.2,
    # sampled at row 728: 0.18 × 188 = 34 px.
    far = LEVEL_G @ np.array([[1, 0, 0], [0, 1, 20], [0, 0, 1]])
    assert "only 34 px" in view_warning(Calibration(np.linalg.inv(far), template=FULL, image_size=(1920, 1080)))


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


@pytest.fixture(scope="module")
def backend():
    return create_detector(OnnxRuntimeDetectorConfig())


@pytest.fixture(scope="module")
def mast_frame():
    if not scene.VTEST.exists():
        pytest.skip("the shared vtest.avi is not here: no real people to paste")
    rng = np.random.default_rng(7)
    sprites = scene.cut_people(12)
    players = scene.place_players(scene.MAST, 24, rng)
    frame, truth, _, _ = scene.render(scene.MAST, sprites, players, rng)
    return frame, truth


def test_one_batched_call_gives_what_tiles_one_by_one_give(backend, mast_frame):
    frame, _ = mast_frame
    plan = TilePlan(((0, 300, 2.5), (300, 300, 2.5), (500, 500, 1.25)), (640, 384), (1920, 1080))
    batch = tile_batch(frame, plan)
    assert batch.shape == (3, 3, 384, 640)
    together = backend.infer_batch(batch)
    apart = np.concatenate([backend.infer(batch[k:k + 1].copy()) for k in range(3)])
    np.testing.assert_allclose(together, apart, atol=2e-3, rtol=1e-3)
    # A model with a fixed batch of 1 gets the tiles in turn, with the same result.
    backend.max_batch = 1
    try:
        np.testing.assert_allclose(backend.infer_batch(batch), apart, atol=2e-3, rtol=1e-3)
    finally:
        backend.max_batch = None


def _recall(dets, truth, iou=0.5):
    found = 0
    for t in truth:
        ix = np.clip(np.minimum(t[2], dets.xyxy[:, 2]) - np.maximum(t[0], dets.xyxy[:, 0]), 0, None)
        iy = np.clip(np.minimum(t[3], dets.xyxy[:, 3]) - np.maximum(t[1], dets.xyxy[:, 1]), 0, None)
        inter = ix * iy
        union = (t[2] - t[0]) * (t[3] - t[1]) + (dets.xyxy[:, 2] - dets.xyxy[:, 0]) * (dets.xyxy[:, 3] - dets.xyxy[:, 1]) - inter
        found += bool(len(dets)) and (inter / union).max() >= iou
    return found / len(truth)


@pytest.fixture(scope="module")
def tiled_pose(backend, mast_frame):
    tiled = ZoomDetector(backend, ZoomConfig(), scene.MAST.calibration())
    return tiled, tiled.detect(mast_frame[0])


def test_tiles_find_small_real_people_the_full_frame_misses(backend, mast_frame, tiled_pose):
    frame, truth = mast_frame
    heights = truth[:, 3] - truth[:, 1]
    assert heights.min() >= 40 and np.median(heights) < 70  # issue 12's mast view: 40-160 px, median ~67
    full = backend.detect(frame)
    tiled, out = tiled_pose
    assert len(tiled.plan_for(scene.MAST.size)) > 1
    confident = out[out.confidence >= 0.25]
    assert _recall(confident, truth) >= 0.9
    assert _recall(full[full.confidence >= 0.25], truth) <= 0.3
    # found once: no more confident boxes than people
    assert len(confident) <= len(truth)


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
    per_tile = decode_tiles(b.infer_batch(tile_batch(frame, plan)), plan, b.layout, conf=0.25, iou=b.iou, classes=b.classes)
    near = [d[(d.xyxy[:, 0] < x2) & (d.xyxy[:, 2] > x1) & (d.xyxy[:, 1] < y2) & (d.xyxy[:, 3] > y1)] for d in per_tile]
    assert len(near[0]) >= 1 and len(near[1]) >= 1  # both tiles see (part of) them
    merged = merge_tiles(near, plan, iou=b.iou)
    assert len(merged) == 1
    assert _recall(merged, truth[k:k + 1], iou=0.7) == 1.0


def _taps(G):
    """--pair arguments for the landmarks a camera with ground homography G sees."""
    args = []
    for name, (x, y) in FULL.landmarks.items():
        (u, v), = cv2.perspectiveTransform(np.array([[[x, y]]], np.float64), G)[0:1, :, :].reshape(1, 1, 2)[0]
        if 0 <= u < 1920 and 540 < v < 1080:
            args += ["--pair", f"{u:.2f},{v:.2f}={name}"]
    return args


def test_cli_calibrate_warns_about_a_view_too_far_away(tmp_path):
    from tests.conftest import run_cli

    far = LEVEL_G @ np.array([[1, 0, 0], [0, 1, 20], [0, 0, 1]])  # 40 m behind the touchline: 34 px far players
    proc = run_cli("calibrate", *_taps(far), "--out", tmp_path / "far.json")
    assert proc.returncode == 0, proc.stderr
    assert "warning:" in proc.stderr and "only 34 px tall" in proc.stderr
    proc = run_cli("calibrate", *_taps(LEVEL_G), "--out", tmp_path / "near.json")  # 41 px: seen with zoom
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr


def test_without_a_calibration_the_zoom_is_learnt_from_the_detections(backend, mast_frame):
    frame, truth = mast_frame
    det = ZoomDetector(backend, ZoomConfig(mode="tiles"), calibration=None)  # crops learn alike, over more frames
    det.REFIT_EVERY = 2
    size = scene.MAST.size
    det.detect(frame), det.detect(frame)  # the full frame finds only the nearest few: nothing to fit
    grid = det.plan_for(size)
    assert grid is not None and {t[2] for t in grid.tiles} == {1.5}
    det.detect(frame), det.detect(frame)  # the grid finds people from ~67 px: sizes fitted, tiles planned
    fitted = det.plan_for(size)
    assert fitted is not grid and max(t[2] for t in fitted.tiles) > 2.0  # the far side zoomed
    a, b = det._observed[size].fit
    far = scene.MAST.person_px(52.5, 68)
    assert a * scene.MAST.project([[52.5, 68, 0]])[0, 1] + b == pytest.approx(far, rel=0.2)
    out = det.detect(frame)
    assert _recall(out[out.confidence >= 0.25], truth) >= 0.9


def test_a_detect_model_gets_the_same_zoom(tmp_path, mast_frame, tiled_pose):
    """Model-agnostic: yolo11n-pose cut down to a plain detect head (its box and score rows) by
    editing the ONNX graph finds the same people through the same tiles, without keypoints."""
    onnx = pytest.importorskip("onnx")
    from onnx import helper

    model = onnx.load(str(scene.ROOT / "models" / "yolo11n-pose.onnx"))
    graph = model.graph
    out = graph.output[0]
    graph.node.extend([helper.make_node("Slice", [out.name + "_pose", "s0", "s1", "s2"], [out.name])])
    for node in graph.node[:-1]:
        node.output[:] = [o + "_pose" if o == out.name else o for o in node.output]
    graph.initializer.extend([onnx.numpy_helper.from_array(np.array(v, np.int64), n)
                              for n, v in (("s0", [0]), ("s1", [5]), ("s2", [1]))])
    out.type.tensor_type.shape.dim[1].dim_value = 5
    meta = {p.key: p.value for p in model.metadata_props}
    meta.update(task="detect")
    meta.pop("kpt_shape")
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, meta)
    path = tmp_path / "yolo11n-det.onnx"
    onnx.save(model, str(path))

    detect = create_detector(OnnxRuntimeDetectorConfig(model=str(path)))
    assert detect.info.task == "detect" and detect.info.num_keypoints is None
    tiled, pose_out = tiled_pose
    out = ZoomDetector(detect, ZoomConfig(), scene.MAST.calibration()).detect(mast_frame[0])
    assert out.keypoints is None and len(out) == len(pose_out)
    np.testing.assert_allclose(out.xyxy, pose_out.xyxy, atol=0.5)


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


def test_crops_around_found_players_keep_them_for_fewer_pixels(backend, mast_frame, tiled_pose):
    from edge_app.vision.crops import PackedPlan

    frame, truth = mast_frame
    det = ZoomDetector(backend, ZoomConfig(mode="crops"), scene.MAST.calibration())
    first = det.detect(frame)  # nobody followed yet: the whole tile plan
    tiles = det.params[1]
    second = det.detect(frame)
    packed = det.params[1]
    assert isinstance(packed, PackedPlan) and packed.model_pixels < 0.5 * tiles.model_pixels
    assert _recall(second[second.confidence >= 0.25], truth) >= _recall(first[first.confidence >= 0.25], truth) - 0.05


def test_live_canvas_finds_what_the_tiles_find(backend, mast_frame, tiled_pose):
    from edge_app.vision.crops import PackedPlan

    frame, truth = mast_frame
    # A budget that leaves the first scan its most a frame (LIVE_FIRST_SCAN): the test is the canvas.
    det = ZoomDetector(backend, ZoomConfig(mode="crops", live_frame_ms=60_000), scene.MAST.calibration())
    whole = det.detect(frame)  # a file's first frame: the whole tile plan
    det.live = True
    t = 0.0
    while det._crops._swept < len(det.plan_for((frame.shape[1], frame.shape[0]))):  # the first scan
        t += 0.2
        det.preprocess(frame, t)
        det.postprocess(det.infer(det._buffer))
    det.preprocess(frame, t + 0.2)
    canvas = det.params[1]
    live = det.postprocess(det.infer(det._buffer))
    assert isinstance(canvas, PackedPlan) and canvas.n_tiles == 1 and det._buffer.shape[0] == 1
    assert _recall(live[live.confidence >= 0.25], truth) >= _recall(whole[whole.confidence >= 0.25], truth) - 0.05


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
        planner.update(Detections(np.array([[900, 500, 924, 560]], np.float32), np.array([0.9], np.float32),
                                  np.array([0])), t=10.0)
        packed = planner.plan(plan, ZoomConfig(), t=10.0 + dt)
        assert isinstance(packed, PackedPlan)
        x1, y1, x2, y2 = packed.rects()[-1]  # the crop (the sweep tile comes first)
        assert x1 <= 900 and x2 >= 924 and y1 <= 500 and y2 >= 560  # around its seed
        sizes[dt] = (x2 - x1, y2 - y1)
    assert sizes[0.04][0] == pytest.approx(CONTEXT[0] * 60, abs=8) and sizes[0.04][1] == pytest.approx(CONTEXT[1] * 60, abs=8)
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
        sweeps.append(len(live.plan(plan, ZoomConfig(), t=0.4 + 0.2 * i, live=True, budget=crop_px + tile_px / 2).tiles) - 1)
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
    live.update(Detections(np.array([[100, 500, 124, 560], [900, 500, 924, 560]], np.float32),
                           np.array([0.9, 0.9], np.float32), np.array([0, 0])), t=0.0)
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
    live_file.update(Detections(np.array([[100, 500, 124, 560]], np.float32), np.array([0.9], np.float32), np.array([0])), t=0.0)
    assert live_file.plan(plan, ZoomConfig(), t=0.04, max_height=1280).tile_size == tile


def test_the_live_budget_is_for_whole_frames(backend, monkeypatch):
    """The model part's budget moves by BUDGET_GAIN (0.2) of each frame's miss of live_frame_ms, start to
    start, within 0 and live_frame_ms (worked by hand below)."""
    from edge_app.vision import zoom

    clock = [0.0]
    monkeypatch.setattr(zoom.time, "perf_counter", lambda: clock[0])
    det = ZoomDetector(backend, ZoomConfig(mode="crops", live_frame_ms=100), scene.MAST.calibration())
    got = [det._model_budget_ms()]  # the first frame: the whole frame time
    for cycle_ms in (150, 150, 50, 20, 20, 600, 100):
        clock[0] += cycle_ms / 1e3
        got.append(det._model_budget_ms())
    # 100 - 0.2*50 = 90, 80; + 0.2*50 = 90; + 0.2*80 = 106 -> 100; 100; - 0.2*500 -> 0; + 0.2*0 = 0
    assert got == pytest.approx([100, 90, 80, 90, 100, 100, 0, 0])


def test_a_backend_that_builds_kernels_per_shape_gets_canvases_in_its_steps():
    from edge_app.vision.crops import CropPlanner

    size, tile = (1920, 1080), (960, 384)
    plan = TilePlan(tuple((x, 300.0, 1.6) for x in (0.0, 600.0, 1200.0)), tile, size)
    boxes = Detections(np.array([[100, 500, 124, 560], [900, 500, 924, 560]], np.float32),
                       np.array([0.9, 0.9], np.float32), np.array([0, 0]))
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
    live.follow(Detections(box + [20, 0, 20, 0], np.array([0.9], np.float32), np.array([0]), tracker_id=np.array([7])), t=0.2)
    # 100 px/s from its two positions, averaged with 0: 50 px/s. The next frame misses it.
    nobody = Detections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, int), tracker_id=np.zeros(0, int))
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
    nobody = Detections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, int), tracker_id=np.zeros(0, int))
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
    live.update(Detections(np.array([[1500, 500, 1530, 580]], np.float32), np.array([0.9], np.float32), np.array([0])), t=0.0)
    grey = np.full((1080, 1920, 3), 90, np.uint8)
    moved = grey.copy()
    moved[60:100, 100:116] = 200  # something person-sized moved in the far row (tile 0 only)
    moved[500:580, 1500:1530] = 200  # and the followed player moved: their crop covers it
    motion = MotionMap()
    motion.update(grey)
    motion.update(moved)
    packed = live.plan(plan, ZoomConfig(), t=0.04, live=True, motion=motion)
    crops = [(r, z) for r, (_, _, z), p in zip(packed.rects(), packed.tiles, packed.places) if p[3] != 960 or p[4] != 384]
    assert len(crops) == 2  # the followed player's, and one for the place that moved
    (x1, y1, x2, y2), z = next((r, z) for r, z in crops if r[0] < 500)
    assert z == 2.5  # the far row's zoom: a person there is 100 / 2.5 = 40 px
    assert x1 <= 100 and x2 >= 116 and y1 <= 60 and y2 >= 100  # around the whole place that moved
    # The place (40 px tall) plus 0.4 of a 40 px person each side, at least LIVE_CONTEXT; the motion mask's
    # blur and dilation in the 480 px copy spread it by up to 4 copy px (16 frame px) a side.
    assert max(40 + 0.8 * 40, LIVE_CONTEXT[1] * 40) <= y2 - y1 <= 40 + 0.8 * 40 + 32 + 8 / 2.5
    assert (y1 + y2) / 2 == pytest.approx(80, abs=4)
