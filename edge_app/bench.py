"""`axolotl-edge bench`: how close the real pipeline runs to what its detector alone allows.

One job: measure. It runs `Pipeline.run` (capture thread, detect thread, tracking, pose as
configured, a SQLite store in a temp folder) over a source, then the same detector's
`infer` back to back on one letterboxed frame of that source: the ceiling for this
backend at this input size. Their ratio is the pipeline's cost; the budget is 10 %.
"""

from __future__ import annotations

import logging
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from edge_app.errors import AxolotlError
from edge_app.vision.detections import PERSON as PERSON_CLASS

log = logging.getLogger(__name__)

BUDGET = 0.10  # the pipeline may cost at most 10 % of raw inference FPS
LIVE_HZ, LIVE_LAG_S = 5.0, 1.0  # live (--paced): each player a position at >= 5 Hz (median), results < 1 s behind
# Results left out of the FPS: the slow first inference, and the frames that queued up behind it
# and then come out back to back (detect queue 2 + one in hand), which would inflate the FPS.
WARMUP = 5
RAW_SECONDS = 2.0  # raw inference timing, before the run and again after it
# Cores kept busy by other processes during a run past which its figures are suspect: with ORT's
# threads on every core, a preempted worker stalls the whole op, so even 0.03 cost ~10 % at 640 here.
NOISY_LOAD = 0.05
# Multiply-accumulates counted for GFLOPs: what Ultralytics (thop) counts and publishes, so the
# figure compares with theirs (yolo11n-pose: 7.6 at 640). Elementwise ops (Sigmoid, Softmax...)
# would add ~0.5 GMAC that nobody quotes.
COUNTED_OPS = frozenset({"Conv", "ConvTranspose", "MatMul", "Gemm"})


def measure(config, source, *, frames: int | None = None) -> dict:
    """End-to-end FPS and per-stage ms of the real pipeline, and raw inference FPS around it.

    Raw inference is timed before the run (on a grey frame of the source's size: a CNN's time
    does not depend on the pixels) and after it (on the first frame), so a machine that speeds
    up or slows down during the benchmark moves both figures alike.
    """
    from edge_app.capture import open_source
    from edge_app.pipeline import Pipeline
    from edge_app.store import SessionStore

    if frames is not None and frames < 2 * WARMUP:
        raise AxolotlError(
            f"--frames {frames} is too few: the first {WARMUP} results are warm-up; use {2 * WARMUP} or more"
        )
    src = open_source(source, queue_size=config.pipeline.queue_size)  # a bad source fails before the models load
    stamps: list[float] = []
    first: list[np.ndarray] = []

    def on_result(r) -> None:
        stamps.append(time.perf_counter())
        if not first:
            first.append(r.frame.image.copy())

    busy0 = other_cpu_s()
    try:
        with tempfile.TemporaryDirectory(prefix="axolotl-bench-") as tmp:
            store = SessionStore(Path(tmp) / "bench.db")
            try:
                pipe = Pipeline(config, store, on_result=on_result)
                try:
                    w, h = src.size  # (0, 0) where a source tells its size only with the first frame
                    before = raw_inference(pipe.detector, np.full((h, w, 3), 114, np.uint8)) if w and h else np.empty(0)
                    result = pipe.run(src, max_frames=frames)
                    if len(stamps) < 2 * WARMUP:
                        raise AxolotlError(
                            f"source {source} gave {len(stamps)} frame(s); bench needs at least {2 * WARMUP}"
                        )
                    steady = stamps[WARMUP:]
                    after = raw_inference(pipe.detector, first[0])
                    runs = np.concatenate([before, after])
                    gpu_name, gpu_mb = gpu_memory()  # while the model is still loaded
                    det = pipe.detector
                    shape = det.preprocess(first[0]).shape
                    out = {
                        "source": str(source),
                        "frames": result.frames,
                        "input_size": det.info.input_size,
                        "tensor_shape": list(shape),
                        "model": det.info.name,
                        "backend": det.type_key,
                        "providers": list(det.info.providers),
                        "pose": pipe.pose is not None,
                        "stages": stage_percentiles(result.stage_ms),
                        "tracks": len(result.track_ids),
                        # after warm-up to the last result: model loading and the first inference are left out
                        "fps": (len(steady) - 1) / (steady[-1] - steady[0]),
                        "raw_fps": float(runs.size / runs.sum()),
                        # medians: the typical frame, which a burst of other processes barely moves
                        "median_fps": 1 / float(np.median(np.diff(steady))),
                        "raw_median_fps": 1 / float(np.median(runs)),
                        "memory": {"rss_peak_mb": peak_rss_mb(), "gpu_mb": gpu_mb},
                        "gpu": gpu_name,
                    }
                finally:
                    pipe.close()
            finally:
                store.close()
    finally:
        src.close()
    busy1 = other_cpu_s()
    out["ratio"] = out["fps"] / out["raw_fps"]
    out["median_ratio"] = out["median_fps"] / out["raw_median_fps"]
    # Other processes share these cores and skew the figures: say how busy they kept them.
    out["other_load"] = None if busy0 is None else max(0.0, (busy1[0] - busy0[0]) / (busy1[1] - busy0[1]))
    return out


