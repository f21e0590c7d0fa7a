"""The zoom detector: the real model on small pasted people through tiles and crops, the zoom learnt
without a calibration, and the live budget."""

import numpy as np
import pytest

from edge_app.config import OnnxRuntimeDetectorConfig, ZoomConfig
from edge_app.vision.detectors import create_detector
from edge_app.vision.zoom import ZoomDetector
from tests.vision import scene
from tests.vision.helpers import recall


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
    assert recall(confident, truth) >= 0.9
    assert recall(full[full.confidence >= 0.25], truth) <= 0.3
    # found once: no more confident boxes than people
    assert len(confident) <= len(truth)


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
    assert recall(out[out.confidence >= 0.25], truth) >= 0.9


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
    graph.initializer.extend(
        [onnx.numpy_helper.from_array(np.array(v, np.int64), n) for n, v in (("s0", [0]), ("s1", [5]), ("s2", [1]))]
    )
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


def test_crops_around_found_players_keep_them_for_fewer_pixels(backend, mast_frame, tiled_pose):
    from edge_app.vision.crops import PackedPlan

    frame, truth = mast_frame
    det = ZoomDetector(backend, ZoomConfig(mode="crops"), scene.MAST.calibration())
    first = det.detect(frame)  # nobody followed yet: the whole tile plan
    tiles = det.params[1]
    second = det.detect(frame)
    packed = det.params[1]
    assert isinstance(packed, PackedPlan) and packed.model_pixels < 0.5 * tiles.model_pixels
    assert recall(second[second.confidence >= 0.25], truth) >= recall(first[first.confidence >= 0.25], truth) - 0.05


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
    assert recall(live[live.confidence >= 0.25], truth) >= recall(whole[whole.confidence >= 0.25], truth) - 0.05


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
