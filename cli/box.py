"""Setting the box up: `calibrate` (the pitch from tapped points) and `models` (the manifest, verified)."""

from __future__ import annotations

from pathlib import Path

from cli.common import config, emit
from cli.text import models_text
from edge_app.errors import AxolotlError


def cmd_calibrate(args) -> int:
    """A homography from tapped points: --pair PX,PY=LANDMARK or --pair PX,PY=X,Y (metres)."""
    from edge_app.pitch import Calibration, get_template

    template = get_template(args.template, args.length, args.width)
    image_pts, pitch_pts = [], []
    for pair in args.pair:
        try:
            px, pitch = pair.split("=", 1)
            image_pts.append([float(v) for v in px.split(",")])
            pitch_pts.append(
                template.point(pitch)
                if not pitch.replace(",", "").replace(".", "").replace("-", "").isdigit()
                else [float(v) for v in pitch.split(",")]
            )
        except ValueError:
            raise AxolotlError(
                f"bad --pair '{pair}'; write PX,PY=LANDMARK or PX,PY=X,Y, e.g. 102,388=corner_bottom_left"
            ) from None
    cal = Calibration.fit(image_pts, pitch_pts, template=template, camera=args.camera)
    cal.save(args.out)
    warn_small_players(args, cal)
    data = cal.to_dict()
    emit(
        args,
        data,
        f"saved {args.out}: {len(image_pts)} points, {sum(cal.inliers)} inliers, "
        f"reprojection error {cal.reprojection_error_m:.2f} m on the pitch",
    )
    return 0


def warn_small_players(args, cal) -> None:
    """Players too small for the detector even zoomed: say so now, not after a match (issue 12)."""
    import sys

    from edge_app.vision.view import view_warning

    warning = view_warning(cal, min_person_px=config(args).zoom.min_person_px)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


def cmd_models(args) -> int:
    from edge_app.models import check_file, load_manifest

    if args.action == "quantize":
        return quantize_model(args)

    entries = load_manifest()
    rows = []
    for e in entries.values():
        row = {
            "name": e.name,
            "file": str(e.path),
            "task": e.task,
            "input_size": e.input_size,
            "license": e.license,
            "sha256": e.sha256,
        }
        if args.action == "verify":
            row["state"] = check_file(e)
        rows.append(row)
    emit(args, rows, models_text(rows))
    bad = [r for r in rows if r.get("state", "ok") != "ok"]
    if bad:
        raise AxolotlError(
            f"{len(bad)} model file(s) failed verification ({', '.join(r['name'] + ': ' + r['state'] for r in bad)}); restore with `git checkout models/` or re-export with scripts/export_onnx.py"
        )
    return 0


def add_calibrate(sub, common) -> None:
    c = sub.add_parser("calibrate", parents=[common], help="pitch calibration from image/pitch point pairs")
    c.add_argument("--template", default="full", help="full (105x68), 9v9, 7v7 or custom (with --length/--width)")
    c.add_argument("--length", type=float)
    c.add_argument("--width", type=float)
    c.add_argument("--pair", action="append", required=True, help="PX,PY=LANDMARK or PX,PY=X,Y; at least 4")
    c.add_argument("--camera", default="default")
    c.add_argument("--out", required=True, help="where to write the calibration JSON")
    c.set_defaults(func=cmd_calibrate)


def add_models(sub, common) -> None:
    m = sub.add_parser(
        "models", parents=[common], help="the model manifest: list, verify hashes; quantize for OpenVINO"
    )
    m.add_argument("action", choices=["list", "verify", "quantize"])
    q = m.add_argument_group("quantize: an INT8 model for detector type 'openvino' from your own recordings (NNCF)")
    q.add_argument("--videos", nargs="+", help="your own recordings; frames are drawn evenly from all")
    q.add_argument("--model", default="yolo11n-pose", help="a models/manifest.toml name or an .onnx path")
    q.add_argument("--frames", type=int, default=300, help="calibration frames (20-1000; NNCF's default 300)")
    q.add_argument("--input-size", type=int, default=1280, help="the detector's input_size (its letterbox)")
    q.add_argument("--eval-frames", type=int, help="held-out frames of the int8-vs-f32 check (default 60)")
    q.add_argument("--int8-dir", help="the int8 cache (default: models/ in the data folder)")
    q.add_argument("--force", action="store_true", help="rebuild even if the cached model is current")
    m.set_defaults(func=cmd_models)


def quantize_model(args) -> int:
    """Build (or confirm) the int8 model and print its verdict; 1 when the verdict failed."""
    from edge_app.config import load_config
    from edge_app.models import resolve_model
    from edge_app.vision.detectors.yolo import Letterbox
    from edge_app.vision.quantize import EVAL_FRAMES, build, cache_paths, format_verdict

    if not args.videos:
        raise AxolotlError("quantize needs your own recordings: --videos REC1.mp4 [REC2.mp4 ...]")
    if not 20 <= args.frames <= 1000:  # NNCF's own default is 300
        raise AxolotlError(f"--frames {args.frames} is out of range; use 20 to 1000 (300 is NNCF's default)")
    Letterbox(args.input_size)  # a bad size fails now, with its own message
    onnx_path, _ = resolve_model(args.model)
    sidecar, verdict, built = build(
        onnx_path,
        args.videos,
        frames=args.frames,
        input_size=args.input_size,
        int8_dir=args.int8_dir,
        eval_frames=args.eval_frames or EVAL_FRAMES,
        force=args.force,
        tracker=load_config(getattr(args, "config", None)).tracker,
    )  # the box's own thresholds
    xml = cache_paths(onnx_path, args.int8_dir)[0]
    print(
        f"{'built' if built else 'up to date'}: {xml} (from {Path(sidecar['source']).name} "
        f"sha256 {sidecar['source_sha256'][:12]}, {sidecar['calibration']['frames']} frames, "
        f"NNCF {sidecar['nncf']}, OpenVINO {sidecar['openvino']})"
    )
    print(format_verdict(verdict))
    return 0 if verdict["passed"] else 1
