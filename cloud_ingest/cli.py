"""`axolotl-ingest` (also `python -m cloud_ingest`): `--db ingest.db --host H --port P --username U
--password P [--ca ca.pem] [--client-id ID] [--config ingest.toml] [--once]`; runs the consumer until
SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from cloud_ingest.consumer import Ingest
from cloud_ingest.storage import open_sink


def _load_file(path) -> dict:
    path = Path(path)
    if path.suffix == ".json":
        return json.loads(path.read_text())
    import tomllib

    return tomllib.loads(path.read_text())


def build_parser() -> argparse.ArgumentParser:
    """The `axolotl-ingest` command line (also used to check packaging/cloud/docker-compose.yml)."""
    ap = argparse.ArgumentParser(prog="axolotl-ingest", description="Store session summaries from the broker, once each.")
    ap.add_argument("--db", help="SQLite path (default ingest.db) or postgresql:// URL")
    ap.add_argument("--config", help="TOML/JSON with any of: db, host, port, username, password, tls_ca, client_id, group")
    ap.add_argument("--host")
    ap.add_argument("--port", type=int)
    ap.add_argument("--username")
    ap.add_argument("--password", help="(or AXOLOTL_INGEST_PASSWORD)")
    ap.add_argument("--ca", dest="tls_ca", help="CA certificate for TLS")
    ap.add_argument("--client-id", help="a stable id per worker (the broker queues for it while it is away)")
    ap.add_argument("--group", help="shared subscription group (default ingest)")
    ap.add_argument("--no-share", action="store_true",
                    help="plain subscription (survives a Mosquitto restart; every worker gets every message)")
    ap.add_argument("--once", action="store_true", help="exit once no message came for --idle seconds")
    ap.add_argument("--idle", type=float, default=3.0)
    ap.add_argument("-v", "--verbose", action="store_true")
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    cfg = _load_file(args.config) if args.config else {}
    cfg = dict(cfg.get("ingest", cfg))
    for key in ("db", "host", "port", "username", "password", "tls_ca", "client_id", "group"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    cfg.setdefault("password", os.environ.get("AXOLOTL_INGEST_PASSWORD"))
    if not cfg.get("host"):
        print("error: give the broker with --host (or host in --config)", file=sys.stderr)
        return 2
    sink = open_sink(cfg.pop("db", "ingest.db"))
    worker = Ingest(sink, host=cfg.pop("host"), port=int(cfg.pop("port", 8883)), username=cfg.pop("username", None),
                    password=cfg.pop("password", None), tls_ca=cfg.pop("tls_ca", None),
                    client_id=cfg.pop("client_id", None),
                    group=None if args.no_share else cfg.pop("group", "ingest"))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        worker.run(stop, idle_exit=args.idle if args.once else None)
    finally:
        sink.close()
    return 0

