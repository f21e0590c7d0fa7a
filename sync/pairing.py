"""Pairing (ARCHITECTURE §3): one-time codes, bearer tokens, the pairing URI and QR (the certificate it
pins: `sync.tls`).

State lives in its own SQLite file (`data_dir()/pairing.db`), shared by `axolotl-edge pair` (which
issues codes) and `axolotl-edge serve` (which redeems them):

- `codes`: sha256 of each one-time code, its expiry, when it was used, wrong guesses made while it was live.
- `tokens`: sha256 of each bearer token (never the token itself), its client name, created/revoked times.
- `attempts`: every redeem attempt (time, client name, source address, outcome), for the rate limit and
  for the kiosk's "someone is guessing" line; pruned to `keep_attempts_s` (a day) and `max_attempt_rows`.

Rate limit, per source address: `max_failures` (5) wrong codes from one address within `window_s` (60 s)
lock that address out for `lockout_s` (60 s), right codes included; other addresses are not affected,
so a guesser on the LAN cannot keep the real phone from pairing. Per code: a live code is burnt after
`max_failures_per_code` (10) wrong guesses in all, each address adding at most `max_failures` of them
to a code, so a code cannot be brute-forced across lockouts or addresses, and one guessing address
cannot burn it. Only an unknown code is a guess: a known code sent again (the loser of a race, a
replay, an expired or used code) is refused but counts against nobody.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import os
import secrets
import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from edge_app.errors import AxolotlError, first_line
from edge_app.store import ensure_device_id
from sync.net import DEFAULT_PORT, lan_address
from sync.tls import ensure_certificate

CODE_DIGITS = 8
URI_SCHEME = "axolotl"


class PairingRefused(AxolotlError):
    """A wrong, expired or already used code."""


class PairingRateLimited(AxolotlError):
    """Too many wrong codes: pairing is locked for a while."""

    def __init__(self, message: str, retry_after_s: float):
        super().__init__(message)
        self.retry_after_s = retry_after_s


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds")


# -- codes and tokens ----------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS codes (
    id INTEGER PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL,
    failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    client TEXT,
    source TEXT,
    ok INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_at ON attempts(at);
"""


# attempts.ok: the outcome of one redeem attempt
OK, WRONG, LOCKED, KNOWN = 1, 0, 2, 3  # paired; an unknown code (a guess); refused while locked; a used/expired code


