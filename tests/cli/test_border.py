"""`pair` (cli.border) as a script and a person use it. `serve` and `pair --join` against a running
API are in tests/sync/test_cli_border.py."""

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from sync.pairing import PairingStore, parse_pairing_uri
from tests.conftest import run_cli

QR_BLOCKS = set("█▀▄")  # what the terminal QR code is drawn with


def test_pair_json_prints_only_json_with_a_code_that_redeems():
    proc = run_cli("pair", "--host", "127.0.0.1", "--port", "8555", "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)  # the whole of stdout is one JSON document
    assert not QR_BLOCKS & set(proc.stdout + proc.stderr), "no QR drawing with --json, on either stream"
    uri = parse_pairing_uri(info["uri"])
    assert (info["host"], info["port"], info["code"]) == ("127.0.0.1", 8555, uri["code"])
    assert info["device_id"] == uri["device_id"] and len(info["fingerprint"]) == 64
    expires = datetime.fromisoformat(info["expires_at"].replace("Z", "+00:00"))
    left = (expires - datetime.now(timezone.utc)).total_seconds()
    assert 0 < left <= info["expires_in_s"]
    with PairingStore(Path(os.environ["AXOLOTL_EDGE_HOME"]) / "pairing.db") as pairing:
        token = pairing.redeem(info["code"], "test-phone")  # the code it printed is the live one
        # the token it gives is one the box accepts, for the client named; one character off is not
        assert token.startswith("axo_") and pairing.check(token)
        assert pairing.identify(token)["name"] == "test-phone"
        assert not pairing.check(token[:-1] + ("A" if token[-1] != "A" else "B")) and not pairing.check("axo_")


def test_pair_for_a_person_draws_the_qr_code_and_says_the_code():
    proc = run_cli("pair", "--host", "127.0.0.1")
    assert proc.returncode == 0, proc.stderr
    assert QR_BLOCKS & set(proc.stdout) and "Pairing code: " in proc.stdout and "axolotl://" in proc.stdout
