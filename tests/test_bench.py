"""`axolotl-edge bench`: the real pipeline on the sample clip, the raw inference ceiling, GFLOPs."""

import importlib.util
import json
import os
import re
import sys
import types

import pytest

from edge_app import bench
from edge_app.models import resolve_model
from edge_app.pipeline import STAGES
from tests.conftest import SAMPLE, run_cli

ULTRALYTICS_GFLOPS_640 = 7.6  # yolo11n-pose, as Ultralytics publishes it (docs/tasks/pose)


def _row(text: str, label: str) -> list[float]:
    line = next(ln for ln in text.splitlines() if ln.startswith(label))
    return [float(x) for x in re.findall(r"\d+\.\d+", line[len(label) :])]


def test_bench_prints_the_table_on_the_sample_clip():
    proc = run_cli(
        "bench", "--input-size", "320", "--frames", "30"
    )  # default source: the sample clip, pose as configured (on)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "vtest-15s.avi: 30 frames at input 320 (320x256 as letterboxed), pose on" in out
    assert "backend onnxruntime on cpu" in out
    for stage in STAGES:
        p50, p95, p99 = _row(out, f"{stage} ")
        assert 0 <= p50 <= p95 <= p99, (stage, p50, p95, p99)
    assert _row(out, "inference ")[0] > 1  # a real model ran, not a stand-in
    fps, raw = _row(out, "end-to-end FPS")[0], _row(out, "raw inference FPS")[0]
    ratio = _row(out, "end-to-end / raw")[0]
    # the two are timed apart, so a busy machine can tilt their ratio either way: check it is theirs
    assert fps > 0 and raw > 0 and ratio == pytest.approx(fps / raw, abs=0.01)
    gflops_square, gflops_run = _row(out, "model GFLOPs")[0], _row(out, "model GFLOPs")[1]
    assert gflops_square == pytest.approx(ULTRALYTICS_GFLOPS_640 * (320 / 640) ** 2, rel=0.10)
    assert gflops_run == pytest.approx(gflops_square * 256 / 320, rel=0.05)  # 4:3 frame: 320x256 is what runs
    assert re.search(r"RSS \d+ MB, GPU n/a", out)
    verdict = re.search(r"^pipeline overhead (-?\d+\.\d)%: (within|over) the 10% budget$", out, re.M)
    assert verdict and (verdict[2] == "within") == (float(verdict[1]) <= 10)


