"""INT8 detector models from the club's own video: NNCF post-training quantisation for OpenVINO.

Calibration frames are drawn evenly from the user's recordings and letterboxed exactly as the
detector does (edge_app/vision/detectors/yolo.py). The quantised model is cached as an OpenVINO IR
in the data folder (`<data>/models/<model>_int8.xml`), with two files beside it:

- `<model>_int8.json`, the sidecar: the source model's sha256, the frames' source, the NNCF and
  OpenVINO versions. A model whose source hash (or calibration videos) no longer match is rebuilt.
- `<model>_int8.verdict.json`: its accuracy check. int8 and f32 run on held-out frames of the same
  videos (never the calibration frames); f32's boxes are the reference, judged as the pipeline uses
  them: the tracker takes every box down to tracker.low_score_threshold (0.1) and acts on those at or
  above track_activation_threshold (0.25). So an f32 box >= 0.25 counts as kept when int8 still has
  it (IoU >= 0.5) at >= 0.1, and an int8 box >= 0.25 counts as added when f32 has nothing there at
  >= 0.1. It passes when int8 keeps >= 99 % of f32's and adds <= 1 %: a score that only moves across
  0.25 (a threshold flip) is neither, a player one side does not see at all is. The detector refuses
  an int8 model whose verdict is missing, is for another build, or failed.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from edge_app.errors import AxolotlError
from edge_app.home import data_dir
from edge_app.models import sha256_of
from edge_app.timeutil import utc_now_iso
from edge_app.vision.detectors.yolo import Letterbox, decode, layout_from
from edge_app.vision.ov_model import (
    dims,
    import_openvino,
    metadata_of,
    with_dynamic_batch,
)
from edge_app.vision.sample_frames import even_frames, video_lengths

log = logging.getLogger(__name__)

MIN_RECALL = 0.99  # of f32's boxes that int8 finds
MIN_PRECISION = 0.99  # of int8's boxes that f32 also found
MATCH_IOU = 0.5
EVAL_FRAMES = 60  # held-out frames the verdict is measured on
MIN_BOXES = 30  # f32 boxes below which the held-out frames cannot judge (footage without people)
PERSON = 0
INSTALL_NNCF = (
    "NNCF is not installed: `pip install 'axolotl-edge[intel]'` (x86-64), or use detector precision 'f32' or 'bf16'"
)


def default_dir() -> Path:
    return data_dir() / "models"


def cache_paths(onnx_path: Path, int8_dir: str | Path | None = None) -> tuple[Path, Path, Path]:
    """(model .xml, sidecar .json, verdict .json) of `onnx_path`'s int8 model; the .bin sits beside the .xml."""
    base = Path(int8_dir).expanduser() if int8_dir else default_dir()
    stem = f"{onnx_path.stem}_int8"
    return base / f"{stem}.xml", base / f"{stem}.json", base / f"{stem}.verdict.json"


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


# --- frames -----------------------------------------------------------------------------------


class CalibrationFrames:
    """The calibration set, re-read from the videos on each pass NNCF makes: 300 letterboxed
    1280 tensors would hold 4 GB; decoding again costs little next to the model's inference."""

    def __init__(self, videos, count: int, size: int):
        self.videos, self.size = videos, size
        self.count = min(count, sum(video_lengths(videos, "--videos")))

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[np.ndarray]:
        lb = Letterbox(self.size, rect=True)  # the detector's own preprocessing (a dynamic-shape model)
        for frame in even_frames(self.videos, self.count, phase=0.25):
            yield lb(frame).copy()  # Letterbox reuses its buffer


def videos_key(videos) -> list[dict]:
    """What the sidecar records of the frames' source (and a changed file triggers a rebuild)."""
    out = []
    for v in videos:
        st = Path(v).stat()
        out.append({"path": str(Path(v).resolve()), "bytes": st.st_size, "mtime": int(st.st_mtime)})
    return out


# --- quantising -------------------------------------------------------------------------------


def head_scope(model):
    """NNCF's ignored scope for a YOLO head: its box/keypoint decoding (DFL, the anchor and stride
    arithmetic, the keypoint sigmoid) works on pixel coordinates that 8 bits cannot hold, and its
    output convolutions (scores, box distributions, keypoints; 1x1, cheap) stay in float so that
    scores near the cut-off do not flip (measured: 98.8 % of f32's boxes kept without this)."""
    import re

    import nncf

    names = [op.get_friendly_name() for op in model.get_ops()]
    blocks = [int(m.group(1)) for n in names if (m := re.match(r"/model\.(\d+)/", n))]
    if not blocks:
        return None  # not an Ultralytics export: quantise everything NNCF would
    head = rf"/model\.{max(blocks)}"
    return nncf.IgnoredScope(
        patterns=[
            rf"{head}/(Add|Sub|Mul|Div|Sigmoid)[^/]*$",
            rf"{head}/dfl/.*",
            rf"{head}/cv\d\.\d+/cv\d\.\d+\.2/Conv$",
        ],
        validate=False,
    )


