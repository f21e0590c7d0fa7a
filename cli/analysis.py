"""Commands that analyse: `analyze` (a video into a stored session), `detect` (one image), `kpis`
(positions already in metres), `bench` (per-stage latency)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import calibration, config, db_path, emit, open_store, player_profiles, profile, write_charts
from cli.text import detections_text, summary_text
from edge_app.errors import AxolotlError

PHOTO_INPUT_SIZE = 640


def cmd_analyze(args) -> int:
    from edge_app.capture import open_source
    from edge_app.report import read_roster
    from edge_app.session_run import run_and_summarize

    cfg = config(args, input_size=args.input_size)
    if args.no_pose:
        cfg.pose.enabled = False
    cal = calibration(args.calibration)
    profile(args.profile)
    per_player = player_profiles(args.player_profile)
    roster = read_roster(args.roster) if args.roster else None
    # Cheap checks first: a bad video, calibration, profile or database fails before the models load.
    store = open_store(args)
    try:
        source = open_source(args.video, queue_size=cfg.pipeline.queue_size)
        result, summary = run_and_summarize(
            cfg,
            store,
            source,
            calibration=cal,
            profile=args.profile,
            player_profiles=per_player,
            roster=roster,
            max_frames=args.max_frames,
            progress=not args.quiet,
        )
        if args.charts:
            write_charts(store, summary, Path(args.charts))
    finally:
        store.close()
    emit(args, summary, summary_text(summary, fps=result.fps))
    return 0


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
    cfg = config(args, input_size=args.input_size or PHOTO_INPUT_SIZE, conf=args.conf)
    detector = create_detector(cfg.detector)
    dets = detector.detect(image)
    names = detector.info.class_names
    records = dets.to_records()
    for r in records:
        r["class_name"] = names[r["class_id"]] if r["class_id"] < len(names) else str(r["class_id"])
    data = {
        "image": str(path),
        "width": image.shape[1],
        "height": image.shape[0],
        "model": detector.info.name,
        "input_size": detector.info.input_size,
        "providers": list(detector.info.providers),
        "detections": records,
    }
    emit(args, data, detections_text(path, detector.info, records))
    return 0


def cmd_kpis(args) -> int:
    from edge_app.metrics.csvio import read_positions_csv
    from edge_app.report import positions_summary
    from edge_app.store import ensure_device_id

    profile(args.profile)
    players = read_positions_csv(args.positions)
    summary = positions_summary(
        players, source=args.positions, device_id=ensure_device_id(db_path(args)), profile=args.profile, rate=args.rate
    )
    emit(args, summary, summary_text(summary))
    return 0


def cmd_bench(args) -> int:
    from edge_app import bench
    from edge_app.config import SAMPLE_CLIP

    cfg = config(args, input_size=args.input_size)
    if args.pose is not None:
        cfg.pose.enabled = args.pose
    cal = calibration(args.calibration)
    report = bench.run_bench(
        cfg,
        args.source or str(SAMPLE_CLIP),
        frames=args.frames,
        paced=args.paced,
        calibration=cal,
        db=Path(args.db) if args.paced and args.db else None,
    )
    emit(args, report, bench.format_report(report))
    return 0


def add_analyze(sub, common) -> None:
    a = sub.add_parser("analyze", parents=[common], help="run the whole pipeline over a video file and store a session")
    a.add_argument("video", help="video file, camera index, rtsp:// URL or GStreamer pipeline")
    a.add_argument("--input-size", type=int, help="detector input size (320, 480, 640, 960, 1280)")
    a.add_argument("--max-frames", type=int, help="stop after this many frames")
    a.add_argument("--no-pose", action="store_true", help="skip MediaPipe pose on player crops")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    a.add_argument("--calibration", help="pitch calibration JSON (from `calibrate`); without it metrics are in pixels")
    a.add_argument("--profile", default="adult", help="age profile for speed zones: adult, u17, u15, u13")
    a.add_argument("--charts", help="also write heatmap and speed PNGs per player into this folder")
    a.add_argument(
        "--player-profile",
        action="append",
        metavar="PLAYER=PROFILE",
        help="another profile for one player (by name or player-N), e.g. Sam=u13; repeatable",
    )
    a.add_argument(
        "--roster",
        metavar="FILE",
        help="who trained (TOML: names, team bib colours, numbers; docs/ROSTER.md): the summary then has "
        "the roster's players, everyone else marked other",
    )
    a.set_defaults(func=cmd_analyze)


def add_kpis(sub, common) -> None:
    k = sub.add_parser(
        "kpis", parents=[common], help="the metrics engine on pitch positions (CSV t,player,x,y in s and m)"
    )
    k.add_argument("positions")
    k.add_argument("--profile", default="adult", help="adult, u17, u15, u13")
    k.add_argument("--rate", type=float, help="resample to this rate in Hz (default: the data's median rate)")
    k.set_defaults(func=cmd_kpis)


def add_detect(sub, common) -> None:
    d = sub.add_parser("detect", parents=[common], help="detect people (box, score, keypoints) in one image")
    d.add_argument("image")
    d.add_argument("--input-size", type=int, help=f"detector input size (default {PHOTO_INPUT_SIZE} for photos)")
    d.add_argument("--conf", type=float, help="minimum score (default 0.25)")
    d.set_defaults(func=cmd_detect)


def add_bench(sub, common) -> None:
    b = sub.add_parser(
        "bench", parents=[common], help="per-stage latency, end-to-end vs raw inference FPS, memory, GFLOPs"
    )
    b.add_argument(
        "source",
        nargs="?",
        help="video file, camera index, rtsp:// URL or GStreamer pipeline (default: samples/vtest-15s.avi)",
    )
    b.add_argument("--input-size", type=int, help="detector input size (default: the config's)")
    b.add_argument("--frames", type=int, help="stop after this many frames")
    b.add_argument(
        "--pose", action=argparse.BooleanOptionalAction, help="MediaPipe pose on player crops (default: the config's)"
    )
    b.add_argument(
        "--paced",
        action="store_true",
        help="play the file as a live camera (its own frame rate, frames dropped when busy, zoom as configured): "
        "adds position_hz and lag_s; with --db the session is kept there",
    )
    b.add_argument("--calibration", help="pitch calibration JSON: the zoom plans from it (--paced)")
    b.set_defaults(func=cmd_bench)
