"""Pairing (issue #5): certificate, one-time codes, hashed tokens, rate limit, QR, local API, pinned join."""

from __future__ import annotations

import json
import socket
import stat
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edge_app.errors import AxolotlError
from sync.api import create_app, make_server
from sync.join import join
from sync.live_sources import LiveSources
from sync.pairing import (
    PairingRateLimited,
    PairingRefused,
    PairingStore,
    pairing_uri,
    parse_pairing_uri,
    qr_png,
    qr_terminal,
)
from sync.tls import ensure_certificate
from tests.sync.helpers import FakeClock, FakeLive, free_port, session_with_summary

FP = "ab" * 32


@pytest.fixture
def pairing(tmp_path) -> PairingStore:
    store = PairingStore(tmp_path / "pairing.db", clock=FakeClock())
    yield store
    store.close()


# -- certificate ---------------------------------------------------------------------------------


def test_certificate_created_once_and_reused(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

    cert, key, fp = ensure_certificate(tmp_path)
    first = cert.read_bytes()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(fp) == 64
    c = x509.load_pem_x509_certificate(first)
    assert isinstance(c.public_key(), ec.EllipticCurvePublicKey) and c.public_key().curve.name == "secp256r1"
    assert (c.not_valid_after_utc - c.not_valid_before_utc).days >= 3650
    sans = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]
    assert socket.gethostname() in sans.get_values_for_type(x509.DNSName)
    assert ensure_certificate(tmp_path) == (cert, key, fp) and cert.read_bytes() == first


# -- codes and tokens ----------------------------------------------------------------------------


def test_code_is_single_use_and_expires(pairing):
    code = pairing.new_code(ttl_s=120)
    assert code.isdigit() and 6 <= len(code) <= 8
    token = pairing.redeem(code, "phone")
    assert pairing.check(token) and not pairing.check(token + "x") and not pairing.check("")
    with pytest.raises(PairingRefused, match="already used"):
        pairing.redeem(code, "phone")
    late = pairing.new_code(ttl_s=120)
    pairing.clock.t += 121
    with pytest.raises(PairingRefused, match="expired") as exc:
        pairing.redeem(late, "phone")
    assert "\n" not in str(exc.value) and isinstance(exc.value, AxolotlError)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def test_wrong_codes_are_rate_limited_then_locked(pairing):
    code = pairing.new_code(ttl_s=600)
    for _ in range(5):
        with pytest.raises(PairingRefused, match="wrong pairing code"):
            pairing.redeem(_wrong(code), "mallory")
    with pytest.raises(PairingRateLimited, match="locked") as exc:  # even the right code, while locked
        pairing.redeem(code, "phone")
    assert 0 < exc.value.retry_after_s <= 60
    pairing.clock.t += 30
    with pytest.raises(PairingRateLimited):
        pairing.redeem(code, "phone")
    pairing.clock.t += 31
    assert pairing.check(pairing.redeem(code, "phone"))  # unlocked after a minute


def test_a_code_is_burnt_after_too_many_wrong_guesses(pairing):
    code = pairing.new_code(ttl_s=3600)
    for i in range(10):  # spread out so that the per-minute lock never triggers; two addresses (5 each)
        pairing.clock.t += 20
        with pytest.raises(PairingRefused):
            pairing.redeem(_wrong(code), "mallory", source=f"10.0.0.{i % 2 + 1}")
    pairing.clock.t += 120
    with pytest.raises(PairingRefused, match="burnt"):
        pairing.redeem(code, "phone", source="10.0.0.9")


def test_the_lockout_is_per_address_and_one_address_cannot_burn_a_code(pairing):
    """Issue 13: an address guessing all along (60 wrong codes, one every 5 s) is locked out; the phone,
    at another address, still pairs on the first try, and the guesses burnt nothing."""
    code = pairing.new_code(ttl_s=3600)
    statuses = []
    for _ in range(60):
        pairing.clock.t += 5
        try:
            pairing.redeem(_wrong(code), "mallory", source="192.168.1.23")
        except PairingRateLimited:
            statuses.append(429)
        except PairingRefused:
            statuses.append(403)
    assert statuses[:5] == [403] * 5 and 429 in statuses
    with pytest.raises(PairingRateLimited):
        pairing.redeem(code, "mallory", source="192.168.1.23")  # locked out even with the right code
    assert pairing.check(pairing.redeem(code, "phone", source="192.168.1.50"))
    [g] = pairing.guessers(since_s=3600)
    assert g["source"] == "192.168.1.23" and g["wrong"] == 61


