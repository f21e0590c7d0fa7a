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


def _db_path(args) -> Path:
    from edge_app.config import default_db_path

    return Path(args.db) if args.db else default_db_path()


def _store(args):
    from edge_app.store import SessionStore

    return SessionStore(_db_path(args))


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
    from edge_app.report import summarize_session

    cfg = _config(args, input_size=args.input_size)
    if args.no_pose:
        cfg.pose.enabled = False
    calibration = _calibration(args.calibration)
    _profile(args.profile)
    player_profiles = _player_profiles(args.player_profile)
    # Cheap checks first: a bad video, calibration, profile or database fails before the models load.
    store = _store(args)
    try:
        source = open_source(args.video, queue_size=cfg.pipeline.queue_size)
        pipeline = Pipeline(cfg, store, calibration=calibration)
        try:
            result = pipeline.run(source, max_frames=args.max_frames, progress=not args.quiet)
        finally:
            source.close()
            pipeline.close()
        summary = summarize_session(store, result.session_id, calibration=calibration, profile=args.profile,
                                    player_profiles=player_profiles)
        if args.charts:
            _write_charts(store, summary, Path(args.charts))
    finally:
        store.close()
    _emit(args, summary, _summary_text(summary, fps=result.fps))
    return 0


def _calibration(path):
    if not path:
        return None
    from edge_app.pitch import Calibration

    return Calibration.load(path)


def _player_profiles(pairs) -> dict:
    out = {}
    for pair in pairs or []:
        name, sep, profile = pair.partition("=")
        if not sep or not name or not profile:
            raise AxolotlError(f"bad --player-profile '{pair}'; write PLAYER=PROFILE, e.g. Sam=u13")
        _profile(profile)
        out[name] = profile
    return out


def _profile(name):
    from edge_app.metrics.profiles import get_profile

    return get_profile(name)


def _summary_text(s: dict, fps: float | None = None) -> str:
    unit = "m" if s["units"] == "m" else "px"
    lines = [f"session {s['session_id']}  ({s['status']})  {s['source']}",
             f"  {s['duration_s']:.0f} s of video, profile {s['profile']['name']}"
             + ("" if fps is None else f", analysed at {fps:.1f} frames/s")]
    if s["units"] != "m":
        lines.append("  no pitch calibration: distances and speeds are in PIXELS, not metres (pass --calibration FILE)")
    lines.append(f"  players  {len(s['players'])}")
    if s["players"]:
        lines.append(f"    {'player':<14} {'tracks':<12} {'dist ' + unit:>9} {'top ' + unit + '/s':>9} {'sprints':>7} {'acc/dec':>7} {'seen s':>7} {'pose':>5}")
        for p in s["players"]:
            tracks = ",".join(map(str, p["track_ids"]))
            pose = p["pose"]["samples"] if p.get("pose") else 0
            lines.append(f"    {p['player'][:14]:<14} {tracks[:12]:<12} {p['distance']:>9.1f} {p['top_speed']:>9.2f} {p['sprint_count']:>7} "
                         f"{p['acceleration_count']:>3}/{p['deceleration_count']:<3} {p['quality']['tracked_time_s']:>7.1f} {pose:>5}")
    return "\n".join(lines)


def _write_charts(store, summary: dict, out: Path) -> None:
    from edge_app.charts import session_charts

    session_charts(store, summary, out)
    print(f"charts in {out}", file=sys.stderr)


def _session_text(s: dict) -> str:
    lines = [f"session {s['id']}  ({s['status']})",
             f"  source   {s['source']}",
             f"  started  {s['started_at']}   ended {s.get('ended_at') or '-'}",
             f"  frames   {s.get('frames')}  at {s.get('fps')} fps   on {', '.join(s.get('models', {}).get('detector', {}).get('providers', []))}"]
    tracks = s.get("tracks", [])
    lines.append(f"  tracks   {len(tracks)}")
    if tracks:
        lines.append("    id    from      to    seen   pose")
        for t in tracks:
            lines.append(f"  {t['track_id']:>4}  {t['first_t']:>6.1f}s {t['last_t']:>6.1f}s {t['frames_seen']:>6} {t.get('pose_samples', 0):>6}")
    return "\n".join(lines)


