"""Seeing small players: each part of the frame goes through the model at the zoom it needs.

yolo11n-pose finds a person only when they are about 100 px tall at its input (issue 12:
pasted at 65 px 0 of 24 found, at 80 px 0-2, at 100 px 18-24, at 130 px all). A 1080p mast
view has players 40-160 px tall; the default 1280 letterbox shrinks them to 27-107 px.

**How tall a person is, everywhere in the image**: from the calibration's camera model
(`positions.camera.CalibratedScale`), or, without a calibration, fitted from the detections
themselves (`ObservedScale`): a person's pixel height is linear in the image row of their feet for a
level camera over flat ground, h = a·(v − v0).

**Where to zoom** (`plan_tiles`): horizontal rows of tiles from the far edge of the pitch
(plus a margin) to the frame's bottom. A row's zoom brings the smallest person whose feet
lie in it to `target_px` at the model (never more: "no more zoom than needed"), its tiles
reach from that person's head to as far down as the tile goes, and the next row starts
where its feet band ends; tiles in a row overlap by a person's width, rows by a person's
height, so each player is whole in at least one tile. Every tile has the same model shape,
so a frame is one batched model call.

**A player cut by a tile edge is found once** (`merge_tiles`): a box that touches an
inner tile edge (not the frame's) is a truncated view; it is dropped when a box from
another tile covers most of it, then class-wise NMS runs over the merged set.

**Why tiles, and crops by default, by measurement** (benchmarks/bench_small_players.py,
tables in benchmarks/README.md "Small players"): on 1080p mast stills (96 real people pasted
40-135 px tall, median 52) the plain 1280 pass finds 4%; 15 tiles of 960×384 in one batched
call (5.5 model Mpx a frame) find 100% at 100% precision; SAHI's 256 px slices + full pass
(61 calls, 25 Mpx) also 100% (98% precision) at 6-9× our time; its 384 px slices 51%. Tile
shapes were chosen by model pixels at equal recall: 960×384 5.5 Mpx, 640×384 5.9, 1280×384
5.9, 640×640 7.4, 960×256 6.1; a 90 px target plans the same 15 tiles, 80 px loses recall
(89%). One batched call costs the same as the tiles in turn on this CPU (a GPU gains from
the batch). Most of a tile is grass, and the camera stands still: crops around the players
found in the last frame, packed into the same tiles, plus 2 tiles of the plan each frame in
turn to find new players (crops.py), keep the tiles' recall on the harness's rendered mast
clip (0.98 / precision 0.99 / IDF1 0.94 against 0.98 / 0.99 / 0.95) and raise it on the
7v7 tripod (0.95 against 0.88: a row's zoom there is set by the far corner and near people
in the same row are cut by the tile's top), at a third to a quarter of the model pixels.
So "auto" uses the crops; the whole tile plan runs on the first frame and as the sweep. On
the harness's 10 s clips at 25 fps the product then reaches recall / precision / IDF1 of
0.99 / 0.98 / 0.94 (mast), 0.98 / 0.95 / 0.85 (7v7 tripod) and 0.98 / 0.99 / 0.95 (4K),
from 0 on all three, and SAHI 256's recall at 1/14-1/23 of its time on the mast clip.

**Person size check on real footage**: vtest.avi's calibration (samples/vtest-calibration.json)
predicts each detected person's height at their feet within 0.87-1.09× of the box (5-95%,
median 0.98), though it holds only the ground homography.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import cv2
import numpy as np

from edge_app.positions.camera import CalibratedScale
from edge_app.vision.crops import CropPlanner, PackedPlan, decode_packed, packed_batch
from edge_app.vision.motion import MotionMap
from edge_app.vision.detections import Detections
from edge_app.vision.detectors.yolo import PAD_VALUE, LetterboxParams, decode

log = logging.getLogger(__name__)

HEAD_MARGIN = 1.15  # room above a person's head in a tile, × their height
WIDTH_OF_HEIGHT = 0.6  # a running player's box width, × height: the overlap between tiles in a row
# Live: the share of a frame's miss of `live_frame_ms` taken off (or given to) the next frame's model
# budget; a sweep tile or a pose run makes single frames long, so each moves it only a little.
BUDGET_GAIN = 0.2


class ObservedScale:
    """Person height fitted from confident detections: h = a·v + b over the feet row v."""

    MIN_SAMPLES = 8

    def __init__(self, frame_size: tuple[int, int], min_person_px: float):
        self.size = frame_size
        self.min_person_px = min_person_px
        self.rows: list[np.ndarray] = []
        self.fit: tuple[float, float] | None = None

    def observe(self, dets: Detections, min_conf: float = 0.5) -> None:
        w, h = self.size
        b = dets.xyxy[(dets.confidence >= min_conf) & (dets.class_id == 0)]
        inside = (b[:, 1] > 2) & (b[:, 3] < h - 2)  # cut by the frame: not its full height
        if inside.any():
            self.rows.append(np.c_[b[inside, 3], b[inside, 3] - b[inside, 1]])
            self.rows = self.rows[-200:]

    def refit(self) -> bool:
        """Fit the line when the samples span enough of the frame; True when it changed."""
        if not self.rows:
            return False
        s = np.concatenate(self.rows)
        if len(s) < self.MIN_SAMPLES or np.ptp(s[:, 0]) < 0.1 * self.size[1]:
            return False
        a, b = np.polyfit(s[:, 0], s[:, 1], 1)
        resid = np.abs(s[:, 1] - (a * s[:, 0] + b))
        keep = resid <= 2.5 * max(np.median(resid), 1.0)  # sitting, crouched or merged boxes
        a, b = np.polyfit(s[keep, 0], s[keep, 1], 1)
        if a <= 0:
            return False  # farther people must be higher in the frame and smaller
        self.fit = (float(a), float(b))
        return True

    def height_px(self, points: np.ndarray) -> np.ndarray:
        pts = np.asarray(points, float).reshape(-1, 2)
        a, b = self.fit
        h = a * pts[:, 1] + b
        return np.where(h > 0, h, np.nan)

    def on_pitch(self, points: np.ndarray) -> np.ndarray:
        return self.height_px(points) >= self.min_person_px


# -- where to zoom -------------------------------------------------------------------------------
@dataclass(frozen=True)
class TilePlan:
    tiles: tuple[tuple[float, float, float], ...]  # (x, y, zoom); the source size is tile_size / zoom
    tile_size: tuple[int, int]  # model (width, height) of every tile
    frame_size: tuple[int, int]

    def __len__(self) -> int:
        return len(self.tiles)

    def rects(self) -> np.ndarray:
        """(N, 4) source rectangles x1, y1, x2, y2 in frame pixels."""
        tw, th = self.tile_size
        return np.array([(x, y, x + tw / z, y + th / z) for x, y, z in self.tiles], np.float64).reshape(-1, 4)

    @property
    def model_pixels(self) -> int:
        return len(self.tiles) * self.tile_size[0] * self.tile_size[1]


def row_profile(scale, frame_size: tuple[int, int], step: int = 4):
    """Per image row (every `step` px): the smallest person height on the pitch and the pitch's x-range."""
    w, h = frame_size
    us = np.linspace(0, w - 1, 97)
    vs = np.arange(0, h, step, dtype=float)
    grid = np.stack(np.meshgrid(us, vs), -1).reshape(-1, 2)
    hp = scale.height_px(grid).reshape(len(vs), len(us))
    on = scale.on_pitch(grid).reshape(len(vs), len(us)) & np.isfinite(hp) & (hp > 0)
    h_min = np.where(on, hp, np.inf).min(axis=1)
    h_max = np.where(on, hp, -np.inf).max(axis=1)
    x_lo = np.where(on, us[None, :], np.inf).min(axis=1)
    x_hi = np.where(on, us[None, :], -np.inf).max(axis=1)
    return vs, h_min, h_max, x_lo, x_hi