def test_honest_retries_of_a_known_code_are_not_guesses(pairing):
    """The loser of a race and a replay send a real (used) code: refused, but no lockout, and no guesser."""
    code = pairing.new_code()
    pairing.redeem(code, "phone", source="192.168.1.50")
    for _ in range(8):
        with pytest.raises(PairingRefused, match="already used"):
            pairing.redeem(code, "phone", source="192.168.1.50")
    assert pairing.locked_for("192.168.1.50") == 0 and pairing.guessers() == []
    assert pairing.check(pairing.redeem(pairing.new_code(), "tablet", source="192.168.1.50"))


def test_the_attempts_table_is_pruned_by_age_and_count(tmp_path):
    store = PairingStore(tmp_path / "p.db", clock=FakeClock(), max_attempt_rows=100, keep_attempts_s=3600)
    try:
        for i in range(400):  # unauthenticated requests from many addresses, one a second
            store.clock.t += 1
            with pytest.raises((PairingRefused, PairingRateLimited)):
                store.redeem("00000000", "m", source=f"10.0.{i // 250}.{i % 250}")
        count = lambda: store._conn.execute("SELECT count(*) FROM attempts").fetchone()[0]  # noqa: E731
        assert count() == 100
        store.clock.t += 3601
        with pytest.raises(PairingRefused):
            store.redeem("00000000", "m", source="10.9.9.9")
        assert count() == 1  # the old rows are gone
    finally:
        store.close()


def test_tokens_are_hashed_at_rest_and_revocable(tmp_path, pairing):
    token = pairing.redeem(pairing.new_code(), "pixel")
    code = pairing.new_code()
    pairing.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("pairing.db*"))
    assert token.encode() not in raw and code.encode() not in raw
    store = PairingStore(tmp_path / "pairing.db")
    [rec] = store.tokens()
    assert rec["name"] == "pixel" and rec["revoked_at"] is None and "token_hash" not in rec
    assert store.check(token)
    assert store.revoke("pixel") == 1
    assert not store.check(token) and store.tokens()[0]["revoked_at"] and not store.paired()
    store.close()


# -- URI and QR ----------------------------------------------------------------------------------


def test_pairing_uri_round_trip_and_errors():
    uri = pairing_uri("dev-1", "192.168.1.20", 8443, "12345678", FP, "Box & Co")
    assert uri.startswith("axolotl://pair?")
    assert parse_pairing_uri(uri) == {
        "device_id": "dev-1",
        "name": "Box & Co",
        "host": "192.168.1.20",
        "port": 8443,
        "code": "12345678",
        "fingerprint": FP,
        "version": "1",
    }
    for bad in ("https://pair?x=1", uri.replace("fp=" + FP, "fp=abc"), uri.replace("port=8443", "port=x")):
        with pytest.raises(AxolotlError):
            parse_pairing_uri(bad)


def test_qr_png_decodes_back_to_the_uri(tmp_path):
    import cv2

    uri = pairing_uri("6f1c2d3e-aaaa-bbbb-cccc-0123456789ab", "192.168.1.20", 8443, "12345678", FP, "Axolotl Box")
    img = cv2.imread(str(qr_png(uri, tmp_path / "qr.png")))
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert text == uri
    term = qr_terminal(uri)
    assert term.count("\n") > 10 and any(ch in term for ch in "█▀▄")


# -- local API -----------------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path):
    live = FakeLive()
    app = create_app(
        tmp_path / "sessions.db",
        tmp_path,
        on_live_start=live.start,
        on_live_stop=live.stop,
        live_metrics=live.metrics,
        live_sources=LiveSources(["cam0"], tmp_path / "recordings"),
    )
    with TestClient(app) as client:
        client.live = live
        yield client