def test_bench_json_parses():
    proc = run_cli("bench", str(SAMPLE), "--input-size", "320", "--frames", "20", "--no-pose", "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["frames"] == 20 and r["input_size"] == 320 and r["tensor_shape"] == [1, 3, 256, 320]
    assert r["pose"] is False and r["providers"] == ["cpu"] and r["backend"] == "onnxruntime"
    assert set(r["stages"]) == set(STAGES)
    assert all(s["p50"] <= s["p95"] <= s["p99"] for s in r["stages"].values())
    assert r["stages"]["pose"]["p99"] < 0.05  # --no-pose: no MediaPipe ran
    assert r["fps"] > 0 and r["raw_fps"] > 0 and r["ratio"] == pytest.approx(r["fps"] / r["raw_fps"], rel=0.01)
    assert r["within_budget"] == (r["ratio"] >= 0.9) and r["verdict"].startswith("pipeline overhead ")
    assert r["memory"]["rss_peak_mb"] > 50 and r["memory"]["gpu_mb"] is None
    assert r["machine"]["cores"] >= 1 and r["machine"]["cpu"]


@pytest.mark.parametrize("size", [640, 320, 1280])
def test_gflops_match_ultralytics_published_figure(size):
    path, _ = resolve_model("yolo11n-pose")
    expected = ULTRALYTICS_GFLOPS_640 * (size / 640) ** 2  # convolutions scale with the pixel count
    assert bench.model_gflops(path, size, size) == pytest.approx(expected, rel=0.10)


@pytest.mark.parametrize(
    "args, message",
    [
        (["no-such-clip.avi"], "video not found"),
        (["--input-size", "333"], "input size 333 is not a multiple of 32"),
        (["--frames", "3"], "--frames 3 is too few"),
    ],
)
def test_bad_input_is_one_line_error(args, message):
    proc = run_cli("bench", *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("axolotl-edge: error: ") and message in lines[0], proc.stderr


class FakePynvml(types.ModuleType):
    """A fake NVML (no NVIDIA driver here) with the calls `gpu_memory` makes, as nvidia-ml-py names them."""

    def __init__(self, pid: int):
        super().__init__("pynvml")
        self.pid, self.shut = pid, False

    def nvmlInit(self):
        pass

    def nvmlShutdown(self):
        self.shut = True

    def nvmlDeviceGetHandleByIndex(self, i):
        return object()

    def nvmlDeviceGetName(self, handle):
        return b"NVIDIA H100 80GB HBM3"

    def nvmlDeviceGetComputeRunningProcesses(self, handle):
        return [
            types.SimpleNamespace(pid=1, usedGpuMemory=1 << 30),
            types.SimpleNamespace(pid=self.pid, usedGpuMemory=300 << 20),
        ]


def test_gpu_memory_reads_this_process_from_nvml(monkeypatch):
    if importlib.util.find_spec("pynvml") is None:
        assert bench.gpu_memory() == (None, None)  # no pynvml: "n/a", no error
    fake = FakePynvml(os.getpid())
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    assert bench.gpu_memory() == ("NVIDIA H100 80GB HBM3", 300.0)
    assert fake.shut


def test_bench_paced_plays_the_sample_clip_as_a_live_camera():
    proc = run_cli("bench", "--paced", "--input-size", "320", "--frames", "40", "--no-pose")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    head = re.search(r"vtest-15s.avi --paced: (\d+) frames played at 10 fps, (\d+) processed, (\d+) dropped", out)
    assert head, out
    played, processed, dropped = map(int, head.groups())
    # --frames 40 ends the run, unless the clip's 15 s end it first (a busy machine processes fewer)
    assert 2 <= processed <= 40 and processed + dropped <= played <= 150 and (processed == 40 or played == 150)
    hz = re.search(r"^position_hz +(n/a|\d+\.\d+)  median, p10 (n/a|\d+\.\d+) .*; (\d+) tracks\)$", out, re.M)
    assert hz, out
    if int(hz[3]):  # players followed over 1 s or more: a real rate, never above the clip's 10 fps
        assert 0 < float(hz[2]) <= float(hz[1]) <= 10.0
    lag = re.search(r"^lag_s +(\d+\.\d+)  median, p90 (\d+\.\d+), max (\d+\.\d+)", out, re.M)
    assert lag and 0 <= float(lag[1]) <= float(lag[2]) <= float(lag[3]), out
    assert re.search(
        r"^live: position .* Hz \(median\), lag up to .* s: (meets|misses) the 5 Hz / 1 s budget$", out, re.M
    )


def test_bench_paced_json_counts_add_up(tmp_path):
    db = tmp_path / "paced.db"
    proc = run_cli(
        "bench", str(SAMPLE), "--paced", "--input-size", "320", "--frames", "20", "--no-pose", "--json", "--db", db
    )
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["paced"] is True and 2 <= r["frames"] <= 20 and r["clip_fps"] == 10 and r["due_frames"] == 150
    # every frame played was processed, dropped, or still queued / in hand when the run stopped at 20
    assert r["played_frames"] >= r["frames"] + r["dropped"]
    assert 0 <= r["lag_s"]["median"] <= r["lag_s"]["max"]
    assert set(r["position_hz"]) == {"median", "p10", "tracks"}
    # --db keeps the session: the processed frames are stored, with the file's own indexes
    from edge_app.store import SessionStore

    with SessionStore(db) as store:
        stored = [f.frame for f in store.frames(r["session_id"])]
    assert len(stored) == r["frames"] and stored == sorted(stored) and stored[-1] >= r["frames"] - 1


def test_bench_paced_refuses_a_live_source():
    proc = run_cli("bench", "0", "--paced")
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--paced plays a video file" in lines[0], proc.stderr
