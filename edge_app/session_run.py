"""Run, then summarise: the pipeline over a source into the store, then the session's summary.

The one path from video to stored summary, taken by `axolotl-edge analyze` and by a live session
(edge_app.live); the summary and its outbox message are stored together (edge_app.report).
"""

from __future__ import annotations

from typing import Callable

from edge_app.pipeline import FrameResult, Pipeline, RunResult
from edge_app.report import default_roster, summarize_session


def run_and_summarize(
    config,
    store,
    source,
    *,
    calibration=None,
    profile: str = "adult",
    player_profiles: dict | None = None,
    roster=None,
    max_frames: int | None = None,
    progress: bool = False,
    on_result: Callable[[FrameResult], None] | None = None,
    on_pipeline: Callable[[Pipeline], None] | None = None,
) -> tuple[RunResult, dict]:
    """Load the models, run the opened `source` to its end (or `max_frames`, or the pipeline's stop),
    then stitch and summarise the session. Returns (run result, stored summary).

    `on_pipeline(pipeline)` is called once the models are loaded, before the first frame (a live
    session keeps it to stop it). The source and the pipeline are closed however the run ends.
    `roster` (`report.read_roster`): stored with the session, the summary's players are its players;
    without one, the box's own (`roster.toml` in the data folder, set on the kiosk or the phone), if any."""
    roster = roster if roster is not None else default_roster()
    pipeline = None
    try:
        pipeline = Pipeline(config, store, on_result=on_result, calibration=calibration)
        if on_pipeline is not None:
            on_pipeline(pipeline)
        result = pipeline.run(source, max_frames=max_frames, progress=progress)
    finally:
        source.close()
        if pipeline is not None:
            pipeline.close()
    summary = summarize_session(
        store,
        result.session_id,
        calibration=calibration,
        profile=profile,
        player_profiles=player_profiles,
        roster=roster,
    )
    return result, summary