# -- kpis --------------------------------------------------------------------------------
def cmd_kpis(args) -> int:
    from edge_app.metrics.csvio import read_positions_csv
    from edge_app.report import positions_summary
    from edge_app.store import SessionStore

    _profile(args.profile)
    players = read_positions_csv(args.positions)
    with SessionStore(_db_path(args)) as store:
        device_id = store.device_id
    summary = positions_summary(players, source=args.positions, device_id=device_id, profile=args.profile, rate=args.rate)
    _emit(args, summary, _summary_text(summary))
    return 0


# -- players -----------------------------------------------------------------------------
def cmd_players(args) -> int:
    """The coach's corrections: name a player, merge tracks, split a track; then re-summarise."""
    from edge_app.report import resummarize

    store = _store(args)
    try:
        sid = store.resolve_id(args.id)
        if args.action == "name":
            if len(args.values) != 2:
                raise AxolotlError("usage: players ID name TRACK_OR_PLAYER NAME (e.g. players 3f2a name 7 Sam)")
            store.name_player(sid, _track_or_player(args.values[0]), args.values[1])
        elif args.action == "merge":
            if len(args.values) < 2:
                raise AxolotlError("usage: players ID merge TRACK TRACK [TRACK ...] (track ids from `players ID list`)")
            store.merge_tracks(sid, [_int(v, "track id") for v in args.values])
        elif args.action == "split":
            if len(args.values) != 2:
                raise AxolotlError("usage: players ID split TRACK FRAME (the later part gets a new track id)")
            store.split_track(sid, _int(args.values[0], "track id"), _int(args.values[1], "frame"))
        if args.action != "list":
            resummarize(store, sid)
        players = store.players(sid)
    finally:
        store.close()
    text = "\n".join(f"{p['player']:<12} {p['name'] or '':<16} tracks {','.join(map(str, p['track_ids']))}" for p in players)
    _emit(args, players, text)
    return 0


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise AxolotlError(f"'{value}' is not a {what}; give a whole number") from None


def _track_or_player(value: str):
    return int(value) if value.isdigit() else value


def _to_stderr(token: str) -> None:
    sys.stderr.write(token)
    sys.stderr.flush()


# -- feedback ----------------------------------------------------------------------------
def cmd_feedback(args) -> int:
    from edge_app.config import load_config
    from edge_app.feedback.llm import FeedbackWriter
    from edge_app.feedback.service import generate_feedback

    cfg = load_config(args.config)
    writer = FeedbackWriter(args.model or cfg.feedback.model, max_tokens=cfg.feedback.max_tokens)
    stream = _to_stderr if args.stream and not args.json else None
    store = _store(args)
    try:
        feedback = generate_feedback(store, args.id, player=args.player, writer=writer, on_token=stream)
    finally:
        store.close()
    # A missing or corrupt model was already reported in one warning line by the writer.
    entries = [feedback["team"]] if feedback.get("team") and not args.player else []
    entries += [p for p in feedback["players"] if not args.player or p["player"] == args.player]
    lines = []
    for e in entries:
        lines.append(f"{e['player']}: {e['text']}")
        for d in e["drills"]:
            lines.append(f"    drill: {d['name']} ({d['minutes']} min)")
    _emit(args, feedback, "\n".join(lines))
    return 0


# -- serve / pair / sync (the device's border: sync/) ----------------------------------------
def cmd_serve(args) -> int:
    from edge_app.config import data_dir, load_config
    from edge_app.live import LiveSession
    from sync.api import LiveBroadcaster, run_serve

    cfg = load_config(args.config)
    db = _db_path(args)
    broadcaster = LiveBroadcaster()
    live = LiveSession(cfg, db, publish=broadcaster.publish, calibration=_calibration(args.calibration), profile=args.profile)

    def on_live_start(options: dict) -> dict:
        live.start(options.get("source") or args.camera)
        return {"running": True}

    def on_live_stop() -> dict:
        return {"session_id": live.stop(), "error": live.error}

    run_serve(db, data_dir(), host=args.host, port=args.port, name=args.name,
              on_live_start=on_live_start, on_live_stop=on_live_stop, live_metrics=broadcaster.subscribe)
    return 0


