"""Seeing small players: each part of the frame goes through the model at the zoom it needs.

yolo11n-pose finds a person only when they are about 100 px tall at its input (issue 12:
pasted at 65 px 0 of 24 found, at 80 px 0-2, at 100 px 18-24, at 130 px all). A 1080p mast
view has players 40-160 px tall; the default 1280 letterbox shrinks them to 27-107 px.

**How tall a person is, everywhere in the image**: from the calibration's camera model
(`positions.camera.CalibratedScale`), or, without a calibration, fitted from the detections
themselves (`person_size.ObservedScale`): a person's pixel height is linear in the image row of
their feet for a level camera over flat ground, h = a·(v − v0).

Where to zoom, one batched model call and the merge back across tiles: tiles.py (why tiles, by
measurement, is there too); crops around the players found last frame: crops.py. This module is
the detector the pipeline runs with all of it (`ZoomDetector`), and its live budget.

**Person size check on real footage**: vtest.avi's calibration (samples/vtest-calibration.json)
predicts each detected person's height at their feet within 0.87-1.09× of the box (5-95%,
median 0.98), though it holds only the ground homography.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from edge_app.positions.camera import CalibratedScale
from edge_app.vision.crops import CropPlanner, PackedPlan, decode_packed, packed_batch
from edge_app.vision.detections import Detections
from edge_app.vision.detectors.base import DetectorBackend
from edge_app.vision.motion import MotionMap
from edge_app.vision.person_size import ObservedScale
from edge_app.vision.tiles import TilePlan, decode_tiles, grid_plan, merge_tiles, plan_tiles, row_profile, tile_batch

log = logging.getLogger(__name__)

# Live: the share of a frame's miss of `live_frame_ms` taken off (or given to) the next frame's model
# budget; a sweep tile or a pose run makes single frames long, so each moves it only a little.
BUDGET_GAIN = 0.2


def full_frame_zoom(input_size: int, frame_size: tuple[int, int]) -> float:
    """The scale the plain letterbox gives a frame (as `Letterbox`: never past 2× the frame)."""
    w, h = frame_size
    size = min(input_size, max(32, 2 * max(h, w) // 32 * 32))
    return min(size / h, size / w)


class ZoomDetector(DetectorBackend):
    """A detector backend with the zoom, keeping its preprocess → infer → postprocess split.

    `mode`: "tiles" runs the whole tile plan every frame; "crops" runs crops around the
    players found in the last frame plus `sweep_tiles` of the plan in turn (crops.py); "auto"
    is "crops" where the plain letterbox leaves the smallest person on the pitch under 90%
    of `target_px`, else the one full-frame pass (a well-framed view); "off" is the plain
    backend.

    Without a calibration the person sizes are fitted from what is found (`ObservedScale`),
    every `REFIT_EVERY` frames: first from the full-frame pass; where that finds too few
    people to fit (a big frame shrunk to the input: only the nearest players), from a grid
    of tiles at `GRID_ZOOM` (people from ~67 px, the mast view's median); then from the
    fitted plan's own finds.
    """

    REFIT_EVERY = 25
    GRID_ZOOM = 1.5

    def __init__(self, backend, config, calibration=None):
        self.backend = backend
        self.config = config
        self.calibration = calibration
        self.type_key = backend.type_key
        self._plans: dict[tuple[int, int], TilePlan | None] = {}
        self._observed: dict[tuple[int, int], ObservedScale] = {}
        self._frames = 0
        self._buffer: np.ndarray | None = None
        self._crops = CropPlanner(config.sweep_tiles) if config.mode in ("auto", "crops") else None
        self._motion = MotionMap()  # live: where the picture moved, for crops there
        self.params = None  # the last preprocessed frame's plan (or letterbox), for postprocess
        self._px_ms: float | None = None  # preprocess + inference ms per model pixel (smoothed)
        self._t_pre: float | None = None
        self._model_budget = self.config.live_frame_ms  # live: see _model_budget_ms
        self._t_cycle: float | None = None

    # The pipeline and `bench` read these off the backend.
    @property
    def info(self):
        return self.backend.info

    @property
    def layout(self):
        return self.backend.layout

    @property
    def letterbox(self):
        return self.backend.letterbox

    @property
    def conf(self) -> float:
        return self.backend.conf

    @conf.setter
    def conf(self, value: float) -> None:
        self.backend.conf = value

    def plan_for(self, frame_size: tuple[int, int]) -> TilePlan | None:
        if frame_size in self._plans:
            return self._plans[frame_size]
        plan = None
        if self.calibration is not None:
            plan = self._plan(CalibratedScale(self.calibration, frame_size, self.config.pitch_margin_m), frame_size)
        self._plans[frame_size] = plan
        return plan

    def _plan(self, scale, frame_size) -> TilePlan | None:
        c = self.config
        # Players under min_person_px are out of reach (the zoom upsamples, it adds no detail):
        # zooming further for them would cost the most pixels for the least.
        plan = plan_tiles(
            scale,
            frame_size,
            (c.tile_width, c.tile_height),
            target_px=c.target_px,
            max_zoom=min(c.max_zoom, c.target_px / c.min_person_px),
            min_person_px=8.0,
        )
        if not len(plan):
            return None
        if c.mode in ("auto", "crops"):
            _, h_min, *_ = row_profile(scale, frame_size)
            smallest = float(np.min(h_min[np.isfinite(h_min)], initial=np.inf))
            if smallest * full_frame_zoom(self.info.input_size, frame_size) >= 0.9 * c.target_px:
                return None
        log.info(
            "zoom: %d tiles of %dx%d per frame (zoom %s)",
            len(plan),
            c.tile_width,
            c.tile_height,
            ", ".join(f"{z:.2f}" for z in sorted({round(t[2], 2) for t in plan.tiles})),
        )
        return plan

    # The detector interface's hooks (detectors/base.py), which the plain backends leave off.
    timed = True  # the crops widen with the time since their seed frame
    plans_from_last_frame = True  # live: each frame's crops are seeded by the frame before
    params = None  # an attribute `preprocess` sets, not the base's letterbox property

    def preprocess(self, image: np.ndarray, t: float | None = None) -> np.ndarray:
        size = (image.shape[1], image.shape[0])
        plan = self.plan_for(size) if self.config.mode != "off" else None
        if plan is None:
            tensor = self.backend.preprocess(image)
            self.params = (size, self.backend.letterbox.params, t)
            return tensor
        if self._crops is not None:
            self._crops.sweep = self.config.live_sweep_tiles if self.live else self.config.sweep_tiles
            budget = None
            if self.live and self._px_ms:  # the live budget: the model pixels that fit the frame time
                budget = self._model_budget_ms() / self._px_ms
            # A backend that takes any input height (not a fixed-shape export) gets one canvas,
            # up to its input size (a TensorRT profile's most).
            tall = max(self.config.tile_height, self.info.input_size) if self.backend.letterbox.rect else None
            if self.live:
                self._motion.update(image)
            plan = self._crops.plan(
                plan,
                self.config,
                t,
                self.live,
                budget,
                tall,
                self._motion if self.live else None,
                self.backend.shape_step,
                follow=self.sparse,
            )
        self._t_pre = time.perf_counter()
        if isinstance(plan, PackedPlan):
            self._buffer = packed_batch(image, plan, self._buffer)
        else:
            self._buffer = tile_batch(image, plan, self._buffer)
        self.params = (size, plan, t)
        return self._buffer

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        raw = self.backend.infer_batch(tensor)
        if self._t_pre is not None:
            # ms a model pixel (cutting the crops and the model call both grow with them), smoothed:
            # what the live budget divides the frame time by.
            ms = (time.perf_counter() - self._t_pre) * 1e3 / max(1, tensor.size // 3)
            self._px_ms = ms if self._px_ms is None else 0.7 * self._px_ms + 0.3 * ms
            self._t_pre = None
        return raw

    def _model_budget_ms(self) -> float:
        """Live: ms the model part (cut and call) of this frame may take so that whole frames, start to
        start, average `live_frame_ms`: nudged by each cycle's miss, since the rest (planning, decoding,
        pose taking a core on the other thread) varies by box and by frame."""
        now = time.perf_counter()
        frame_ms = self.config.live_frame_ms
        if self._t_cycle is not None:
            miss = frame_ms - (now - self._t_cycle) * 1e3
            self._model_budget = min(frame_ms, max(0.0, self._model_budget + BUDGET_GAIN * miss))
        self._t_cycle = now
        return self._model_budget

    def postprocess(self, raw: np.ndarray, params=None) -> Detections:
        size, p, t = params or self.params
        b = self.backend
        if isinstance(p, TilePlan):
            dets = merge_tiles(decode_tiles(raw, p, b.layout, conf=b.conf, iou=b.iou, classes=b.classes), p, iou=b.iou)
        elif isinstance(p, PackedPlan):
            dets = merge_tiles(decode_packed(raw, p, b.layout, conf=b.conf, iou=b.iou, classes=b.classes), p, iou=b.iou)
        else:
            dets = self.backend.postprocess(raw, p)
        if self._crops is not None:
            self._crops.update(dets, t)
        if self.calibration is None and self.config.mode != "off":
            self._observe(size, dets)
        return dets

    def follow(self, tracked: Detections, t: float) -> None:
        """Frames far apart: the tracked players (with ids) of the frame at media time `t`, for the crops' motion."""
        if self._crops is not None and self.sparse:
            self._crops.follow(tracked, t)

    def _observe(self, size, dets: Detections) -> None:
        """No calibration: learn person sizes from what is found, then plan from them."""
        obs = self._observed.get(size)
        if obs is None:
            obs = self._observed[size] = ObservedScale(size, self.config.min_person_px)
        obs.observe(dets)
        self._frames += 1
        if self._frames % self.REFIT_EVERY:
            return
        if obs.refit():
            self._plans[size] = self._plan(obs, size)
        elif self._plans.get(size) is None and full_frame_zoom(self.info.input_size, size) < self.GRID_ZOOM:
            self._plans[size] = grid_plan(
                size, (self.config.tile_width, self.config.tile_height), self.GRID_ZOOM, self.config.target_px
            )
            log.info(
                "zoom: too few people found to learn their sizes; %d tiles at %.1fx until then",
                len(self._plans[size]),
                self.GRID_ZOOM,
            )

    def detect(self, image: np.ndarray) -> Detections:
        return self.postprocess(self.infer(self.preprocess(image)))

    def close(self) -> None:
        self.backend.close()
