"""A quick synthetic pitch-side view with known truth: real people cut from vtest.avi, pasted
at their true perspective size into a grass frame seen by a pinhole camera on a mast.

Used by tests/vision/test_zoom.py and benchmarks/bench_small_players.py until the accuracy
harness (benchmarks/accuracy/) renders whole clips. The camera is a real pinhole (K [R|t]),
so a person's pixel height follows distance, and the calibration handed to the product is
only the ground-plane homography it would get from `calibrate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge_app.pitch import FULL, Calibration, draw_template

ROOT = Path(__file__).resolve().parents[2]
# The shared data folder sits beside the checkout (/work/main) or two levels up from a worktree.
VTEST = next(
    (
        p
        for p in (ROOT.parent / "shared" / "data" / "vtest.avi", ROOT.parents[1] / "shared" / "data" / "vtest.avi")
        if p.exists()
    ),
    ROOT.parent / "shared" / "data" / "vtest.avi",
)
VTEST_DETECTIONS = ROOT / "tests" / "data" / "vtest_detections.npz"
PERSON_M = 1.8


@dataclass
class PinholeCamera:
    """A camera at `position` (pitch metres, z up) looking at `target` on the ground."""

    position: tuple[float, float, float]
    target: tuple[float, float]
    focal_px: float
    size: tuple[int, int] = (1920, 1080)

    def __post_init__(self):
        w, h = self.size
        self.K = np.array([[self.focal_px, 0, w / 2], [0, self.focal_px, h / 2], [0, 0, 1.0]])
        c = np.asarray(self.position, float)
        fwd = np.array([*self.target, 0.0]) - c
        fwd /= np.linalg.norm(fwd)
        right = np.cross(fwd, [0, 0, 1.0])
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        self.R = np.stack([right, down, fwd])  # world → camera (x right, y down, z forward)
        self.t = -self.R @ c

    def project(self, xyz) -> np.ndarray:
        p = (self.K @ (self.R @ np.asarray(xyz, float).reshape(-1, 3).T + self.t[:, None])).T
        return p[:, :2] / p[:, 2:3]

    @property
    def pitch_to_image(self) -> np.ndarray:
        H = self.K @ np.c_[self.R[:, 0], self.R[:, 1], self.t]
        return H / H[2, 2]

    def calibration(self) -> Calibration:
        """What `calibrate` would save: the image → pitch homography, nothing about the camera."""
        return Calibration(np.linalg.inv(self.pitch_to_image), template=FULL, image_size=self.size)

    def person_px(self, x: float, y: float) -> float:
        feet, head = self.project([[x, y, 0.0], [x, y, PERSON_M]])
        return float(feet[1] - head[1])


# 10 m mast 16 m behind the near touchline at halfway, 1080p: a 1.8 m player is ~40 px tall
# at the far touchline and ~180 px at the near one (issue 12's mast view: 40-160 px, median ~67).
# A level camera (no tilt), 10 m up, 20 m behind the near touchline at halfway, f = 2000 px, 1080p:
# pitch (X, Y) is seen at u = 960 + 2000 (X - 52.5) / (Y + 20), v = 540 + 20000 / (Y + 20), and a
# 1.8 m person standing there is 3600 / (Y + 20) = 0.18 (v - 540) px tall (worked by hand).
F = 2000.0
LEVEL_G = np.array([[F, 960, F * -52.5 + 960 * 20], [0, 540, F * 10 + 540 * 20], [0, 1, 20]])


def level_calibration() -> Calibration:
    return Calibration(np.linalg.inv(LEVEL_G), template=FULL, image_size=(1920, 1080))


def hand_height(v):
    return 0.18 * (np.asarray(v, float) - 540)


MAST = PinholeCamera(position=(52.5, -16.0, 10.0), target=(52.5, 30.0), focal_px=1800.0)


def cut_people(n: int = 24, min_height: int = 110, video: Path = VTEST) -> list[np.ndarray]:
    """`n` BGRA people from vtest.avi: confident, isolated boxes, masked against the median background."""
    det = np.load(VTEST_DETECTIONS)
    frames, boxes, conf = det["frame"], det["xyxy"], det["confidence"]
    cap = cv2.VideoCapture(str(video))
    images = []
    ok = True
    while ok:
        ok, img = cap.read()
        if ok:
            images.append(img)
    cap.release()
    if not images:
        raise FileNotFoundError(video)
    background = np.median(np.stack(images[::16]), axis=0).astype(np.uint8)
    h_img, w_img = images[0].shape[:2]
    picks, used_frames = [], set()
    order = np.argsort(-conf)
    for i in order:
        x1, y1, x2, y2 = boxes[i]
        f = int(frames[i])
        if conf[i] < 0.75 or y2 - y1 < min_height or x1 < 2 or y1 < 2 or x2 > w_img - 2 or y2 > h_img - 2:
            continue
        others = boxes[(frames == f) & (np.arange(len(frames)) != i)]
        if len(others) and np.any(
            (others[:, 0] < x2 + 8) & (others[:, 2] > x1 - 8) & (others[:, 1] < y2 + 8) & (others[:, 3] > y1 - 8)
        ):
            continue  # touching someone else: the cut would carry a piece of them
        if any(abs(f - g) < 25 for g in used_frames):
            continue  # spread over the video: different people and poses
        used_frames.add(f)
        picks.append((f, int(x1), int(y1), int(np.ceil(x2)), int(np.ceil(y2))))
        if len(picks) == n:
            break
    sprites = []
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for f, x1, y1, x2, y2 in picks:
        crop = images[f][y1:y2, x1:x2]
        diff = cv2.absdiff(crop, background[y1:y2, x1:x2]).max(axis=2)
        mask = (diff > 28).astype(np.uint8) * 255
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
        if count > 1:  # the largest blob is the person
            mask = np.where(labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])), 255, 0).astype(np.uint8)
        ys, xs = np.nonzero(mask)
        if len(ys) < 50:
            continue
        crop, mask = (
            crop[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1],
            mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1],
        )
        sprites.append(np.dstack([crop, cv2.GaussianBlur(mask, (3, 3), 0)]))
    return sprites


def grass(camera: PinholeCamera, rng: np.random.Generator) -> np.ndarray:
    """Mown grass (stripes along the pitch's width), the markings, and sensor noise."""
    w, h = camera.size
    img = draw_template(FULL, camera.pitch_to_image, (w, h)).astype(np.int16)
    ys, xs = np.mgrid[0:h, 0:w]
    pitch = camera.calibration().project(np.c_[xs.ravel(), ys.ravel()]).reshape(h, w, 2)
    stripe = np.nan_to_num((np.floor(pitch[..., 0] / 5.25) % 2) * 14 - 7)
    img += stripe[..., None].astype(np.int16)
    img[np.isnan(pitch[..., 0])] = (150, 140, 120)  # above the horizon: stands
    img += rng.normal(0, 3, img.shape).astype(np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


def place_players(camera: PinholeCamera, n: int, rng: np.random.Generator, min_px: float = 40.0, max_px: float = 200.0):
    """`n` ground points (pitch metres) in view whose person is between min_px and max_px tall."""
    w, h = camera.size
    out = []
    while len(out) < n:
        x, y = rng.uniform(0, FULL.length), rng.uniform(0, FULL.width)
        ((u, v),) = camera.project([[x, y, 0.0]])
        hp = camera.person_px(x, y)
        if min_px <= hp <= max_px and 30 < u < w - 30 and hp + 5 < v < h - 5:
            out.append((x, y))
    return np.array(out)


def render(
    camera: PinholeCamera,
    sprites: list[np.ndarray],
    players: np.ndarray,
    rng: np.random.Generator,
    background: np.ndarray | None = None,
):
    """Paste a sprite per player, far ones first (painter's order).

    Returns (frame, truth boxes xyxy, feet px, visible: the share of each person's pixels not hidden by nearer ones).
    """
    frame = (grass(camera, rng) if background is None else background).copy()
    owner = np.full(frame.shape[:2], -1, np.int32)
    area = np.zeros(len(players))
    feet = camera.project(np.c_[players, np.zeros(len(players))])
    order = np.argsort(-np.hypot(*(players - camera.position[:2]).T))
    boxes = np.zeros((len(players), 4), np.float32)
    for k in order:
        sprite = sprites[k % len(sprites)]
        hp = camera.person_px(*players[k])
        scale = hp / sprite.shape[0]
        sw, sh = max(1, round(sprite.shape[1] * scale)), max(1, round(hp))
        img = cv2.resize(sprite, (sw, sh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        u, v = feet[k]
        x0, y0 = int(round(u - sw / 2)), int(round(v - sh))
        fx0, fy0 = max(x0, 0), max(y0, 0)
        fx1, fy1 = min(x0 + sw, frame.shape[1]), min(y0 + sh, frame.shape[0])
        part = img[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0]
        alpha = part[..., 3:4].astype(np.float32) / 255
        roi = frame[fy0:fy1, fx0:fx1]
        roi[...] = (part[..., :3] * alpha + roi * (1 - alpha)).astype(np.uint8)
        body = alpha[..., 0] > 0.5
        owner[fy0:fy1, fx0:fx1][body] = k
        area[k] = body.sum()
        boxes[k] = (fx0, fy0, fx1, fy1)
    shown = np.bincount(owner[owner >= 0].ravel(), minlength=len(players))
    return frame, boxes, feet, shown / np.maximum(area, 1)