def cmd_pair(args) -> int:
    from edge_app.config import data_dir

    if args.join:
        from sync.join import join

        token = join(args.join, client_name=args.client_name)
        _emit(args, {"token": token}, f"paired; token: {token}\n(keep it: send it as 'Authorization: Bearer <token>')")
        return 0
    from sync.pairing import show_pairing

    info = show_pairing(_db_path(args), data_dir(), port=args.port, host=args.host,
                        out=sys.stderr if args.json else None)
    if args.json:
        _emit(args, info, "")
    return 0


def cmd_sync(args) -> int:
    from edge_app.store import SessionStore
    from sync.uplink import SyncConfig, Uplink, status_text

    db = _db_path(args)
    config = SyncConfig.load(args.sync_config)
    if args.action == "status":
        with SessionStore(db) as store:
            if args.json:
                _emit(args, {"configured": config is not None, "outbox": store.outbox_counts()}, "")
            else:
                print(status_text(store, config))
        return 0
    if config is None:
        raise AxolotlError("sync is not configured: pair a phone and send cloud credentials (POST /cloud), "
                           "or write sync.toml in the data folder")
    with Uplink(db, config) as uplink:
        if args.once:
            from sync.uplink import ConnectFailed

            try:
                result = uplink.run_once(timeout=args.timeout)
            except ConnectFailed as exc:
                raise AxolotlError(f"cannot reach the broker {config.host}:{config.port} ({exc}); "
                                   "the summaries stay in the outbox and go out on the next run") from None
            _emit(args, result, f"sync: {result}")
        else:
            import threading

            stop = threading.Event()
            try:
                uplink.run_forever(stop)
            except KeyboardInterrupt:
                stop.set()
    return 0


# -- kiosk -------------------------------------------------------------------------------
def cmd_kiosk(args) -> int:
    try:
        from ui.app import run
    except ImportError as exc:
        raise AxolotlError(f"the kiosk needs PySide6 ({exc}); reinstall with scripts/install.sh") from None
    return run(db_path=args.db, config_path=args.config, calibration=args.calibration, fullscreen=args.fullscreen,
               size=args.size)


# -- calibrate ---------------------------------------------------------------------------
def cmd_calibrate(args) -> int:
    """A homography from tapped points: --pair PX,PY=LANDMARK or --pair PX,PY=X,Y (metres)."""
    from edge_app.pitch import Calibration, get_template

    template = get_template(args.template, args.length, args.width)
    image_pts, pitch_pts = [], []
    for pair in args.pair:
        try:
            px, pitch = pair.split("=", 1)
            image_pts.append([float(v) for v in px.split(",")])
            pitch_pts.append(template.point(pitch) if not pitch.replace(",", "").replace(".", "").replace("-", "").isdigit()
                             else [float(v) for v in pitch.split(",")])
        except ValueError:
            raise AxolotlError(f"bad --pair '{pair}'; write PX,PY=LANDMARK or PX,PY=X,Y, e.g. 102,388=corner_bottom_left") from None
    cal = Calibration.fit(image_pts, pitch_pts, template=template, camera=args.camera)
    cal.save(args.out)
    _warn_small_players(args, cal)
    data = cal.to_dict()
    _emit(args, data, f"saved {args.out}: {len(image_pts)} points, {sum(cal.inliers)} inliers, "
                      f"reprojection error {cal.reprojection_error_m:.2f} m on the pitch")
    return 0