def _pair(client, name: str = "pixel") -> str:
    code = client.app.state.pairing.new_code()
    resp = client.post("/pair", json={"code": code, "client_name": name})
    assert resp.status_code == 200, resp.text
    return resp.json()["token"]


def test_api_requires_a_token(api, tmp_path):
    routes = [
        ("get", "/sessions"),
        ("get", "/sessions/x/summary"),
        ("get", "/sessions/x/feedback"),
        ("get", "/sessions/x/players/track-1/photo"),
        ("post", "/live/start"),
        ("post", "/live/stop"),
        ("get", "/live/metrics"),
        ("post", "/cloud"),
        ("delete", "/tokens/pixel"),
        ("get", "/tokens"),
    ]
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer axo_nope"}, {"Authorization": "Basic eDp5"}):
            resp = api.request(method, path, headers=headers)
            assert resp.status_code == 401, (method, path, headers, resp.status_code)
    assert api.live.calls == []


def test_api_pairs_and_serves_sessions(api, tmp_path):
    sid = session_with_summary(tmp_path / "sessions.db")
    auth = {"Authorization": f"Bearer {_pair(api)}"}
    [s] = api.get("/sessions", headers=auth).json()
    assert s["id"] == sid
    summary = api.get(f"/sessions/{sid[:8]}/summary", headers=auth).json()
    assert summary["session_id"] == sid and summary["players"][0]["player"] == "7"
    assert api.get(f"/sessions/{sid}/feedback", headers=auth).json()["team"]["text"] == "Well run."
    assert api.get("/sessions/ffffffff/summary", headers=auth).status_code == 404


def test_api_wrong_codes_are_rate_limited(api):
    # ten wrong codes in a row: refused, then locked (from the sixth on)
    statuses = [api.post("/pair", json={"code": "00000000", "client_name": "m"}).status_code for _ in range(10)]
    assert statuses == [403] * 5 + [429] * 5
    resp = api.post("/pair", json={"code": api.app.state.pairing.new_code(), "client_name": "m"})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0


