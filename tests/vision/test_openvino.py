"""The OpenVINO backend on this CPU (real OpenVINO, real model), and its int8 cache and refusal."""

import json
import logging
import shutil

import cv2
import numpy as np
import pytest

from edge_app.config import OpenVINODetectorConfig, load_config
from edge_app.errors import AxolotlError
from edge_app.models import resolve_model
from edge_app.vision.detectors import create_detector
from edge_app.vision.detectors.yolo import Letterbox
from tests.conftest import DATA, SAMPLE
from tests.vision.helpers import iou

ov = pytest.importorskip("openvino", reason="OpenVINO is the [intel] extra (x86-64)")
quantize = pytest.importorskip("edge_app.vision.quantize")

MESSI = DATA / "messi5.jpg"


def detector(**kw):
    return create_detector(load_config(overrides={"detector": {"type": "openvino", **kw}}).detector)


def test_config_union_takes_openvino_and_rejects_typos():
    cfg = load_config(overrides={"detector": {"type": "openvino", "device": "NPU", "precision": "int8"}}).detector
    assert isinstance(cfg, OpenVINODetectorConfig) and (cfg.device, cfg.precision) == ("NPU", "int8")
    assert load_config(overrides={"detector": {"type": "openvino"}}).detector.precision == "f32"
    for bad in ({"precision": "fp16"}, {"device": "TPU"}, {"providers": ["cpu"]}):  # fp16 is TensorRT's spelling
        with pytest.raises(AxolotlError, match="config error"):
            load_config(overrides={"detector": {"type": "openvino", **bad}})


def test_same_detections_as_onnxruntime_on_a_real_photo():
    image = cv2.imread(str(MESSI))
    ref = create_detector(load_config(overrides={"detector": {"input_size": 640}}).detector).detect(image)
    det = detector(input_size=640)
    got = det.detect(image)
    assert det.info.providers == ("CPU/f32",) and det.type_key == "openvino"
    assert len(got) == len(ref) >= 1
    for box, score, ref_box, ref_score in zip(got.xyxy, got.confidence, ref.xyxy, ref.confidence):
        assert iou(box, ref_box) >= 0.98
        assert abs(score - ref_score) < 0.01
    np.testing.assert_allclose(got.keypoints[0, :, :2], ref.keypoints[0, :, :2], atol=1.0)


def test_a_batch_of_tiles_in_one_call_gives_each_tile_s_own_output():
    det = detector(input_size=320)
    frames = [cv2.imread(str(MESSI)), cv2.imread(str(DATA / "fruits.jpg"))]
    tensors = [Letterbox(320)(f).copy() for f in frames]  # square: one shape, one batch
    batch = det.infer(np.concatenate(tensors))
    assert batch.shape[0] == 2
    for i, t in enumerate(tensors):
        np.testing.assert_allclose(batch[i], det.infer(t)[0], rtol=1e-4, atol=1e-3)


def test_a_missing_device_falls_back_to_the_cpu_with_one_line(caplog):
    if "NPU" in ov.Core().available_devices:
        pytest.skip("this machine has an NPU")
    with caplog.at_level(logging.WARNING, logger="edge_app"):
        det = detector(device="NPU", input_size=320)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "NPU" in lines[0] and "running on CPU" in lines[0], lines
    assert det.info.providers == ("CPU/f32",)


def test_auto_reports_the_device_and_precision_it_chose():
    det = detector(device="AUTO", input_size=320)
    devices, precision = det.info.providers[0].split("/")
    assert devices and set(devices.split("+")) <= set(ov.Core().available_devices)
    assert precision == "f32"  # the hint reached the device AUTO picked


# --- int8 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One small int8 build (a handful of frames of the sample clip at 320), copied per test."""
    root = tmp_path_factory.mktemp("int8")
    onnx_path = root / "yolo11n-pose.onnx"
    shutil.copy(resolve_model("yolo11n-pose")[0], onnx_path)
    sidecar, verdict, was_built = quantize.build(
        onnx_path, [SAMPLE], frames=6, input_size=320, int8_dir=root / "cache", eval_frames=4
    )
    assert was_built
    return root