def measure_paced(config, source, *, frames: int | None = None, calibration=None, db: Path | None = None) -> dict:
    """The pipeline on a file played as a live camera (`capture.PacedSource`): frames come at the
    file's rate by the wall clock and are dropped when the box is busy; the detect thread always
    takes the newest. Besides the stages: frames processed and dropped, `lag_s` (when a frame's
    result is out minus when the frame was due) and `position_hz` (`position_rates`).

    The zoom stays as configured (it is what a live run does); the raw inference is timed after
    the run on the first frame, with the last frame's crops (the batch a live frame costs).
    `db`: keep the session there (the accuracy harness scores it), else a temp folder.
    """
    from edge_app.capture import open_paced, open_source
    from edge_app.pipeline import Pipeline
    from edge_app.store import SessionStore

    if frames is not None and frames < 2:
        raise AxolotlError(f"--frames {frames} is too few for --paced; use 2 or more")
    from edge_app.capture.paced import paced_spec

    open_source(paced_spec(source)).close()  # a bad source fails before the models load
    results: list[tuple[int, float, float, np.ndarray | None]] = []  # (index, pts_s, lag_s, person track ids)
    first: list[np.ndarray] = []

    def on_result(r) -> None:
        lag = (time.monotonic_ns() - r.frame.t_ns) / 1e9
        ids = None
        if r.tracked.tracker_id is not None:
            ids = r.tracked.tracker_id[r.tracked.class_id == PERSON_CLASS].copy()
        results.append((r.frame.index, r.frame.pts_s, lag, ids))
        if not first:
            first.append(r.frame.image.copy())

    busy0 = other_cpu_s()
    with tempfile.TemporaryDirectory(prefix="axolotl-bench-") as tmp:
        store = SessionStore(Path(db) if db else Path(tmp) / "bench.db")
        try:
            pipe = Pipeline(config, store, on_result=on_result, calibration=calibration)
            try:
                # Opened once the models are loaded: the paced clock starts with frame 0.
                src = open_paced(source, queue_size=config.pipeline.queue_size)
                try:
                    due = src.frame_count
                    t0 = time.perf_counter()
                    result = pipe.run(src, max_frames=frames)
                    wall = time.perf_counter() - t0
                    played = src.stats["decoded"]
                finally:
                    src.close()
                if len(results) < 2:
                    raise AxolotlError(f"source {source} gave {len(results)} result(s) paced; bench needs at least 2")
                det = pipe.detector
                runs = raw_inference(det, first[0])
                shape = det.preprocess(first[0]).shape
                gpu_name, gpu_mb = gpu_memory()
                fps = src.fps
                out = {
                    "source": str(source),
                    "paced": True,
                    "frames": result.frames,
                    "due_frames": due,
                    "played_frames": played,
                    "dropped": result.dropped,
                    "clip_fps": fps,
                    "input_size": det.info.input_size,
                    "tensor_shape": list(shape),
                    "model": det.info.name,
                    "backend": det.type_key,
                    "providers": list(det.info.providers),
                    "pose": pipe.pose is not None,
                    "zoom": config.zoom.mode,
                    "calibrated": calibration is not None,
                    "session_id": result.session_id,
                    "stages": stage_percentiles(result.stage_ms),
                    "tracks": len(result.track_ids),
                    "fps": result.frames / wall,
                    "raw_fps": float(runs.size / runs.sum()),
                    "raw_median_fps": 1 / float(np.median(runs)),
                    "memory": {"rss_peak_mb": peak_rss_mb(), "gpu_mb": gpu_mb},
                    "gpu": gpu_name,
                }
            finally:
                pipe.close()
        finally:
            store.close()
    busy1 = other_cpu_s()
    lags = np.array([r[2] for r in results])
    out["lag_s"] = {"median": float(np.median(lags)), "p90": float(np.percentile(lags, 90)), "max": float(lags.max())}
    out["position_hz"] = position_rates([(r[1], r[3]) for r in results])
    ident = np.asarray(result.stage_ms.get("identity", []))  # the live re-linker ([pipeline] live_relink)
    out["identity_ms"] = (
        {"min": float(ident.min()), "median": float(np.median(ident)), "max": float(ident.max())}
        if ident.size
        else None
    )
    out["processed_hz"] = len(results) / (max(1, played) / fps)
    out["ratio"] = out["fps"] / out["raw_fps"]
    out["median_ratio"] = out["ratio"]
    out["other_load"] = None if busy0 is None else max(0.0, (busy1[0] - busy0[0]) / (busy1[1] - busy0[1]))
    return out


