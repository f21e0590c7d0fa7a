"""One session's positions: per track, where the player stood in each frame, in the image and on the pitch.

Like kloppy's tracking dataset, one typed object (`SessionPositions`) that every consumer after the
session takes as it is: the stitching (identity.py), the metrics and the summary (report.py) and the
charts. Built once from the stored person boxes (`read_positions`), so the rules live here only:
- a track's ghost ends are dropped (`ghost_ends`);
- the ground point is the box's bottom centre, or under the head where a nearer player hides the feet
  (ground.py; `how` says which);
- with a calibration, each point on the pitch in metres (NaN above the horizon), and the samples the
  metrics keep (cleaning.py: `kept`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge_app.positions.camera import CalibratedScale
from edge_app.positions.cleaning import kept_samples
from edge_app.positions.ground import box_ground_points, feet_hidden, track_ground_points

BOX, HEAD = 0, 1  # how a point was found: the box's bottom centre; the feet under the head (hidden feet)

GHOST_GAP_S = 0.5  # a track re-found after this long ...
GHOST_FRAMES = 2  # ... for at most this many frames at its very start or end: not to be trusted (ghost_ends)


@dataclass(frozen=True)
class TrackPositions:
    """One track id's positions, in time order (ghost ends dropped)."""

    track_id: int
    t: np.ndarray  # (n,) s
    frame: np.ndarray  # (n,) frame numbers
    image: np.ndarray  # (n, 2) ground point, px
    height: np.ndarray  # (n,) box height, px
    how: np.ndarray  # (n,) uint8: BOX or HEAD
    pitch: np.ndarray | None  # (n, 2) metres, NaN above the horizon; None without a calibration
    kept: np.ndarray  # (n,) the samples the metrics keep (all, without a calibration)

    def __len__(self) -> int:
        return len(self.t)

    @property
    def points(self) -> np.ndarray:
        """Pitch metres with a calibration, else image pixels."""
        return self.image if self.pitch is None else self.pitch


@dataclass(frozen=True)
class SessionPositions:
    """Every person track of one session (`read_positions`)."""

    session_id: str
    tracks: dict[int, TrackPositions]
    calibration: object | None = None  # pitch.Calibration

    @property
    def units(self) -> str:
        return "px" if self.calibration is None else "m"

    def player(self, track_ids) -> tuple[np.ndarray, np.ndarray]:
        """One player's (t, xy) from all their tracks, in time order: pitch metres with a calibration
        (points above the horizon dropped), image pixels without."""
        parts = [self.tracks[t] for t in track_ids if t in self.tracks]
        if not parts:
            return np.zeros(0), np.zeros((0, 2))
        t = np.concatenate([p.t for p in parts])
        xy = np.concatenate([p.points for p in parts])
        order = np.argsort(t, kind="stable")
        t, xy = t[order], xy[order]
        ok = np.isfinite(xy).all(axis=1)
        return t[ok], xy[ok]


def ghost_ends(t: np.ndarray) -> slice:
    """The part of one track's detection times to trust: without a run of at most `GHOST_FRAMES`
    detections cut off from the rest by more than `GHOST_GAP_S` at either end.

    ByteTrack keeps a lost track for seconds and re-activates it on any box where its Kalman
    prediction drifted; in a bunch that is often one frame on someone else's visible sliver,
    after which the track dies. Seen on the harness's tripod: two players whose tracks ended
    on such a frame overlapped their own next track by it and could not be stitched."""
    t = np.asarray(t, float)
    a, b = 0, len(t)
    if b <= 2 * GHOST_FRAMES:
        return slice(a, b)
    gaps = np.diff(t) > GHOST_GAP_S
    head = np.flatnonzero(gaps[:GHOST_FRAMES])
    if len(head):
        a = int(head[-1]) + 1
    tail = np.flatnonzero(gaps[b - 1 - GHOST_FRAMES :])
    if len(tail):
        b = b - 1 - GHOST_FRAMES + int(tail[0]) + 1
    return slice(a, b)


def session_positions(session_id: str, boxes, frame_size: tuple[int, int] | None, calibration=None) -> SessionPositions:
    """The positions of one session from its person boxes (`store.records.BoxRows`: frame, t, track_id,
    xyxy per box, in frame order)."""
    frame_h = float(frame_size[1]) if frame_size else float("inf")
    xyxy = np.asarray(boxes.xyxy, float).reshape(-1, 4)
    hidden = np.zeros(len(xyxy), bool)
    starts = np.flatnonzero(np.r_[True, np.diff(boxes.frame) != 0]) if len(xyxy) else np.zeros(0, int)
    for a, b in zip(starts, np.r_[starts[1:], len(xyxy)]):
        hidden[a:b] = feet_hidden(xyxy[a:b], frame_h)  # who covers whom: within one frame
    scale = CalibratedScale(calibration, tuple(frame_size)) if calibration is not None and frame_size else None
    tracks = {}
    order = np.argsort(boxes.track_id, kind="stable")  # each track's boxes, still in frame order
    ids, first = np.unique(boxes.track_id[order], return_index=True)
    for tid, rows in zip(ids.tolist(), np.split(order, first[1:])):
        keep = rows[ghost_ends(boxes.t[rows])]
        b = xyxy[keep]
        image = track_ground_points(b, hidden[keep], scale)
        how = np.where((image != box_ground_points(b)).any(axis=1), HEAD, BOX).astype(np.uint8)
        t = np.asarray(boxes.t[keep], float)
        pitch = None if calibration is None else np.asarray(calibration.project(image), float)
        kept = np.ones(len(t), bool) if pitch is None else kept_samples(t, pitch)
        tracks[tid] = TrackPositions(tid, t, np.asarray(boxes.frame[keep]), image, b[:, 3] - b[:, 1], how, pitch, kept)
    return SessionPositions(session_id, tracks, calibration)


def read_positions(store, session_id: str, calibration=None) -> SessionPositions:
    """The positions of a stored session (its person boxes and frame size read from `store`)."""
    sid = store.resolve_id(session_id)
    size = store.get_session(sid).get("frame_size")
    return session_positions(sid, store.person_boxes(sid), tuple(size) if size else None, calibration)