def plan_tiles(scale, frame_size: tuple[int, int], tile_size: tuple[int, int], *, target_px: float = 100.0,
               max_zoom: float = 3.0, min_person_px: float = 8.0) -> TilePlan:
    """Rows of tiles from the far edge of the pitch down to the frame's bottom (see the module docstring)."""
    w, h = frame_size
    tw, th = tile_size
    vs, h_min, h_max, x_lo, x_hi = row_profile(scale, frame_size)
    rows_on = np.flatnonzero(np.isfinite(h_min) & (h_min >= min_person_px))
    # The smallest zoom: the whole frame height (or width) in one tile.
    min_zoom = max(th / h, tw / w)
    tiles: list[tuple[float, float, float]] = []
    if not len(rows_on):
        return TilePlan((), tile_size, frame_size)
    feet_top = vs[rows_on[0]]
    last = vs[rows_on[-1]]
    while feet_top <= last:
        i = int(np.searchsorted(vs, feet_top))
        ahead = h_min[i:][np.isfinite(h_min[i:])]
        if not len(ahead):
            break
        person = float(ahead[0])
        # The smallest person in the band sets the zoom; refine once with the band it gives.
        zoom = float(np.clip(target_px / person, min_zoom, max_zoom))
        for _ in range(2):
            sh = th / zoom
            top = max(0.0, feet_top - HEAD_MARGIN * person)
            band = (vs >= feet_top) & (vs <= top + sh)
            finite = h_min[band][np.isfinite(h_min[band])]
            if len(finite):
                person = min(person, float(finite.min()))
            zoom = float(np.clip(target_px / person, min_zoom, max_zoom))
        sw, sh = tw / zoom, th / zoom
        top = max(0.0, feet_top - HEAD_MARGIN * person)
        top = min(top, max(0.0, h - sh))  # at the bottom the tile slides up to stay in the frame
        feet_bottom = top + sh
        band = (vs >= feet_top) & (vs <= feet_bottom)
        lo = float(np.min(x_lo[band])) if band.any() else 0.0
        hi = float(np.max(x_hi[band])) if band.any() else w
        if not np.isfinite(lo) or not np.isfinite(hi):
            lo, hi = 0.0, float(w)
        biggest = float(np.max(h_max[band][np.isfinite(h_max[band])], initial=person))
        overlap = min(WIDTH_OF_HEIGHT * biggest, 0.5 * sw)
        lo, hi = max(0.0, lo - overlap / 2), min(float(w), hi + overlap / 2)
        span = hi - lo
        n = max(1, math.ceil((span - overlap) / (sw - overlap))) if span > sw else 1
        if n == 1:
            xs = [min(max(0.0, (lo + hi) / 2 - sw / 2), max(0.0, w - sw))]
        else:
            step = (span - sw) / (n - 1)
            xs = [lo + k * step for k in range(n)]
        tiles.extend((float(x), float(top), zoom) for x in xs)
        if feet_bottom >= h:
            break
        # Feet a few px under this row's bottom edge still belong to it: a box must end inside the tile.
        feet_top = feet_bottom - 0.05 * person
        if feet_top <= vs[i]:
            feet_top = vs[i] + 4
    return TilePlan(tuple(tiles), tile_size, frame_size)