MIN_SPAN_S = 1.0  # a track seen over less than this is left out of position_hz (a flicker, not a player)


def position_rates(results, min_span_s: float = MIN_SPAN_S) -> dict:
    """How often each followed player gets a position: per person track id seen over at least
    `min_span_s` s of media time, (positions - 1) / (last - first seen); median and 10th percentile
    over those tracks. `results`: (pts_s, person track ids) per processed frame."""
    seen: dict[int, list[float]] = {}
    for t, ids in results:
        for tid in [] if ids is None else ids.tolist():
            seen.setdefault(int(tid), []).append(t)
    rates = [(len(ts) - 1) / (ts[-1] - ts[0]) for ts in seen.values() if ts[-1] - ts[0] >= min_span_s]
    if not rates:
        return {"median": None, "p10": None, "tracks": 0}
    return {"median": float(np.median(rates)), "p10": float(np.percentile(rates, 10)), "tracks": len(rates)}


def stage_percentiles(stage_ms: dict) -> dict:
    """p50/p95/p99 (and mean) ms per pipeline stage, warm-up frames left out."""
    from edge_app.pipeline import STAGES

    out = {}
    for stage in STAGES:
        values = np.asarray(stage_ms.get(stage, [])[WARMUP:])
        if values.size:
            p50, p95, p99 = np.percentile(values, [50, 95, 99])
            out[stage] = {"p50": float(p50), "p95": float(p95), "p99": float(p99), "mean": float(values.mean())}
    return out


def raw_inference(detector, image: np.ndarray, seconds: float = RAW_SECONDS) -> np.ndarray:
    """Seconds per `detector.infer`, back to back on one letterboxed frame after warm-up (≥ 10 runs, ≥ `seconds`)."""
    tensor = detector.preprocess(image).copy()
    for _ in range(3):
        detector.infer(tensor)
    stamps = [time.perf_counter()]
    while len(stamps) <= 10 or stamps[-1] - stamps[0] < seconds:
        detector.infer(tensor)
        stamps.append(time.perf_counter())
    return np.diff(stamps)


