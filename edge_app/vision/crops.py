"""Crops around the players already found, packed several to a model tile, plus a sweep.

The zoom tiles (zoom.py) cover the whole pitch every frame; most of it is grass. The camera
stands still and players move a few pixels a frame, so where they are next is known from
where they were: each player found in the last merged frame gets a crop around them at the
zoom that brings them to the target height, and the crops are packed side by side (shelf
packing, grey gaps) into tiles of the same model shape as the zoom tiles, so a frame stays
one batched call. New players (coming on, standing still since before the start, or lost)
are found by a sweep: `sweep` of the zoom plan's tiles each frame, in turn, so the whole
pitch is covered every len(plan) / sweep frames; and the whole plan runs whenever nothing is
being followed. A crop is 1.3 × 1.8 player heights: it holds a player who moves up to 0.35
of their height between the frame their crop was planned from and the frame it is cut from
(the detect thread runs 1-2 frames ahead of the decoding: 6 m/s at 25 fps); one who runs
out of it is cut by its edge, found in part, and the next crop centres on that part.
Live (a camera: processed frames 0.2-0.5 s apart, `plan(live=True)`), the crops move with
their player's tracked velocity and widen with the time since their seeds, and the sweep
gets what is left of the frame's time budget (docs/ARCHITECTURE.md, "The live budget").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from edge_app.vision.detections import PERSON, Detections
from edge_app.vision.detectors.yolo import PAD_VALUE, LetterboxParams, decode

CONTEXT = (1.3, 1.8)  # crop width and height, × the player's height (a player is ~0.4 as wide as tall)
GAP = 8  # grey model px between packed crops: the model does not read two crops as one picture


@dataclass(frozen=True)
class PackedPlan:
    """Crops in model tiles: per crop its tile, model rectangle (ox, oy, w, h) and source (x, y, zoom)."""

    tiles: tuple[tuple[float, float, float], ...]  # per crop: source x, y and zoom (as TilePlan)
    places: tuple[tuple[int, int, int, int, int], ...]  # per crop: tile index, ox, oy, w, h in model px
    n_tiles: int
    tile_size: tuple[int, int]
    frame_size: tuple[int, int]

    def __len__(self) -> int:
        return self.n_tiles

    def rects(self) -> np.ndarray:
        return np.array([(x, y, x + p[3] / z, y + p[4] / z) for (x, y, z), p in zip(self.tiles, self.places)],
                        np.float64).reshape(-1, 4)

    @property
    def model_pixels(self) -> int:
        return self.n_tiles * self.tile_size[0] * self.tile_size[1]


def crops_for(seeds: np.ndarray, frame_size: tuple[int, int], *, target_px: float, min_zoom: float,
              max_zoom: float, tile_size: tuple[int, int], reach: float = 0.0) -> list[tuple[float, float, float, int, int]]:
    """(x, y, zoom, w, h) per seed box: CONTEXT × its height around it, widened by `reach`
    heights on every side, at the zoom it needs."""
    w, h = frame_size
    tw, th = tile_size
    out = []
    for x1, y1, x2, y2 in seeds:
        height = max(y2 - y1, 4.0)
        zoom = float(np.clip(target_px / height, min_zoom, max_zoom))
        cw = int(math.ceil(min((CONTEXT[0] + 2 * reach) * height * zoom, tw) / 8) * 8)  # model px
        ch = int(math.ceil(min((CONTEXT[1] + 2 * reach) * height * zoom, th) / 8) * 8)
        cw, ch = min(cw, tw), min(ch, th)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        x = float(np.clip(cx - cw / zoom / 2, 0, max(0.0, w - cw / zoom)))
        y = float(np.clip(cy - ch / zoom / 2, 0, max(0.0, h - ch / zoom)))
        out.append((x, y, zoom, cw, ch))
    return out


def pack(crops, sweep, sweep_idx: list[int], tile_size: tuple[int, int], frame_size) -> PackedPlan:
    """Shelf-pack the crops (tallest first) into tiles, after the sweep's whole tiles."""
    tw, th = tile_size
    tiles, places = [], []
    for i, k in enumerate(sweep_idx):
        tiles.append(sweep.tiles[k])
        places.append((i, 0, 0, tw, th))
    n = len(sweep_idx)
    current = None
    shelf_y = shelf_h = cursor = 0
    for x, y, z, cw, ch in sorted(crops, key=lambda c: -c[4]):
        if current is not None and cursor + cw > tw:  # next shelf
            shelf_y, shelf_h, cursor = shelf_y + shelf_h + GAP, 0, 0
        if current is None or shelf_y + ch > th:  # next tile
            current, n = n, n + 1
            shelf_y = shelf_h = cursor = 0
        places.append((current, cursor, shelf_y, cw, ch))
        tiles.append((x, y, z))
        cursor += cw + GAP
        shelf_h = max(shelf_h, ch)
    return PackedPlan(tuple(tiles), tuple(places), n, tile_size, frame_size)


