"""Zeroconf (mDNS/DNS-SD) advertisement and discovery of boxes: `_axolotl._tcp.local.` (ARCHITECTURE §3).

TXT records: `id` (device id), `name`, `version`, `port` (the local API's), `paired` (`yes`/`no`).
"""

from __future__ import annotations

import re
import socket
import time

from edge_app.errors import AxolotlError, first_line
from sync.net import lan_address

SERVICE_TYPE = "_axolotl._tcp.local."


def _instance_name(name: str, device_id: str) -> str:
    label = re.sub(r"[^A-Za-z0-9 _-]", "", name or "Axolotl Edge").strip()[:40] or "Axolotl Edge"
    return f"{label} {device_id.replace('-', '')[:8]}.{SERVICE_TYPE}"  # instance labels: <= 63 bytes


def _txt(device_id: str, name: str, version: str, port: int, paired: bool) -> dict[str, str]:
    return {
        "id": device_id,
        "name": name,
        "version": version,
        "port": str(int(port)),
        "paired": "yes" if paired else "no",
    }


def _zeroconf(interfaces):
    from zeroconf import InterfaceChoice, IPVersion, Zeroconf

    if interfaces is None:
        interfaces = InterfaceChoice.All
    return Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)


class Advertisement:
    """A registered service; `update(paired=...)` re-announces, `close()` unregisters."""

    def __init__(self, zc, info, txt: dict[str, str]):
        self.zc, self.info, self.txt = zc, info, txt
        self.name = info.name

    def update(self, **changes) -> None:
        from zeroconf import ServiceInfo

        if "paired" in changes and isinstance(changes["paired"], bool):
            changes["paired"] = "yes" if changes["paired"] else "no"
        self.txt = {**self.txt, **{k: str(v) for k, v in changes.items()}}
        old = self.info
        self.info = ServiceInfo(
            old.type, old.name, port=old.port, properties=self.txt, server=old.server, addresses=old.addresses
        )
        self.zc.update_service(self.info)

    def close(self) -> None:
        if self.zc is None:
            return
        try:
            self.zc.unregister_service(self.info)
        finally:
            self.zc.close()
            self.zc = None

    def __enter__(self) -> "Advertisement":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def advertise(
    device_id: str,
    name: str,
    version: str,
    port: int,
    paired: bool,
    *,
    addresses: list[str] | None = None,
    interfaces=None,
) -> Advertisement:
    """Register `<name> <id8>._axolotl._tcp.local.` on `addresses` (default: the LAN address).

    `interfaces`: zeroconf's InterfaceChoice or a list of interface addresses (e.g. ["127.0.0.1"])."""
    from zeroconf import ServiceInfo

    addresses = addresses or [lan_address()]
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname() or "axolotl-edge")[:50]
    txt = _txt(device_id, name, version, port, paired)
    info = ServiceInfo(
        SERVICE_TYPE,
        _instance_name(name, device_id),
        port=int(port),
        properties=txt,
        server=f"{host}.local.",
        addresses=[socket.inet_aton(a) for a in addresses],
    )
    try:
        zc = _zeroconf(interfaces)
    except OSError as exc:
        raise AxolotlError(
            f"cannot start zeroconf ({first_line(exc)}); the box will not be discoverable, pair with the QR code"
        ) from None
    try:
        zc.register_service(info, allow_name_change=True)
    except Exception as exc:  # NonUniqueNameException, OSError, timeouts
        zc.close()
        raise AxolotlError(
            f"cannot advertise {SERVICE_TYPE} ({type(exc).__name__}: {first_line(exc)}); pair with the QR code"
        ) from None
    return Advertisement(zc, info, txt)


def _decode(props: dict) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else (v or ""))
        for k, v in (props or {}).items()
    }


def browse(timeout_s: float = 3.0, *, interfaces=None) -> list[dict]:
    """Boxes answering on the network within timeout_s: name, device_id, host, addresses, port, version, paired."""
    from zeroconf import ServiceBrowser, ServiceStateChange

    try:
        zc = _zeroconf(interfaces)
    except OSError as exc:
        raise AxolotlError(f"cannot start zeroconf ({first_line(exc)}); give the box's address instead") from None
    found: dict[str, None] = {}

    def on_change(zeroconf, service_type, name, state_change):
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            found[name] = None

    try:
        browser = ServiceBrowser(zc, SERVICE_TYPE, handlers=[on_change])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            time.sleep(0.05)
        browser.cancel()
        out = []
        for name in list(found):
            info = zc.get_service_info(SERVICE_TYPE, name, timeout=1000)
            if info is None:
                continue
            txt = _decode(info.properties)
            out.append(
                {
                    "name": txt.get("name", name),
                    "service": name,
                    "device_id": txt.get("id", ""),
                    "host": (info.server or "").rstrip("."),
                    "addresses": info.parsed_addresses(),
                    "port": int(txt.get("port") or info.port),
                    "version": txt.get("version", ""),
                    "paired": txt.get("paired") == "yes",
                }
            )
        return out
    finally:
        zc.close()
