"""Shared by the border's tests (tests/sync) and the cloud ingest's (tests/cloud_ingest): a real
Mosquitto on a free loopback port (password file + ACL, persistence), summaries to send, the uplink
and the ingest as subprocesses, and the local API's fakes. The fixtures over these are in conftest.py."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or (
    "/usr/bin/mosquitto_passwd" if Path("/usr/bin/mosquitto_passwd").exists() else None
)
TENANT = "club1"
RIVAL = "rival-club"
USERS = {"dev-a": "pw-a", "dev-b": "pw-b", "rival-1": "pw-r", "ingest": "pw-ingest"}
DEVICES = {"dev-a": TENANT, "dev-b": TENANT, "rival-1": RIVAL}  # device -> tenant, in the broker and the ingest
ACL = REPO / "packaging" / "mosquitto" / "acl"
ADD_DEVICE = REPO / "packaging" / "mosquitto" / "add-device.sh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certs(folder: Path) -> dict:
    """A CA and a server certificate for 127.0.0.1 / localhost, with `cryptography`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "axolotl test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"ca": folder / "ca.pem", "cert": folder / "server.pem", "key": folder / "server.key"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


class Broker:
    """mosquitto -c <generated conf>; stop() keeps its persistence, start() brings it back on the same port.

    The ACL is packaging/mosquitto/acl with each device of DEVICES added by packaging/mosquitto/add-device.sh;
    `acl` replaces it whole (a misconfigured broker)."""

    def __init__(self, folder: Path, tls: bool = False, acl: str | None = None):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.host = "127.0.0.1"
        self.proc: subprocess.Popen | None = None
        self.certs = make_certs(folder / "certs") if tls else None
        passwd, acl_file = folder / "passwd", folder / "acl"
        passwd.write_text("")
        subprocess.run(
            [MOSQUITTO_PASSWD, "-b", str(passwd), "ingest", USERS["ingest"]], check=True, capture_output=True
        )
        acl_file.write_text(ACL.read_text())
        env = {
            **os.environ,
            "AXOLOTL_MQTT_PASSWD": str(passwd),
            "AXOLOTL_MQTT_ACL": str(acl_file),
            "PATH": f"{Path(MOSQUITTO_PASSWD).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        for device, tenant in DEVICES.items():
            subprocess.run(
                ["bash", str(ADD_DEVICE), device, tenant, USERS[device]], check=True, capture_output=True, env=env
            )
        if acl is not None:
            acl_file.write_text(acl)
        (folder / "data").mkdir(exist_ok=True)
        lines = [
            "per_listener_settings false",
            "allow_anonymous false",
            f"password_file {passwd}",
            f"acl_file {acl_file}",
            f"listener {self.port} 127.0.0.1",
            "persistence true",
            f"persistence_location {folder / 'data'}/",
            "autosave_interval 1",
            "max_queued_messages 100000",
            "max_inflight_messages 100",
            f"log_dest file {folder / 'mosquitto.log'}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
        ]
        if tls:
            lines += [f"cafile {self.certs['ca']}", f"certfile {self.certs['cert']}", f"keyfile {self.certs['key']}"]
        if os.geteuid() == 0:
            lines.append("user root")
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self, wait: float = 10.0) -> None:
        assert self.proc is None
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "mosquitto.stderr", "ab"),
        )
        t_end = time.monotonic() + wait
        while time.monotonic() < t_end:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"mosquitto exited ({self.proc.returncode}): "
                    f"{(self.folder / 'mosquitto.stderr').read_text()[-2000:]}"
                )
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        """SIGTERM: mosquitto writes its persistence file and exits."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def sync_config(self, device: str = "dev-a", **kw) -> dict:
        cfg = {
            "host": "localhost" if self.certs else self.host,
            "port": self.port,
            "username": device,
            "password": USERS[device],
            "tenant": DEVICES[device],
            "device_id": device,
            "client_id": f"box-{device}",
            "backoff_initial": 0.2,
            "backoff_max": 1.0,
            "retry_initial": 0.2,
            "retry_max": 1.0,
            "ack_timeout": 5.0,
        }
        if self.certs:
            cfg["tls_ca"] = str(self.certs["ca"])
        cfg.update(kw)
        return cfg


# --------------------------------------------------------------------------- data


def make_summary(session_id: str, device_id: str, players: int = 1) -> dict:
    from edge_app.summary import DataQuality, PlayerSummary, ProfileInfo, SessionSummary, ZoneStat

    zones = [
        ZoneStat(name=n, lower=lo, upper=up, time_s=10.0, distance=30.0)
        for n, lo, up in (("walk", 0, 2), ("jog", 2, 4), ("run", 4, 5.5), ("hsr", 5.5, 7), ("sprint", 7, None))
    ]
    ps = [
        PlayerSummary(
            player=f"track-{i}",
            track_ids=[i],
            distance=123.4 + i,
            top_speed=6.5,
            zones=zones,
            hsr_distance=12.0,
            sprint_count=0,
            sprints=[],
            acceleration_count=0,
            deceleration_count=0,
            accelerations=[],
            decelerations=[],
            work_rate_per_min=80.0,
            heatmap=[[0.1] * 10 for _ in range(6)] if i < 0 else [],
            quality=DataQuality(
                tracked_time_s=50,
                fraction_seen=0.9,
                gaps=1,
                gap_time_s=1.0,
                interpolated_time_s=0.5,
                outliers_dropped=0,
                ids_merged=0,
            ),
        )
        for i in range(1, players + 1)
    ]
    s = SessionSummary(
        session_id=session_id,
        device_id=device_id,
        started_at="2025-01-01T10:00:00.000Z",
        ended_at="2025-01-01T10:01:00.000Z",
        status="completed",
        source="test",
        calibration=None,
        units="px",
        profile=ProfileInfo(name="adult", mode="absolute", thresholds={"sprint": 7.0}),
        models={"detector": "test"},
        duration_s=60.0,
        players=ps,
    )
    return s.to_json_dict()


def fill_store(path: Path, n: int, players: int = 1) -> list[str]:
    """n ended sessions, each with a summary saved with enqueue=True. Returns the session ids."""
    from edge_app.store import SessionStore

    sids = []
    with SessionStore(path) as store:
        for _ in range(n):
            sid = store.start_session("test")
            store.end_session(sid)
            store.save_summary(sid, make_summary(sid, store.device_id, players), enqueue=True)
            sids.append(sid)
    return sids


# --------------------------------------------------------------------------- processes


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Proc:
    def __init__(self, args: list[str], log: Path):
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, *args], cwd=REPO, env=_env(), stdout=open(log, "ab"), stderr=subprocess.STDOUT
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, needle: str, timeout: float = 20.0) -> None:
        t_end = time.monotonic() + timeout
        while time.monotonic() < t_end:
            if needle in self.text():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"process exited ({self.proc.returncode}):\n{self.text()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"'{needle}' not seen in {self.log}:\n{self.text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def register_devices(db: Path, devices: dict | None = None) -> None:
    """`axolotl-ingest --add-device` for each device (default: DEVICES), as an operator would."""
    args = [a for d, t in (DEVICES if devices is None else devices).items() for a in ("--add-device", d, t)]
    subprocess.run(
        [sys.executable, "-m", "cloud_ingest", "--db", str(db), *args],
        cwd=REPO,
        env=_env(),
        check=True,
        capture_output=True,
    )


def start_ingest(
    procs,
    broker: Broker,
    db: Path,
    client_id: str = "ingest-1",
    share: bool = True,
    register: bool = True,
    extra: tuple = (),
) -> Proc:
    if register:
        register_devices(db)
    args = [
        "-m",
        "cloud_ingest",
        "--db",
        str(db),
        "--host",
        "localhost" if broker.certs else broker.host,
        "--port",
        str(broker.port),
        "--username",
        "ingest",
        "--password",
        USERS["ingest"],
        "--client-id",
        client_id,
    ]
    if broker.certs:
        args += ["--ca", str(broker.certs["ca"])]
    if not share:
        args.append("--no-share")
    args += list(extra)
    p = procs(args, db.parent / f"{client_id}.log")
    p.wait_for("subscribed to")
    return p


def start_uplink(procs, db: Path, config: dict, name: str = "uplink") -> Proc:
    cfg = db.parent / f"{name}.json"
    cfg.write_text(json.dumps(config))
    return procs(["-m", "sync.uplink", "--db", str(db), "--config", str(cfg)], db.parent / f"{name}.log")


def ingest_counts(db: Path) -> dict:
    if not db.exists():
        return {"rows": 0, "messages": 0, "sessions": 0, "rejected": 0}
    conn = sqlite3.connect(db, timeout=30)
    try:
        rows, messages, sessions = conn.execute(
            "SELECT count(*), count(DISTINCT device_id || '/' || message_id), count(DISTINCT session_id) FROM received"
        ).fetchone()
        rejected = conn.execute("SELECT count(*) FROM rejected").fetchone()[0]
    except sqlite3.OperationalError:
        return {"rows": 0, "messages": 0, "sessions": 0, "rejected": 0}
    finally:
        conn.close()
    return {"rows": rows, "messages": messages, "sessions": sessions, "rejected": rejected}


def outbox_counts(db: Path) -> dict:
    conn = sqlite3.connect(db, timeout=30)
    try:
        out = {"pending": 0, "sent": 0, "failed": 0}
        out.update(dict(conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall()))
        return out
    finally:
        conn.close()


def wait_until(pred, timeout: float, what: str, step: float = 0.1):
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


BACKLOG = 220
RATE = 100.0  # messages/s: the backlog takes ~2 s, so the faults land in the middle of it


def ingest_stats(proc: Proc) -> dict:
    """Stop an ingest process and return the stats it logs on the way out."""
    proc.stop()
    line = [ln for ln in proc.text().splitlines() if "ingest stopped:" in ln][-1]
    return json.loads(line.split("ingest stopped:", 1)[1])


def assert_exactly_once(ingest_db: Path, edge_db: Path, n: int) -> None:
    """n summaries in the ingest, each once, and all n sent in the box's outbox."""
    wait_until(
        lambda: ingest_counts(ingest_db)["rows"] >= n and outbox_counts(edge_db)["sent"] == n,
        60,
        f"{n} summaries in the ingest and sent in the outbox",
    )
    time.sleep(0.5)  # late redeliveries would show up now
    c = ingest_counts(ingest_db)
    assert c == {"rows": n, "messages": n, "sessions": n, "rejected": 0}, c
    assert outbox_counts(edge_db) == {"pending": 0, "sent": n, "failed": 0}