@pytest.fixture
def cache(built, tmp_path):
    shutil.copytree(built, tmp_path / "b")
    return tmp_path / "b"


def int8_config(cache, **kw):
    return load_config(
        overrides={
            "detector": {
                "type": "openvino",
                "precision": "int8",
                "input_size": 320,
                "model": str(cache / "yolo11n-pose.onnx"),
                "int8_dir": str(cache / "cache"),
                **kw,
            }
        }
    ).detector


def test_the_sidecar_names_the_source_hash_frames_and_versions(cache):
    onnx_path = cache / "yolo11n-pose.onnx"
    xml, side, verdict = quantize.cache_paths(onnx_path, cache / "cache")
    meta = json.loads(side.read_text())
    assert meta["source_sha256"] == quantize.sha256_of(onnx_path)
    assert meta["calibration"]["frames"] == 6 and meta["calibration"]["videos"][0]["path"] == str(SAMPLE.resolve())
    assert meta["openvino"] == ov.__version__.split("-")[0] and meta["nncf"]
    v = json.loads(verdict.read_text())
    assert v["frames"] == 4 and v["int8_sha256"] == quantize.sha256_of(xml.with_suffix(".bin"))


def test_the_int8_model_is_rebuilt_when_its_source_changes(cache):
    onnx = pytest.importorskip("onnx")
    onnx_path = cache / "yolo11n-pose.onnx"
    kw = dict(frames=6, input_size=320, int8_dir=cache / "cache", eval_frames=4)
    _, _, again = quantize.build(onnx_path, [SAMPLE], **kw)
    assert not again  # current: reused
    model = onnx.load(str(onnx_path))
    model.doc_string = "re-exported"  # same weights, another file: another hash
    onnx.save(model, str(onnx_path))
    # Without calibration videos the detector cannot rebuild it, and says why.
    with pytest.raises(AxolotlError, match="source model changed.*models quantize"):
        create_detector(int8_config(cache))
    # With them, it rebuilds at start, then judges the new build (on these few small people it may refuse).
    side = quantize.cache_paths(onnx_path, cache / "cache")[1]
    try:
        create_detector(int8_config(cache, calib_videos=[str(SAMPLE)], calib_frames=20))
    except AxolotlError as exc:
        assert "refusing the int8 model" in str(exc)
    sidecar = json.loads(side.read_text())
    assert sidecar["source_sha256"] == quantize.sha256_of(onnx_path) and sidecar["calibration"]["frames"] == 20


def test_an_int8_model_built_by_an_older_recipe_is_rebuilt_or_refused(cache):
    onnx_path = cache / "yolo11n-pose.onnx"
    side = quantize.cache_paths(onnx_path, cache / "cache")[1]
    meta = json.loads(side.read_text())
    del meta["recipe"]  # what recipe 1 wrote
    side.write_text(json.dumps(meta))
    with pytest.raises(AxolotlError, match="older recipe \\(1, now 2: faster\\).*models quantize"):
        create_detector(int8_config(cache))


def test_int8_keeps_each_silu_inside_its_convolution(cache):
    """x * sigmoid(x) after a convolution runs as that convolution's post-op in 8 bits: quantised apart
    (a FakeQuantize on the Multiply's inputs) it ran in f32 and took a third of int8's time."""
    xml = quantize.cache_paths(cache / "yolo11n-pose.onnx", cache / "cache")[0]
    source = ov.Core().read_model(str(resolve_model("yolo11n-pose")[0]))
    silus = {
        op.get_friendly_name().removesuffix("/Sigmoid")
        for op in source.get_ops()
        if op.get_type_name() == "Sigmoid" and op.get_friendly_name().endswith("/act/Sigmoid")
    }
    assert len(silus) > 50
    model = ov.Core().read_model(str(xml))
    swish = {op.get_friendly_name().removesuffix("/Mul") for op in model.get_ops() if op.get_type_name() == "Swish"}
    assert swish == silus
    compiled = ov.Core().compile_model(model, "CPU")
    apart = [
        op.get_friendly_name()
        for op in compiled.get_runtime_model().get_ordered_ops()
        if op.get_rt_info()["layerType"].astype(str) not in ("Convolution", "GroupConvolution")
        and "/act/" in op.get_rt_info()["originalLayersNames"].astype(str)
    ]
    assert not apart, f"activations run outside their convolutions: {apart[:3]}"


