"""The detector on real photos, the YOLO head recognition and the letterbox maths."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from edge_app.config import OnnxRuntimeDetectorConfig, load_config
from edge_app.errors import AxolotlError
from edge_app.vision.detections import Detections
from edge_app.vision.detectors import create_detector
from edge_app.vision.detectors.yolo import Letterbox, decode, layout_from
from tests.conftest import DATA, run_cli
from tests.vision.helpers import iou

# Measured by hand on messi5.jpg (548×342): left hand tip x≈70, hair top y≈60,
# right boot tip x≈458, boot sole y≈335.
MESSI_BOX = np.array([70, 60, 458, 335], np.float32)


def test_cli_detect_finds_exactly_one_confident_footballer():
    proc = run_cli("detect", DATA / "messi5.jpg", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["providers"] == ["cpu"]
    confident = [d for d in out["detections"] if d["score"] >= 0.5 and d["class_name"] == "person"]
    assert len(confident) == 1, out["detections"]
    messi = confident[0]
    assert messi["score"] >= 0.7
    assert iou(messi["box"], MESSI_BOX) >= 0.8, messi["box"]
    kps = np.array(messi["keypoints"])
    assert kps.shape == (17, 3)
    x1, y1, x2, y2 = messi["box"]
    visible = kps[kps[:, 2] > 0.5]
    assert len(visible) >= 12
    assert np.all(
        (visible[:, 0] >= x1 - 5) & (visible[:, 0] <= x2 + 5) & (visible[:, 1] >= y1 - 5) & (visible[:, 1] <= y2 + 5)
    )
    nose, l_ankle, r_ankle = kps[0], kps[15], kps[16]
    assert nose[1] < min(l_ankle[1], r_ankle[1])  # head above feet


@pytest.mark.parametrize("size", [320, 480, 640])
def test_input_sizes_all_find_him(size):
    det = create_detector(load_config(overrides={"detector": {"input_size": size}}).detector)
    out = det.detect(cv2.imread(str(DATA / "messi5.jpg")))
    assert det.info.input_size == size
    best = int(np.argmax(out.confidence))
    assert out.confidence[best] > 0.5
    assert iou(out.xyxy[best], MESSI_BOX) > 0.75


def test_no_person_in_a_photo_of_fruit():
    det = create_detector(OnnxRuntimeDetectorConfig())
    out = det.detect(cv2.imread(str(DATA / "fruits.jpg")))
    assert not np.any(out.confidence > 0.5)


def test_letterbox_roundtrip_maps_boxes_back_to_the_frame():
    """A box drawn in letterbox space must decode to the same box in the frame."""
    frame = np.zeros((576, 768, 3), np.uint8)
    for rect, expected in ((True, (1, 3, 480, 640)), (False, (1, 3, 640, 640))):
        lb = Letterbox(640, rect=rect)
        assert lb(frame).shape == expected
        p = lb.params
        layout = layout_from((1, 56, 8400), {"task": "pose", "kpt_shape": "[17, 3]", "names": "{0: 'person'}"})
        raw = np.zeros((1, 56, 10), np.float32)
        # a 100×200 px person at (300, 150) in the frame, in letterbox space
        x1, y1, x2, y2 = (
            300 * p.scale + p.pad_x,
            150 * p.scale + p.pad_y,
            400 * p.scale + p.pad_x,
            350 * p.scale + p.pad_y,
        )
        raw[0, :5, 0] = [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, 0.9]
        raw[0, 5::3, 0], raw[0, 6::3, 0] = x1, y1  # every keypoint at the top-left corner
        d = decode(raw, layout, p, conf=0.25, iou=0.5, classes=None)
        assert len(d) == 1
        np.testing.assert_allclose(d.xyxy[0], [300, 150, 400, 350], atol=0.01)
        np.testing.assert_allclose(d.keypoints[0, :, :2], np.tile([300, 150], (17, 1)), atol=0.01)


def test_letterbox_pixels_match_a_plain_reference():
    frame = (np.random.default_rng(0).random((576, 768, 3)) * 255).astype(np.uint8)
    t = Letterbox(640, rect=False)(frame)
    ref = np.full((640, 640, 3), 114, np.uint8)
    ref[80 : 80 + 480, :] = cv2.resize(frame, (640, 480))  # (640 - 480) / 2 rows of pad above
    np.testing.assert_allclose(t[0], ref[:, :, ::-1].transpose(2, 0, 1) / 255.0, atol=1e-6)


def test_nms_is_class_aware_and_keeps_the_best():
    layout = layout_from((1, 84, 8400), {})
    assert (layout.task, layout.num_classes, layout.num_keypoints) == ("detect", 80, 0)
    raw = np.zeros((1, 84, 3), np.float32)
    raw[0, :4, 0] = [100, 100, 50, 100]
    raw[0, 4 + 0, 0] = 0.9  # person
    raw[0, :4, 1] = [102, 100, 50, 100]
    raw[0, 4 + 0, 1] = 0.6  # same person, weaker: suppressed
    raw[0, :4, 2] = [100, 100, 50, 100]
    raw[0, 4 + 32, 2] = 0.7  # a ball in the same place: other class, kept
    from edge_app.vision.detectors.yolo import LetterboxParams

    d = decode(raw, layout, LetterboxParams(1.0, 0, 0, 640, 640), conf=0.25, iou=0.5, classes=(0, 32))
    assert sorted(d.class_id.tolist()) == [0, 32]
    assert d.confidence[d.class_id == 0][0] == pytest.approx(0.9)


@pytest.mark.parametrize(
    "shape,meta,expected",
    [
        ((1, 56, 8400), {}, ("pose", 1, 17, False)),
        ((1, 84, 8400), {}, ("detect", 80, 0, False)),
        ((1, 8400, 84), {}, ("detect", 80, 0, True)),
        (
            ("batch", 56, "anchors"),
            {"task": "pose", "kpt_shape": "[17, 3]", "names": "{0: 'person'}"},
            ("pose", 1, 17, False),
        ),
        ((1, 6, 8400), {"task": "detect", "names": "{0: 'ball', 1: 'player'}"}, ("detect", 2, 0, False)),
    ],
)
def test_head_recognised_from_shape_and_metadata(shape, meta, expected):
    lay = layout_from(shape, meta)
    assert (lay.task, lay.num_classes, lay.num_keypoints, lay.transposed) == expected


def test_unknown_head_is_a_clear_error():
    with pytest.raises(AxolotlError, match="not a YOLOv8/YOLO11"):
        layout_from((1, 7, 8400), {})


def test_corrupt_and_tampered_models_are_refused(tmp_path, monkeypatch):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x01not really a protobuf" * 10)
    with pytest.raises(AxolotlError, match="corrupt or not ONNX") as err:
        create_detector(OnnxRuntimeDetectorConfig(model=str(bad)))
    assert "\n" not in str(err.value)
    # a manifest model whose bytes changed: hash check
    models = tmp_path / "models"
    models.mkdir()
    from edge_app.models import models_dir

    (models / "manifest.toml").write_text((models_dir() / "manifest.toml").read_text())
    (models / "yolo11n-pose.onnx").write_bytes((models_dir() / "yolo11n-pose.onnx").read_bytes()[:-10])
    monkeypatch.setenv("AXOLOTL_EDGE_MODELS", str(models))
    with pytest.raises(AxolotlError, match="does not match its sha256"):
        create_detector(OnnxRuntimeDetectorConfig())
    proc = run_cli("models", "verify")
    assert proc.returncode == 2 and "hash mismatch" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_models_verify_passes_on_the_committed_model():
    proc = run_cli("models", "verify", "--json")
    assert proc.returncode == 0, proc.stderr
    assert [r["state"] for r in json.loads(proc.stdout)] == ["ok"]


def test_requested_accelerator_that_is_missing_falls_back_and_says_so(caplog):
    det = create_detector(OnnxRuntimeDetectorConfig(providers=["cuda", "cpu"]))
    assert det.info.providers == ("cpu",)
    assert "cuda" in caplog.text


def test_bad_config_is_one_line(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[detector]\ntype = "onnxruntime"\ninput_sise = 640\n')
    proc = run_cli("detect", DATA / "messi5.jpg", "--config", cfg)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "input_sise" in proc.stderr
    cfg.write_text('[detector]\ntype = "hailo"\n')
    proc = run_cli("detect", DATA / "messi5.jpg", "--config", cfg)
    assert proc.returncode == 2 and "hailo" in proc.stderr and "Traceback" not in proc.stderr


def test_registry_finds_a_backend_for_every_detector_config_type():
    """The registry discovers the backend modules itself (none is named in it): every `type` the
    config's discriminated union accepts has a backend, and no backend lacks a config."""
    import typing

    from edge_app.config import DetectorConfig
    from edge_app.vision.detectors import available

    union = typing.get_args(typing.get_args(DetectorConfig)[0])
    types = {typing.get_args(c.model_fields["type"].annotation)[0] for c in union}
    assert types == set(available()) == {"onnxruntime", "openvino", "tensorrt"}


