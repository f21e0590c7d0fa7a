"""The TensorRT backend on the fake TensorRT/pycuda (tests/fakes): same detections as ONNX Runtime,
buffers and stream really exercised, warm-up, rebuild of stale engines, clear errors.
Also the ONNX Runtime TensorRT execution provider's cache options."""

import json
import sys
import threading

import cv2
import numpy as np
import pytest

from edge_app.config import OnnxRuntimeDetectorConfig, TensorRTDetectorConfig, load_config
from edge_app.errors import AxolotlError
from edge_app.vision.detectors import create_detector
from tests.conftest import DATA
from tests.fakes import install
from tests.vision.helpers import iou

SIZE = 640  # the ONNX Runtime reference is ~4x faster here than at 1280


@pytest.fixture
def fakes(monkeypatch):
    return install(monkeypatch)


@pytest.fixture(scope="module")
def messi():
    return cv2.imread(str(DATA / "messi5.jpg"))


@pytest.fixture(scope="module")
def reference(messi):
    return create_detector(OnnxRuntimeDetectorConfig(input_size=SIZE)).detect(messi)


def trt_config(tmp_path, **kw):
    return TensorRTDetectorConfig(type="tensorrt", input_size=SIZE, engine_dir=str(tmp_path / "engines"), **kw)


def assert_same(out, ref):
    assert len(out) == len(ref) >= 1
    for a, b in zip(out.xyxy, ref.xyxy):
        assert iou(a, b) >= 0.99
    np.testing.assert_allclose(out.confidence, ref.confidence, atol=1e-4)
    np.testing.assert_allclose(out.keypoints, ref.keypoints, atol=0.05)


def test_same_detections_as_onnxruntime_and_providers_badge(fakes, tmp_path, messi, reference):
    trt, cuda = fakes
    det = create_detector(trt_config(tmp_path))
    assert det.info.providers == ("tensorrt",)
    assert (det.info.task, det.info.class_names, det.info.num_keypoints) == ("pose", ("person",), 17)
    assert det.letterbox.rect  # dynamic engine: 548x342 runs at 640x416, as with ORT
    out = det.detect(messi)
    assert out.confidence[0] > 0.8
    assert_same(out, reference)
    # one frame = pinned H2D, enqueue, D2H, one sync, in that order
    assert cuda.calls[-3:] == ["htod", "dtoh", "synchronize"]
    assert trt.CONTEXTS[-1].executed_shapes[-1] == (1, 3, 416, 640)
    det.close()


def test_warm_up_runs_before_the_first_frame(fakes, tmp_path):
    trt, _ = fakes
    det = create_detector(trt_config(tmp_path, warmup=4))
    ctx = trt.CONTEXTS[-1]
    assert det.warmup_runs == ctx.executions == 4
    assert set(ctx.executed_shapes) == {(1, 3, SIZE, SIZE)}
    create_detector(trt_config(tmp_path, warmup=0))
    assert trt.CONTEXTS[-1].executions == 0


def test_a_missing_sync_is_caught(fakes, tmp_path, messi, monkeypatch):
    """The fake runs stream work only at sync: without it the host buffer holds no result."""
    _, cuda = fakes
    det = create_detector(trt_config(tmp_path, warmup=0))
    monkeypatch.setattr(cuda.Stream, "synchronize", lambda self: None)
    raw = det.infer(det.preprocess(messi))
    assert np.isnan(raw).all()  # uninitialised pinned memory, never written
    assert len(det.postprocess(raw)) == 0


def test_a_missing_or_swapped_copy_is_caught(fakes, tmp_path, messi, monkeypatch):
    _, cuda = fakes
    det = create_detector(trt_config(tmp_path, warmup=0))
    monkeypatch.setattr(cuda, "memcpy_htod_async", lambda dest, src, stream=None: None)
    assert np.isnan(det.infer(det.preprocess(messi))).all()  # the engine read uninitialised device memory
    monkeypatch.undo()
    install(monkeypatch)  # fresh fakes, then swap the direction of the output copy
    det = create_detector(trt_config(tmp_path, warmup=0))
    monkeypatch.setattr(cuda, "memcpy_dtoh_async", cuda.memcpy_htod_async)
    with pytest.raises(TypeError, match="direction"):
        det.infer(det.preprocess(messi))


def test_detect_from_another_thread(fakes, tmp_path, messi, reference):
    """The pipeline infers on its detect thread: the context is pushed there, per call."""
    _, cuda = fakes
    det = create_detector(trt_config(tmp_path, warmup=0))
    result = {}
    t = threading.Thread(target=lambda: result.update(out=det.detect(messi)))
    t.start()
    t.join()
    assert_same(result["out"], reference)
    with pytest.raises(cuda.LogicError, match="context"):  # the fake does insist on a context
        cuda.mem_alloc(16)


def test_legacy_tensorrt_8_binding_api(fakes, tmp_path, messi, reference, monkeypatch):
    """TensorRT < 8.5 (JetPack 5.0) has no tensor-name API: bindings and execute_async_v2."""
    trt, _ = fakes
    for name in ("num_io_tensors", "get_tensor_name", "get_tensor_profile_shape"):
        monkeypatch.delattr(trt.ICudaEngine, name)
    for name in ("execute_async_v3", "set_tensor_address", "set_input_shape"):
        monkeypatch.delattr(trt.IExecutionContext, name)
    det = create_detector(trt_config(tmp_path, warmup=1))
    assert_same(det.detect(messi), reference)


