"""scripts/build_trt.py on the fake TensorRT (tests/fakes): what the builder is asked for, INT8
calibration from a real video, the calibration cache, DLA, naming, rebuilds and errors."""

import importlib.util
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from edge_app.models import sha256_of
from edge_app.vision.detectors.yolo import Letterbox
from tests.conftest import ROOT, SAMPLE
from tests.fakes import install

ONNX = ROOT / "models" / "yolo11n-pose.onnx"
SIZE = 640
_spec = importlib.util.spec_from_file_location("build_trt", ROOT / "scripts" / "build_trt.py")
build_trt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_trt)


@pytest.fixture
def fakes(monkeypatch):
    return install(monkeypatch)


def run(tmp_path, *args):
    return build_trt.main(["--input-size", str(SIZE), "--out-dir", str(tmp_path / "engines"), *map(str, args)])


def only_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_fp16_build_flags_profile_name_and_sidecar(fakes, tmp_path, capsys):
    trt, _ = fakes
    assert run(tmp_path, "--workspace-mb", 512, "--max-batch", 4) == 0
    path = tmp_path / "engines" / f"yolo11n-pose_trt10.3.0_Orin_fp16_{SIZE}.engine"
    assert capsys.readouterr().out.strip() == str(path)
    (rec,) = trt.BUILDS
    assert rec.flags == {"FP16"}
    assert rec.network_flags == 0  # TensorRT 10: explicit batch is implied
    assert rec.workspace == 512 << 20
    assert rec.device_type == "GPU"
    assert rec.profiles == [{"images": ((1, 3, 32, 32), (1, 3, SIZE, SIZE), (4, 3, SIZE, SIZE))}]
    meta = json.loads(path.with_name(path.name + ".json").read_text())
    assert meta["onnx_sha256"] == sha256_of(ONNX)
    assert (meta["tensorrt"], meta["gpu"], meta["precision"], meta["input_size"]) == ("10.3.0", "Orin", "fp16", SIZE)
    assert meta["profile"] == {"min": [1, 3, 32, 32], "opt": [1, 3, SIZE, SIZE], "max": [4, 3, SIZE, SIZE]}
    assert meta["metadata"]["kpt_shape"] == "[17, 3]" and meta["metadata"]["names"] == "{0: 'person'}"


def test_tensorrt_8_asks_for_explicit_batch(fakes, tmp_path):
    trt, _ = fakes
    trt.__version__ = "8.6.1"
    assert run(tmp_path) == 0
    assert trt.BUILDS[0].network_flags == 1 << 0
    assert (tmp_path / "engines" / f"yolo11n-pose_trt8.6.1_Orin_fp16_{SIZE}.engine").exists()


def expected_calibration_frames(n):
    """Centres of n equal slices of the clip, letterboxed by the detector's own Letterbox."""
    cap = cv2.VideoCapture(str(SAMPLE))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    picks = {int((i + 0.5) * total / n) for i in range(n)}
    frames, lb = [], Letterbox(SIZE)
    for i in range(max(picks) + 1):
        ok, frame = cap.read()
        assert ok
        if i in picks:
            frames.append(lb(frame)[0].copy())
    return frames


def test_int8_calibrates_on_video_frames_and_keeps_the_cache(fakes, tmp_path, monkeypatch, capsys):
    trt, _ = fakes
    cache = tmp_path / "calib.cache"
    assert (
        run(tmp_path, "--precision", "int8", "--calib-video", SAMPLE, "--calib-frames", 6, "--calib-cache", cache) == 0
    )
    rec = trt.BUILDS[0]
    assert rec.flags == {"FP16", "INT8"}
    assert rec.calibration_profile == {"images": ((1, 3, SIZE, SIZE),) * 3}
    assert rec.calib_batch_size == 1 and not rec.calib_cache_used
    want = expected_calibration_frames(6)
    assert len(rec.calib_frames) == 6
    for got, exp in zip(rec.calib_frames, want):
        np.testing.assert_array_equal(got, exp)
    assert cache.read_bytes() == rec.calib_cache_written
    path = tmp_path / "engines" / f"yolo11n-pose_trt10.3.0_Orin_int8_{SIZE}.engine"
    assert json.loads(path.with_name(path.name + ".json").read_text())["calibration"]["frames_fed"] == 6

    # Rebuild (e.g. after a TensorRT update): the cache is read, the video is never opened.
    opened = []
    monkeypatch.setattr(cv2, "VideoCapture", lambda *a: opened.append(a))
    assert run(tmp_path, "--precision", "int8", "--calib-video", SAMPLE, "--calib-cache", cache, "--force") == 0
    rec2 = trt.BUILDS[1]
    assert rec2.calib_cache_used and rec2.calib_frames == [] and opened == []
    assert cache.read_bytes() == rec.calib_cache_written


