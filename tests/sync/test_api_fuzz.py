"""The local API's OpenAPI schema, fuzzed with schemathesis: no input gives a 500."""

import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from edge_app import player_edits  # noqa: E402
from sync.api import create_app  # noqa: E402
from tests.sync.helpers import FakeLive, session_with_summary  # noqa: E402

_home = Path(tempfile.mkdtemp(prefix="axolotl-fuzz-"))
_db = _home / "sessions.db"
SESSION = session_with_summary(_db)
_live = FakeLive()
app = create_app(
    _db,
    _home,
    on_live_start=_live.start,
    on_live_stop=_live.stop,
    live_metrics=_live.metrics,
    questions=player_edits.questions,  # as `serve` hands them in
    on_answer=player_edits.answer,
)
TOKEN = app.state.pairing.redeem(app.state.pairing.new_code(), "fuzzer")
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error(case):
    if case.path == "/tokens/{name}" and case.method == "DELETE":
        case.path_parameters = {"name": "someone-else"}  # keep the fuzzer's own token alive
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=[not_a_server_error])