def test_a_backend_module_added_to_the_package_is_in_the_config_union(tmp_path, monkeypatch):
    """Adding a backend is adding a module: discovery registers it and its config joins the [detector] union."""
    from pydantic import TypeAdapter, ValidationError

    from edge_app.config import detector_union
    from edge_app.vision.detectors import registry

    pkg = tmp_path / "more_detectors"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "hailo.py").write_text(
        "from typing import Literal\n"
        "from edge_app.vision.detectors.base import DetectorBackend, DetectorConfigBase\n"
        "from edge_app.vision.detectors.registry import register\n"
        "class HailoDetectorConfig(DetectorConfigBase):\n"
        "    type: Literal['hailo']\n"
        "    chips: int = 1\n"
        "@register(HailoDetectorConfig)\n"
        "class HailoDetector(DetectorBackend):\n"
        "    def infer(self, tensor):\n"
        "        raise NotImplementedError\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_PACKAGE", "more_detectors")
    monkeypatch.setattr(registry, "_PATH", pkg)
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_discovered", False)
    models = registry.config_models()
    assert list(models) == ["onnxruntime", "hailo", "openvino", "tensorrt"]
    union = TypeAdapter(detector_union(models.values()))
    assert union.validate_python({"type": "hailo", "chips": 2}).chips == 2
    with pytest.raises(ValidationError, match="hailo.chip"):
        union.validate_python({"type": "hailo", "chip": 2})  # extra="forbid" from the shared base