def write_verdict(cache, **changes):
    path = quantize.cache_paths(cache / "yolo11n-pose.onnx", cache / "cache")[2]
    v = json.loads(path.read_text())
    v.update(changes)
    path.write_text(json.dumps(v))
    return path


def test_int8_is_refused_without_a_passed_verdict_for_this_build(cache):
    path = write_verdict(cache, passed=False, recall=0.95, precision=1.0, why=None)
    with pytest.raises(
        AxolotlError, match="refusing the int8 model.*failed its accuracy check against f32 \\(recall 95.0%"
    ):
        create_detector(int8_config(cache))
    write_verdict(cache, passed=True, int8_sha256="0" * 64)
    with pytest.raises(AxolotlError, match="verdict is for another build"):
        create_detector(int8_config(cache))
    path.unlink()
    with pytest.raises(AxolotlError, match="no accuracy verdict"):
        create_detector(int8_config(cache))


def test_int8_runs_and_says_so_once_its_verdict_passed(cache):
    xml = quantize.cache_paths(cache / "yolo11n-pose.onnx", cache / "cache")[0]
    write_verdict(cache, passed=True, int8_sha256=quantize.sha256_of(xml.with_suffix(".bin")))
    det = create_detector(int8_config(cache))
    assert det.info.providers == ("CPU/int8",)
    image = cv2.imread(str(MESSI))
    got, ref = det.detect(image), detector(input_size=320).detect(image)
    assert len(got) >= 1 and iou(got.xyxy[0], ref.xyxy[0]) >= 0.9  # quantised, still the same footballer


def rows(*boxes):
    return np.array(boxes, np.float32).reshape(-1, 5)


def test_agreement_judges_boxes_as_the_tracker_uses_them():
    f32 = [rows([0, 0, 10, 10, 0.9], [20, 20, 30, 30, 0.3], [40, 40, 50, 50, 0.3]), rows([0, 0, 10, 10, 0.15])]
    # frame 0: the first box kept; the second flipped under 0.25 but still above 0.1; the third gone.
    # frame 1: int8 lifts a box f32 had at 0.15 over 0.25 (a flip), and invents one f32 has nowhere.
    int8 = [rows([0, 0, 10, 11, 0.9], [20, 20, 30, 30, 0.2]), rows([0, 0, 10, 10, 0.3], [60, 60, 70, 70, 0.5])]
    a = quantize.agreement(f32, int8, high=0.25, low=0.1)
    assert (a["reference_boxes"], a["matched"], a["lost"]) == (3, 2, 1)
    assert (a["boxes"], a["added"]) == (3, 1)
    assert a["recall"] == pytest.approx(2 / 3) and a["precision"] == pytest.approx(2 / 3)
    assert a["strict"]["recall"] == pytest.approx(1 / 3) and a["strict"]["precision"] == pytest.approx(1 / 3)
    # With the low threshold at the high one, the rule is the old strict one.
    assert quantize.agreement(f32, int8, high=0.25, low=0.25)["recall"] == pytest.approx(1 / 3)


