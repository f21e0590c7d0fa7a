"""Run, then summarise (edge_app.session_run): the one path of `analyze` and a live session."""

import pytest

from edge_app.capture import open_source
from edge_app.config import load_config
from edge_app.errors import AxolotlError
from edge_app.session_run import run_and_summarize
from edge_app.store import SessionStore
from tests.conftest import SAMPLE


def test_the_run_is_summarised_and_the_pipeline_handed_out_before_the_first_frame(tmp_path):
    cfg = load_config(overrides={"detector": {"input_size": 320}, "pose": {"enabled": False}})
    seen = []
    with SessionStore(tmp_path / "r.db") as store:
        source = open_source(str(SAMPLE), queue_size=cfg.pipeline.queue_size)
        result, summary = run_and_summarize(
            cfg,
            store,
            source,
            max_frames=15,
            on_pipeline=lambda p: seen.append(p),
            on_result=lambda r: seen.append(r.frame.index),
        )
        assert source.closed
        assert seen[0].session_id == result.session_id and seen[1:] == list(range(15))
        assert store.get_summary(result.session_id) == summary and summary["session_id"] == result.session_id
        assert [r["session_id"] for r in store.outbox_rows()] == [result.session_id]  # queued for the cloud


def test_a_model_that_cannot_load_still_closes_the_source(tmp_path):
    cfg = load_config(overrides={"detector": {"model": str(tmp_path / "missing.onnx")}})
    with SessionStore(tmp_path / "r.db") as store:
        source = open_source(str(SAMPLE), queue_size=cfg.pipeline.queue_size)
        with pytest.raises(AxolotlError):
            run_and_summarize(cfg, store, source)
        assert source.closed and store.list_sessions() == []