def test_api_refuses_a_revoked_token(api):
    token, other = _pair(api, "phone-a"), _pair(api, "phone-b")
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get("/sessions", headers=auth).status_code == 200
    tokens = api.get("/tokens", headers=auth).json()
    assert len(tokens) == 2 and all("hash" not in k for t in tokens for k in t)
    mine = next(t for t in tokens if t["name"] == "phone-a")
    assert api.delete(f"/tokens/{mine['id']}", headers={"Authorization": f"Bearer {other}"}).json() == {"revoked": 1}
    assert api.get("/sessions", headers=auth).status_code == 401
    assert api.get("/sessions", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_api_live_callbacks_and_metrics_stream(api):
    auth = {"Authorization": f"Bearer {_pair(api)}"}
    assert api.post("/live/start", headers=auth, json={"source": "cam0"}).json() == {"ok": True, "session_id": "live-1"}
    assert api.post("/live/stop", headers=auth).json() == {"ok": True}
    assert api.live.calls == [("start", {"source": "cam0", "options": {}}), ("stop",)]
    with api.stream("GET", "/live/metrics", headers=auth) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        data = [json.loads(line[5:]) for line in resp.iter_lines() if line.startswith("data:")]
    assert [d["t"] for d in data] == [0, 1, 2] and data[2]["players"][0]["speed"] == 7.0


def test_api_provisions_cloud_credentials(api, tmp_path):
    import tomllib

    ca_pem = ensure_certificate(tmp_path / "ca")[0].read_text()
    auth = {"Authorization": f"Bearer {_pair(api)}"}
    body = {
        "broker_url": "mqtts://broker.example:8884",
        "ca_pem": ca_pem,
        "username": "dev",
        "password": 'p"w\\d',
        "tenant": "club-1",
    }
    resp = api.post("/cloud", headers=auth, json=body)
    assert resp.status_code == 200, resp.text
    assert "password" not in resp.json()
    path = tmp_path / "sync.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cfg = tomllib.loads(path.read_text())
    from edge_app.store import SessionStore

    with SessionStore(tmp_path / "sessions.db") as store:
        assert cfg == {
            "host": "broker.example",
            "port": 8884,
            "tls_ca": str(tmp_path / "cloud-ca.pem"),
            "username": "dev",
            "password": 'p"w\\d',
            "tenant": "club-1",
            "device_id": store.device_id,
        }
    assert Path(cfg["tls_ca"]).read_text() == ca_pem
    assert api.post("/cloud", headers=auth, json={**body, "broker_url": "http://x"}).status_code == 422
    assert api.post("/cloud", headers=auth, json={**body, "ca_pem": "nope"}).status_code == 422


def test_openapi_lists_the_endpoints(api):
    spec = api.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method in [
        ("/pair", "post"),
        ("/cloud", "post"),
        ("/sessions", "get"),
        ("/sessions/{session_id}/summary", "get"),
        ("/sessions/{session_id}/feedback", "get"),
        ("/live/start", "post"),
        ("/live/stop", "post"),
        ("/live/metrics", "get"),
        ("/tokens/{name}", "delete"),
        ("/sessions/{session_id}/players/{player}/photo", "get"),
        ("/sessions/{session_id}/questions", "get"),
        ("/sessions/{session_id}/questions/{track_id}", "post"),
        ("/sessions/{session_id}/tracks/{track_id}/photo", "get"),
    ]:
        assert method in paths[path], path
        assert paths[path][method].get("security") or path == "/pair", path  # the token, as every route but /pair
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


# -- end to end over TLS -------------------------------------------------------------------------


def test_join_over_tls_pins_the_certificate(tmp_path):
    cert, key, fp = ensure_certificate(tmp_path / "box")
    app = create_app(tmp_path / "box" / "sessions.db", tmp_path / "box")
    port = free_port()
    server = make_server(app, "127.0.0.1", port, cert, key)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        pairing = app.state.pairing
        other_fp = ensure_certificate(tmp_path / "other")[2]
        code = pairing.new_code()
        with pytest.raises(AxolotlError, match="different TLS certificate") as exc:
            join(pairing_uri("dev", "127.0.0.1", port, code, other_fp, "box"), "cli")
        assert "\n" not in str(exc.value)
        # the request channel itself trusts only the pinned certificate: another one fails the handshake
        import httpx
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        from sync.join import pinned_context

        other_der = x509.load_pem_x509_certificate((tmp_path / "other" / "tls" / "cert.pem").read_bytes()).public_bytes(
            Encoding.DER
        )
        with pytest.raises(httpx.ConnectError):
            httpx.post(f"https://127.0.0.1:{port}/pair", json={"code": code}, verify=pinned_context(other_der))
        token = join(pairing_uri("dev", "127.0.0.1", port, code, fp, "box"), "cli")  # the code was not spent above
        assert pairing.check(token) and pairing.tokens()[0]["name"] == "cli"
        with pytest.raises(AxolotlError, match="already used"):
            join(pairing_uri("dev", "127.0.0.1", port, code, fp, "box"), "cli")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# -- zeroconf ------------------------------------------------------------------------------------


def test_advertise_and_browse_on_loopback():
    from sync.discovery import advertise, browse

    try:
        ad = advertise(
            "6f1c2d3e-aaaa-bbbb-cccc-0123456789ab",
            "Test Box",
            "0.1.0",
            8443,
            False,
            addresses=["127.0.0.1"],
            interfaces=["127.0.0.1"],
        )
    except AxolotlError as exc:
        pytest.skip(f"zeroconf cannot register here: {exc}")
    try:
        try:
            found = browse(1.5, interfaces=["127.0.0.1"])
        except AxolotlError as exc:
            pytest.skip(f"zeroconf cannot browse here: {exc}")
        mine = [b for b in found if b["device_id"] == "6f1c2d3e-aaaa-bbbb-cccc-0123456789ab"]
        if not mine:
            pytest.skip("no multicast loopback here: the advertisement was not seen")
        assert mine[0]["port"] == 8443 and mine[0]["paired"] is False and mine[0]["version"] == "0.1.0"
        assert mine[0]["name"] == "Test Box" and "127.0.0.1" in mine[0]["addresses"]
    finally:
        ad.close()
