"""A `method: harness` verdict for a cached int8 model, from the accuracy harness's truth (issue #14 item 2).

The product's own verdict (edge_app/vision/quantize.py) has no truth: it compares int8 with f32 on
held-out frames. This one runs `axolotl-edge analyze` (bench_accuracy.py's run, the product's
defaults) on a harness clip twice, OpenVINO f32 and the cached int8, scores both against the truth
and writes the verdict beside the model: passed when int8's recall and IDF1 are each within 1 point
of f32's (or better). The product obeys it and never replaces it with the held-out check.

    .venv/bin/python benchmarks/harness_verdict.py --clip benchmarks/out/accuracy/mast-4s-25fps --int8-dir DIR

While int8 runs, the verdict file holds a provisional pass (the product refuses int8 otherwise); the
previous verdict is put back if the run fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_accuracy import analyze, evaluate  # noqa: E402
from edge_app.models import resolve_model, sha256_of  # noqa: E402
from edge_app.timeutil import utc_now_iso  # noqa: E402
from edge_app.vision import quantize  # noqa: E402

POINT = 0.01


def run(clip: Path, toml: str) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(toml)
    summary, db, _ = analyze(clip, ["--config", f.name])
    r = evaluate(clip, summary, db)
    return {"recall": r["detection"]["recall"], "IDF1": r["identity"]["IDF1"], "HOTA": r["identity"]["HOTA"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, required=True)
    ap.add_argument("--int8-dir", required=True)
    ap.add_argument("--model", default="yolo11n-pose")
    args = ap.parse_args(argv)
    xml, _, verdict_path = quantize.cache_paths(resolve_model(args.model)[0], args.int8_dir)
    sha = sha256_of(xml.with_suffix(".bin"))
    before = verdict_path.read_text() if verdict_path.exists() else None
    f32 = run(args.clip, '[detector]\ntype = "openvino"\nprecision = "f32"\n')
    quantize.write_json(
        verdict_path, {"method": "harness", "passed": True, "int8_sha256": sha, "why": "provisional, being measured"}
    )
    try:
        int8 = run(
            args.clip,
            f'[detector]\ntype = "openvino"\nprecision = "int8"\nint8_dir = "{Path(args.int8_dir).resolve()}"\n',
        )
    except BaseException:
        if before is None:
            verdict_path.unlink(missing_ok=True)
        else:
            verdict_path.write_text(before)
        raise
    passed = int8["recall"] >= f32["recall"] - POINT and int8["IDF1"] >= f32["IDF1"] - POINT
    why = (
        f"on {args.clip.name}: recall {int8['recall']:.3f} against f32's {f32['recall']:.3f}, IDF1 {int8['IDF1']:.3f} "
        f"against {f32['IDF1']:.3f}; the rule: each within 1 point of f32's or better"
    )
    verdict = {
        "method": "harness",
        "passed": bool(passed),
        "int8_sha256": sha,
        "why": why,
        "f32": f32,
        "int8": int8,
        "clip": str(args.clip.resolve()),
        "checked_at": utc_now_iso("seconds"),
    }
    quantize.write_json(verdict_path, verdict)
    print(quantize.format_verdict(verdict))
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
