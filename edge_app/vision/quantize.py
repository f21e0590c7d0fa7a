"""INT8 detector models from the club's own video: NNCF post-training quantisation for OpenVINO.

Calibration frames are drawn evenly from the user's recordings and letterboxed exactly as the
detector does (edge_app/vision/detectors/yolo.py). The quantised model is cached as an OpenVINO IR
in the data folder (`<data>/models/<model>_int8.xml`), with two files beside it:

- `<model>_int8.json`, the sidecar: the source model's sha256, the frames' source, the NNCF and
  OpenVINO versions. A model whose source hash (or calibration videos) no longer match is rebuilt.
- `<model>_int8.verdict.json`: its accuracy check. int8 and f32 run on held-out frames of the same
  videos (never the calibration frames); f32's boxes are the reference. It passes when int8 finds
  at least 99 % of them and adds at most 1 % of its own (recall and precision against f32, IoU
  ≥ 0.5): then its recall cannot be more than a point below f32's, whatever the truth is. The
  detector refuses an int8 model whose verdict is missing, is for another build, or failed.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from edge_app.config import data_dir
from edge_app.errors import AxolotlError
from edge_app.models import resolve_model, sha256_of
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
INSTALL_NNCF = ("NNCF is not installed: `pip install 'axolotl-edge[intel]'` (x86-64), "
                "or use detector precision 'f32' or 'bf16'")


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
    return nncf.IgnoredScope(patterns=[rf"{head}/(Add|Sub|Mul|Div|Sigmoid)[^/]*$", rf"{head}/dfl/.*",
                                                   rf"{head}/cv\d\.\d+/cv\d\.\d+\.2/Conv$"],
                             types=["Sigmoid"], validate=False)


def quantize_model(onnx_path: Path, tensors: CalibrationFrames):
    """The NNCF-quantised OpenVINO model of `onnx_path`, calibrated on `tensors`."""
    try:
        import nncf
    except ImportError:
        raise AxolotlError(INSTALL_NNCF) from None
    ov = import_openvino()
    model = ov.Core().read_model(str(onnx_path))
    with_dynamic_batch(model)
    return nncf.quantize(model, nncf.Dataset(tensors), subset_size=len(tensors),
                         preset=nncf.QuantizationPreset.MIXED, ignored_scope=head_scope(model))


# --- the accuracy check -----------------------------------------------------------------------

def match(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoUs of the one-to-one matches (Hungarian, IoU ≥ MATCH_IOU) between xyxy boxes `a` and `b`."""
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


def agreement(reference: list[np.ndarray], candidate: list[np.ndarray]) -> dict:
    """Recall and precision of `candidate`'s boxes against `reference`'s, frame by frame, and the mean IoU."""
    ious = [match(r, c) for r, c in zip(reference, candidate)]
    n_ref, n_cand = sum(len(r) for r in reference), sum(len(c) for c in candidate)
    hits = np.concatenate(ious) if ious else np.empty(0)
    return {"frames": len(reference), "reference_boxes": n_ref, "boxes": n_cand, "matched": int(len(hits)),
            "recall": len(hits) / n_ref if n_ref else 1.0, "precision": len(hits) / n_cand if n_cand else 1.0,
            "mean_iou": float(hits.mean()) if len(hits) else None}


def person_boxes(compiled, frames, size: int, *, conf: float, iou: float) -> list[np.ndarray]:
    """The boxes of people a compiled model finds in each frame, decoded as the detector does."""
    model = compiled.get_runtime_model()
    layout = layout_from(dims(compiled.output(0).get_partial_shape()), metadata_of(model))
    lb = Letterbox(size, rect=True)
    request = compiled.create_infer_request()
    out = []
    for f in frames:
        request.infer({0: lb(f)})
        d = decode(request.get_output_tensor(0).data, layout, lb.params, conf=conf, iou=iou, classes=(PERSON,))
        out.append(d.xyxy.copy())
    return out


def check_accuracy(onnx_path: Path, int8_xml: Path, frames: list[np.ndarray], size: int, *,
                   conf: float = 0.25, iou: float = 0.5) -> dict:
    """int8 against f32 (the reference) on `frames`, both on the CPU in f32 arithmetic elsewhere."""
    core = import_openvino().Core()
    props = {"INFERENCE_PRECISION_HINT": "f32"}
    ref = person_boxes(core.compile_model(str(onnx_path), "CPU", props), frames, size, conf=conf, iou=iou)
    got = person_boxes(core.compile_model(str(int8_xml), "CPU", props), frames, size, conf=conf, iou=iou)
    result = agreement(ref, got)
    enough = result["reference_boxes"] >= MIN_BOXES
    result["passed"] = bool(enough and result["recall"] >= MIN_RECALL and result["precision"] >= MIN_PRECISION)
    if not enough:
        result["why"] = f"only {result['reference_boxes']} people found by f32 in the held-out frames; {MIN_BOXES} are needed to judge"
    result["rule"] = f"recall >= {MIN_RECALL:.0%} and precision >= {MIN_PRECISION:.0%} of f32's person boxes (IoU >= {MATCH_IOU})"
    result["conf"], result["input_size"] = conf, size
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
        if verdict.get("why"):
            return f"its accuracy check could not judge it ({verdict['why']})"
        return (f"it failed its accuracy check against f32 (recall {verdict.get('recall', 0):.1%}, precision "
                f"{verdict.get('precision', 0):.1%}; the rule: {verdict.get('rule')})")
    return None


