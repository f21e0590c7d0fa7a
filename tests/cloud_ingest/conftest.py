"""The ingest's fixtures: the same real Mosquitto and subprocesses as the border's (tests/sync/helpers.py)."""

from tests.sync.helpers import broker, procs, tls_broker  # noqa: F401 (fixtures)
