"""A photo per track: each track's best-seen crop, so a coach can tell who a player is.

Best = the tallest box that is clear of every other box (a crop with two people in it shows no one),
confident, and not cut by the frame's edge; a track never seen clear gets its tallest crowded one. A better crop is copied at once (a slice, cheap) but
JPEG-encoded at most once a second per track; `finish` encodes what is still waiting, so the
tallest clear box of each track is always the one stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from edge_app.vision.detections import PERSON, Detections

PHOTO_HEIGHT = 128  # px: a list thumbnail and the phone's avatar; a few KB of JPEG
JPEG_QUALITY = 80
ENCODE_EVERY_S = 1.0  # per track: the live budget pays for at most one encode a second each
MIN_SCORE = 0.5
MIN_HEIGHT = 24.0  # px: smaller crops are unrecognisable
MAX_OVERLAP = 0.05  # of the box's area covered by another box
EDGE_PX = 2.0  # a box this close to the frame's edge is cut by it


@dataclass(frozen=True)
class TrackPhoto:
    """One encoded crop, as the store keeps it (the best per track)."""

    track_id: int
    frame: int
    t: float
    jpeg: bytes
    box_height: float
    score: float
    clear: bool = True  # clear of every other box; False: the track's best was in a bunch


def photo_candidates(
    tracked: Detections,
    frame_shape: tuple[int, ...],
    *,
    min_score: float = MIN_SCORE,
    min_height: float = MIN_HEIGHT,
    max_overlap: float = MAX_OVERLAP,
    edge_px: float = EDGE_PX,
) -> np.ndarray:
    """Indices of the tracked person boxes fit for a photo: confident, tall enough, inside the frame
    and clear of every other box (the overlap test of `identity.appearance_samples`, on the whole box)."""
    n = len(tracked)
    if not n or tracked.tracker_id is None:
        return np.zeros(0, np.int64)
    h, w = frame_shape[:2]
    xyxy = np.asarray(tracked.xyxy, np.float32).reshape(n, 4)
    bw, bh = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
    ok = (
        (np.asarray(tracked.class_id) == PERSON)
        & (np.asarray(tracked.confidence) >= min_score)
        & (bh >= min_height)
        & (bw >= 1)
        & (xyxy[:, 0] > edge_px)
        & (xyxy[:, 1] > edge_px)
        & (xyxy[:, 2] < w - edge_px)
        & (xyxy[:, 3] < h - edge_px)
    )
    if n > 1 and ok.any():
        # pairwise intersections, the box with itself left out
        ix = np.clip(
            np.minimum(xyxy[:, None, 2], xyxy[None, :, 2]) - np.maximum(xyxy[:, None, 0], xyxy[None, :, 0]), 0, None
        )
        iy = np.clip(
            np.minimum(xyxy[:, None, 3], xyxy[None, :, 3]) - np.maximum(xyxy[:, None, 1], xyxy[None, :, 1]), 0, None
        )
        inter = ix * iy
        np.fill_diagonal(inter, 0)
        ok &= inter.max(axis=1) <= max_overlap * bw * bh
    return np.flatnonzero(ok)


def encode_photo(crop: np.ndarray, height: int = PHOTO_HEIGHT, quality: int = JPEG_QUALITY) -> bytes:
    """A BGR crop as a JPEG at most `height` px tall, aspect kept (never enlarged)."""
    ch, cw = crop.shape[:2]
    if ch > height:
        crop = cv2.resize(crop, (max(1, round(cw * height / ch)), height), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("could not encode a player photo as JPEG")
    return buf.tobytes()


class TrackPhotos:
    """Per track, the best crop seen so far; `update` each frame returns the photos to store now."""

    def __init__(self, every_s: float = ENCODE_EVERY_S):
        self.every_s = float(every_s)
        self._best: dict[int, tuple[bool, float]] = {}  # track id -> (clear, height) of its best crop so far
        self._waiting: dict[int, tuple] = {}  # track id -> (frame, t, crop, (clear, height), score), not encoded
        self._encoded_at: dict[int, float] = {}  # track id -> media time of its last encode

    def update(self, image: np.ndarray, tracked: Detections, frame: int, t: float) -> list[TrackPhoto]:
        clear = set(photo_candidates(tracked, image.shape).tolist())
        # A track only ever seen in a bunch still gets a photo (a crowded crop beats none); any clear crop
        # replaces it: the rank is (clear, height), as the store's.
        for i in photo_candidates(tracked, image.shape, max_overlap=np.inf):
            tid = int(tracked.tracker_id[i])
            x1, y1, x2, y2 = np.asarray(tracked.xyxy[i], np.float64)
            rank = (i in clear, float(y2 - y1))
            if rank <= self._best.get(tid, (False, 0.0)):
                continue
            self._best[tid] = rank
            crop = image[int(round(y1)) : int(round(y2)), int(round(x1)) : int(round(x2))].copy()
            self._waiting[tid] = (int(frame), float(t), crop, rank, float(tracked.confidence[i]))
        due = [tid for tid in self._waiting if t - self._encoded_at.get(tid, -np.inf) >= self.every_s]
        return [self._encode(tid, t) for tid in due]

    def finish(self) -> list[TrackPhoto]:
        """The crops still waiting for their encode (the run ended)."""
        return [self._encode(tid, None) for tid in list(self._waiting)]

    def _encode(self, tid: int, now: float | None) -> TrackPhoto:
        frame, t, crop, (clear, height), score = self._waiting.pop(tid)
        if now is not None:
            self._encoded_at[tid] = now
        return TrackPhoto(tid, frame, t, encode_photo(crop), height, score, clear)