def grid_plan(frame_size: tuple[int, int], tile_size: tuple[int, int], zoom: float, target_px: float) -> TilePlan:
    """The whole frame in tiles at one zoom, overlapping by the size of a person seen at `target_px`."""
    w, h = frame_size
    tw, th = tile_size
    sw, sh = min(tw / zoom, w), min(th / zoom, h)
    person = target_px / zoom

    def starts(span, size, overlap):
        n = max(1, math.ceil((span - overlap) / (size - overlap))) if span > size else 1
        return [0.0] if n == 1 else [k * (span - size) / (n - 1) for k in range(n)]

    tiles = [(x, y, zoom) for y in starts(h, sh, min(HEAD_MARGIN * person, sh / 2))
             for x in starts(w, sw, min(WIDTH_OF_HEIGHT * person, sw / 2))]
    return TilePlan(tuple(tiles), tile_size, frame_size)


# -- one batched model call, merged back --------------------------------------------------------
def tile_batch(image: np.ndarray, plan: TilePlan, out: np.ndarray | None = None) -> np.ndarray:
    """(N, 3, th, tw) float32 RGB /255: each tile cut and resized (grey beyond the frame)."""
    tw, th = plan.tile_size
    n = len(plan)
    if out is None or out.shape != (n, 3, th, tw):
        out = np.empty((n, 3, th, tw), np.float32)
    H, W = image.shape[:2]
    scale = np.float32(1 / 255)
    for k, (x, y, z) in enumerate(plan.tiles):
        # An affine warp crops, zooms and pads in one pass (OpenCV, in C++).
        M = np.array([[z, 0, -x * z], [0, z, -y * z]], np.float64)
        tile = cv2.warpAffine(image, M, (tw, th), flags=cv2.INTER_LINEAR if z >= 1 else cv2.INTER_AREA,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(PAD_VALUE,) * 3)
        np.multiply(tile.transpose(2, 0, 1)[::-1], scale, out=out[k])
    return out


