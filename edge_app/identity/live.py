"""Live names across a track break (issue #16): an online re-linker for the live cards.

ByteTrack gives a player a new track id whenever it loses them for longer than its buffer; live, the
card would become a new "player". `LiveIdentity.update` gives each new track id a stable player key
("P1", "P2", ...): the key of a recently lost player when one candidate clearly wins, else a new one.
The after-session assignment (`assign`) still decides who is who for the record; this is the live view.

A lost player (their track absent from the frame, for at most `KEEP_S`) is a candidate for a new track when

- reach: the new track's first point is within `MAX_SPEED` x gap + `SLACK_M` of the player's last one
  (pitch metres with a calibration; else pixels turned into metres by the box height, as `stitch` does);
- colour: where both have a torso histogram (`appearance`), its distance is at most `MAX_APPEARANCE`.

Cost = the miss between the new point and where the player's last heading puts them (`stitch.end_velocity`,
carried at most `stitch.PREDICT_S`) / (`TYPICAL_SPEED` x gap + `SLACK_M`) + colour / `APP_SCALE` (a constant
when a histogram is missing: colour then says neither yes nor no). The new tracks of a frame and the lost
players are assigned jointly (Hungarian), and a link is taken only when it clearly wins: its cost is
under `MAX_COST` and every alternative (another candidate, another new track, or swapping with another
link) costs at least `MARGIN` more. A wrong live link mixes two players' running totals; a missed one
costs a card. Decided on the track's first frame: the card never changes key afterwards.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from edge_app.identity.appearance import histogram_distance
from edge_app.identity.stitch import PREDICT_S, VELOCITY_WINDOW_S, end_velocity
from edge_app.positions.camera import PERSON_M
from edge_app.positions.ground import box_ground_points

MAX_SPEED = 8.0  # m/s over the gap: a sprint held; unseen players rarely keep one up
SLACK_M = 1.5  # position noise at either end
TYPICAL_SPEED = 2.0  # how far a player usually gets: the scale of the miss
KEEP_S = 10.0  # a player lost for longer gets no live re-link (the after-session pass still may)
MAX_APPEARANCE = 0.35  # the stitching's colour gate
APP_SCALE = 0.35
APP_MISSING = 0.5  # the colour term when a histogram is missing: about one person's own distance
MAX_COST = 1.5
MARGIN = 0.5
_BIG = 1e6


@dataclass
class _Track:
    key: str
    t: deque = field(default_factory=deque)  # times of the last VELOCITY_WINDOW_S
    xy: deque = field(default_factory=deque)  # points (metres or px) at those times
    height: float = 1.0  # last box height, px


class LiveIdentity:
    """`update(t, track_ids, boxes, pitch_xy=None, appearance=None) -> {track_id: player_key}` per frame.

    `boxes`: (N, 4) xyxy of the person tracks; `pitch_xy`: their (N, 2) pitch metres (None without a
    calibration: the boxes' bottom centres, scaled by height); `appearance`: track id -> torso histogram
    for the tracks sampled this frame (`appearance.appearance_samples`)."""

    def __init__(self, prefix: str = "P"):
        self.prefix = prefix
        self.tracks: dict[int, _Track] = {}  # every track id still mapped (in the frame or lost)
        self.holder: dict[str, int] = {}  # key -> its current track
        self.last_t: dict[str, float] = {}  # key -> when its player was last seen
        self.hist: dict[str, np.ndarray] = {}  # key -> sum of its torso histograms
        self.links = 0  # new tracks given an old key (for tests and the log)
        self._next = 1

    def known(self, track_id: int) -> bool:
        return int(track_id) in self.tracks

    def _new_key(self) -> str:
        key = f"{self.prefix}{self._next}"
        self._next += 1
        return key

    def update(self, t: float, track_ids, boxes, pitch_xy=None, appearance: dict | None = None) -> dict[int, str]:
        ids = [int(i) for i in np.asarray(track_ids).reshape(-1)]
        boxes = np.asarray(boxes, float).reshape(-1, 4)
        metres = pitch_xy is not None
        pts = np.asarray(pitch_xy, float).reshape(-1, 2) if metres else box_ground_points(boxes).astype(float)
        heights = np.maximum(boxes[:, 3] - boxes[:, 1], 1.0)
        appearance = appearance or {}
        # Past KEEP_S a lost player is forgotten (a long session sees hundreds of tracks).
        for key in [k for k, lt in self.last_t.items() if t - lt > KEEP_S]:
            self.tracks.pop(self.holder.pop(key), None)
            self.last_t.pop(key)
            self.hist.pop(key, None)
        new = [k for k, tid in enumerate(ids) if tid not in self.tracks]
        if new:
            self._place(t, set(ids), [ids[k] for k in new], pts[new], heights[new], appearance, metres)
        for k, tid in enumerate(ids):
            tr = self.tracks[tid]
            if np.isfinite(pts[k]).all():
                tr.t.append(t)
                tr.xy.append(pts[k])
                while tr.t and tr.t[0] < t - VELOCITY_WINDOW_S:
                    tr.t.popleft()
                    tr.xy.popleft()
            tr.height = float(heights[k])
            self.last_t[tr.key] = t
            h = appearance.get(tid)
            if h is not None:
                h = np.asarray(h, np.float64)
                old = self.hist.get(tr.key)
                self.hist[tr.key] = h if old is None or old.shape != h.shape else old + h
        return {tid: self.tracks[tid].key for tid in ids}

    def _place(self, t, present, new_ids, pts, heights, appearance, metres) -> None:
        """Give each new track an old key (a clear winner) or a new one."""
        free = [k for k, tid in self.holder.items() if tid not in present and self.tracks[tid].t]
        keys = [None] * len(new_ids)
        if free:
            cost = self._costs(t, free, pts, heights, [appearance.get(i) for i in new_ids], metres)
            for i, j in _clear_links(cost):
                keys[i] = free[j]
        for i, tid in enumerate(new_ids):
            key = keys[i]
            if key is None:
                key = self._new_key()
            else:
                self.tracks.pop(self.holder[key], None)  # its old track, if ByteTrack revives it, is someone new
                self.links += 1
            self.holder[key] = tid
            self.tracks[tid] = _Track(key)

    def _costs(self, t, free, pts, heights, hists, metres) -> np.ndarray:
        """(new tracks, lost players) cost; `_BIG` where a gate forbids the link."""
        lost = [self.tracks[self.holder[k]] for k in free]
        last = np.array([tr.xy[-1] for tr in lost], float)
        vel = np.array([end_velocity(np.array(tr.t), np.array(tr.xy), first=False) for tr in lost], float)
        gap = np.maximum(t - np.array([self.last_t[k] for k in free]), 0.0)
        pred = last + vel * np.minimum(gap, PREDICT_S)[:, None]
        if metres:
            scale = np.ones((len(pts), len(free)))
        else:  # metres per px from the two boxes' heights
            hl = np.array([tr.height for tr in lost])
            scale = PERSON_M / np.maximum((heights[:, None] + hl[None, :]) / 2, 1.0)
        raw = np.linalg.norm(pts[:, None, :] - last[None, :, :], axis=2) * scale
        miss = np.linalg.norm(pts[:, None, :] - pred[None, :, :], axis=2) * scale
        motion = miss / (TYPICAL_SPEED * gap + SLACK_M)[None, :]
        colour = np.full(motion.shape, APP_MISSING)
        ok = raw <= MAX_SPEED * gap[None, :] + SLACK_M
        for i, h in enumerate(hists):
            if h is None:
                continue
            for j, k in enumerate(free):
                if k in self.hist and ok[i, j]:
                    d = histogram_distance(h, self.hist[k] / self.hist[k].sum())
                    colour[i, j] = d / APP_SCALE
                    ok[i, j] &= d <= MAX_APPEARANCE
        ok &= np.isfinite(motion)
        return np.where(ok, motion + colour, _BIG)


def _clear_links(cost: np.ndarray) -> list[tuple[int, int]]:
    """The Hungarian links (rows: new tracks, columns: lost players) under `MAX_COST` that beat every
    alternative by `MARGIN`: the same row or column with another partner, or a swap with another link."""
    rows, cols = linear_sum_assignment(cost)
    keep = cost[rows, cols] <= MAX_COST
    rows, cols = rows[keep], cols[keep]
    if not len(rows):
        return []
    n, m = cost.shape
    col_of = np.full(n, -1)
    row_of = np.full(m, -1)
    col_of[rows], row_of[cols] = cols, rows
    out = []
    for i, j in zip(rows, cols):
        c = cost[i, j]
        # row i with another column j2: j2's own link (if any) takes column j instead
        back = np.where(row_of >= 0, cost[np.maximum(row_of, 0), j] - cost[np.maximum(row_of, 0), np.arange(m)], 0.0)
        alt_row = cost[i] + back - c
        alt_row[j] = np.inf
        # column j with another row i2: i2's own link (if any) goes to row i instead
        fwd = np.where(col_of >= 0, cost[i, np.maximum(col_of, 0)] - cost[np.arange(n), np.maximum(col_of, 0)], 0.0)
        alt_col = cost[:, j] + fwd - c
        alt_col[i] = np.inf
        if min(alt_row.min(initial=np.inf), alt_col.min(initial=np.inf)) >= MARGIN:
            out.append((int(i), int(j)))
    return out