def test_engine_reused_then_rebuilt_when_stale(fakes, tmp_path, messi, reference):
    trt, _ = fakes
    cfg = trt_config(tmp_path, warmup=0)
    first = create_detector(cfg)
    assert first.engine_path.name == f"yolo11n-pose_trt10.3.0_Orin_fp16_{SIZE}.engine"
    create_detector(cfg)
    assert len(trt.BUILDS) == 1  # up to date: loaded, not rebuilt
    # another ONNX behind the same engine file (sidecar hash differs) → rebuilt
    side = first.engine_path.with_name(first.engine_path.name + ".json")
    meta = json.loads(side.read_text())
    side.write_text(json.dumps({**meta, "onnx_sha256": "0" * 64}))
    create_detector(cfg)
    assert len(trt.BUILDS) == 2
    assert json.loads(side.read_text())["onnx_sha256"] == meta["onnx_sha256"]
    # a TensorRT upgrade → a new file; the old plan would not even deserialize
    trt.__version__ = "10.4.0"
    det = create_detector(cfg)
    assert len(trt.BUILDS) == 3 and "_trt10.4.0_" in det.engine_path.name
    assert trt.Runtime(trt.Logger()).deserialize_cuda_engine(first.engine_path.read_bytes()) is None
    assert_same(det.detect(messi), reference)


def test_pinned_engine_from_another_tensorrt_is_rebuilt_or_refused(fakes, tmp_path):
    trt, _ = fakes
    cfg = trt_config(tmp_path, warmup=0)
    path = create_detector(cfg).engine_path
    trt.__version__ = "10.4.0"
    with pytest.raises(AxolotlError, match="tensorrt='10.3.0'.*build_trt.py"):
        create_detector(trt_config(tmp_path, warmup=0, engine=str(path), build=False))
    create_detector(trt_config(tmp_path, warmup=0, engine=str(path)))
    assert len(trt.BUILDS) == 2 and json.loads(path.with_name(path.name + ".json").read_text())["tensorrt"] == "10.4.0"


@pytest.mark.parametrize(
    "missing, says", [("tensorrt", "pip install tensorrt"), ("pycuda.driver", "pip install pycuda")]
)
def test_missing_runtime_is_one_clear_line(monkeypatch, tmp_path, missing, says):
    install(monkeypatch)
    monkeypatch.setitem(sys.modules, missing, None)  # import raises ImportError
    with pytest.raises(AxolotlError) as err:
        create_detector(trt_config(tmp_path))
    msg = str(err.value)
    assert says in msg and "type='onnxruntime'" in msg and "\n" not in msg
    if missing == "tensorrt":
        assert "JetPack" in msg


def test_config_names_tensorrt(tmp_path):
    cfg = load_config(
        overrides={
            "detector": {
                "type": "tensorrt",
                "precision": "int8",
                "dla_core": 0,
                "calib_videos": ["a.mp4"],
                "workspace_mb": 512,
            }
        }
    ).detector
    assert isinstance(cfg, TensorRTDetectorConfig) and cfg.warmup == 3 and cfg.build
    with pytest.raises(AxolotlError, match="dla_core"):
        load_config(overrides={"detector": {"type": "tensorrt", "dla_core": -1}})


def test_ort_tensorrt_provider_gets_engine_and_timing_cache(monkeypatch, tmp_path):
    """ORT's TensorRT EP (not installed here): a faked provider list, the options it is given."""
    import onnxruntime as ort

    seen = {}
    real = ort.InferenceSession

    def spy(path, sess_options=None, providers=None):
        seen["providers"] = providers
        return real(path, sess_options=sess_options, providers=["CPUExecutionProvider"])

    monkeypatch.setattr(
        ort,
        "get_available_providers",
        lambda: ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
    )
    monkeypatch.setattr(ort, "InferenceSession", spy)
    create_detector(OnnxRuntimeDetectorConfig(trt_cache_dir=str(tmp_path / "cache"), input_size=320))
    name, opts = seen["providers"][0]
    assert name == "TensorrtExecutionProvider"
    assert seen["providers"][1:] == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    cache = tmp_path / "cache" / f"ort-{ort.__version__}"
    assert cache.is_dir()
    assert opts == {
        "trt_engine_cache_enable": True,
        "trt_engine_cache_path": str(cache),
        "trt_timing_cache_enable": True,
        "trt_timing_cache_path": str(cache),
        "trt_fp16_enable": True,
    }


def test_zoom_tiles_in_one_batched_call_or_in_turn(fakes, tmp_path, messi):
    from edge_app.vision.tiles import TilePlan, tile_batch

    trt, _ = fakes
    plan = TilePlan(((0, 0, 1.0), (200, 0, 1.0), (100, 50, 1.5)), (320, 256), (548, 342))
    batch = tile_batch(messi, plan)
    reference = create_detector(OnnxRuntimeDetectorConfig(input_size=SIZE)).infer_batch(batch)
    det = create_detector(trt_config(tmp_path, max_batch=4, warmup=0))
    np.testing.assert_allclose(det.infer_batch(batch), reference, atol=1e-3)
    assert trt.CONTEXTS[-1].executed_shapes == [(3, 3, 256, 320)]  # one call
    det.close()
    det = create_detector(trt_config(tmp_path, warmup=0))  # the default engine: a batch of 1
    np.testing.assert_allclose(det.infer_batch(batch), reference, atol=1e-3)
    assert trt.CONTEXTS[-1].executed_shapes == [(1, 3, 256, 320)] * 3
    det.close()
