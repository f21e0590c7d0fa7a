"""Rebuild samples/vtest-calibration.json: a ground-plane calibration of OpenCV's vtest.avi.

The assumptions and measurements are in samples/vtest-calibration.md. In short: the
camera is modelled as a pinhole with a vertical image plane (vertical edges in the frame
are parallel to within 0.5 px over 90 px), so the ground maps to the image as

    X = (u - CX) * HC / (v - V_HORIZON)          lateral metres (f cancels out)
    Y = F * HC / (v - V_HORIZON)                 metres away from the camera

V_HORIZON and HC come from the people's heights (3098 detector boxes: box height grows
linearly with the foot row, h = 0.229 (v + 86) px, and a box is taken as 1.75 m), F (the
depth scale) from the road markings: the access road on the left taken as a 3.1 m single
lane and the two crossing white lines on the plaza as (nearly) square to each other.

The image points below are features on the ground read off the frames; their ground
positions come from the model, and Calibration.fit turns them into the homography.

    .venv/bin/python scripts/calibrate_vtest.py [--check]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge_app.pitch import Calibration, custom  # noqa: E402

OUT = ROOT / "samples" / "vtest-calibration.json"

IMAGE_SIZE = (768, 576)
CX = 384.0  # principal point, x (image centre)
V_HORIZON = -86.0  # horizon row (above the frame), from the people's heights
BOX_HEIGHT_M = 1.75  # a walking adult's detector box, feet to top of the head (+ margin)
SLOPE = 0.229  # box height px per row below the horizon (least squares, 3098 boxes)
HC = BOX_HEIGHT_M / SLOPE  # camera height above the ground: 7.64 m
F = 900.0  # focal length in px (depth scale), from the road markings

# Pitch frame ("custom" template): x = lateral + 16 m (left → right in the frame),
# y = distance from the camera - 10 m (grows away from the camera, up the frame).
X0, Y0 = 16.0, 10.0
LENGTH, WIDTH = 32.0, 28.0

# Ground features (u, v) read off gridded frames (median of 40 frames).
FEATURES = {
    "lamp-post foot": (431, 390),
    "tripod (plaza) centre below the head": (505, 474),
    "plaza line A, west end": (345, 312),
    "plaza line A, east end": (630, 235),
    "plaza line B, north end": (450, 242),
    "plaza line B, south end": (595, 333),
    "left road, near edge at x=100": (100, 247),
    "left road, far edge at x=100": (100, 205),
    "left road, near edge at x=300": (300, 270),
    "plaza kerb at the lawn, x=400": (400, 350),
    "plaza kerb at the lawn, x=700": (700, 462),
    "road bend kerb, right bollard island": (700, 190),
    "car-park kerb, centre left": (250, 205),
    "lawn, bottom left": (40, 560),
    "lawn, bottom right": (740, 560),
    "lawn, mid left": (60, 420),
}


def ground(u, v):
    """Model ground position (pitch metres) of an image point."""
    u, v = np.asarray(u, float), np.asarray(v, float)
    X = (u - CX) * HC / (v - V_HORIZON)
    Y = F * HC / (v - V_HORIZON)
    return np.stack([X + X0, Y - Y0], axis=-1)


def build() -> Calibration:
    img = np.array(list(FEATURES.values()), float)
    pitch = ground(img[:, 0], img[:, 1])
    return Calibration.fit(
        img,
        pitch,
        template=custom(LENGTH, WIDTH),
        camera="vtest",
        image_size=IMAGE_SIZE,
        ransac_threshold_m=0.25,
        max_error_m=0.5,
        notes="vtest.avi ground plane (road and lawn); assumptions in samples/vtest-calibration.md; "
        "built by scripts/calibrate_vtest.py",
    )


def check(cal: Calibration) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from vtest_people import VISITS

    a = cal.project([FEATURES["left road, near edge at x=100"], FEATURES["left road, far edge at x=100"]])
    print(f"left road width: {np.linalg.norm(a[1] - a[0]):.2f} m")
    for name, pts in VISITS.items():
        t = np.array([p[0] for p in pts], float) / 10.0
        xy = cal.project([(p[1], p[2]) for p in pts])
        d = np.linalg.norm(np.diff(xy, axis=0), axis=1)
        print(f"{name:38s} legs {np.round(d / np.diff(t), 2)} m/s, mean {d.sum() / (t[-1] - t[0]):.2f} m/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="print the walking speeds of the hand-annotated visits")
    args = ap.parse_args()
    cal = build()
    cal.save(OUT)
    print(f"wrote {OUT.relative_to(ROOT)}: {cal}")
    if args.check:
        check(cal)


if __name__ == "__main__":
    main()
