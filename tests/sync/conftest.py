"""The border's fixtures: a real Mosquitto (`broker`, `tls_broker`) and subprocesses killed after the
test (`procs`); they and the helpers behind them live in tests/sync/helpers.py."""

from tests.sync.helpers import broker, procs, tls_broker  # noqa: F401 (fixtures)
