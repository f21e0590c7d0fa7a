"""A pinhole camera on a mast or tripod, in the product's pitch coordinates.

World: metres, origin at a pitch corner, x along the length, y along the width, z up. The
camera stands at `position` (x, y, z = mast height), turned `pan_deg` from the +x axis (90:
looking across the pitch from the y = 0 touchline) and tilted `tilt_deg` below the horizon;
no roll, no lens distortion. Intrinsics from the lens: f_px = focal_mm / sensor_width_mm × width,
square pixels, principal point at the image centre.

Everything the renderer draws and the truth it writes comes from `project`; the calibration
handed to the product is this camera's ground-plane homography, exactly (`ground_homography`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PERSON_HEIGHT_M = 1.8


@dataclass(frozen=True)
class Camera:
    width: int
    height: int
    focal_mm: float
    sensor_width_mm: float
    position: tuple[float, float, float]
    pan_deg: float
    tilt_deg: float

    @property
    def f_px(self) -> float:
        return self.focal_mm / self.sensor_width_mm * self.width

    @property
    def hfov_deg(self) -> float:
        return math.degrees(2 * math.atan(self.width / 2 / self.f_px))

    @property
    def K(self) -> np.ndarray:
        f = self.f_px
        return np.array([[f, 0, self.width / 2], [0, f, self.height / 2], [0, 0, 1.0]])

    @property
    def R(self) -> np.ndarray:
        """World -> camera rotation (OpenCV axes: x right, y down, z forward)."""
        p, t = math.radians(self.pan_deg), math.radians(self.tilt_deg)
        forward = np.array([math.cos(t) * math.cos(p), math.cos(t) * math.sin(p), -math.sin(t)])
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        return np.stack([right, down, forward])

    def to_camera(self, points) -> np.ndarray:
        """World (N, 3) -> camera coordinates (N, 3); z is the depth along the optical axis."""
        return (np.asarray(points, float).reshape(-1, 3) - np.asarray(self.position)) @ self.R.T

    def project(self, points) -> np.ndarray:
        """World (N, 3) -> pixels (N, 2); points behind the camera give NaN."""
        c = self.to_camera(points)
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = (c @ self.K.T)[:, :2] / c[:, 2:3]
        uv[c[:, 2] <= 1e-6] = np.nan
        return uv

    def ground_homography(self) -> np.ndarray:
        """Pitch (x, y, 0) -> pixels: K [r1 r2 t]."""
        R = self.R
        t = -R @ np.asarray(self.position, float)
        H = self.K @ np.column_stack([R[:, 0], R[:, 1], t])
        return H / H[2, 2]

    def person_pixels(self, xy) -> tuple[np.ndarray, np.ndarray]:
        """For people standing at xy (N, 2): the foot point (N, 2) px and their height in pixels (N,)."""
        xy = np.asarray(xy, float).reshape(-1, 2)
        feet = self.project(np.c_[xy, np.zeros(len(xy))])
        heads = self.project(np.c_[xy, np.full(len(xy), PERSON_HEIGHT_M)])
        return feet, feet[:, 1] - heads[:, 1]

    @classmethod
    def looking_at(
        cls,
        width: int,
        height: int,
        focal_mm: float,
        sensor_width_mm: float,
        position: tuple[float, float, float],
        target: tuple[float, float],
    ) -> "Camera":
        """The pan and tilt that put a pitch point at the image centre."""
        dx, dy = target[0] - position[0], target[1] - position[1]
        pan = math.degrees(math.atan2(dy, dx))
        tilt = math.degrees(math.atan2(position[2], math.hypot(dx, dy)))
        return cls(width, height, focal_mm, sensor_width_mm, tuple(position), round(pan, 3), round(tilt, 3))
