"""`axolotl-edge`: the command line (ARCHITECTURE §7). Logs go to stderr, `--json` to stdout.

Every user-fixable problem is an `AxolotlError`, printed as one line without a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path

from edge_app import __version__
from edge_app.errors import AxolotlError

log = logging.getLogger("axolotl_edge")

PHOTO_INPUT_SIZE = 640


def _emit(args, data, text: str) -> None:
    if args.json:
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(text)


def _config(args, **detector_overrides):
    from edge_app.config import load_config

    return load_config(args.config, {"detector": detector_overrides})


def _store(args):
    from edge_app.config import default_db_path
    from edge_app.store import SessionStore

    return SessionStore(Path(args.db) if args.db else default_db_path())


# -- detect ------------------------------------------------------------------------------
def cmd_detect(args) -> int:
    import cv2

    from edge_app.vision.detectors import create_detector

    path = Path(args.image)
    if not path.is_file():
        raise AxolotlError(f"image not found: {path}; check the path")
    image = cv2.imread(str(path))
    if image is None:
        raise AxolotlError(f"cannot read image {path}: not an image OpenCV can decode (use JPEG or PNG)")
    # Photos frame people large, unlike the touchline camera the config's 1280 is for:
    # at 640 (the model's training size) messi5.jpg gives one 0.91 box that fits him, at
    # 1280 a 0.78 box that misses his arm and boot.
    cfg = _config(args, input_size=args.input_size or PHOTO_INPUT_SIZE, conf=args.conf)
    detector = create_detector(cfg.detector)
    dets = detector.detect(image)
    names = detector.info.class_names
    records = dets.to_records()
    for r in records:
        r["class_name"] = names[r["class_id"]] if r["class_id"] < len(names) else str(r["class_id"])
    data = {"image": str(path), "width": image.shape[1], "height": image.shape[0], "model": detector.info.name,
            "input_size": detector.info.input_size, "providers": list(detector.info.providers), "detections": records}
    lines = [f"{path.name}: {len(records)} detection(s)  [model {detector.info.name} @ {detector.info.input_size}, on {', '.join(detector.info.providers)}]"]
    for r in records:
        kp = f", {len(r['keypoints'])} keypoints" if "keypoints" in r else ""
        lines.append(f"  {r['class_name']:<8} {r['score']:.2f}  box {r['box']}{kp}")
    _emit(args, data, "\n".join(lines))
    return 0


# -- analyze -----------------------------------------------------------------------------
def cmd_analyze(args) -> int:
    from edge_app.capture import open_source
    from edge_app.pipeline import Pipeline

    cfg = _config(args, input_size=args.input_size)
    if args.no_pose:
        cfg.pose.enabled = False
    # Cheap checks first: a bad video or database fails before the models load.
    store = _store(args)
    try:
        source = open_source(args.video, queue_size=cfg.pipeline.queue_size)
        pipeline = Pipeline(cfg, store)
        try:
            result = pipeline.run(source, max_frames=args.max_frames, progress=not args.quiet)
        finally:
            source.close()
            pipeline.close()
        session = store.get_session(result.session_id)
    finally:
        store.close()
    session["processing"] = {"fps": round(result.fps, 2), "wall_s": round(result.wall_s, 2),
                             "stage_ms": {k: round(v["mean"], 2) for k, v in result.stage_summary().items()}}
    _emit(args, session, _session_text(session))
    return 0


def _session_text(s: dict) -> str:
    lines = [f"session {s['id']}  ({s['status']})",
             f"  source   {s['source']}",
             f"  started  {s['started_at']}   ended {s.get('ended_at') or '-'}",
             f"  frames   {s.get('frames')}  at {s.get('fps')} fps   models {json.dumps(s.get('models', {}).get('detector', {}).get('providers'))}"]
    if "processing" in s:
        p = s["processing"]
        lines.append(f"  speed    {p['fps']} frames/s processed in {p['wall_s']} s")
    tracks = s.get("tracks", [])
    lines.append(f"  tracks   {len(tracks)}")
    if tracks:
        lines.append("    id    from      to    seen   pose")
        for t in tracks:
            lines.append(f"  {t['track_id']:>4}  {t['first_t']:>6.1f}s {t['last_t']:>6.1f}s {t['frames_seen']:>6} {t.get('pose_samples', 0):>6}")
    return "\n".join(lines)


# -- sessions ----------------------------------------------------------------------------
def cmd_sessions(args) -> int:
    store = _store(args)
    try:
        if args.action == "list":
            rows = store.list_sessions()
            text = "\n".join([f"{'id':<36}  {'status':<11}  {'started':<25}  frames  source"] + [
                f"{r['id']:<36}  {r['status']:<11}  {r['started_at']:<25}  {r.get('frames') or 0:>6}  {r['source']}" for r in rows
            ]) if rows else "no sessions yet: run `axolotl-edge analyze VIDEO`"
            _emit(args, rows, text)
        elif args.action == "show":
            session = store.get_session(_need_id(args))
            _emit(args, session, _session_text(session))
        else:  # export
            data = store.export_session(_need_id(args), fmt=args.format)
            if args.output:
                Path(args.output).write_text(data)
                print(f"wrote {args.output}", file=sys.stderr)
            else:
                sys.stdout.write(data)
    finally:
        store.close()
    return 0


def _need_id(args) -> str:
    if not args.id:
        raise AxolotlError(f"`sessions {args.action}` needs a session id; list them with `axolotl-edge sessions list`")
    return args.id


# -- models ------------------------------------------------------------------------------
def cmd_models(args) -> int:
    from edge_app.models import check_file, load_manifest

    entries = load_manifest()
    rows = []
    for e in entries.values():
        row = {"name": e.name, "file": str(e.path), "task": e.task, "input_size": e.input_size, "license": e.license, "sha256": e.sha256}
        if args.action == "verify":
            row["state"] = check_file(e)
        rows.append(row)
    text = "\n".join(f"{r['name']:<16} {r['task']:<7} {r['input_size']:>5}  {r['license']:<10} {r.get('state', '')}  {r['file']}" for r in rows)
    _emit(args, rows, text)
    bad = [r for r in rows if r.get("state", "ok") != "ok"]
    if bad:
        raise AxolotlError(f"{len(bad)} model file(s) failed verification ({', '.join(r['name'] + ': ' + r['state'] for r in bad)}); restore with `git checkout models/` or re-export with scripts/export_onnx.py")
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="session database (default: $AXOLOTL_EDGE_HOME/axolotl.db)")
    common.add_argument("--config", help="TOML config file (default: $AXOLOTL_EDGE_HOME/config.toml if present)")
    common.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    common.add_argument("-v", "--verbose", action="store_true", help="debug logs on stderr")

    p = argparse.ArgumentParser(prog="axolotl-edge", description="Pitch-side football analytics, on the box.")
    p.add_argument("--version", action="version", version=f"axolotl-edge {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("analyze", parents=[common], help="run the whole pipeline over a video file and store a session")
    a.add_argument("video", help="video file, camera index, rtsp:// URL or GStreamer pipeline")
    a.add_argument("--input-size", type=int, help="detector input size (320, 480, 640, 960, 1280)")
    a.add_argument("--max-frames", type=int, help="stop after this many frames")
    a.add_argument("--no-pose", action="store_true", help="skip MediaPipe pose on player crops")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    a.set_defaults(func=cmd_analyze)

    d = sub.add_parser("detect", parents=[common], help="detect people (box, score, keypoints) in one image")
    d.add_argument("image")
    d.add_argument("--input-size", type=int, help=f"detector input size (default {PHOTO_INPUT_SIZE} for photos)")
    d.add_argument("--conf", type=float, help="minimum score (default 0.25)")
    d.set_defaults(func=cmd_detect)

    s = sub.add_parser("sessions", parents=[common], help="stored sessions: list, show ID, export ID")
    s.add_argument("action", choices=["list", "show", "export"])
    s.add_argument("id", nargs="?", help="session id (or its first 8 characters)")
    s.add_argument("--format", choices=["json", "csv"], default="json")
    s.add_argument("-o", "--output", help="write the export to this file instead of stdout")
    s.set_defaults(func=cmd_sessions)

    m = sub.add_parser("models", parents=[common], help="the model manifest: list, verify hashes")
    m.add_argument("action", choices=["list", "verify"])
    m.set_defaults(func=cmd_models)
    return p


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        # OpenCV prints its own WARN/ERROR lines for failed opens; ours say what to do.
        # Read when OpenCV first logs, and the commands import cv2 lazily, so this is early enough.
        os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    signal.signal(signal.SIGTERM, _raise_interrupt)  # systemd's stop ends a session like Ctrl-C
    try:
        return args.func(args)
    except AxolotlError as exc:
        print(f"axolotl-edge: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("axolotl-edge: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
