"""The live re-linker's own time (issue #16 item 3): `LiveIdentity.update` timed call by call inside a real
paced run of the sample clip (the product's live defaults, pose off), with and without a 1.5 s blackout
that makes every track break (tests/test_live_names.py's `DropoutCapture`).

    PYTHONPATH=. python benchmarks/bench_live_identity.py
"""

from __future__ import annotations

import time

import numpy as np

from edge_app.config import load_config
from edge_app.identity.live import LiveIdentity
from edge_app.pipeline import Pipeline
from edge_app.pitch import Calibration
from tests.test_live_names import CALIBRATION, break_figures, run_with_dropout


def main() -> None:
    times: list[float] = []
    real = LiveIdentity.update

    def timed(self, *a, **kw):
        t0 = time.perf_counter()
        out = real(self, *a, **kw)
        times.append((time.perf_counter() - t0) * 1e3)
        return out

    LiveIdentity.update = timed
    cfg = load_config(overrides={"pose": {"enabled": False}})
    pipe = Pipeline(cfg, None, on_result=lambda r: None, calibration=Calibration.load(CALIBRATION))
    try:
        fig = break_figures(run_with_dropout(pipe, relink=True))
    finally:
        pipe.close()
    ms = np.asarray(times)
    print(f"updates {ms.size}: min {ms.min():.3f} ms, median {np.median(ms):.3f} ms, max {ms.max():.3f} ms; {fig}")


if __name__ == "__main__":
    main()