def decode_tiles(raw: np.ndarray, plan: TilePlan, layout, *, conf: float, iou: float, classes) -> list[Detections]:
    """Per tile: decode + NMS in tile pixels, mapped back to the frame."""
    w, h = plan.frame_size
    outs = []
    for k, (x, y, z) in enumerate(plan.tiles):
        # Undoing a letterbox is (p - pad) / scale; a tile at (x, y) zoomed z is the same with pad = -x·z.
        params = LetterboxParams(scale=z, pad_x=-x * z, pad_y=-y * z, src_w=w, src_h=h)
        outs.append(decode(raw[k:k + 1], layout, params, conf=conf, iou=iou, classes=classes))
    return outs


def merge_tiles(per_tile: list[Detections], plan: TilePlan, *, iou: float, edge_px: float = 3.0,
                cover: float = 0.6, align: float = 0.2) -> Detections:
    """One detection per object from overlapping tiles.

    A box within `edge_px` (tile pixels) of an inner tile edge is truncated: dropped when a
    box from another tile, not itself truncated, covers `cover` of it and its uncut sides lie
    within `align` × that box's height of the box's own (a fragment of the same player, not
    a player standing behind another). Then class-wise NMS.
    """
    if not per_tile:
        return Detections.empty()
    w, h = plan.frame_size
    rects = plan.rects()
    boxes, cuts, source = [], [], []
    for k, d in enumerate(per_tile):
        if not len(d):
            continue
        x1, y1, x2, y2 = rects[k]
        tol = edge_px / plan.tiles[k][2]
        b = d.xyxy
        cut = np.zeros((len(d), 4), bool)  # left, top, right, bottom
        cut[:, 0] = (x1 > 0.5) & (b[:, 0] <= x1 + tol)
        cut[:, 1] = (y1 > 0.5) & (b[:, 1] <= y1 + tol)
        cut[:, 2] = (x2 < w - 0.5) & (b[:, 2] >= x2 - tol)
        cut[:, 3] = (y2 < h - 0.5) & (b[:, 3] >= y2 - tol)
        boxes.append(d)
        cuts.append(cut)
        source.append(np.full(len(d), k))
    if not boxes:
        return per_tile[0]
    dets = _concat(boxes)
    cuts = np.concatenate(cuts)
    truncated = cuts.any(axis=1)
    source = np.concatenate(source)
    keep = np.ones(len(dets), bool)
    whole = np.flatnonzero(~truncated)
    if len(whole):
        for i in np.flatnonzero(truncated):
            others = whole[(source[whole] != source[i]) & (dets.class_id[whole] == dets.class_id[i])]
            if not len(others):
                continue
            ob = dets.xyxy[others]
            gap = np.abs(ob - dets.xyxy[i]) <= align * (ob[:, 3:4] - ob[:, 1:2])
            same = (_coverage(dets.xyxy[i], ob) >= cover) & (gap | cuts[i]).all(axis=1)
            if same.any():
                keep[i] = False
    dets = dets[keep]
    if len(dets) < 2:
        return dets
    xywh = np.c_[dets.xyxy[:, :2], dets.xyxy[:, 2:] - dets.xyxy[:, :2]]
    picked = cv2.dnn.NMSBoxesBatched(xywh.tolist(), dets.confidence.tolist(), dets.class_id.tolist(), 0.0, iou)
    picked = np.asarray(picked, np.int64).reshape(-1)
    picked = picked[np.argsort(-dets.confidence[picked], kind="stable")]
    return dets[picked]


