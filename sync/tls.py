"""The box's TLS identity: its self-signed certificate, the certificate's fingerprint (what a pairing
URI pins) and owner-only files for keys and credentials."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import socket
from pathlib import Path

from edge_app.errors import AxolotlError, first_line


def cert_fingerprint(cert_pem_or_der: bytes) -> str:
    """sha256 (hex, lower case) of a certificate's DER encoding."""
    if cert_pem_or_der.lstrip().startswith(b"-----BEGIN"):
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        cert_pem_or_der = x509.load_pem_x509_certificate(cert_pem_or_der).public_bytes(Encoding.DER)
    return hashlib.sha256(cert_pem_or_der).hexdigest()


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only (created 0600, replaced atomically)."""
    _write_atomic(path, data, 0o600)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write `path` through `<path>.tmp` and a rename; on failure (a full disk) the temporary file is
    removed and a one-line AxolotlError says what to do."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AxolotlError(
            f"cannot write {path} ({exc.strerror or first_line(exc)}); free some space on that disk "
            "or point AXOLOTL_EDGE_HOME at a writable folder"
        ) from None


def ensure_certificate(data_dir: str | Path) -> tuple[Path, Path, str]:
    """The box's self-signed TLS certificate (ECDSA P-256, 10 years), made on first start and reused.

    Returns (cert_path, key_path, sha256 fingerprint hex of the certificate's DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = Path(data_dir).expanduser() / "tls"
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    if cert_path.exists() and key_path.exists():
        try:
            return cert_path, key_path, cert_fingerprint(cert_path.read_bytes())
        except (OSError, ValueError) as exc:
            raise AxolotlError(
                f"cannot read the TLS certificate {cert_path} ({first_line(exc)}); delete {folder} to make a new one (phones must pair again)"
            ) from None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AxolotlError(f"cannot create {folder} ({exc.strerror or exc}); check AXOLOTL_EDGE_HOME") from None

    key = ec.generate_private_key(ec.SECP256R1())
    hostname = socket.gethostname() or "axolotl-edge"
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, hostname[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Axolotl Edge"),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    sans = [x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    if hostname != "localhost":
        sans.insert(1, x509.DNSName("localhost"))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3652))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    write_private(
        key_path,
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    _write_atomic(cert_path, cert_pem, 0o644)
    return cert_path, key_path, cert_fingerprint(cert_pem)