# --------------------------------------------------------------------------- the local API


class FakeClock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


class FakeLive:
    """Records the live start/stop calls the API makes, and serves three metrics messages."""

    def __init__(self):
        self.calls: list[tuple] = []

    def start(self, options: dict) -> dict:
        self.calls.append(("start", options))
        return {"ok": True, "session_id": "live-1"}

    async def stop(self) -> None:
        self.calls.append(("stop",))

    async def metrics(self):
        for i in range(3):
            yield {"t": i, "players": [{"player": "7", "speed": 5.0 + i}]}


def session_with_summary(db: Path) -> str:
    import numpy as np

    from edge_app.report import positions_summary
    from edge_app.store import SessionStore

    t = np.arange(0, 10, 0.1)
    with SessionStore(db) as store:
        sid = store.start_session("test.csv")
        store.end_session(sid)
        summary = positions_summary({"7": (t, np.c_[t * 3, t * 0 + 10])}, source="test.csv", device_id=store.device_id)
        summary["session_id"] = sid
        summary["feedback"] = {"team": {"text": "Well run."}, "players": []}
        store.save_summary(sid, summary)
    return sid


# --------------------------------------------------------------------------- fixtures (re-exported by the conftests)


@pytest.fixture
def broker(tmp_path):
    if not MOSQUITTO or not MOSQUITTO_PASSWD:
        pytest.skip("mosquitto is not installed")
    b = Broker(tmp_path / "broker")
    b.start()
    yield b
    b.kill()