def other_cpu_s() -> tuple[float, float] | None:
    """(CPU seconds used by every other process, wall seconds) so far; None where /proc/stat is absent."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields)
    busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    me = os.times()
    return busy - me.user - me.system, time.perf_counter()


def model_gflops(path: Path, height: int, width: int) -> float:
    """Conv/MatMul GFLOPs (2 × MACs) of an ONNX model at one input shape, by onnx-tool's shape inference."""
    import onnx_tool

    graph = onnx_tool.Model(str(path)).graph
    graph.shape_infer({graph.input[0]: np.zeros((1, 3, height, width), np.float32)})
    graph.profile()
    return 2 * sum(n.macs[0] for n in graph.nodemap.values() if n.op_type in COUNTED_OPS) / 1e9


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def gpu_memory() -> tuple[str | None, float | None]:
    """(GPU name, this process's GPU memory in MB) through NVML; (None, None) without pynvml or a GPU.

    On a Jetson NVML is absent and GPU memory is the RSS's own (unified memory; tegrastats shows it).
    """
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # no pynvml, no driver, no GPU
        return None, None
    try:
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        name = pynvml.nvmlDeviceGetName(handle)
        name = name.decode() if isinstance(name, bytes) else name
        used = [p.usedGpuMemory for p in pynvml.nvmlDeviceGetComputeRunningProcesses(handle) if p.pid == os.getpid()]
        return name, (used[0] / 2**20 if used and used[0] is not None else None)
    except Exception as exc:  # noqa: BLE001 - a GPU query must never sink the benchmark
        log.warning("NVML query failed (%s); GPU memory not reported", exc)
        return None, None
    finally:
        pynvml.nvmlShutdown()


def machine_info(gpu: str | None = None) -> dict:
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Hardware") and value.strip():
                cpu = value.strip()
                break
    except OSError:
        pass
    board = Path("/proc/device-tree/model")  # Jetson and other arm64 boards name themselves here
    if board.exists():
        cpu = f"{board.read_text(errors='replace').strip(chr(0))} ({cpu or platform.machine()})"
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "arch": platform.machine(),
        "gpu": gpu,
    }


def run_bench(
    config, source, *, frames: int | None = None, paced: bool = False, calibration=None, db: Path | None = None
) -> dict:
    """The whole report: pipeline vs raw inference, memory, GFLOPs, machine, verdict.
    `paced`: the file played as a live camera, zoom as configured (`measure_paced`)."""
    from edge_app.models import resolve_model

    if paced:
        report = measure_paced(config, source, frames=frames, calibration=calibration, db=db)
    else:
        # The pipeline against its own detector's ceiling at one input size: the small-player zoom
        # (tiles or crops whose count follows the view) is benchmarked on its own
        # (benchmarks/bench_small_players.py), so it is off here.
        config = config.model_copy(update={"zoom": config.zoom.model_copy(update={"mode": "off"})})
        report = measure(config, source, frames=frames)
    path, _ = resolve_model(config.detector.model, verify=False)
    size = report["input_size"]
    try:
        report["gflops"] = model_gflops(path, size, size)
        h, w = report["tensor_shape"][2:]
        report["gflops_as_run"] = report["gflops"] if (h, w) == (size, size) else model_gflops(path, h, w)
    except Exception as exc:  # noqa: BLE001 - a graph the counter cannot read costs the figure, not the run
        log.warning("cannot count the FLOPs of %s (%s)", path.name, exc)
        report["gflops"] = report["gflops_as_run"] = None
    report["machine"] = machine_info(report.pop("gpu"))
    overhead = 1 - report["ratio"]
    report["overhead_pct"] = 100 * overhead
    report["within_budget"] = bool(overhead <= BUDGET)
    report["verdict"] = (
        f"pipeline overhead {100 * overhead:.1f}%: {'within' if overhead <= BUDGET else 'over'} the {100 * BUDGET:.0f}% budget"
    )
    if paced:
        hz, lag = report["position_hz"]["median"], report["lag_s"]["max"]
        ok = hz is not None and hz >= LIVE_HZ and lag < LIVE_LAG_S
        report["within_budget"] = bool(ok)
        report["verdict"] = (
            f"live: position {'n/a' if hz is None else f'{hz:.1f}'} Hz (median), lag up to {lag:.2f} s: "
            f"{'meets' if ok else 'misses'} the {LIVE_HZ:g} Hz / {LIVE_LAG_S:g} s budget"
        )
    return report


