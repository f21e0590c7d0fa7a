"""Our vectorised ByteTrack against supervision's, on real detections of vtest.avi.

    .venv/bin/python benchmarks/bench_tracker.py [--repeats 5] [--fixture tests/data/vtest_detections.npz]

Both trackers get the same detections, built before the clock starts (our `Detections` and
`sv.Detections`); only `update` / `update_with_detections` is timed, frame by frame, with the
same parameters (ByteTrack's reference values, frame_rate = vtest's 10 fps). Each repeat runs
the whole video from a fresh tracker; the two trackers alternate repeat by repeat so that a
busy neighbour on the machine slows both alike. Prints per-frame mean / p50 / p95 in ms, the
speed-up (ratio of means and of medians), and the id agreement (see `compare` below).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge_app.config import TrackerConfig  # noqa: E402
from edge_app.vision.detections import Detections  # noqa: E402
from edge_app.vision.track import ByteTrack  # noqa: E402

FIXTURE = ROOT / "tests" / "data" / "vtest_detections.npz"
FPS = 10  # vtest.avi
# Ours takes the app's thresholds (the config's defaults); supervision has the same as its own
# defaults (its low threshold, 0.1, is fixed), so `params` give both trackers the same settings.
CONFIG = TrackerConfig().model_dump()


def load_frames(path: Path = FIXTURE) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per-frame (xyxy float32 (n, 4), confidence float32 (n,)), every frame of the video."""
    data = np.load(path)
    frame, xyxy, conf = data["frame"], data["xyxy"], data["confidence"]
    n = int(data["num_frames"])
    bounds = np.searchsorted(frame, np.arange(n + 1))
    return [(xyxy[a:b], conf[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def compare(frames, **params) -> dict:
    """Run both trackers and compare their output rows, matched by identical box.

    id_agreement: of the rows both output, the share whose ids agree under the best one-to-one
    map of our ids to theirs (Hungarian on co-occurrence counts). coverage: rows both output
    / rows either outputs. Rows only we output are checked against supervision's tracker state:
    `explained` counts those whose track supervision tracks too, with the same id, in that frame
    (its output step drops them: it re-matches Kalman boxes to detections at IoU >= 0.5).
    """
    import supervision as sv
    from scipy.optimize import linear_sum_assignment

    ours, theirs = ByteTrack(**{**CONFIG, **params}), sv.ByteTrack(**params)
    counts: dict[tuple[int, int], int] = {}
    common = only_ours = only_sv = explained = 0
    our_ids, sv_ids = set(), set()
    for xy, conf in frames:
        a = ours.update(Detections(xy, conf, np.zeros(len(conf), np.int32)))
        b = theirs.update_with_detections(
            sv.Detections(xyxy=xy.copy(), confidence=conf.copy(), class_id=np.zeros(len(conf), int))
        )
        ka = dict(zip(map(tuple, a.xyxy.tolist()), a.tracker_id.tolist()))
        kb = dict(zip(map(tuple, b.xyxy.tolist()), b.tracker_id.tolist()))
        our_ids.update(ka.values())
        sv_ids.update(kb.values())
        sv_live = {t.external_track_id for t in theirs.tracked_tracks if t.is_activated}
        for box, tid in ka.items():
            if box in kb:
                common += 1
                counts[(tid, kb[box])] = counts.get((tid, kb[box]), 0) + 1
            else:
                only_ours += 1
                explained += tid in sv_live
        only_sv += sum(box not in ka for box in kb)
    if counts:
        oi = sorted({o for o, _ in counts})
        ti = sorted({t for _, t in counts})
        m = np.zeros((len(oi), len(ti)))
        for (o, t), c in counts.items():
            m[oi.index(o), ti.index(t)] = c
        r, c = linear_sum_assignment(-m)
        agreed = int(m[r, c].sum())
    else:
        agreed = 0
    return {
        "rows_common": common,
        "rows_only_ours": only_ours,
        "rows_only_sv": only_sv,
        "only_ours_explained": explained,
        "id_agreement": agreed / common if common else 1.0,
        "coverage": common / max(common + only_ours + only_sv, 1),
        "ids_ours": len(our_ids),
        "ids_sv": len(sv_ids),
    }


def _seconds_per_frame(update, dets) -> np.ndarray:
    """Each `update(d)` call timed on its own (detections built beforehand, outside the clock)."""
    out = np.empty(len(dets))
    clock = time.perf_counter
    for i, d in enumerate(dets):
        t0 = clock()
        update(d)
        out[i] = clock() - t0
    return out


def time_ours(frames, **params) -> np.ndarray:
    dets = [Detections(xy, c, np.zeros(len(c), np.int32)) for xy, c in frames]
    return _seconds_per_frame(ByteTrack(**{**CONFIG, **params}).update, dets)


def time_sv(frames, **params) -> np.ndarray:
    import supervision as sv

    dets = [sv.Detections(xyxy=xy.copy(), confidence=c.copy(), class_id=np.zeros(len(c), int)) for xy, c in frames]
    return _seconds_per_frame(sv.ByteTrack(**params).update_with_detections, dets)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--fixture", type=Path, default=FIXTURE)
    args = ap.parse_args(argv)
    frames = load_frames(args.fixture)
    params = {"frame_rate": FPS}
    n_det = sum(len(c) for _, c in frames)
    print(f"{len(frames)} frames, {n_det / len(frames):.1f} detections/frame, {args.repeats} repeats, params {params}")

    ours, theirs = [], []
    gc.disable()
    try:
        for _ in range(args.repeats):
            ours.append(time_ours(frames, **params))
            theirs.append(time_sv(frames, **params))
    finally:
        gc.enable()
    ours_ms, sv_ms = np.concatenate(ours) * 1e3, np.concatenate(theirs) * 1e3

    print(f"\n{'tracker':<28}{'mean ms':>10}{'p50 ms':>10}{'p95 ms':>10}")
    for name, t in (("edge_app ByteTrack", ours_ms), ("supervision 0.26.1 ByteTrack", sv_ms)):
        print(f"{name:<28}{t.mean():>10.3f}{np.median(t):>10.3f}{np.percentile(t, 95):>10.3f}")
    print(
        f"{'speed-up (sv / ours)':<28}{sv_ms.mean() / ours_ms.mean():>9.1f}x"
        f"{np.median(sv_ms) / np.median(ours_ms):>9.1f}x{np.percentile(sv_ms, 95) / np.percentile(ours_ms, 95):>9.1f}x"
    )

    c = compare(frames, **params)
    print(f"\nid agreement on rows both output: {c['id_agreement'] * 100:.2f}% of {c['rows_common']} track-frames")
    print(
        f"rows only ours: {c['rows_only_ours']} ({c['only_ours_explained']} on tracks supervision also tracks, "
        f"dropped by its output re-match), rows only supervision: {c['rows_only_sv']}, "
        f"coverage {c['coverage'] * 100:.2f}%"
    )
    print(f"track ids: ours {c['ids_ours']}, supervision {c['ids_sv']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