def _coverage(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Share of `box`'s area inside each of `others`."""
    ix = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    area = max(float((box[2] - box[0]) * (box[3] - box[1])), 1e-6)
    return ix * iy / area


def _concat(parts: list[Detections]) -> Detections:
    kps = None if parts[0].keypoints is None else np.concatenate([p.keypoints for p in parts])
    return Detections(np.concatenate([p.xyxy for p in parts]), np.concatenate([p.confidence for p in parts]),
                      np.concatenate([p.class_id for p in parts]), kps)


# -- the detector the pipeline runs ----------------------------------------------------------------
def full_frame_zoom(input_size: int, frame_size: tuple[int, int]) -> float:
    """The scale the plain letterbox gives a frame (as `Letterbox`: never past 2× the frame)."""
    w, h = frame_size
    size = min(input_size, max(32, 2 * max(h, w) // 32 * 32))
    return min(size / h, size / w)


class ZoomDetector:
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
        plan = plan_tiles(scale, frame_size, (c.tile_width, c.tile_height), target_px=c.target_px,
                          max_zoom=min(c.max_zoom, c.target_px / c.min_person_px), min_person_px=8.0)
        if not len(plan):
            return None
        if c.mode in ("auto", "crops"):
            _, h_min, *_ = row_profile(scale, frame_size)
            smallest = float(np.min(h_min[np.isfinite(h_min)], initial=np.inf))
            if smallest * full_frame_zoom(self.info.input_size, frame_size) >= 0.9 * c.target_px:
                return None
        log.info("zoom: %d tiles of %dx%d per frame (zoom %s)", len(plan), c.tile_width, c.tile_height,
                 ", ".join(f"{z:.2f}" for z in sorted({round(t[2], 2) for t in plan.tiles})))
        return plan

    timed = True  # the pipeline hands `preprocess` the frame's media time
    live = False  # set by the pipeline for a live source: never the whole tile plan in one frame

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
            plan = self._crops.plan(plan, self.config, t, self.live, budget, tall, self._motion if self.live else None,
                                    self.backend.shape_step)
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
        """Live: the tracked players (with ids) of the frame at media time `t`, for the crops' motion."""
        if self._crops is not None and self.live:
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
            self._plans[size] = grid_plan(size, (self.config.tile_width, self.config.tile_height), self.GRID_ZOOM,
                                          self.config.target_px)
            log.info("zoom: too few people found to learn their sizes; %d tiles at %.1fx until then", len(self._plans[size]), self.GRID_ZOOM)

    def detect(self, image: np.ndarray) -> Detections:
        return self.postprocess(self.infer(self.preprocess(image)))

    def close(self) -> None:
        self.backend.close()


# -- is the view good enough? (`calibrate`) -------------------------------------------------------
STANDARD_SIZES = ((1280, 720), (1920, 1080), (2560, 1440), (3840, 2160))


def view_warning(calibration, frame_size: tuple[int, int] | None = None, *, min_person_px: float = 40.0) -> str | None:
    """One line when the smallest player on the visible pitch is under `min_person_px` tall, else None.

    Under ~40 px a player has too few pixels to be found even zoomed (the zoom upsamples, it
    adds no detail). Without the frame size (a calibration fitted from tapped points only), the
    smallest standard video size that holds every tapped point is assumed.
    """
    size = frame_size or calibration.image_size
    if size is None:
        pts = calibration.image_points
        fits = [s for s in STANDARD_SIZES if len(pts) and pts[:, 0].max() < s[0] and pts[:, 1].max() < s[1]]
        if not fits:
            return None
        size = fits[0]
    scale = CalibratedScale(calibration, tuple(size), margin_m=0.0)
    _, h_min, *_ = row_profile(scale, tuple(size))
    finite = h_min[np.isfinite(h_min) & (h_min > 0)]
    if not len(finite) or finite.min() >= min_person_px:
        return None
    return (f"players on the far side of the pitch are only {finite.min():.0f} px tall in this {size[0]}x{size[1]} view "
            f"(under {min_person_px:.0f} px, too small to be found even zoomed): mount the camera higher or nearer, "
            f"zoom the lens in, or record in 4K")
