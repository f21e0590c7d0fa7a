"""`axolotl-edge pair --join URI`: act as the phone. Pin the box's certificate, send the code, get a token.

Pinning: the peer certificate is fetched first (no CA check) and its DER sha256 compared with the
URI's fingerprint; the request itself then goes over an SSL context that trusts that one certificate
only, so a certificate swapped in between fails the handshake too.
"""

from __future__ import annotations

import hmac
import socket
import ssl

from edge_app.errors import AxolotlError, first_line
from sync.pairing import parse_pairing_uri
from sync.tls import cert_fingerprint


def fetch_peer_certificate(host: str, port: int, timeout_s: float = 10.0) -> bytes:
    """The DER certificate the server at host:port presents (not verified)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise AxolotlError(
            f"cannot reach the box at {host}:{port} over TLS ({first_line(exc)}); is `axolotl-edge serve` running and on this network?"
        ) from None
    if not der:
        raise AxolotlError(f"the box at {host}:{port} presented no certificate")
    return der


def pinned_context(der: bytes) -> ssl.SSLContext:
    """An SSL context that trusts exactly this (self-signed) certificate; host names are not checked
    (the box is reached by a LAN address that changes; the pin is what authenticates it)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=der)
    return ctx


def join(uri: str, client_name: str = "cli", timeout_s: float = 10.0) -> str:
    """Pair with the box named by a pairing URI; returns the bearer token.

    Raises a one-line AxolotlError when the certificate does not match the URI's fingerprint
    (nothing is sent then), or when the box refuses the code."""
    import httpx

    info = parse_pairing_uri(uri)
    host, port = info["host"], info["port"]
    der = fetch_peer_certificate(host, port, timeout_s)
    seen = cert_fingerprint(der)
    if not hmac.compare_digest(seen, info["fingerprint"]):
        raise AxolotlError(
            f"the box at {host}:{port} presented a different TLS certificate (sha256 {seen[:16]}..., "
            f"expected {info['fingerprint'][:16]}...); not sending the code: scan a fresh QR code on the box"
        )
    url_host = f"[{host}]" if ":" in host else host
    try:
        with httpx.Client(verify=pinned_context(der), timeout=timeout_s) as client:
            resp = client.post(
                f"https://{url_host}:{port}/pair", json={"code": info["code"], "client_name": client_name}
            )
    except httpx.HTTPError as exc:
        raise AxolotlError(f"pairing with {host}:{port} failed ({type(exc).__name__}: {first_line(exc)})") from None
    if resp.status_code != 200:
        try:
            detail = resp.json().get("detail")
        except ValueError:
            detail = resp.text[:200]
        raise AxolotlError(f"the box refused pairing (HTTP {resp.status_code}): {detail}")
    return resp.json()["token"]