class PairingStore:
    """One-time pairing codes and hashed bearer tokens in one SQLite file. Thread-safe; several
    processes may share the file (`pair` issues codes, `serve` redeems them)."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock=time.time,
        max_failures: int = 5,
        window_s: float = 60.0,
        lockout_s: float = 60.0,
        max_failures_per_code: int = 10,
        keep_attempts_s: float = 86400.0,
        max_attempt_rows: int = 5000,
    ):
        self.path = Path(path).expanduser()
        self.clock = clock
        self.max_failures, self.window_s, self.lockout_s = max_failures, window_s, lockout_s
        self.max_failures_per_code = max_failures_per_code
        self.keep_attempts_s, self.max_attempt_rows = keep_attempts_s, max_attempt_rows
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():  # created private: it holds token hashes
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            self._conn = sqlite3.connect(str(self.path), timeout=5.0, check_same_thread=False, isolation_level=None)
            self._conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise AxolotlError(
                f"cannot open the pairing database {self.path} ({first_line(exc)}); check AXOLOTL_EDGE_HOME"
            ) from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "PairingStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _tx(self):
        return _Tx(self._conn)

    # ---------------------------------------------------------------- codes

    def new_code(self, ttl_s: float = 120.0) -> str:
        """A one-time code of CODE_DIGITS digits, valid for ttl_s seconds; stored as its sha256 only."""
        now = self.clock()
        try:
            with self._lock, self._tx() as c:
                c.execute("DELETE FROM codes WHERE expires_at < ?", (now - 86400,))
                while True:
                    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
                    try:
                        c.execute(
                            "INSERT INTO codes (code_hash, created_at, expires_at) VALUES (?, ?, ?)",
                            (_sha256(code), now, now + float(ttl_s)),
                        )
                        return code
                    except sqlite3.IntegrityError:  # the same code issued before: draw again
                        continue
        except sqlite3.Error as exc:  # e.g. a full disk
            raise AxolotlError(
                f"cannot store a pairing code in {self.path} ({first_line(exc)}); free some space on that disk"
            ) from None

    def locked_for(self, source: str | None = None) -> float:
        """Seconds until pairing is unlocked for this source address (0: not locked)."""
        now = self.clock()
        rows = [
            r[0]
            for r in self._conn.execute(
                "SELECT at FROM attempts WHERE ok = ? AND source IS ? AND at > ? ORDER BY at DESC",
                (WRONG, source, now - self.window_s - self.lockout_s),
            )
        ]
        # locked when max_failures wrong attempts fell within one window; until lockout_s after the last one
        for i in range(len(rows) - self.max_failures + 1):
            newest, oldest = rows[i], rows[i + self.max_failures - 1]
            if newest - oldest <= self.window_s:
                return max(0.0, newest + self.lockout_s - now)
        return 0.0

    def _attempt(self, c, now: float, client_name: str, source: str | None, ok: int) -> None:
        c.execute("INSERT INTO attempts (at, client, source, ok) VALUES (?, ?, ?, ?)", (now, client_name, source, ok))
        # bounded: by age, and by count (a flood from many addresses)
        c.execute(
            "DELETE FROM attempts WHERE at < ? OR id <= (SELECT max(id) FROM attempts) - ?",
            (now - self.keep_attempts_s, self.max_attempt_rows),
        )

    def redeem(self, code: str, client_name: str, source: str | None = None) -> str:
        """Exchange a live one-time code for a new bearer token (returned once; only its hash is kept).
        `source`: the client's address (the lockout is per address).

        Raises PairingRateLimited while this address is locked, PairingRefused for a wrong, expired or used code."""
        client_name = (client_name or "").strip()[:64] or "phone"
        code = "".join(str(code or "").split())  # "1234 5678" as shown on screen
        with self._lock:
            now = self.clock()
            wait = self.locked_for(source)
            if wait > 0:
                with self._tx() as c:
                    self._attempt(c, now, client_name, source, LOCKED)
                raise PairingRateLimited(
                    f"too many wrong pairing codes from this address: locked out, try again in {int(wait) + 1} s", wait
                )
            with self._tx() as c:
                row = c.execute(
                    "SELECT id, expires_at, used_at, failures FROM codes WHERE code_hash = ?", (_sha256(code),)
                ).fetchone()
                if row is None:  # a guess: it counts against this address and every live code
                    self._count_guess(c, now, source)
                    self._attempt(c, now, client_name, source, WRONG)
                    raise PairingRefused("wrong pairing code; show a new one with `axolotl-edge pair` on the box")
                if row[2] is not None or row[1] < now or row[3] >= self.max_failures_per_code:
                    self._attempt(c, now, client_name, source, KNOWN)  # a real code, not a guess: counts against nobody
                    reason = (
                        "pairing code already used"
                        if row[2] is not None
                        else "pairing code expired"
                        if row[1] < now
                        else "pairing code burnt after too many wrong guesses"
                    )
                    raise PairingRefused(f"{reason}; show a new one with `axolotl-edge pair` on the box")
                c.execute("UPDATE codes SET used_at = ? WHERE id = ?", (now, row[0]))
                self._attempt(c, now, client_name, source, OK)
                token = "axo_" + secrets.token_urlsafe(32)
                c.execute(
                    "INSERT INTO tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
                    (uuid.uuid4().hex[:12], client_name, _sha256(token), _iso(now)),
                )
                return token

    def _count_guess(self, c, now: float, source: str | None) -> None:
        """A wrong guess counts against every live code, but one address adds at most max_failures to a code."""
        for code_id, created in c.execute(
            "SELECT id, created_at FROM codes WHERE used_at IS NULL AND expires_at >= ?", (now,)
        ).fetchall():
            (before,) = c.execute(
                "SELECT count(*) FROM attempts WHERE ok = ? AND source IS ? AND at >= ?", (WRONG, source, created)
            ).fetchone()
            if before < self.max_failures:
                c.execute("UPDATE codes SET failures = failures + 1 WHERE id = ?", (code_id,))

    def guessers(self, since_s: float = 600.0) -> list[dict]:
        """Addresses that sent wrong codes (or codes while locked out) in the last `since_s` seconds, most
        first: [{"source", "wrong", "last_at"}]; for the kiosk to show that someone is guessing."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT source, count(*), max(at) FROM attempts WHERE ok IN (?, ?) AND at > ? "
                "GROUP BY source ORDER BY count(*) DESC, max(at) DESC",
                (WRONG, LOCKED, self.clock() - since_s),
            ).fetchall()
        return [{"source": src or "this box", "wrong": n, "last_at": last} for src, n, last in rows]

    # ---------------------------------------------------------------- tokens

    def check(self, token: str | None) -> bool:
        """True for a known, unrevoked token (its sha256 compared in constant time)."""
        return self.identify(token) is not None

    def identify(self, token: str | None) -> dict | None:
        """The token's record (id, name, created_at) when valid, else None."""
        if not token:
            return None
        digest = _sha256(token)
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, name, token_hash, created_at FROM tokens WHERE revoked_at IS NULL"
            ).fetchall()
            found = None
            for tid, name, stored, created in rows:  # every row compared: no early exit
                if hmac.compare_digest(stored, digest) and found is None:
                    found = {"id": tid, "name": name, "created_at": created}
            if found:
                with self._tx() as c:
                    c.execute("UPDATE tokens SET last_used_at = ? WHERE id = ?", (_iso(self.clock()), found["id"]))
        return found

    def revoke(self, token_id_or_name: str) -> int:
        """Revoke the tokens with this id or client name; returns how many were revoked."""
        with self._lock, self._tx() as c:
            cur = c.execute(
                "UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL AND (id = ? OR name = ?)",
                (_iso(self.clock()), token_id_or_name, token_id_or_name),
            )
            return cur.rowcount

    def tokens(self) -> list[dict]:
        """Every token's id, name, created/revoked/last-used times (never the hash)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, name, created_at, revoked_at, last_used_at FROM tokens ORDER BY created_at, id"
            ).fetchall()
        return [dict(zip(("id", "name", "created_at", "revoked_at", "last_used_at"), r)) for r in rows]

    def paired(self) -> bool:
        """Whether any unrevoked token exists (the `paired` TXT record)."""
        with self._lock:
            return self._conn.execute("SELECT 1 FROM tokens WHERE revoked_at IS NULL LIMIT 1").fetchone() is not None


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT/ROLLBACK on an autocommit connection (serialises the processes)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, *exc) -> None:
        self.conn.execute("ROLLBACK" if exc_type and not issubclass(exc_type, AxolotlError) else "COMMIT")


# -- URI and QR ----------------------------------------------------------------------------------


def pairing_uri(device_id: str, host: str, port: int, code: str, fingerprint: str, name: str = "") -> str:
    """`axolotl://pair?v=1&id=...&name=...&host=...&port=...&code=...&fp=<sha256 hex>`."""
    query = {
        "v": "1",
        "id": device_id,
        "name": name,
        "host": host,
        "port": str(int(port)),
        "code": code,
        "fp": fingerprint.replace(":", "").lower(),
    }
    return f"{URI_SCHEME}://pair?" + urlencode(query)


def parse_pairing_uri(uri: str) -> dict:
    """The fields of a pairing URI: device_id, name, host, port (int), code, fingerprint. One-line error otherwise."""
    bad = f"not an Axolotl pairing URI: {uri[:80]!r}; copy it from `axolotl-edge pair` on the box"
    parts = urlsplit((uri or "").strip())
    if parts.scheme != URI_SCHEME or parts.netloc != "pair":
        raise AxolotlError(bad)
    q = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    missing = [k for k in ("id", "host", "port", "code", "fp") if not q.get(k)]
    if missing:
        raise AxolotlError(f"pairing URI lacks {', '.join(missing)}; copy it again from `axolotl-edge pair`")
    fp = q["fp"].replace(":", "").lower()
    if len(fp) != 64 or any(ch not in "0123456789abcdef" for ch in fp):
        raise AxolotlError("pairing URI has a malformed certificate fingerprint (want 64 hex digits of sha256)")
    try:
        port = int(q["port"])
        assert 0 < port < 65536
    except (ValueError, AssertionError):
        raise AxolotlError(f"pairing URI has a bad port {q['port']!r}") from None
    return {
        "device_id": q["id"],
        "name": q.get("name", ""),
        "host": q["host"],
        "port": port,
        "code": q["code"],
        "fingerprint": fp,
        "version": q.get("v", "1"),
    }


def qr_terminal(uri: str) -> str:
    """The URI as a QR code drawn with block characters (compact: two modules per character cell)."""
    import segno

    buf = io.StringIO()
    segno.make(uri, error="m").terminal(out=buf, compact=True)
    return buf.getvalue()


def qr_png(uri: str, path: str | Path, scale: int = 8) -> Path:
    """The URI as a QR code PNG (quiet zone included)."""
    import segno

    path = Path(path)
    segno.make(uri, error="m").save(str(path), kind="png", scale=scale, border=4)
    return path


# -- CLI entry points ----------------------------------------------------------------------------


def new_pairing(
    db_path: str | Path,
    data_dir: str | Path,
    port: int | None = None,
    host: str | None = None,
    name: str | None = None,
    ttl_s: float = 120.0,
) -> dict:
    """Issue a one-time code; returns the pairing URI (what the QR code holds) and its parts."""
    data_dir = Path(data_dir).expanduser()
    _, _, fp = ensure_certificate(data_dir)
    with PairingStore(data_dir / "pairing.db") as store:
        code = store.new_code(ttl_s)
    host = host or lan_address()
    uri = pairing_uri(ensure_device_id(db_path), host, port or DEFAULT_PORT, code, fp, name or socket.gethostname())
    return {"uri": uri, "code": code, "fingerprint": fp, "host": host, "expires_in_s": ttl_s}


def show_pairing(
    db_path: str | Path,
    data_dir: str | Path,
    port: int | None = None,
    host: str | None = None,
    name: str | None = None,
    ttl_s: float = 120.0,
    png: str | Path | None = None,
    out=None,
) -> dict:
    """`axolotl-edge pair`: issue a code and print the QR code, the URI and the code (for `serve` to redeem)."""
    import sys

    out = out or sys.stdout
    info = new_pairing(db_path, data_dir, port=port, host=host, name=name, ttl_s=ttl_s)
    uri, code = info["uri"], info["code"]
    if png:
        qr_png(uri, png)
    out.write(qr_terminal(uri))
    out.write(
        f"\nPairing code: {code[:4]} {code[4:]}  (valid {int(ttl_s)} s, once)\n{uri}\n"
        f"Certificate sha256: {info['fingerprint']}\n"
    )
    out.flush()
    return info
