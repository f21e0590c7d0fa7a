"""Crops around the players already found, packed several to a model tile, plus a sweep.

The zoom tiles (tiles.py) cover the whole pitch every frame; most of it is grass. The camera
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
Live (a camera: processed frames 0.1-0.5 s apart, `plan(live=True)`), the crops move with
their player's tracked velocity and widen with the time since their seeds, a player missed
keeps one for LOST_S, places where the picture moved get one, they share one canvas only as
large as they need, and the sweep gets what is left of the frame's time budget, looking first
where players went missing (docs/ARCHITECTURE.md, "The live budget").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from edge_app.vision.detections import PERSON, Detections
from edge_app.vision.detectors.yolo import PAD_VALUE, LetterboxParams, decode

CONTEXT = (1.3, 1.8)  # crop width and height, × the player's height (a player is ~0.4 as wide as tall)
# Live, crops are moved by their player's velocity and widen with the time since their seeds
# (`reach_for`): 1.2 × 1.6 kept the mast's recall (0.94) for 17 % fewer crop pixels (benchmarks/README.md).
LIVE_CONTEXT = (1.2, 1.6)
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
        return np.array(
            [(x, y, x + p[3] / z, y + p[4] / z) for (x, y, z), p in zip(self.tiles, self.places)], np.float64
        ).reshape(-1, 4)

    @property
    def model_pixels(self) -> int:
        return self.n_tiles * self.tile_size[0] * self.tile_size[1]


def crops_for(
    seeds: np.ndarray,
    frame_size: tuple[int, int],
    *,
    target_px: float,
    min_zoom: float,
    max_zoom: float,
    tile_size: tuple[int, int],
    reach=0.0,
    context=CONTEXT,
) -> list[tuple[float, float, float, int, int]]:
    """(x, y, zoom, w, h) per seed box: `context` × its height around it, widened by `reach`
    heights on every side (one for all, or one per seed), at the zoom it needs."""
    w, h = frame_size
    tw, th = tile_size
    out = []
    for (x1, y1, x2, y2), seed_reach in zip(seeds, np.broadcast_to(np.asarray(reach, np.float64), len(seeds))):
        height = max(y2 - y1, 4.0)
        zoom = float(np.clip(target_px / height, min_zoom, max_zoom))
        cw = int(math.ceil(min((context[0] + 2 * seed_reach) * height * zoom, tw) / 8) * 8)  # model px
        ch = int(math.ceil(min((context[1] + 2 * seed_reach) * height * zoom, th) / 8) * 8)
        cw, ch = min(cw, tw), min(ch, th)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        x = float(np.clip(cx - cw / zoom / 2, 0, max(0.0, w - cw / zoom)))
        y = float(np.clip(cy - ch / zoom / 2, 0, max(0.0, h - ch / zoom)))
        out.append((x, y, zoom, cw, ch))
    return out


def merge_overlapping(crops, tile_size: tuple[int, int]) -> list[tuple[float, float, float, int, int]]:
    """Overlapping crops (a bunch of players) become one around both, at the larger zoom, where
    that costs no more model pixels than the two and fits a tile: the pixels they share are
    run once, and a player between two crops is whole in one."""
    tw, th = tile_size
    crops = list(crops)
    merged = True
    while merged:
        merged = False
        for i in range(len(crops)):
            xi, yi, zi, wi, hi = crops[i]
            for j in range(i + 1, len(crops)):
                xj, yj, zj, wj, hj = crops[j]
                x1, y1 = min(xi, xj), min(yi, yj)
                x2, y2 = max(xi + wi / zi, xj + wj / zj), max(yi + hi / zi, yj + hj / zj)
                if min(xi + wi / zi, xj + wj / zj) <= max(xi, xj) or min(yi + hi / zi, yj + hj / zj) <= max(yi, yj):
                    continue  # apart
                z = max(zi, zj)
                cw, ch = int(math.ceil((x2 - x1) * z / 8) * 8), int(math.ceil((y2 - y1) * z / 8) * 8)
                if cw <= tw and ch <= th and cw * ch <= wi * hi + wj * hj:
                    crops[i] = (x1, y1, z, cw, ch)
                    del crops[j]
                    merged = True
                    break
            if merged:
                break
    return crops


def pack(
    crops,
    sweep,
    sweep_idx: list[int],
    tile_size: tuple[int, int],
    frame_size,
    max_height: int | None = None,
    step: int = 32,
) -> PackedPlan:
    """Shelf-pack the crops (tallest first) into tiles, after the sweep's whole tiles.

    `max_height` (live, a backend that takes any input size): when the sweep tiles and the
    shelves fit one canvas that high, they go in one, only as large as they need (multiples of
    `step`; crops alone: the width that needs the fewest pixels): the rest of a tile is grey the
    model would still run."""
    tw, th = tile_size
    if max_height is not None:
        canvas = _one_canvas(crops, sweep, sweep_idx, tile_size, frame_size, max_height, step)
        if canvas is not None:
            return canvas
    tiles, places = [], []
    for i, k in enumerate(sweep_idx):
        tiles.append(sweep.tiles[k])
        places.append((i, 0, 0, tw, th))
    n = len(sweep_idx)
    y = th  # no tile open yet
    for shelf_h, row in _rows(crops, tw):
        if y + shelf_h > th:  # next tile
            n, y = n + 1, 0
        for (cx, cy, z, cw, ch), x in row:
            places.append((n - 1, x, y, cw, ch))
            tiles.append((cx, cy, z))
        y += shelf_h + GAP
    return PackedPlan(tuple(tiles), tuple(places), n, tile_size, frame_size)


def _rows(crops, width: int) -> list[tuple[int, list]]:
    """The crops, tallest first, on shelves at most `width` wide: [(shelf height, [(crop, x), ...]), ...]."""
    rows: list[tuple[int, list]] = []
    cursor = 0
    for crop in sorted(crops, key=lambda c: -c[4]):
        cw = crop[3]
        if not rows or (cursor and cursor + cw > width):  # next shelf
            rows.append((crop[4], []))
            cursor = 0
        rows[-1][1].append((crop, cursor))
        cursor += cw + GAP
    return rows


def _one_canvas(crops, sweep, sweep_idx, tile_size, frame_size, max_height: int, step: int) -> PackedPlan | None:
    tw, th = tile_size
    if sweep_idx:
        return _shelves(crops, [sweep.tiles[k] for k in sweep_idx], tile_size, tw, frame_size, max_height, step)
    # Crops alone: the canvas width (a multiple of `step`, or the tiles') that needs the fewest pixels.
    narrowest = max(step, int(math.ceil(max(c[3] for c in crops) / step)) * step) if crops else tw
    widths = sorted({min(w, tw) for w in range(narrowest, tw + step, step)})
    plans = [_shelves(crops, [], tile_size, w, frame_size, max_height, step) for w in widths]
    plans = [p for p in plans if p is not None]
    return min(plans, key=lambda p: p.model_pixels) if plans else None


def _shelves(
    crops, sweep_tiles, tile_size, width: int, frame_size, max_height: int, step: int = 32
) -> PackedPlan | None:
    """Whole sweep tiles on top, then the crops on shelves (tallest first), in one canvas `width`
    wide and as high as needed (a multiple of `step`); None over `max_height`."""
    tw, th = tile_size
    tiles, places = [], []
    y = 0
    for tile in sweep_tiles:
        tiles.append(tile)
        places.append((0, 0, y, tw, th))
        y += th + GAP
    for shelf_h, row in _rows(crops, width):
        for (cx, cy, z, cw, ch), x in row:
            places.append((0, x, y, cw, ch))
            tiles.append((cx, cy, z))
        y += shelf_h + GAP
    height = max(step, int(math.ceil((y - GAP) / step)) * step)
    if height > max_height:
        return None
    return PackedPlan(tuple(tiles), tuple(places), 1, (width, height), frame_size)


def packed_batch(image: np.ndarray, plan: PackedPlan, out: np.ndarray | None = None) -> np.ndarray:
    tw, th = plan.tile_size
    if out is None or out.shape != (plan.n_tiles, 3, th, tw):
        out = np.empty((plan.n_tiles, 3, th, tw), np.float32)
    canvas = np.full((plan.n_tiles, th, tw, 3), PAD_VALUE, np.uint8)
    for (x, y, z), (k, ox, oy, cw, ch) in zip(plan.tiles, plan.places):
        M = np.array([[z, 0, -x * z], [0, z, -y * z]], np.float64)
        canvas[k, oy : oy + ch, ox : ox + cw] = cv2.warpAffine(
            image,
            M,
            (cw, ch),
            flags=cv2.INTER_LINEAR if z >= 1 else cv2.INTER_AREA,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(PAD_VALUE,) * 3,
        )
    np.multiply(canvas.transpose(0, 3, 1, 2)[:, ::-1], np.float32(1 / 255), out=out)
    return out


def decode_packed(raw: np.ndarray, plan: PackedPlan, layout, *, conf: float, iou: float, classes) -> list[Detections]:
    """Per crop: the tile's detections whose centre falls in the crop, mapped back to the frame."""
    tw, th = plan.tile_size
    w, h = plan.frame_size
    identity = LetterboxParams(scale=1.0, pad_x=0, pad_y=0, src_w=tw, src_h=th)
    per_tile = [
        decode(raw[k : k + 1], layout, identity, conf=conf, iou=iou, classes=classes) for k in range(plan.n_tiles)
    ]
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
REACH_MAX = (
    0.35  # heights each side: wider crops cost more model pixels, so the box falls further behind, so they widen more
)


