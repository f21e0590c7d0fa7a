"""The device's border (sync/): `serve` (the phone's API), `pair` (the pairing code and QR, or
`--join` as the phone), `sync` (the MQTT uplink of stored summaries)."""

from __future__ import annotations

from cli.common import calibration, db_path, emit
from edge_app.errors import AxolotlError


def cmd_serve(args) -> int:
    from edge_app import player_edits
    from edge_app.config import data_dir, load_config
    from edge_app.live import LiveSession
    from sync.api import LiveBroadcaster, run_serve

    cfg = load_config(args.config)
    db = db_path(args)
    broadcaster = LiveBroadcaster()
    live = LiveSession(
        cfg, db, publish=broadcaster.publish, calibration=calibration(args.calibration), profile=args.profile
    )

    def on_live_start(options: dict) -> dict:
        live.start(options.get("source") or args.camera)
        return {"running": True}

    def on_live_stop() -> dict:
        return {"session_id": live.stop(), "error": live.error}

    run_serve(
        db,
        data_dir(),
        host=args.host,
        port=args.port,
        name=args.name,
        cameras=[args.camera, cfg.session.camera],  # what a phone may name besides the recordings
        on_live_start=on_live_start,
        on_live_stop=on_live_stop,
        live_metrics=broadcaster.subscribe,
        questions=player_edits.questions,  # sync may not import the edits: handed in
        on_answer=player_edits.answer,
    )
    return 0


def cmd_pair(args) -> int:
    from edge_app.config import data_dir

    if args.join:
        from sync.join import join

        token = join(args.join, client_name=args.client_name)
        emit(args, {"token": token}, f"paired; token: {token}\n(keep it: send it as 'Authorization: Bearer <token>')")
        return 0
    if args.json:  # for a script: the code and URI as data, no QR drawing on either stream
        import time
        from datetime import datetime, timezone

        from sync.pairing import new_pairing, parse_pairing_uri

        info = new_pairing(db_path(args), data_dir(), port=args.port, host=args.host)
        expires = datetime.fromtimestamp(time.time() + info["expires_in_s"], timezone.utc)
        uri = parse_pairing_uri(info["uri"])
        emit(
            args,
            {
                **info,
                "port": uri["port"],
                "device_id": uri["device_id"],
                "name": uri["name"],
                "expires_at": expires.isoformat(timespec="seconds").replace("+00:00", "Z"),
            },
            "",
        )
        return 0
    from sync.pairing import show_pairing

    show_pairing(db_path(args), data_dir(), port=args.port, host=args.host)
    return 0


def cmd_sync(args) -> int:
    from edge_app.store import SessionStore
    from sync.uplink import SyncConfig, Uplink, status_text

    db = db_path(args)
    config = SyncConfig.load(args.sync_config)
    if args.action == "status":
        with SessionStore(db) as store:
            if args.json:
                emit(args, {"configured": config is not None, "outbox": store.outbox_counts()}, "")
            else:
                print(status_text(store, config))
        return 0
    if config is None:
        raise AxolotlError(
            "sync is not configured: pair a phone and send cloud credentials (POST /cloud), "
            "or write sync.toml in the data folder"
        )
    with Uplink(db, config) as uplink:
        if args.once:
            from sync.uplink import ConnectFailed

            try:
                result = uplink.run_once(timeout=args.timeout)
            except ConnectFailed as exc:
                raise AxolotlError(
                    f"cannot reach the broker {config.host}:{config.port} ({exc}); "
                    "the summaries stay in the outbox and go out on the next run"
                ) from None
            emit(args, result, f"sync: {result}")
        else:
            import threading

            stop = threading.Event()
            try:
                uplink.run_forever(stop)
            except KeyboardInterrupt:
                stop.set()
    return 0


def add_serve(sub, common) -> None:
    sv = sub.add_parser("serve", parents=[common], help="the local API for the paired phone (TLS) + zeroconf")
    sv.add_argument("--host", default="0.0.0.0")
    sv.add_argument("--port", type=int, default=8443)
    sv.add_argument("--name", help="the box's name on the network")
    sv.add_argument("--camera", default="0", help="default source for live sessions started from the phone")
    sv.add_argument("--calibration", help="pitch calibration for live sessions")
    sv.add_argument("--profile", default="adult")
    sv.set_defaults(func=cmd_serve)


def add_pair(sub, common) -> None:
    pa = sub.add_parser(
        "pair", parents=[common], help="show the pairing QR code and code; --join URI acts as the phone"
    )
    pa.add_argument("--join", metavar="URI", help="pair with a box from its QR URI (pins its certificate)")
    pa.add_argument("--client-name", default="cli")
    pa.add_argument("--port", type=int, help="the API port in the QR (default: serve's)")
    pa.add_argument("--host", help="the address the phone should use (default: this box's LAN address)")
    pa.set_defaults(func=cmd_pair)


def add_sync(sub, common) -> None:
    sy = sub.add_parser("sync", parents=[common], help="MQTT uplink of stored summaries: run [--once], status")
    sy.add_argument("action", choices=["run", "status"])
    sy.add_argument("--once", action="store_true", help="send what is due, wait for the acks, exit")
    sy.add_argument("--timeout", type=float, default=60.0)
    sy.add_argument("--sync-config", help="sync.toml (default: the data folder's, written at pairing)")
    sy.set_defaults(func=cmd_sync)