def packed_batch(image: np.ndarray, plan: PackedPlan, out: np.ndarray | None = None) -> np.ndarray:
    tw, th = plan.tile_size
    if out is None or out.shape != (plan.n_tiles, 3, th, tw):
        out = np.empty((plan.n_tiles, 3, th, tw), np.float32)
    canvas = np.full((plan.n_tiles, th, tw, 3), PAD_VALUE, np.uint8)
    for (x, y, z), (k, ox, oy, cw, ch) in zip(plan.tiles, plan.places):
        M = np.array([[z, 0, -x * z], [0, z, -y * z]], np.float64)
        canvas[k, oy:oy + ch, ox:ox + cw] = cv2.warpAffine(
            image, M, (cw, ch), flags=cv2.INTER_LINEAR if z >= 1 else cv2.INTER_AREA,
            borderMode=cv2.BORDER_CONSTANT, borderValue=(PAD_VALUE,) * 3)
    np.multiply(canvas.transpose(0, 3, 1, 2)[:, ::-1], np.float32(1 / 255), out=out)
    return out


def decode_packed(raw: np.ndarray, plan: PackedPlan, layout, *, conf: float, iou: float, classes) -> list[Detections]:
    """Per crop: the tile's detections whose centre falls in the crop, mapped back to the frame."""
    tw, th = plan.tile_size
    w, h = plan.frame_size
    identity = LetterboxParams(scale=1.0, pad_x=0, pad_y=0, src_w=tw, src_h=th)
    per_tile = [decode(raw[k:k + 1], layout, identity, conf=conf, iou=iou, classes=classes) for k in range(plan.n_tiles)]
    out = []
    for (x, y, z), (k, ox, oy, cw, ch) in zip(plan.tiles, plan.places):
        d = per_tile[k]
        cx, cy = (d.xyxy[:, 0] + d.xyxy[:, 2]) / 2, (d.xyxy[:, 1] + d.xyxy[:, 3]) / 2
        d = d[(cx >= ox) & (cx < ox + cw) & (cy >= oy) & (cy < oy + ch)]
        xyxy = d.xyxy.copy()
        # Clip to the crop first (a box can reach into the grey gap), then map back.
        np.clip(xyxy[:, 0::2], ox, ox + cw, out=xyxy[:, 0::2])
        np.clip(xyxy[:, 1::2], oy, oy + ch, out=xyxy[:, 1::2])
        xyxy[:, 0::2] = (xyxy[:, 0::2] - ox) / z + x
        xyxy[:, 1::2] = (xyxy[:, 1::2] - oy) / z + y
        np.clip(xyxy[:, 0::2], 0, w, out=xyxy[:, 0::2])
        np.clip(xyxy[:, 1::2], 0, h, out=xyxy[:, 1::2])
        kps = None
        if d.keypoints is not None:
            kps = d.keypoints.copy()
            kps[:, :, 0] = (kps[:, :, 0] - ox) / z + x
            kps[:, :, 1] = (kps[:, :, 1] - oy) / z + y
        out.append(Detections(xyxy, d.confidence, d.class_id, kps))
    return out


# How far a player may move between the seed frame and the frame cut, in heights per second;
# CONTEXT already holds 0.35 heights (see the module docstring), beyond that the crop widens.
# A file run cuts 1-2 frames after the seeds (0.04-0.08 s at 25 fps: no widening); a live run
# that drops frames cuts several frames later. Chosen by measurement (benchmarks/README.md, "A live budget").
REACH_PER_S = 1.5
REACH_MAX = 0.35  # heights each side: wider crops cost more model pixels, so the box falls further behind, so they widen more


LIVE_FIRST_SCAN = 6  # most tiles a frame in a live run's first scan (measured, benchmarks/README.md "A live budget")


def reach_for(dt: float) -> float:
    """Extra heights on each side of a crop cut `dt` s after its seeds' frame."""
    return float(min(REACH_MAX, max(0.0, REACH_PER_S * dt - 0.35)))


