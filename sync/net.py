"""The box on the LAN: its local API's port and the address a phone reaches it at."""

from __future__ import annotations

import socket

DEFAULT_PORT = 8443  # the local API (`axolotl-edge serve`), also written into the pairing URI


def lan_address() -> str:
    """This box's address on the LAN (the one a default route would use; no packet is sent), else 127.0.0.1."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # TEST-NET-1: only selects the outgoing interface
        return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        s.close()