def format_report(r: dict) -> str:
    m, mem = r["machine"], r["memory"]
    h, w = r["tensor_shape"][2:]
    busy = "" if r["other_load"] is None else f"; other processes kept {r['other_load']:.2f} cores busy during the run"
    if r.get("paced"):
        n = r["tensor_shape"][0]
        shape = f"last frame: {n} tiles of {w}x{h}" if n > 1 else f"{w}x{h} as run"
        head = (
            f"bench {r['source']} --paced: {r['played_frames']} frames played at {r['clip_fps']:g} fps, "
            f"{r['frames']} processed, {r['dropped']} dropped; input {r['input_size']} ({shape}), "
            f"zoom {r['zoom']}{'' if r['calibrated'] else ' (no calibration)'}, pose {'on' if r['pose'] else 'off'}"
        )
    else:
        head = (
            f"bench {r['source']}: {r['frames']} frames at input {r['input_size']} ({w}x{h} as letterboxed), "
            f"pose {'on' if r['pose'] else 'off'}"
        )
    lines = [
        head,
        f"backend {r['backend']} on {', '.join(r['providers'])}; model {r['model']}",
        f"machine {m['cpu']}, {m['cores']} cores ({m['arch']}); GPU {m['gpu'] or 'n/a'}{busy}",
        "",
        f"{'stage':<12}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}   (after warm-up)",
    ]
    for stage, s in r["stages"].items():
        lines.append(f"{stage:<12}{s['p50']:>10.2f}{s['p95']:>10.2f}{s['p99']:>10.2f}")
    gpu = "n/a" if mem["gpu_mb"] is None else f"{mem['gpu_mb']:.0f} MB"
    flops = (
        "n/a"
        if r["gflops"] is None
        else f"{r['gflops']:.2f} at {r['input_size']}x{r['input_size']}, {r['gflops_as_run']:.2f} at {w}x{h} as run"
    )
    if r.get("paced"):
        hz, lag = r["position_hz"], r["lag_s"]

        def fmt(v):
            return "     n/a" if v is None else f"{v:>8.2f}"

        lines += [
            "",
            f"{'position_hz':<22}{fmt(hz['median'])}  median, p10 {fmt(hz['p10']).strip()}  (per player track followed "
            f">= {MIN_SPAN_S:g} s: positions a second over its span; {hz['tracks']} tracks)",
            f"{'lag_s':<22}{lag['median']:>8.2f}  median, p90 {lag['p90']:.2f}, max {lag['max']:.2f}  "
            "(result out minus the frame's due time on the paced clock)",
            f"{'live re-link ms':<22}"
            + (
                "     off  ([pipeline] live_relink)"
                if not r.get("identity_ms")
                else f"{r['identity_ms']['median']:>8.2f}  median, min {r['identity_ms']['min']:.2f}, "
                f"max {r['identity_ms']['max']:.2f}  (player keys across track breaks, a frame)"
            ),
            f"{'processed FPS':<22}{r['fps']:>8.2f}  (frames processed a second, of {r['clip_fps']:g} played)",
            f"{'raw inference FPS':<22}{r['raw_fps']:>8.2f}  (detector.infer back to back after the run, "
            "one frame's batch as run)",
            f"{'peak memory':<22}  RSS {mem['rss_peak_mb']:.0f} MB",
            "",
            r["verdict"],
        ]
        if (r["other_load"] or 0) > NOISY_LOAD:
            lines.append("(other processes competed for the cores: the figures are noisy; re-run on a quiet machine)")
        return "\n".join(lines)
    lines += [
        "",
        f"{'end-to-end FPS':<22}{r['fps']:>8.2f}  (result {WARMUP + 1} to the last; model load and warm-up excluded)",
        f"{'raw inference FPS':<22}{r['raw_fps']:>8.2f}  (detector.infer back to back, same backend and input, before and after the run)",
        f"{'end-to-end / raw':<22}{r['ratio']:>8.2f}  (typical frame, from medians: {r['median_ratio']:.2f})",
        f"{'peak memory':<22}  RSS {mem['rss_peak_mb']:.0f} MB, GPU {gpu}",
        f"{'model GFLOPs':<22}  {flops}",
        "",
        r["verdict"],
    ]
    if (r["other_load"] or 0) > NOISY_LOAD:
        lines.append("(other processes competed for the cores: the figures are noisy; re-run on a quiet machine)")
    if r["pose"] and not r["within_budget"]:
        lines.append(
            "(pose is on: MediaPipe shares the cores with the detector; --no-pose measures detection, tracking and store alone)"
        )
    return "\n".join(lines)