class CropPlanner:
    """Per frame: crops around the last frame's players + `sweep` tiles of the zoom plan in turn."""

    def __init__(self, sweep: int = 2, seed_conf: float = 0.25):
        self.sweep = sweep
        self.seed_conf = seed_conf
        self.seeds = (np.zeros((0, 4), np.float32), None)  # (boxes, media time s of their frame)
        self._turn = 0
        self._swept = 0  # sweep tiles run so far
        self._tracks: dict[int, tuple[np.ndarray, float, np.ndarray]] = {}  # id -> centre, t, velocity px/s
        self.motion = (np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0))  # tracked centres, velocities, heights

    def follow(self, tracked: Detections, t: float) -> None:
        """Live: the tracker's players, so each crop is moved by its player's velocity (px/s,
        from their last two positions, averaged with the one before) over the time since its seed."""
        if tracked.tracker_id is None:
            return
        person = tracked.class_id == PERSON
        boxes, ids = tracked.xyxy[person], tracked.tracker_id[person]
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        vel = np.zeros((len(ids), 2))
        for k, (tid, c) in enumerate(zip(ids.tolist(), centres)):
            prev = self._tracks.get(tid)
            if prev is not None and t > prev[1]:
                vel[k] = 0.5 * (c - prev[0]) / (t - prev[1]) + 0.5 * prev[2]
            self._tracks[tid] = (c, t, vel[k])
        self._tracks = {k: v for k, v in self._tracks.items() if t - v[1] < 2.0}
        self.motion = (centres, vel, boxes[:, 3] - boxes[:, 1])  # one assignment: the detect thread reads it

    def _moved(self, seeds: np.ndarray, dt: float) -> np.ndarray:
        """The seeds shifted by the velocity of the tracked player nearest each (within a height)."""
        centres, vel, heights = self.motion
        if not len(centres) or not len(seeds) or dt <= 0:
            return seeds
        sc = (seeds[:, :2] + seeds[:, 2:]) / 2
        d = np.linalg.norm(sc[:, None] - centres[None], axis=2)
        near = d.argmin(axis=1)
        ok = d[np.arange(len(seeds)), near] < heights[near]
        shift = np.where(ok[:, None], vel[near] * dt, 0.0)
        return seeds + np.tile(shift, 2)

    def update(self, dets: Detections, t: float | None = None) -> None:
        keep = (dets.confidence >= self.seed_conf) & (dets.class_id == PERSON)
        self.seeds = (dets.xyxy[keep].copy(), t)  # one assignment: the detect thread reads it

    def plan(self, tiles, config, t: float | None = None, live: bool = False, budget: int | None = None):
        """`tiles`: the zoom plan (zoom.TilePlan); returns it whole when nobody is followed yet.

        `live` (a camera: the box must keep up with it) never runs the whole plan (20 tiles on the
        mast are 7-10 × a frame of crops: seconds behind the camera here). The crops come first
        (everybody followed), then the sweep gets what is left of `budget` (model tiles a frame
        may cost, from the time a tile takes): at least 1, at most `sweep`, or LIVE_FIRST_SCAN
        until the first scan of the pitch is done. `t`: the frame's media time; the crops move
        with their players and widen with the time since their seeds' frame."""
        seeds, seed_t = self.seeds
        n = len(tiles)
        if (not len(seeds) and not live) or n <= self.sweep:
            return tiles
        zooms = [t[2] for t in tiles.tiles]
        dt = 0.0 if t is None or seed_t is None else max(0.0, t - seed_t)
        if live:
            seeds = self._moved(seeds, dt)
        crops = crops_for(seeds, tiles.frame_size, target_px=config.target_px, min_zoom=min(zooms),
                          max_zoom=max(zooms), tile_size=tiles.tile_size, reach=reach_for(dt))
        k = self.sweep
        if live:
            most = max(self.sweep, LIVE_FIRST_SCAN) if self._swept < n else self.sweep
            # No timing yet (the first frame): the first scan's most (one tile first lost 0.10 of
            # recall at 2.5 Hz on the mast: the scan ends a frame later and the tracks start later).
            room = most if budget is None else budget - pack(crops, tiles, [], tiles.tile_size, tiles.frame_size).n_tiles
            k = int(np.clip(room, 1, most))
        k = min(k, n)
        sweep_idx = [(self._turn + i) % n for i in range(k)]
        self._turn = (self._turn + k) % n
        self._swept += k
        return pack(crops, tiles, sweep_idx, tiles.tile_size, tiles.frame_size)