LIVE_FIRST_SCAN = 6  # most tiles a frame in a live run's first scan (measured, benchmarks/README.md "A live budget")
LIVE_SWEEP_EVERY_S = (
    1.0  # live: a sweep tile at least this often, so a box too slow for its budget still finds new players
)
LOST_S = 1.0  # live: a followed player the last frame missed keeps a crop this long (moved by their velocity)
SEARCH_S = 10.0  # live: then the sweep looks first where they were last seen, for this long
MIN_MOVING = 12  # motion.MotionMap px (a 40 px player at 1080p is ~10 × 4 of them) for a place that moved to get a crop
MAX_BLOB_CROPS = 24  # a frame (a shaking camera or a change of light moves everything)


def _inside(rects: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(len(rects), len(points)) bool: each point (x, y) inside each rectangle (x1, y1, x2, y2)."""
    r, p = rects[:, None], points[None]
    return (r[..., 0] <= p[..., 0]) & (p[..., 0] < r[..., 2]) & (r[..., 1] <= p[..., 1]) & (p[..., 1] < r[..., 3])


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
        self._last_sweep: float | None = None  # media time of the last sweep tile
        self.missing: dict[int, np.ndarray] = {}  # live: track id -> last box, for tracks lost LOST_S-SEARCH_S ago
        self._searched: set[int] = set()  # missing tracks whose last place a sweep tile has looked at
        self._scanned: set[int] = set()  # tiles run in the first scan (live)
        self._credit = 0.0  # live: model pixels the budget left unused since the last sweep tile
        self._tracks: dict[int, tuple[np.ndarray, float, np.ndarray]] = {}  # id -> box, t, velocity px/s
        # tracked centres, velocities, heights; the boxes, times and velocities of tracks lost < LOST_S
        self.followed = (
            np.zeros((0, 2)),
            np.zeros((0, 2)),
            np.zeros(0),
            np.zeros((0, 4)),
            np.zeros(0),
            np.zeros((0, 2)),
        )

    def follow(self, tracked: Detections, t: float) -> None:
        """Live: the tracker's players, so each crop is moved by its player's velocity (px/s,
        from their last two positions, averaged with the one before) over the time since its
        seed; and a player the last frame missed keeps a crop for LOST_S."""
        if tracked.tracker_id is None:
            return
        person = tracked.class_id == PERSON
        boxes, ids = tracked.xyxy[person], tracked.tracker_id[person]
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        vel = np.zeros((len(ids), 2))
        tracks = dict(self._tracks)
        for k, (tid, box) in enumerate(zip(ids.tolist(), boxes)):
            prev = tracks.get(tid)
            if prev is not None and t > prev[1]:
                c0 = (prev[0][:2] + prev[0][2:]) / 2
                vel[k] = 0.5 * (centres[k] - c0) / (t - prev[1]) + 0.5 * prev[2]
            tracks[tid] = (np.asarray(box, np.float64), t, vel[k])
        self._tracks = {k: v for k, v in tracks.items() if t - v[1] < SEARCH_S}
        lost = [v for v in self._tracks.values() if t - LOST_S <= v[1] < t]
        # Lost longer: where they were last seen, for the sweep to look there first (one assignment).
        self.missing = {k: v[0] for k, v in self._tracks.items() if v[1] < t - LOST_S}
        lost_boxes = np.array([v[0] for v in lost]).reshape(-1, 4)
        lost_t, lost_vel = np.array([v[1] for v in lost]), np.array([v[2] for v in lost]).reshape(-1, 2)
        # One assignment: the detect thread reads it.
        self.followed = (centres, vel, boxes[:, 3] - boxes[:, 1], lost_boxes, lost_t, lost_vel)

    def _moved(self, seeds: np.ndarray, dt: float) -> np.ndarray:
        """The seeds shifted by the velocity of the tracked player nearest each (within a height)."""
        centres, vel, heights = self.followed[:3]
        if not len(centres) or not len(seeds) or dt <= 0:
            return seeds
        sc = (seeds[:, :2] + seeds[:, 2:]) / 2
        d = np.linalg.norm(sc[:, None] - centres[None], axis=2)
        near = d.argmin(axis=1)
        ok = d[np.arange(len(seeds)), near] < heights[near]
        shift = np.where(ok[:, None], vel[near] * dt, 0.0)
        return seeds + np.tile(shift, 2)

    def _lost(self, seeds: np.ndarray, t: float | None) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (moved by their velocity to `t`) and times since seen of the tracks lost
        < LOST_S that no seed already covers (none within a height of their centre)."""
        boxes, seen, vel = self.followed[3:]
        if t is None or not len(boxes):
            return np.zeros((0, 4)), np.zeros(0)
        dt = np.maximum(0.0, t - seen)
        boxes = boxes + np.tile(vel * dt[:, None], 2)
        if len(seeds):
            c = (boxes[:, :2] + boxes[:, 2:]) / 2
            sc = (seeds[:, :2] + seeds[:, 2:]) / 2
            near = np.linalg.norm(c[:, None] - sc[None], axis=2).min(axis=1) < boxes[:, 3] - boxes[:, 1]
            boxes, dt = boxes[~near], dt[~near]
        return boxes, dt

    def update(self, dets: Detections, t: float | None = None) -> None:
        keep = (dets.confidence >= self.seed_conf) & (dets.class_id == PERSON)
        self.seeds = (dets.xyxy[keep].copy(), t)  # one assignment: the detect thread reads it

    def plan(
        self,
        tiles,
        config,
        t: float | None = None,
        live: bool = False,
        budget: float | None = None,
        max_height: int | None = None,
        motion=None,
        step: int = 32,
        *,
        follow: bool = False,
    ):
        """`tiles`: the zoom plan (tiles.TilePlan); returns it whole when nobody is followed yet.

        `live` (a camera: the box must keep up with it) never runs the whole plan (20 tiles on the
        mast are 7-10 × a frame of crops: seconds behind the camera here). The crops come first:
        everybody followed, those missed < LOST_S ago, and where the picture moved outside them
        (`motion`, a motion.MotionMap: a player nobody follows yet who moves is found the next
        frame). The sweep gets what is left of `budget` (model pixels a frame may cost, from the
        time a pixel takes): a tile whenever the pixels left over add up to one, at least one
        every LIVE_SWEEP_EVERY_S, at most LIVE_FIRST_SCAN a frame in the first scan of the pitch
        (each tile once), then `sweep`; after the first scan it looks first where missing
        players were last seen (`_search`), then in turn. `t`: the frame's media time; the crops
        move with their players and widen with the time since their seeds' frame. `max_height`:
        a backend that takes any input size gets one canvas (`pack`), in multiples of `step`. `follow`
        (frames >= 0.1 s apart: live, or a sparse file): the crops move with the followed players and
        keep those missed < LOST_S, as live, without the live budget."""
        seeds, seed_t = self.seeds
        n = len(tiles)
        if (not len(seeds) and not live) or n <= self.sweep:
            return tiles
        zooms = [t[2] for t in tiles.tiles]
        dt = 0.0 if t is None or seed_t is None else max(0.0, t - seed_t)
        reach = reach_for(dt)
        if live or follow:
            seeds = self._moved(seeds, dt)
            lost, since = self._lost(seeds, t)
            seeds = np.concatenate([seeds, lost])
            reach = np.r_[np.full(len(seeds) - len(lost), reach), [reach_for(s) for s in since]]
        crops = crops_for(
            seeds,
            tiles.frame_size,
            target_px=config.target_px,
            min_zoom=min(zooms),
            max_zoom=max(zooms),
            tile_size=tiles.tile_size,
            reach=reach,
            context=LIVE_CONTEXT if live else CONTEXT,
        )
        k = self.sweep
        if live:
            if motion is not None:
                crops = crops + self._blob_crops(tiles, crops, motion, config.target_px)
            crops = merge_overlapping(crops, tiles.tile_size)
            alone = pack(crops, tiles, [], tiles.tile_size, tiles.frame_size, max_height, step)
            k = self._live_sweep(alone.model_pixels, tiles, budget, t)
        k = min(k, n)
        sweep_idx = []
        scanning = live and self._swept < n  # the first scan of the pitch: each tile once
        if live and not scanning:
            sweep_idx = self._search(tiles, k)
        while len(sweep_idx) < k:  # the rest in turn
            i, self._turn = self._turn, (self._turn + 1) % n
            if i not in sweep_idx and not (scanning and i in self._scanned):
                sweep_idx.append(i)
        if scanning:
            self._scanned |= set(sweep_idx)
        self._swept += k
        if live and not sweep_idx:
            return alone
        return pack(crops, tiles, sweep_idx, tiles.tile_size, tiles.frame_size, max_height if live else None, step)

    def _blob_crops(self, tiles, crops, motion, target_px: float) -> list[tuple[float, float, float, int, int]]:
        """Crops where the picture moved outside the crops (motion.MotionMap blobs): players nobody
        follows yet who move (coming on, lost, or not yet scanned) are found the next frame, not when
        the sweep comes round. Each at the plan's zoom there, around the whole blob (a bunch moves as
        one) plus 0.4 of a person's height each side, at least LIVE_CONTEXT; at most a tile."""
        rects = np.array([(x, y, x + w / z, y + h / z) for x, y, z, w, h in crops]).reshape(-1, 4)
        blobs = motion.blobs(rects, MIN_MOVING)
        tile_rects, (tw, th), (W, H) = tiles.rects(), tiles.tile_size, tiles.frame_size
        out = []
        for x1, y1, x2, y2 in blobs[:MAX_BLOB_CROPS]:
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            holds = _inside(tile_rects, np.array([[cx, cy]]))[:, 0]
            if not holds.any():
                continue  # off the pitch
            z = max(t[2] for t, ok in zip(tiles.tiles, holds) if ok)
            person = target_px / z
            w = max(x2 - x1 + 0.8 * person, LIVE_CONTEXT[0] * person)
            h = max(y2 - y1 + 0.8 * person, LIVE_CONTEXT[1] * person)
            cw, ch = min(tw, int(math.ceil(w * z / 8) * 8)), min(th, int(math.ceil(h * z / 8) * 8))
            x = float(np.clip(cx - cw / z / 2, 0, max(0.0, W - cw / z)))
            y = float(np.clip(cy - ch / z / 2, 0, max(0.0, H - ch / z)))
            out.append((x, y, float(z), cw, ch))
        return out

    def _search(self, tiles, k: int) -> list[int]:
        """Up to `k` sweep tiles that hold the last places of the most missing players, each place
        looked at once (a player lost behind others or who stopped is found in a frame or two, not
        when the turn comes round: 20 tiles on the mast are 4-8 s)."""
        missing = self.missing
        self._searched &= set(missing)
        todo = np.array([b for tid, b in missing.items() if tid not in self._searched]).reshape(-1, 4)
        ids = [tid for tid in missing if tid not in self._searched]
        if not len(todo):
            return []
        inside = _inside(tiles.rects(), (todo[:, :2] + todo[:, 2:]) / 2)
        picked = []
        while len(picked) < k and inside.any():
            best = int(inside.sum(axis=1).argmax())
            picked.append(best)
            self._searched |= {ids[j] for j in np.flatnonzero(inside[best])}
            inside[:, inside[best]] = False
        return picked

    def _live_sweep(self, crops_px: int, tiles, budget: float | None, t: float | None) -> int:
        """Sweep tiles this live frame (see `plan`): a tile whenever what the crops (`crops_px`, as
        packed: the model runs the grey between them too) leave of the budget adds up to one; at
        most LIVE_FIRST_SCAN a frame in the first scan (then `sweep`), at least one every
        LIVE_SWEEP_EVERY_S."""
        tile_px = tiles.tile_size[0] * tiles.tile_size[1]
        scanning = self._swept < len(tiles)
        most = min(max(self.sweep, LIVE_FIRST_SCAN), len(tiles) - self._swept) if scanning else self.sweep
        if budget is None:  # no timing yet (the first frame)
            self._last_sweep = t
            return min(most, 2)
        self._credit = min(self._credit + budget - crops_px, tile_px * most)
        k = int(max(0.0, self._credit) // tile_px)
        overdue = t is not None and self._last_sweep is not None and t - self._last_sweep >= LIVE_SWEEP_EVERY_S
        k = min(most, max(k, 1 if overdue else 0))
        if k:
            self._credit = max(0.0, self._credit - k * tile_px)
            self._last_sweep = t
        return k
