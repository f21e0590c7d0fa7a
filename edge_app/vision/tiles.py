"""The zoom's tiles: where each part of the frame goes through the model, and the merge back.

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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from edge_app.vision.detections import Detections
from edge_app.vision.detectors.yolo import PAD_VALUE, LetterboxParams, decode

HEAD_MARGIN = 1.15  # room above a person's head in a tile, × their height
WIDTH_OF_HEIGHT = 0.6  # a running player's box width, × height: the overlap between tiles in a row


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


def plan_tiles(
    scale,
    frame_size: tuple[int, int],
    tile_size: tuple[int, int],
    *,
    target_px: float = 100.0,
    max_zoom: float = 3.0,
    min_person_px: float = 8.0,
) -> TilePlan:
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

    tiles = [
        (x, y, zoom)
        for y in starts(h, sh, min(HEAD_MARGIN * person, sh / 2))
        for x in starts(w, sw, min(WIDTH_OF_HEIGHT * person, sw / 2))
    ]
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
        tile = cv2.warpAffine(
            image,
            M,
            (tw, th),
            flags=cv2.INTER_LINEAR if z >= 1 else cv2.INTER_AREA,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(PAD_VALUE,) * 3,
        )
        np.multiply(tile.transpose(2, 0, 1)[::-1], scale, out=out[k])
    return out


def decode_tiles(raw: np.ndarray, plan: TilePlan, layout, *, conf: float, iou: float, classes) -> list[Detections]:
    """Per tile: decode + NMS in tile pixels, mapped back to the frame."""
    w, h = plan.frame_size
    outs = []
    for k, (x, y, z) in enumerate(plan.tiles):
        # Undoing a letterbox is (p - pad) / scale; a tile at (x, y) zoomed z is the same with pad = -x·z.
        params = LetterboxParams(scale=z, pad_x=-x * z, pad_y=-y * z, src_w=w, src_h=h)
        outs.append(decode(raw[k : k + 1], layout, params, conf=conf, iou=iou, classes=classes))
    return outs


def merge_tiles(
    per_tile: list[Detections],
    plan: TilePlan,
    *,
    iou: float,
    edge_px: float = 3.0,
    cover: float = 0.6,
    align: float = 0.2,
) -> Detections:
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
    return Detections(
        np.concatenate([p.xyxy for p in parts]),
        np.concatenate([p.confidence for p in parts]),
        np.concatenate([p.class_id for p in parts]),
        kps,
    )
