"""MediaPipe pose on crops of tracked players, under a per-frame time budget.

The tracker hands us `Detections` with `tracker_id` set. For each frame we pick
players round-robin (a cursor on the track id that persists between frames, so
every tracked player gets a turn), crop each one's padded box out of the frame
(a view; only the crop is converted to contiguous RGB, which MediaPipe needs),
run MediaPipe Pose on it and map the 33 landmarks back to full-frame pixels.
We stop starting new crops once the next one would overrun the budget,
estimated from a running mean of per-crop latency; at least one crop per frame
always runs when any player is eligible.

Only `mediapipe==0.10.21` (x86-64) and `0.10.18` (aarch64, the Jetson: 0.10.21 has no wheel there)
ship the pose model in their wheels (ARCHITECTURE §6), and only `model_complexity=1`
(`pose_landmark_full.tflite`) is bundled.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_app.errors import AxolotlError
from edge_app.quiet import native_stderr_muted
from edge_app.vision.detections import PERSON, Detections

NUM_LANDMARKS = 33
MEDIAPIPE_FIX = "pip install mediapipe==0.10.21 (0.10.18 on aarch64), or run with pose off (--no-pose)"
_BUNDLED_MODELS = ("modules/pose_landmark/pose_landmark_full.tflite", "modules/pose_detection/pose_detection.tflite")
_EMA_ALPHA = 0.2  # weight of the newest crop in the running mean of per-crop latency

# Landmark indices (MediaPipe BlazePose topology) used by callers and tests.
NOSE = 0
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_WRIST, RIGHT_WRIST = 15, 16
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_KNEE, RIGHT_KNEE = 25, 26
LEFT_ANKLE, RIGHT_ANKLE = 27, 28
LEFT_ELBOW, RIGHT_ELBOW = 13, 14
# The limbs drawn over a player (a subset of MediaPipe's POSE_CONNECTIONS, without the face and hands).
SKELETON = (
    (LEFT_SHOULDER, RIGHT_SHOULDER),
    (LEFT_SHOULDER, LEFT_ELBOW),
    (LEFT_ELBOW, LEFT_WRIST),
    (RIGHT_SHOULDER, RIGHT_ELBOW),
    (RIGHT_ELBOW, RIGHT_WRIST),
    (LEFT_SHOULDER, LEFT_HIP),
    (RIGHT_SHOULDER, RIGHT_HIP),
    (LEFT_HIP, RIGHT_HIP),
    (LEFT_HIP, LEFT_KNEE),
    (LEFT_KNEE, LEFT_ANKLE),
    (RIGHT_HIP, RIGHT_KNEE),
    (RIGHT_KNEE, RIGHT_ANKLE),
)


@dataclass(frozen=True)
class PoseSample:
    track_id: int
    landmarks: np.ndarray  # (33, 4) float32: x, y in full-frame pixels, z (MediaPipe's relative depth, hip = 0, scaled to pixels like x), visibility
    world_landmarks: np.ndarray  # (33, 4) float32: metres, hip-centred, + visibility
    score: float  # mean visibility of the 33 landmarks
    t_ms: int = 0  # the frame time the sample belongs to (as passed to `process`)
    crop_xyxy: tuple[int, int, int, int] = (0, 0, 0, 0)  # the padded, clipped crop it came from


def _load_pose_module():
    """`mediapipe.solutions.pose`, or a one-line AxolotlError naming the fix."""
    try:
        import mediapipe as mp

        pose_module = mp.solutions.pose
    except Exception as exc:  # ImportError, or AttributeError on versions without `solutions`
        raise AxolotlError(
            f"MediaPipe pose is unavailable ({type(exc).__name__}: {exc}); fix: {MEDIAPIPE_FIX}"
        ) from exc
    root = Path(mp.__file__).parent
    missing = [name for name in _BUNDLED_MODELS if not (root / name).is_file()]
    if missing:
        version = getattr(mp, "__version__", "?")
        raise AxolotlError(
            f"mediapipe {version} does not ship the pose model ({', '.join(missing)} missing); fix: {MEDIAPIPE_FIX}"
        )
    return pose_module


def padded_crop_bounds(box: np.ndarray, padding: float, width: int, height: int) -> tuple[int, int, int, int]:
    """The box grown by `padding` × its size on every side, rounded outwards and clipped to the frame."""
    x1, y1, x2, y2 = (float(v) for v in box)
    pw, ph = padding * (x2 - x1), padding * (y2 - y1)
    return (
        max(0, int(math.floor(x1 - pw))),
        max(0, int(math.floor(y1 - ph))),
        min(width, int(math.ceil(x2 + pw))),
        min(height, int(math.ceil(y2 + ph))),
    )


class PoseEstimator:
    """MediaPipe Pose on the crops of tracked players, round-robin under a per-frame budget.

    `frame` is the decoded BGR uint8 image (H, W, 3), as OpenCV gives it.
    Use as a context manager, or call `close()`.
    """

    # One shared `Pose(static_image_mode=True)` for all crops, not one VIDEO-mode
    # instance per track. Measured here (2 CPU cores, the same 39 crops of two
    # ~105 px walkers in vtest.avi, benchmarks/bench_pose.py): static 30.4 ms per
    # crop (median), video mode 18.6 ms once it tracks (it skips the person
    # detector), but every extra instance costs ~90-110 MB RSS and ~100 ms to
    # build and warm. With 22 players that is 2-2.5 GB, so video mode needs an LRU
    # of a few instances; yet round-robin is LRU's worst case (with more tracks
    # than slots each track's instance is evicted before its next turn), and a
    # track's turn comes only every N/k frames, so its last ROI is stale anyway.
    # Video mode also smooths landmarks in crop coordinates, which move with the
    # box. Static mode gives constant memory, no per-track state and the same
    # answer for the same crop. At the 40 ms default budget that is about one
    # crop per frame on this CPU (each of 22 players every ~2 s at 10 fps).
    def __init__(
        self,
        budget_ms: float = 40.0,
        min_box_height: int = 80,
        padding: float = 0.15,
        max_tracks_per_frame: int | None = None,
        min_detection_confidence: float = 0.5,
    ) -> None:
        if budget_ms < 0:
            raise ValueError(f"budget_ms must be >= 0, got {budget_ms}")
        if padding < 0:
            raise ValueError(f"padding must be >= 0, got {padding}")
        if max_tracks_per_frame is not None and max_tracks_per_frame < 1:
            raise ValueError(f"max_tracks_per_frame must be >= 1 or None, got {max_tracks_per_frame}")
        self.budget_ms = float(budget_ms)
        self.min_box_height = int(min_box_height)
        self.padding = float(padding)
        self.max_tracks_per_frame = max_tracks_per_frame
        pose_module = _load_pose_module()
        from importlib.metadata import version

        self.version = version("mediapipe")
        self._quiet = True  # until the graph has produced a first pose (see _native_stderr_muted)
        try:
            with native_stderr_muted():
                self._pose = pose_module.Pose(
                    static_image_mode=True,
                    model_complexity=1,  # the only model bundled in the wheel
                    enable_segmentation=False,
                    min_detection_confidence=min_detection_confidence,
                )
                # The graph starts its interpreters on its own threads; one run waits for them,
                # so their start-up lines land inside this muted window.
                self._pose.process(np.zeros((64, 64, 3), np.uint8))
        except Exception as exc:
            raise AxolotlError(
                f"MediaPipe pose failed to start ({type(exc).__name__}: {exc}); fix: {MEDIAPIPE_FIX}"
            ) from exc
        self._cursor: int | None = None  # track id of the last crop started; the next frame starts after it
        self._mean_crop_ms: float | None = None
        self._warmed_up = False
        self.last_attempted: tuple[int, ...] = ()  # track ids cropped in the last `process` call, in order

    @property
    def mean_crop_ms(self) -> float | None:
        """Running mean of the per-crop latency (None until a crop past the warm-up has run)."""
        return self._mean_crop_ms

    def _eligible(self, tracked: Detections, width: int, height: int) -> list[tuple[int, int]]:
        """(track_id, row) of rows worth a crop, sorted by track id."""
        if len(tracked) == 0:
            return []
        if tracked.tracker_id is None:
            raise ValueError(
                "PoseEstimator.process needs tracked detections (tracker_id is None): run the tracker first"
            )
        xyxy = tracked.xyxy
        heights = xyxy[:, 3] - xyxy[:, 1]
        ok = (tracked.class_id == PERSON) & (heights >= self.min_box_height) & (tracked.tracker_id >= 0)
        ok &= (xyxy[:, 2] > 0) & (xyxy[:, 0] < width) & (xyxy[:, 3] > 0) & (xyxy[:, 1] < height)
        rows = np.flatnonzero(ok)
        return sorted((int(tracked.tracker_id[i]), int(i)) for i in rows)

    def _schedule(self, eligible: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Eligible rows in round-robin order, starting after the last track served."""
        if self._cursor is None:
            return eligible
        start = next((k for k, (tid, _) in enumerate(eligible) if tid > self._cursor), 0)
        return eligible[start:] + eligible[:start]

    def process(self, frame: np.ndarray, tracked: Detections, t_ms: int) -> list[PoseSample]:
        if self._pose is None:
            raise RuntimeError("PoseEstimator is closed")
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"frame must be a BGR uint8 image (H, W, 3), got {frame.dtype} {frame.shape}")
        height, width = frame.shape[:2]
        order = self._schedule(self._eligible(tracked, width, height))
        if self.max_tracks_per_frame is not None:
            order = order[: self.max_tracks_per_frame]

        import cv2

        samples: list[PoseSample] = []
        attempted: list[int] = []
        spent_ms = 0.0
        for track_id, row in order:
            if attempted:
                # Before the running mean exists (first frame) this frame's own crops are the estimate.
                estimate_ms = self._mean_crop_ms if self._mean_crop_ms is not None else spent_ms / len(attempted)
                if spent_ms + estimate_ms > self.budget_ms:
                    break
            start = time.perf_counter()
            x1, y1, x2, y2 = padded_crop_bounds(tracked.xyxy[row], self.padding, width, height)
            attempted.append(track_id)
            self._cursor = track_id
            if x2 - x1 >= 2 and y2 - y1 >= 2:
                # The crop is a view; MediaPipe needs contiguous RGB, so only the crop is converted.
                rgb = cv2.cvtColor(frame[y1:y2, x1:x2], cv2.COLOR_BGR2RGB)
                if self._quiet:
                    with native_stderr_muted():
                        result = self._pose.process(rgb)
                    self._quiet = result.pose_landmarks is None
                else:
                    result = self._pose.process(rgb)
                sample = self._to_sample(result, track_id, (x1, y1, x2, y2), t_ms)
                if sample is not None:
                    samples.append(sample)
            elapsed_ms = (time.perf_counter() - start) * 1e3
            spent_ms += elapsed_ms
            self._update_latency(elapsed_ms)
        self.last_attempted = tuple(attempted)
        return samples

    def _update_latency(self, elapsed_ms: float) -> None:
        if not self._warmed_up:  # the first call builds the graph (~100 ms): not a per-crop cost
            self._warmed_up = True
            return
        if self._mean_crop_ms is None:
            self._mean_crop_ms = elapsed_ms
        else:
            self._mean_crop_ms += _EMA_ALPHA * (elapsed_ms - self._mean_crop_ms)

    @staticmethod
    def _to_sample(result, track_id: int, crop: tuple[int, int, int, int], t_ms: int) -> PoseSample | None:
        if result.pose_landmarks is None:
            return None
        x1, y1, x2, y2 = crop
        cw, ch = x2 - x1, y2 - y1
        lm = np.array([(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark], dtype=np.float32)
        if lm.shape != (NUM_LANDMARKS, 4):
            return None
        lm[:, 0] = lm[:, 0] * cw + x1
        lm[:, 1] = lm[:, 1] * ch + y1
        lm[:, 2] *= cw  # MediaPipe's z is on the scale of its normalised x: same units as x
        if result.pose_world_landmarks is not None:
            world = np.array(
                [(p.x, p.y, p.z, p.visibility) for p in result.pose_world_landmarks.landmark], dtype=np.float32
            )
        else:
            world = np.full((NUM_LANDMARKS, 4), np.nan, np.float32)
        return PoseSample(
            track_id=int(track_id),
            landmarks=lm,
            world_landmarks=world,
            score=float(lm[:, 3].mean()),
            t_ms=int(t_ms),
            crop_xyxy=crop,
        )

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
