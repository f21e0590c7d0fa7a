"""`axolotl-ingest` (also `python -m cloud_ingest`): `--db ingest.db --host H --port P --username U
--password P [--ca ca.pem] [--client-id ID] [--config ingest.toml] [--max-attempts N] [--once]`; runs the
consumer until SIGTERM/SIGINT. `--add-device DEVICE TENANT` registers a device with its tenant and exits
(the ingest rejects summaries of unregistered devices and of devices writing under another tenant)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
import threading
from pathlib import Path

from cloud_ingest.consumer import Ingest
from cloud_ingest.storage import open_sink

_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}")


def _load_file(path) -> dict:
    path = Path(path)
    if path.suffix == ".json":
        return json.loads(path.read_text())
    import tomllib

    return tomllib.loads(path.read_text())


def build_parser() -> argparse.ArgumentParser:
    """The `axolotl-ingest` command line (also used to check packaging/cloud/docker-compose.yml)."""
    ap = argparse.ArgumentParser(
        prog="axolotl-ingest", description="Store session summaries from the broker, once each."
    )
    ap.add_argument("--db", help="SQLite path (default ingest.db) or postgresql:// URL")
    ap.add_argument(
        "--config",
        help="TOML/JSON with any of: db, host, port, username, password, tls_ca, client_id, group, max_attempts",
    )
    ap.add_argument("--host")
    ap.add_argument("--port", type=int)
    ap.add_argument("--username")
    ap.add_argument("--password", help="(or AXOLOTL_INGEST_PASSWORD)")
    ap.add_argument("--ca", dest="tls_ca", help="CA certificate for TLS")
    ap.add_argument("--client-id", help="a stable id per worker (the broker queues for it while it is away)")
    ap.add_argument("--group", help="shared subscription group (default ingest)")
    ap.add_argument(
        "--no-share",
        action="store_true",
        help="plain subscription (survives a Mosquitto restart; every worker gets every message)",
    )
    ap.add_argument(
        "--max-attempts",
        type=int,
        help="storage failures of one message before it goes to the dead_letter table (default 5)",
    )
    ap.add_argument(
        "--add-device",
        nargs=2,
        action="append",
        metavar=("DEVICE_ID", "TENANT"),
        help="register a device with its tenant (repeatable) and exit",
    )
    ap.add_argument("--once", action="store_true", help="exit once no message came for --idle seconds")
    ap.add_argument("--idle", type=float, default=3.0)
    ap.add_argument("-v", "--verbose", action="store_true")
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    cfg = _load_file(args.config) if args.config else {}
    cfg = dict(cfg.get("ingest", cfg))
    for key in ("db", "host", "port", "username", "password", "tls_ca", "client_id", "group", "max_attempts"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    cfg.setdefault("password", os.environ.get("AXOLOTL_INGEST_PASSWORD"))
    if args.add_device:
        sink = open_sink(cfg.get("db", "ingest.db"))
        try:
            for device_id, tenant in args.add_device:
                if not _NAME.fullmatch(device_id) or not _NAME.fullmatch(tenant):
                    print(
                        f"error: device id and tenant are topic levels: letters, digits, '.', '_', '-' "
                        f"(not {device_id!r} {tenant!r})",
                        file=sys.stderr,
                    )
                    return 2
                sink.register_device(device_id, tenant)
                print(f"registered {device_id} with tenant {tenant}")
        finally:
            sink.close()
        return 0
    if not cfg.get("host"):
        print("error: give the broker with --host (or host in --config)", file=sys.stderr)
        return 2
    sink = open_sink(cfg.pop("db", "ingest.db"))
    worker = Ingest(
        sink,
        host=cfg.pop("host"),
        port=int(cfg.pop("port", 8883)),
        username=cfg.pop("username", None),
        password=cfg.pop("password", None),
        tls_ca=cfg.pop("tls_ca", None),
        client_id=cfg.pop("client_id", None),
        group=None if args.no_share else cfg.pop("group", "ingest"),
        max_attempts=int(cfg.pop("max_attempts", 5)),
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        worker.run(stop, idle_exit=args.idle if args.once else None)
    finally:
        sink.close()
    return 0