def _warn_small_players(args, cal) -> None:
    """Players too small for the detector even zoomed: say so now, not after a match (issue 12)."""
    from edge_app.vision.zoom import view_warning

    warning = view_warning(cal, min_person_px=_config(args).zoom.min_person_px)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


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
            session["players"] = store.players(session["id"])
            session["summary"] = store.get_summary(session["id"])
            text = _session_text(session)
            if session["summary"]:
                text += "\n" + _summary_text(session["summary"])
            _emit(args, session, text)
        elif args.action == "compare":
            from edge_app.report import compare_sessions

            if not args.id or not args.other:
                raise AxolotlError("usage: sessions compare ID OTHER_ID (ids from `axolotl-edge sessions list`)")
            pair = [_need_summary(store, i) for i in (args.id, args.other)]
            rows = compare_sessions(*pair)
            unit = pair[0]["units"]
            text = "\n".join([f"{'':<20} {args.id[:8]:>10} {args.other[:8]:>10} {'change':>10}"] + [
                f"{k + (' ' + unit if 'distance' in k else ''):<20} {a:>10} {b:>10} {d:>+10}" for k, (a, b, d) in rows.items()])
            _emit(args, rows, text)
        elif args.action == "charts":
            summary = _need_summary(store, _need_id(args))
            _write_charts(store, summary, Path(args.output or Path.cwd() / f"charts-{summary['session_id'][:8]}"))
        else:  # export
            if args.format in ("summary", "players"):
                import io

                from edge_app.report import write_summary

                summary = _need_summary(store, _need_id(args))
                buf = io.StringIO()
                write_summary(summary, args.format, buf)
                data = buf.getvalue()
            else:
                data = store.export_session(_need_id(args), fmt=args.format)
            if args.output:
                Path(args.output).write_text(data)
                print(f"wrote {args.output}", file=sys.stderr)
            else:
                sys.stdout.write(data)
    finally:
        store.close()
    return 0


def _need_summary(store, session_id: str) -> dict:
    summary = store.get_summary(session_id)
    if summary is None:
        raise AxolotlError(f"session {session_id} has no summary yet; run `axolotl-edge analyze` to the end first")
    return summary


def _need_id(args) -> str:
    if not args.id:
        raise AxolotlError(f"`sessions {args.action}` needs a session id; list them with `axolotl-edge sessions list`")
    return args.id


