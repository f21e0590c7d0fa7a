"""Live names across a track break (issue #16, item 3), through the real live pipeline: the sample clip
played as a live camera, blanked for 1.5 s so that ByteTrack loses everybody, keeps its players' keys
when they come back ([pipeline] live_relink), and does not without the re-linker."""

import time

import cv2
import numpy as np

from edge_app.capture import open_paced
from edge_app.config import load_config
from edge_app.pipeline import Pipeline
from edge_app.vision.detections import PERSON
from tests.conftest import CALIBRATION, SAMPLE

BLANK = (3.0, 4.5)  # s of the clip blanked: longer than ByteTrack keeps a lost track at the live frame rate
WINDOW_S = 1.0  # the players "before" are those seen in the last second before the blank
AFTER_S = 2.0  # ... and "after", those seen in the first two seconds after it
STOP_S = 7.0


class DropoutCapture:
    """A real capture of the clip whose frames in `blank` (seconds) come out black: a camera that went
    dark (a cable knocked, a bus in front of it). Everything else is the file's."""

    def __init__(self, spec, blank=BLANK):
        self.cap = cv2.VideoCapture(str(spec.target))
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or 10.0
        self.blank, self.index = blank, 0

    def read(self):
        ok, image = self.cap.read()
        if ok and self.blank[0] <= self.index / self.fps < self.blank[1]:
            image = np.zeros_like(image)
        self.index += 1
        return ok, image

    def __getattr__(self, name):  # isOpened, get, set, release: the file's
        return getattr(self.cap, name)


def run_with_dropout(pipe: Pipeline, relink: bool) -> list[tuple[float, dict[int, str]]]:
    """(media time, {person track id: player key}) per processed frame, up to STOP_S of the clip."""
    pipe.config.pipeline.live_relink = relink
    frames: list[tuple[float, dict[int, str]]] = []

    def on_result(r):
        t = r.tracked
        ids = [] if t.tracker_id is None else t.tracker_id[t.class_id == PERSON].tolist()
        frames.append((r.frame.pts_s, {int(i): r.key(i) for i in ids}))
        if r.frame.pts_s >= STOP_S:
            pipe.stop()

    pipe.on_result = on_result
    src = open_paced(str(SAMPLE), queue_size=2, capture_factory=DropoutCapture)
    try:
        pipe.run(src)
    finally:
        src.close()
    return frames


def break_figures(frames) -> dict:
    """The players seen just before the blank and just after it: their keys, their track ids, and how many
    keys the two share."""
    before = [p for t, p in frames if BLANK[0] - WINDOW_S <= t < BLANK[0]]
    after = [p for t, p in frames if BLANK[1] <= t < BLANK[1] + AFTER_S]
    kb = {k for p in before for k in p.values()}
    ka = {k for p in after for k in p.values()}
    tb = {i for p in before for i in p}
    ta = {i for p in after for i in p}
    return {
        "before": len(kb),
        "after": len(ka),
        "kept": len(kb & ka),
        "tracks_kept": len(tb & ta),
        "frames_before": len(before),
        "frames_after": len(after),
    }


def test_a_track_break_keeps_the_players_keys_live_and_not_without_the_relinker():
    from edge_app.pitch import Calibration

    # The product's live defaults (the zoom as configured), without pose: what is tested is who is who.
    cfg = load_config(overrides={"pose": {"enabled": False}})
    pipe = Pipeline(cfg, None, on_result=lambda r: None, calibration=Calibration.load(CALIBRATION))
    try:
        t0 = time.monotonic()
        on = break_figures(run_with_dropout(pipe, relink=True))
        off = break_figures(run_with_dropout(pipe, relink=False))
        print("relink on", on, "off", off, f"{time.monotonic() - t0:.0f} s")
    finally:
        pipe.close()
    for fig in (on, off):
        # the blank broke every track: nobody seen before it is on the same track id after it
        assert fig["frames_before"] >= 2 and fig["frames_after"] >= 2, fig
        assert fig["before"] >= 3 and fig["tracks_kept"] == 0, fig
    # with the re-linker players back in the picture are under their old key (measured: 2-4 of the 5 seen
    # before, over 5 runs; three of them walk as a group in dark clothes, which it refuses to guess at) ...
    assert on["kept"] >= 2, on
    # ... without it none is (the keys are the track ids, all new)
    assert off["kept"] == 0, off