def test_importing_the_config_loads_no_inference_runtime():
    """Discovery imports every backend module, none of which imports its runtime until it is used."""
    code = "import sys, edge_app.config; print(sorted(m.split('.')[0] for m in sys.modules))"
    loaded = set(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("'")
    )
    assert not loaded & {"onnxruntime", "openvino", "tensorrt", "pycuda", "mediapipe", "llama_cpp", "nncf", "torch"}


def test_every_backend_and_the_zoom_have_the_hooks_the_pipeline_calls():
    """The pipeline calls `follow`, sets `live` and reads `timed` / `plans_from_last_frame` on any
    detector, without probing: the base gives each backend the no-op defaults, the zoom its own."""
    from edge_app.vision.detectors import DetectorBackend, available
    from edge_app.vision.detectors.registry import _REGISTRY
    from edge_app.vision.zoom import ZoomDetector

    for type_key in available():
        cls = _REGISTRY[type_key]
        assert issubclass(cls, DetectorBackend), type_key
        assert cls.follow is DetectorBackend.follow and not cls.live and not cls.timed and not cls.plans_from_last_frame
    assert DetectorBackend.follow(None, Detections.empty(), 0.0) is None
    assert issubclass(ZoomDetector, DetectorBackend) and ZoomDetector.follow is not DetectorBackend.follow
    assert ZoomDetector.timed and ZoomDetector.plans_from_last_frame and not ZoomDetector.live


def test_unknown_detector_type_is_one_line():
    from types import SimpleNamespace

    with pytest.raises(
        AxolotlError, match=r"^unknown detector type 'hailo'; choose one of \['onnxruntime', 'openvino', 'tensorrt'\]$"
    ):
        create_detector(SimpleNamespace(type="hailo"))