def test_int8_calibration_batches(fakes, tmp_path):
    trt, _ = fakes
    assert run(tmp_path, "--precision", "int8", "--calib-video", SAMPLE, "--calib-frames", 7, "--calib-batch", 2) == 0
    rec = trt.BUILDS[0]
    assert rec.calib_batch_size == 2 and len(rec.calib_frames) == 6  # the partial last batch is dropped
    # default cache: beside the engine, named after the ONNX hash and the size
    assert (tmp_path / "engines" / f"yolo11n-pose_{sha256_of(ONNX)[:12]}_{SIZE}.calib").exists()


def test_dla_core_with_gpu_fallback(fakes, tmp_path, capsys):
    trt, _ = fakes
    assert run(tmp_path, "--dla-core", 1) == 0
    rec = trt.BUILDS[0]
    assert (rec.device_type, rec.dla_core) == ("DLA", 1)
    assert rec.flags == {"FP16", "GPU_FALLBACK"}
    assert (tmp_path / "engines" / f"yolo11n-pose_trt10.3.0_Orin_fp16-dla1_{SIZE}.engine").exists()


@pytest.mark.parametrize(
    "args, says",
    [
        (["--dla-core", 2], "DLA core 2 does not exist"),
        (["--dla-core", 0, "--precision", "fp32"], "DLA runs fp16 or int8"),
        (["--precision", "int8"], "int8 needs calibration frames"),
        (["--precision", "int8", "--calib-video", "/nonexistent.mp4"], "calibration video not found"),
        (["--model", "/nonexistent.onnx"], "neither a file nor a manifest name"),
        (["--min-size", 48], "multiples of 32"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(fakes, tmp_path, capsys, args, says):
    trt, _ = fakes
    assert run(tmp_path, *args) == 2
    line = only_line(capsys)
    assert line.startswith("build_trt: error:") and says in line
    assert trt.BUILDS == []


def test_up_to_date_engine_is_kept_and_stale_one_rebuilt(fakes, tmp_path, capsys, caplog):
    trt, _ = fakes
    assert run(tmp_path) == 0
    assert run(tmp_path) == 0
    assert len(trt.BUILDS) == 1
    assert "up to date" in capsys.readouterr().err
    path = tmp_path / "engines" / f"yolo11n-pose_trt10.3.0_Orin_fp16_{SIZE}.engine"
    side = path.with_name(path.name + ".json")
    side.write_text(json.dumps({**json.loads(side.read_text()), "gpu": "NVIDIA GeForce RTX 3060"}))
    assert run(tmp_path) == 0
    assert len(trt.BUILDS) == 2
    assert "built for gpu='NVIDIA GeForce RTX 3060', now 'Orin'" in caplog.text
    side.unlink()  # no sidecar: nothing says what the engine is, so it is rebuilt
    assert run(tmp_path) == 0 and len(trt.BUILDS) == 3


def test_gpu_name_is_sanitized(fakes, tmp_path, monkeypatch):
    _, cuda = fakes
    monkeypatch.setattr(cuda, "DEVICE_NAME", "NVIDIA GeForce RTX 3060 (Laptop)")
    assert run(tmp_path) == 0
    assert (tmp_path / "engines" / f"yolo11n-pose_trt10.3.0_NVIDIA-GeForce-RTX-3060-Laptop_fp16_{SIZE}.engine").exists()


def test_without_tensorrt_the_script_says_what_to_install(tmp_path):
    """The real environment here has no TensorRT: run the script as a user would."""
    env = {**os.environ, "AXOLOTL_EDGE_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_trt.py"), "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if proc.returncode == 0:
        pytest.skip("TensorRT is installed here")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "JetPack" in lines[0] and "pip install tensorrt" in lines[0]