@pytest.fixture
def tls_broker(tmp_path):
    if not MOSQUITTO or not MOSQUITTO_PASSWD:
        pytest.skip("mosquitto is not installed")
    b = Broker(tmp_path / "tls-broker", tls=True)
    b.start()
    yield b
    b.kill()


@pytest.fixture
def procs():
    started: list[Proc] = []

    def start(args, log):
        p = Proc(args, log)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()


# --------------------------------------------------------------------------- a device's raw MQTT client


class RawDevice:
    """A device's credentials in a plain paho client (no uplink): publishes what a test chooses and
    records each PUBACK's reason code."""

    def __init__(self, broker: Broker, device: str, client_id: str | None = None):
        import paho.mqtt.client as mqtt

        self.acks: dict = {}
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or f"raw-{device}", protocol=mqtt.MQTTv5
        )
        self.client.username_pw_set(device, USERS[device])
        self.client.on_publish = lambda _c, _u, mid, rc, _p: self.acks.__setitem__(mid, rc)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def publish(self, topic: str, payload, message_id: str | None = None, ctype: str = "application/json"):
        """Publish at QoS 1 and return the broker's PUBACK reason code."""
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.PUBLISH)
        props.ContentType = ctype
        if message_id:
            props.UserProperty = [("message_id", message_id)]
        info = self.client.publish(topic, payload, qos=1, properties=props)
        info.wait_for_publish(30)
        return wait_until(lambda: self.acks.get(info.mid), 30, "PUBACK")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