@pytest.fixture(scope="module")
def f32_vtest():
    """Real f32 person boxes (down to 0.1) of 10 frames of the sample clip at 1280 (5-6 people a frame)."""
    from edge_app.vision.sample_frames import even_frames

    core = ov.Core()
    compiled = core.compile_model(str(resolve_model("yolo11n-pose")[0]), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    boxes = quantize.person_boxes(compiled, list(even_frames([SAMPLE], 10)), 1280, conf=0.1, iou=0.5)
    assert sum(int((b[:, 4] >= 0.25).sum()) for b in boxes) >= quantize.MIN_BOXES
    return boxes


def test_the_verdict_passes_threshold_flips_and_fails_a_lost_player(f32_vtest):
    flipped = [b.copy() for b in f32_vtest]
    high = [(i, j) for i, b in enumerate(flipped) for j in np.flatnonzero(b[:, 4] >= 0.25)]
    for i, j in high[::10]:
        flipped[i][j, 4] = 0.2  # under the activation threshold, still in the tracker's second stage
    passed = quantize.judge(quantize.agreement(f32_vtest, flipped, high=0.25, low=0.1))
    assert passed["passed"] and passed["lost"] == 0 and passed["strict"]["recall"] < quantize.MIN_RECALL
    gone = [b.copy() for b in f32_vtest]
    for i, j in high[::10]:
        gone[i][j, 4] = 0.05  # below what the tracker takes: a player lost
    failed = quantize.judge(quantize.agreement(f32_vtest, gone, high=0.25, low=0.1))
    assert not failed["passed"] and failed["lost"] == len(high[::10])
    line = quantize.format_verdict({**failed, "frames": 10})
    assert "\n" not in line and "FAILED" in line and ">= 0.25" in line


def test_the_built_verdict_is_judged_at_the_tracker_thresholds(cache):
    v = json.loads(quantize.cache_paths(cache / "yolo11n-pose.onnx", cache / "cache")[2].read_text())
    assert (v["high"], v["low"]) == (0.25, 0.1) and ">= 0.25" in v["rule"] and ">= 0.1" in v["rule"]
    assert v["recall"] >= v["strict"]["recall"] and v["precision"] >= v["strict"]["precision"]


def test_other_tracker_thresholds_or_an_old_verdict_are_checked_again_without_a_rebuild(cache):
    from edge_app.config import TrackerConfig

    onnx_path = cache / "yolo11n-pose.onnx"
    xml, side, verdict_path = quantize.cache_paths(onnx_path, cache / "cache")
    bin_sha = quantize.sha256_of(xml.with_suffix(".bin"))
    kw = dict(frames=6, input_size=320, int8_dir=cache / "cache", eval_frames=4)
    _, v, built = quantize.build(
        onnx_path, [SAMPLE], tracker=TrackerConfig(track_activation_threshold=0.3, low_score_threshold=0.15), **kw
    )
    assert not built and (v["high"], v["low"]) == (0.3, 0.15)
    assert quantize.sha256_of(xml.with_suffix(".bin")) == bin_sha
    # A verdict from before this rule (no thresholds) that failed: refused, saying why and what to run.
    old = {k: v[k] for k in ("frames", "recall", "precision", "int8_sha256")}
    verdict_path.write_text(json.dumps({**old, "passed": False, "rule": "recall >= 99%"}))
    with pytest.raises(AxolotlError, match="old accuracy check.*checks it again without rebuilding"):
        create_detector(int8_config(cache))
    # With calibration videos in the config, the detector checks it again at start (no rebuild).
    try:
        create_detector(int8_config(cache, calib_videos=[str(SAMPLE)]))
    except AxolotlError as exc:
        assert "refusing the int8 model" in str(exc)
    v = json.loads(verdict_path.read_text())
    assert (v["high"], v["low"]) == (0.25, 0.1) and v["int8_sha256"] == bin_sha


def test_a_harness_verdict_is_kept_and_obeyed(cache):
    onnx_path = cache / "yolo11n-pose.onnx"
    xml = quantize.cache_paths(onnx_path, cache / "cache")[0]
    sha = quantize.sha256_of(xml.with_suffix(".bin"))
    write_verdict(cache, method="harness", passed=False, int8_sha256=sha, why="recall 0.950 against f32's 0.980")
    with pytest.raises(AxolotlError, match="failed its accuracy check on the accuracy harness \\(recall 0.950"):
        create_detector(int8_config(cache))
    _, v, built = quantize.build(onnx_path, [SAMPLE], frames=6, input_size=320, int8_dir=cache / "cache", eval_frames=4)
    assert not built and v["method"] == "harness"  # not replaced by the held-out check
    write_verdict(cache, passed=True, why="recall 0.990, IDF1 0.950 against f32's 0.985, 0.948")
    assert create_detector(int8_config(cache)).info.providers == ("CPU/int8",)