# -- bench -------------------------------------------------------------------------------
def cmd_bench(args) -> int:
    from edge_app import bench
    from edge_app.config import SAMPLE_CLIP

    cfg = _config(args, input_size=args.input_size)
    if args.pose is not None:
        cfg.pose.enabled = args.pose
    report = bench.run_bench(cfg, args.source or str(SAMPLE_CLIP), frames=args.frames)
    _emit(args, report, bench.format_report(report))
    return 0


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
    a.add_argument("--calibration", help="pitch calibration JSON (from `calibrate`); without it metrics are in pixels")
    a.add_argument("--profile", default="adult", help="age profile for speed zones: adult, u17, u15, u13")
    a.add_argument("--charts", help="also write heatmap and speed PNGs per player into this folder")
    a.add_argument("--player-profile", action="append", metavar="PLAYER=PROFILE",
                   help="another profile for one player (by name or player-N), e.g. Sam=u13; repeatable")
    a.set_defaults(func=cmd_analyze)

    k = sub.add_parser("kpis", parents=[common], help="the metrics engine on pitch positions (CSV t,player,x,y in s and m)")
    k.add_argument("positions")
    k.add_argument("--profile", default="adult", help="adult, u17, u15, u13")
    k.add_argument("--rate", type=float, help="resample to this rate in Hz (default: the data's median rate)")
    k.set_defaults(func=cmd_kpis)

    pl = sub.add_parser("players", parents=[common], help="players of a session: list, name, merge, split")
    pl.add_argument("id", help="session id (or its first 8 characters)")
    pl.add_argument("action", choices=["list", "name", "merge", "split"], nargs="?", default="list")
    pl.add_argument("values", nargs="*", help="name: TRACK NAME; merge: TRACK TRACK...; split: TRACK FRAME")
    pl.set_defaults(func=cmd_players)

    f = sub.add_parser("feedback", parents=[common], help="coaching feedback with drills for a stored session (local LLM)")
    f.add_argument("id", help="session id (or its first 8 characters)")
    f.add_argument("--player", help="only this player (their label or name)")
    f.add_argument("--model", help="a GGUF model file instead of the default SmolLM2-135M")
    f.add_argument("--stream", action="store_true", help="show the model's tokens on stderr as they come")
    f.set_defaults(func=cmd_feedback)

    sv = sub.add_parser("serve", parents=[common], help="the local API for the paired phone (TLS) + zeroconf")
    sv.add_argument("--host", default="0.0.0.0")
    sv.add_argument("--port", type=int, default=8443)
    sv.add_argument("--name", help="the box's name on the network")
    sv.add_argument("--camera", default="0", help="default source for live sessions started from the phone")
    sv.add_argument("--calibration", help="pitch calibration for live sessions")
    sv.add_argument("--profile", default="adult")
    sv.set_defaults(func=cmd_serve)

    pa = sub.add_parser("pair", parents=[common], help="show the pairing QR code and code; --join URI acts as the phone")
    pa.add_argument("--join", metavar="URI", help="pair with a box from its QR URI (pins its certificate)")
    pa.add_argument("--client-name", default="cli")
    pa.add_argument("--port", type=int, help="the API port in the QR (default: serve's)")
    pa.add_argument("--host", help="the address the phone should use (default: this box's LAN address)")
    pa.set_defaults(func=cmd_pair)

    sy = sub.add_parser("sync", parents=[common], help="MQTT uplink of stored summaries: run [--once], status")
    sy.add_argument("action", choices=["run", "status"])
    sy.add_argument("--once", action="store_true", help="send what is due, wait for the acks, exit")
    sy.add_argument("--timeout", type=float, default=60.0)
    sy.add_argument("--sync-config", help="sync.toml (default: the data folder's, written at pairing)")
    sy.set_defaults(func=cmd_sync)

    ki = sub.add_parser("kiosk", parents=[common], help="the touchscreen app (PySide6): live, players, calibration, summary, history, pairing, settings")
    ki.add_argument("--fullscreen", action="store_true", help="kiosk mode: fullscreen, no cursor (admin exit: Ctrl+Alt+Q)")
    ki.add_argument("--size", default="1024x600", help="window size when not fullscreen (WIDTHxHEIGHT)")
    ki.add_argument("--calibration", help="pitch calibration JSON (default: calibration.json in the data folder)")
    ki.set_defaults(func=cmd_kiosk)

    c = sub.add_parser("calibrate", parents=[common], help="pitch calibration from image/pitch point pairs")
    c.add_argument("--template", default="full", help="full (105x68), 9v9, 7v7 or custom (with --length/--width)")
    c.add_argument("--length", type=float)
    c.add_argument("--width", type=float)
    c.add_argument("--pair", action="append", required=True, help="PX,PY=LANDMARK or PX,PY=X,Y; at least 4")
    c.add_argument("--camera", default="default")
    c.add_argument("--out", required=True, help="where to write the calibration JSON")
    c.set_defaults(func=cmd_calibrate)

    d = sub.add_parser("detect", parents=[common], help="detect people (box, score, keypoints) in one image")
    d.add_argument("image")
    d.add_argument("--input-size", type=int, help=f"detector input size (default {PHOTO_INPUT_SIZE} for photos)")
    d.add_argument("--conf", type=float, help="minimum score (default 0.25)")
    d.set_defaults(func=cmd_detect)

    s = sub.add_parser("sessions", parents=[common], help="stored sessions: list, show ID, export ID, charts ID, compare ID ID")
    s.add_argument("action", choices=["list", "show", "export", "charts", "compare"])
    s.add_argument("id", nargs="?", help="session id (or its first 8 characters)")
    s.add_argument("other", nargs="?", help="compare: the second session")
    s.add_argument("--format", choices=["json", "csv", "summary", "players"], default="json",
                   help="export: json/csv every frame and box; summary the summary JSON; players a CSV row per player")
    s.add_argument("-o", "--output", help="export: write to this file instead of stdout; charts: the folder")
    s.set_defaults(func=cmd_sessions)

    m = sub.add_parser("models", parents=[common], help="the model manifest: list, verify hashes")
    m.add_argument("action", choices=["list", "verify"])
    m.set_defaults(func=cmd_models)

    b = sub.add_parser("bench", parents=[common], help="per-stage latency, end-to-end vs raw inference FPS, memory, GFLOPs")
    b.add_argument("source", nargs="?", help="video file, camera index, rtsp:// URL or GStreamer pipeline (default: samples/vtest-15s.avi)")
    b.add_argument("--input-size", type=int, help="detector input size (default: the config's)")
    b.add_argument("--frames", type=int, help="stop after this many frames")
    b.add_argument("--pose", action=argparse.BooleanOptionalAction, help="MediaPipe pose on player crops (default: the config's)")
    b.set_defaults(func=cmd_bench)
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
    except BrokenPipeError:  # `... | head` closed our stdout: not an error
        sys.stdout = None
        return 0


if __name__ == "__main__":
    sys.exit(main())