# How the model is quantised; a cached model built another way is rebuilt. 2: from convert_model's
# graph (the activations stay inside the convolutions), 1.27x faster than 1 on a 960x832 canvas here.
RECIPE = 2


def quantize_model(onnx_path: Path, tensors: CalibrationFrames):
    """The NNCF-quantised OpenVINO model of `onnx_path`, calibrated on `tensors`."""
    try:
        import nncf
    except ImportError:
        raise AxolotlError(INSTALL_NNCF) from None
    ov = import_openvino()
    # convert_model, not read_model: it fuses x * sigmoid(x) into Swish, which NNCF keeps inside the
    # convolution before it; from read_model's separate Sigmoid and Multiply NNCF quantises the
    # Multiply's inputs, and those f32 activations took 35-39 % of int8's time on a 960x832 canvas.
    model = ov.convert_model(str(onnx_path))
    with_dynamic_batch(model)
    return nncf.quantize(
        model,
        nncf.Dataset(tensors),
        subset_size=len(tensors),
        preset=nncf.QuantizationPreset.MIXED,
        ignored_scope=head_scope(model),
    )


# --- the accuracy check -----------------------------------------------------------------------


def match(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoUs of the one-to-one matches (Hungarian, IoU >= MATCH_IOU) between xyxy boxes `a` and `b`."""
    from scipy.optimize import linear_sum_assignment

    if not len(a) or not len(b):
        return np.empty(0)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    iou = inter / (area(a)[:, None] + area(b)[None, :] - inter + 1e-9)
    rows, cols = linear_sum_assignment(-iou)
    hits = iou[rows, cols]
    return hits[hits >= MATCH_IOU]


def found(
    reference: list[np.ndarray], candidate: list[np.ndarray], ref_min: float, cand_min: float
) -> tuple[int, np.ndarray]:
    """(how many reference boxes score >= ref_min, the IoUs of those the candidate has at >= cand_min).

    Boxes are (N, 5) rows of x1, y1, x2, y2, score, frame by frame."""
    n, ious = 0, []
    for r, c in zip(reference, candidate):
        r = r[r[:, 4] >= ref_min]
        n += len(r)
        ious.append(match(r[:, :4], c[c[:, 4] >= cand_min, :4]))
    return n, np.concatenate(ious) if ious else np.empty(0)


def agreement(reference: list[np.ndarray], candidate: list[np.ndarray], *, high: float, low: float) -> dict:
    """`candidate` (int8) against `reference` (f32), frame by frame, as the tracker uses the boxes.

    recall: the reference's boxes >= high that the candidate has at >= low; precision: the candidate's
    boxes >= high that the reference has at >= low. `strict` is the same with both sides at >= high
    (a score that only moves across `high` counts there)."""
    n_ref, kept = found(reference, candidate, high, low)
    n_cand, backed = found(candidate, reference, high, low)
    s_ref, s_kept = found(reference, candidate, high, high)
    s_cand = sum(int((c[:, 4] >= high).sum()) for c in candidate)
    ratio = lambda a, b: a / b if b else 1.0  # noqa: E731
    return {
        "frames": len(reference),
        "high": high,
        "low": low,
        "reference_boxes": n_ref,
        "boxes": n_cand,
        "matched": int(len(kept)),
        "lost": n_ref - int(len(kept)),
        "added": n_cand - int(len(backed)),
        "recall": ratio(len(kept), n_ref),
        "precision": ratio(len(backed), n_cand),
        "mean_iou": float(kept.mean()) if len(kept) else None,
        "strict": {
            "matched": int(len(s_kept)),
            "recall": ratio(len(s_kept), s_ref),
            "precision": ratio(len(s_kept), s_cand),
        },
    }


def person_boxes(compiled, frames, size: int, *, conf: float, iou: float) -> list[np.ndarray]:
    """(N, 5) boxes and scores of the people a compiled model finds in each frame, decoded as the detector does."""
    model = compiled.get_runtime_model()
    layout = layout_from(dims(compiled.output(0).get_partial_shape()), metadata_of(model))
    lb = Letterbox(size, rect=True)
    request = compiled.create_infer_request()
    out = []
    for f in frames:
        request.infer({0: lb(f)})
        d = decode(request.get_output_tensor(0).data, layout, lb.params, conf=conf, iou=iou, classes=(PERSON,))
        out.append(np.column_stack([d.xyxy, d.confidence]).astype(np.float32))
    return out


def judge(result: dict) -> dict:
    """Add the pass/fail and the rule, in words, to an `agreement`."""
    enough = result["reference_boxes"] >= MIN_BOXES
    result["passed"] = bool(enough and result["recall"] >= MIN_RECALL and result["precision"] >= MIN_PRECISION)
    if not enough:
        result["why"] = (
            f"only {result['reference_boxes']} people found by f32 in the held-out frames; {MIN_BOXES} are needed to judge"
        )
    result["rule"] = (
        f"int8 keeps >= {MIN_RECALL:.0%} of f32's person boxes >= {result['high']:g} (found at >= {result['low']:g}, "
        f"IoU >= {MATCH_IOU}) and adds <= {1 - MIN_PRECISION:.0%}"
    )
    return result


def check_accuracy(
    onnx_path: Path, int8_xml: Path, frames: list[np.ndarray], size: int, *, tracker=None, iou: float = 0.5
) -> dict:
    """int8 against f32 (the reference) on `frames`, both on the CPU in f32 arithmetic elsewhere, at
    the thresholds of `tracker` (a vision.track_config.TrackerConfig; default: its defaults)."""
    from edge_app.vision.track_config import TrackerConfig

    tracker = tracker or TrackerConfig()
    high, low = tracker.track_activation_threshold, tracker.low_score_threshold
    core = import_openvino().Core()
    props = {"INFERENCE_PRECISION_HINT": "f32"}
    ref = person_boxes(core.compile_model(str(onnx_path), "CPU", props), frames, size, conf=low, iou=iou)
    got = person_boxes(core.compile_model(str(int8_xml), "CPU", props), frames, size, conf=low, iou=iou)
    result = judge(agreement(ref, got, high=high, low=low))
    result["input_size"] = size
    return result


# --- the cache --------------------------------------------------------------------------------


def stale_reason(xml: Path, sidecar: dict | None, source_sha: str, videos=None) -> str | None:
    """Why the cached int8 model must be rebuilt, or None if it is current."""
    if not xml.exists() or not xml.with_suffix(".bin").exists():
        return "it has not been built"
    if sidecar is None:
        return f"its sidecar {xml.with_suffix('.json').name} is missing or unreadable"
    if sidecar.get("source_sha256") != source_sha:
        return f"its source model changed (built from sha256 {str(sidecar.get('source_sha256'))[:12]}, now {source_sha[:12]})"
    if sidecar.get("recipe", 1) != RECIPE:
        return f"it was built by an older recipe ({sidecar.get('recipe', 1)}, now {RECIPE}: faster)"
    if videos and sidecar.get("calibration", {}).get("videos") != videos_key(videos):
        return "the calibration videos changed"
    return None


def verdict_problem(xml: Path, verdict_path: Path) -> str | None:
    """Why the int8 model may not be used, or None when its accuracy check passed for this very build."""
    verdict = read_json(verdict_path)
    if verdict is None:
        return f"it has no accuracy verdict ({verdict_path.name} is missing)"
    if verdict.get("int8_sha256") != sha256_of(xml.with_suffix(".bin")):
        return "its accuracy verdict is for another build"
    if not verdict.get("passed"):
        if verdict.get("method") == "harness":
            return f"it failed its accuracy check on the accuracy harness ({verdict.get('why')})"
        if verdict.get("why"):
            return f"its accuracy check could not judge it ({verdict['why']})"
        if "high" not in verdict:
            return (
                f"it failed the old accuracy check, which counted threshold flips as lost players (recall "
                f"{verdict.get('recall', 0):.1%}); `axolotl-edge models quantize --videos ...` checks it again without rebuilding"
            )
        return (
            f"it failed its accuracy check against f32 (recall {verdict.get('recall', 0):.1%}, precision "
            f"{verdict.get('precision', 0):.1%}; the rule: {verdict.get('rule')})"
        )
    return None


def verdict_current(verdict: dict | None, tracker) -> bool:
    """A verdict that need not be measured again: one from the accuracy harness (benchmarks/ writes it
    from truth), or one judged at these tracker thresholds (older verdicts judged f32's boxes >= 0.25
    against int8's >= 0.25, which counted threshold flips as lost players)."""
    if verdict is None:
        return False
    if verdict.get("method") == "harness":
        return True
    return (verdict.get("high"), verdict.get("low")) == (
        tracker.track_activation_threshold,
        tracker.low_score_threshold,
    )


def build(
    onnx_path: Path,
    videos,
    *,
    frames: int = 300,
    input_size: int = 1280,
    int8_dir=None,
    eval_frames: int = EVAL_FRAMES,
    force: bool = False,
    tracker=None,
) -> tuple[dict, dict, bool]:
    """Quantise `onnx_path` on frames of `videos` and check it, unless the cached model is current
    (a current model whose verdict is missing or outdated is checked again, not rebuilt).

    Returns (sidecar, verdict, built).
    """
    from edge_app.vision.track_config import TrackerConfig

    tracker = tracker or TrackerConfig()
    videos = [str(v) for v in videos]
    if not videos:
        raise AxolotlError(
            "int8 needs calibration frames: pass your own recordings (--videos, or detector.calib_videos)"
        )
    video_lengths(videos, "--videos")  # a missing or unreadable video fails now, not minutes in
    xml, side_path, verdict_path = cache_paths(onnx_path, int8_dir)
    source_sha = sha256_of(onnx_path)
    sidecar = read_json(side_path)
    reason = "a rebuild was asked for" if force else stale_reason(xml, sidecar, source_sha, videos)
    if reason is None and verdict_current(read_json(verdict_path), tracker):
        return sidecar, read_json(verdict_path), False
    ov = import_openvino()

    t0 = time.monotonic()
    if reason is not None:
        log.warning("building the int8 model %s (%s): %d frames at %d", xml.name, reason, frames, input_size)
        calib = CalibrationFrames(videos, frames, input_size)
        if len(calib) < 2:
            raise AxolotlError(f"the videos gave {len(calib)} frame(s); int8 calibration needs 20 or more")
        model = quantize_model(onnx_path, calib)
        xml.parent.mkdir(parents=True, exist_ok=True)
        for p in (xml, xml.with_suffix(".bin"), verdict_path):
            p.unlink(missing_ok=True)  # never a new model beside an old verdict
        ov.save_model(model, str(xml), compress_to_fp16=False)
        import nncf  # quantize_model has imported it (or said how to install it)

        sidecar = {
            "source": str(onnx_path),
            "source_sha256": source_sha,
            "calibration": {
                "videos": videos_key(videos),
                "frames": len(calib),
                "input_size": input_size,
                "picks": "evenly over the videos, frame (i + 0.25) * total / n",
            },
            "nncf": nncf.__version__,
            "openvino": ov.__version__.split("-")[0],
            "preset": "mixed",
            "recipe": RECIPE,
            "build_seconds": round(time.monotonic() - t0, 1),
            "built_at": utc_now_iso("seconds"),
        }
        write_json(side_path, sidecar)
    held_out = list(even_frames(videos, eval_frames, phase=0.75))
    verdict = check_accuracy(onnx_path, xml, held_out, input_size, tracker=tracker)
    verdict.update(
        {
            "int8_sha256": sha256_of(xml.with_suffix(".bin")),
            "method": ("int8 vs f32 on held-out frames of the calibration videos, frame (i + 0.75) * total / n"),
            "checked_at": utc_now_iso("seconds"),
        }
    )
    write_json(verdict_path, verdict)
    return sidecar, verdict, reason is not None


def ensure_int8(onnx_path: Path, config) -> Path:
    """The int8 model the detector may load (built first where the config names calibration videos), or
    a one-line refusal saying why and what to do."""
    from edge_app.vision.track_config import TrackerConfig

    xml, side_path, verdict_path = cache_paths(onnx_path, config.int8_dir)
    reason = stale_reason(xml, read_json(side_path), sha256_of(onnx_path), config.calib_videos or None)
    outdated = not verdict_current(read_json(verdict_path), TrackerConfig())
    if reason is not None or (outdated and config.calib_videos):
        if not config.calib_videos:
            raise AxolotlError(
                f"no usable int8 model for {onnx_path.name} ({reason}); build it from your own video with "
                f"`axolotl-edge models quantize --videos REC.mp4 ...` (or set detector.calib_videos), or use precision 'f32'"
            )
        build(
            onnx_path,
            config.calib_videos,
            frames=config.calib_frames,
            input_size=config.input_size,
            int8_dir=config.int8_dir,
        )
    problem = verdict_problem(xml, verdict_path)
    if problem is not None:
        raise AxolotlError(
            f"refusing the int8 model {xml}: {problem}; use precision 'f32' or 'bf16', or rebuild it "
            f"with more or other frames (`axolotl-edge models quantize --videos ... --force`)"
        )
    return xml


def format_verdict(v: dict) -> str:
    if v.get("method") == "harness":
        return f"int8 vs f32 on the accuracy harness: {'PASSED' if v['passed'] else 'FAILED'} ({v.get('why')})"
    iou = "n/a" if v.get("mean_iou") is None else f"{v['mean_iou']:.3f}"
    strict = v.get("strict")
    also = f"; both at >= {v['high']:g}: {strict['recall']:.1%} / {strict['precision']:.1%}" if strict else ""
    return (
        f"int8 vs f32 on {v['frames']} held-out frames: kept {v['recall']:.1%} ({v['matched']} of {v['reference_boxes']} "
        f"f32 boxes), added {1 - v['precision']:.1%} ({v.get('added', '?')} of {v['boxes']} int8 boxes), mean IoU {iou}"
        f"{also}: {'PASSED' if v['passed'] else 'FAILED'} ({v.get('why') or v['rule']})"
    )