def build(onnx_path: Path, videos, *, frames: int = 300, input_size: int = 1280, int8_dir=None,
          eval_frames: int = EVAL_FRAMES, force: bool = False) -> tuple[dict, dict, bool]:
    """Quantise `onnx_path` on frames of `videos` and check it, unless the cached model is current.

    Returns (sidecar, verdict, built).
    """
    videos = [str(v) for v in videos]
    if not videos:
        raise AxolotlError("int8 needs calibration frames: pass your own recordings (--videos, or detector.calib_videos)")
    video_lengths(videos, "--videos")  # a missing or unreadable video fails now, not minutes in
    xml, side_path, verdict_path = cache_paths(onnx_path, int8_dir)
    source_sha = sha256_of(onnx_path)
    sidecar = read_json(side_path)
    reason = "a rebuild was asked for" if force else stale_reason(xml, sidecar, source_sha, videos)
    if reason is None and read_json(verdict_path) is not None:
        return sidecar, read_json(verdict_path), False
    ov = import_openvino()
    import nncf

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
        sidecar = {
            "source": str(onnx_path), "source_sha256": source_sha,
            "calibration": {"videos": videos_key(videos), "frames": len(calib), "input_size": input_size,
                            "picks": "evenly over the videos, frame (i + 0.25) * total / n"},
            "nncf": nncf.__version__, "openvino": ov.__version__.split("-")[0],
            "preset": "mixed", "build_seconds": round(time.monotonic() - t0, 1), "built_at": utc_now_iso("seconds"),
        }
        write_json(side_path, sidecar)
    held_out = list(even_frames(videos, eval_frames, phase=0.75))
    verdict = check_accuracy(onnx_path, xml, held_out, input_size)
    verdict.update({"int8_sha256": sha256_of(xml.with_suffix(".bin")), "method": (
        "int8 vs f32 on held-out frames of the calibration videos, frame (i + 0.75) * total / n"),
        "checked_at": utc_now_iso("seconds")})
    write_json(verdict_path, verdict)
    return sidecar, verdict, True


def ensure_int8(onnx_path: Path, config) -> Path:
    """The int8 model the detector may load (built first where the config names calibration videos), or
    a one-line refusal saying why and what to do."""
    xml, side_path, verdict_path = cache_paths(onnx_path, config.int8_dir)
    reason = stale_reason(xml, read_json(side_path), sha256_of(onnx_path), config.calib_videos or None)
    if reason is not None:
        if not config.calib_videos:
            raise AxolotlError(f"no usable int8 model for {onnx_path.name} ({reason}); build it from your own video with "
                               f"`axolotl-edge models quantize --videos REC.mp4 ...` (or set detector.calib_videos), or use precision 'f32'")
        build(onnx_path, config.calib_videos, frames=config.calib_frames, input_size=config.input_size, int8_dir=config.int8_dir)
    problem = verdict_problem(xml, verdict_path)
    if problem is not None:
        raise AxolotlError(f"refusing the int8 model {xml}: {problem}; use precision 'f32' or 'bf16', or rebuild it "
                           f"with more or other frames (`axolotl-edge models quantize --videos ... --force`)")
    return xml


def format_verdict(v: dict) -> str:
    iou = "n/a" if v.get("mean_iou") is None else f"{v['mean_iou']:.3f}"
    return (f"int8 vs f32 on {v['frames']} held-out frames: recall {v['recall']:.1%}, precision {v['precision']:.1%} "
            f"({v['matched']} of {v['reference_boxes']} f32 boxes, {v['boxes']} int8 boxes), mean IoU {iou}: "
            f"{'PASSED' if v['passed'] else 'FAILED'} ({v.get('why') or v['rule']})")


def run(args) -> int:
    """Build (or confirm) the int8 model and print its verdict; 1 when the verdict failed."""
    if not args.videos:
        raise AxolotlError("quantize needs your own recordings: --videos REC1.mp4 [REC2.mp4 ...]")
    if not 20 <= args.frames <= 1000:  # NNCF's own default is 300
        raise AxolotlError(f"--frames {args.frames} is out of range; use 20 to 1000 (300 is NNCF's default)")
    Letterbox(args.input_size)  # a bad size fails now, with its own message
    onnx_path, _ = resolve_model(args.model)
    sidecar, verdict, built = build(onnx_path, args.videos, frames=args.frames, input_size=args.input_size,
                                    int8_dir=args.int8_dir, eval_frames=args.eval_frames or EVAL_FRAMES,
                                    force=args.force)
    xml = cache_paths(onnx_path, args.int8_dir)[0]
    print(f"{'built' if built else 'up to date'}: {xml} (from {Path(sidecar['source']).name} "
          f"sha256 {sidecar['source_sha256'][:12]}, {sidecar['calibration']['frames']} frames, "
          f"NNCF {sidecar['nncf']}, OpenVINO {sidecar['openvino']})")
    print(format_verdict(verdict))
    return 0 if verdict["passed"] else 1

