"""Render a setup into a video with known truth.

    python -m benchmarks.accuracy.render --setup mast [--seconds 10] [--fps 25] --out DIR

writes into DIR:
* `video.mp4`: the clip (sensor noise, then the codec's compression);
* `calibration.json`: the product's `Calibration` (edge_app/pitch.py) of this camera: the inverse of
  its ground-plane homography, exact, with the template's landmarks that fall in the image as points;
* `truth.csv`: one row per person per frame whose box touches the image: frame, t, id, role, x_m, y_m
  (true position on the pitch), foot_u, foot_v (that point in the image), x1, y1, x2, y2 (the person's
  whole box, clipped to the image), height_px (unclipped), visible (1 - pixels hidden by nearer people
  or outside the image / the person's own pixels, from the painter's-order masks), depth_m;
* `positions.csv`: every person's true position at every frame (t, player, x, y: the `kpis` format),
  seen or not: the truth KPIs are computed from it;
* `meta.json`: the setup, the source, fps, frames.

Drawing: grass (mowing stripes 5 m wide, on the pitch and around it), the template's lines 12 cm
wide, sky above the horizon; then the people far to near (painter's order), each a walk cycle from
the bank (sprites.py) scaled so a 1.8 m person is as tall as the camera sees them there, its feet
(the box's bottom centre) on the true position, facing the way they move on the image, its cycle
advanced by the distance they cover (a standing person stands still).

Kits (`kits=True`, `--kits`): each person's upper body is recoloured to their team's colour, as
training bibs make teammates look alike: hue and saturation set to the team's, brightness kept
relative to the sprite's own (its shading and folds stay). Teams from the scene (the provider's, or
players split by id); two clearly different team colours, officials yellow, the coach black.
`kits=False` (the default for the match clips) draws exactly what it drew before kits existed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.accuracy import scene as scenes
from benchmarks.accuracy.camera import Camera
from benchmarks.accuracy.setups import SETUPS, Setup
from benchmarks.accuracy.sprites import SOURCE_FPS, WALK_SPEED_MS, WalkCycle, load_bank

LINE_WIDTH_M = 0.12
STRIPE_M = 5.0
ALPHA_SOLID = 128  # a sprite pixel counts as the person's own from this alpha up
TRUTH_FIELDS = [
    "frame",
    "t",
    "id",
    "role",
    "x_m",
    "y_m",
    "foot_u",
    "foot_v",
    "x1",
    "y1",
    "x2",
    "y2",
    "height_px",
    "visible",
    "depth_m",
]


@dataclass
class Rendered:
    video: Path
    calibration: Path
    truth: Path
    positions: Path
    meta: Path
    frames: int
    fps: float


def background(cam: Camera, template) -> np.ndarray:
    """Grass with mowing stripes and the template's lines, seen through the camera (BGR)."""
    import cv2

    w, h = cam.width, cam.height
    img = np.empty((h, w, 3), np.uint8)
    img[:] = (48, 120, 54)  # plain grass far from the pitch (stripes would alias into moiré there)
    # Sky above the horizon: with no roll it is the row where rays run level.
    horizon = cam.height / 2 - cam.f_px * np.tan(np.radians(cam.tilt_deg))
    img[: max(0, min(h, int(np.ceil(horizon))))] = (200, 190, 170)
    # Stripes 5 m wide across the length, drawn top-down (4 px/m) 15 m around the pitch and
    # warped through the camera's ground homography.
    ppm, margin = 4.0, 15.0
    tw, th = int((template.length + 2 * margin) * ppm), int((template.width + 2 * margin) * ppm)
    top = np.empty((th, tw, 3), np.uint8)
    xs = (np.arange(tw) + 0.5) / ppm - margin
    top[:] = np.where((np.floor(xs / STRIPE_M).astype(int) % 2 == 0)[None, :, None], (44, 112, 50), (52, 128, 58))
    to_metres = np.array([[1 / ppm, 0, -margin], [0, 1 / ppm, -margin], [0, 0, 1]])
    H = cam.ground_homography() @ to_metres
    warped = cv2.warpPerspective(top, H, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((th, tw), 255, np.uint8), H, (w, h), flags=cv2.INTER_LINEAR)
    img[mask > 127] = warped[mask > 127]
    # Lines: 12 cm wide on the ground, each segment as wide as the camera sees it there.
    for line in template.lines():
        pts = _densify(line, 0.5)
        cam_pts = cam.to_camera(np.c_[pts, np.zeros(len(pts))])
        uv = cam.project(np.c_[pts, np.zeros(len(pts))])
        ok = cam_pts[:, 2] > 0.5
        for a in range(len(pts) - 1):
            if not (ok[a] and ok[a + 1]):
                continue
            width = max(1, int(round(LINE_WIDTH_M * cam.f_px / cam_pts[a, 2])))
            p, q = uv[a], uv[a + 1]
            if not (np.all(np.isfinite(p)) and np.all(np.isfinite(q))):
                continue
            if max(abs(p[0]), abs(q[0]), abs(p[1]), abs(q[1])) > 4 * max(w, h):
                continue
            cv2.line(
                img,
                (int(round(p[0] * 4)), int(round(p[1] * 4))),
                (int(round(q[0] * 4)), int(round(q[1] * 4))),
                (235, 240, 235),
                width,
                cv2.LINE_AA,
                shift=2,
            )
    return img


def _densify(line: np.ndarray, step: float) -> np.ndarray:
    out = [line[0]]
    for a, b in zip(line[:-1], line[1:]):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        out += [a + (b - a) * k / n for k in range(1, n + 1)]
    return np.asarray(out)


def calibration_for(cam: Camera, template, name: str):
    """The product's Calibration for this camera: image -> pitch = inverse ground homography."""
    from edge_app.pitch import Calibration

    H = np.linalg.inv(cam.ground_homography())
    names = [n for n in template.landmarks]
    pitch = np.array([template.landmarks[n] for n in names])
    uv = cam.project(np.c_[pitch, np.zeros(len(pitch))])
    inside = (
        np.isfinite(uv).all(1) & (uv[:, 0] >= 0) & (uv[:, 0] < cam.width) & (uv[:, 1] >= 0) & (uv[:, 1] < cam.height)
    )
    return Calibration(
        H,
        template=template,
        camera=f"harness-{name}",
        image_size=(cam.width, cam.height),
        image_points=uv[inside],
        pitch_points=pitch[inside],
        landmarks=[n for n, k in zip(names, inside) if k],
        reprojection_error_m=0.0,
        notes="accuracy harness: the rendering camera's exact ground plane",
    )


# OpenCV HSV (H 0..179): orange and blue bibs, a yellow referee, a black coach.
TEAM_HSV = [(14, 230, 225), (112, 210, 170), (150, 170, 190), (90, 200, 170)]
OFFICIAL_HSV = {"officials": (28, 220, 215), "coach": (0, 0, 35)}
BIB_BAND = (0.14, 0.56)  # of the sprite's height: shoulders to hips (the product reads 0.20-0.55)


def kit_colours(teams: list[str]) -> list[tuple[int, int, int]]:
    """One HSV colour per person: the player teams in order of first appearance, officials apart."""
    order = [t for t in dict.fromkeys(teams) if t not in OFFICIAL_HSV]
    return [OFFICIAL_HSV.get(t) or TEAM_HSV[order.index(t) % len(TEAM_HSV)] for t in teams]


def recolour(spr: np.ndarray, hsv: tuple[int, int, int]) -> np.ndarray:
    """The sprite (BGRA) with its upper body in the colour `hsv`, its shading kept."""
    import cv2

    out = spr.copy()
    h = spr.shape[0]
    y1, y2 = int(h * BIB_BAND[0]), max(int(h * BIB_BAND[0]) + 1, int(round(h * BIB_BAND[1])))
    band = out[y1:y2]
    body = band[..., 3] > 0
    if not body.any():
        return out
    px = cv2.cvtColor(np.ascontiguousarray(band[..., :3]), cv2.COLOR_BGR2HSV).astype(np.float32)
    v = px[..., 2]
    shade = v - float(np.median(v[body]))  # folds and light, around the garment's own level
    px[..., 0], px[..., 1] = hsv[0], hsv[1]
    px[..., 2] = np.clip(hsv[2] + 0.4 * shade, 0, 255)
    bgr = cv2.cvtColor(px.astype(np.uint8), cv2.COLOR_HSV2BGR)
    band[..., :3] = np.where(body[..., None], bgr, band[..., :3])
    return out


class _Animator:
    """Which bank frame each person shows: cycle advanced by distance covered, ping-pong, facing."""

    def __init__(self, bank: list[WalkCycle], n: int, seed: int = 0, kits: list | None = None):
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(bank))
        self.cycles = [bank[order[i % len(bank)]] for i in range(n)]
        self.offset = rng.uniform(0, 30, n)  # start each cycle at another phase
        self.facing = np.ones(n)
        if kits is not None:
            done = {}  # one recoloured cycle per (cycle, colour): people share cycles
            for i, colour in enumerate(kits):
                key = (order[i % len(bank)], colour)
                if key not in done:
                    c = self.cycles[i]
                    done[key] = WalkCycle([recolour(f, colour) for f in c.frames], c.direction, c.origin)
                self.cycles[i] = done[key]

    def frame(self, i: int, travelled: float, du: float) -> np.ndarray:
        cyc = self.cycles[i]
        k = int((self.offset[i] + travelled / (WALK_SPEED_MS / SOURCE_FPS)))
        m = len(cyc.frames)
        k %= max(1, 2 * m - 2)
        img = cyc.frames[k if k < m else 2 * m - 2 - k]
        if abs(du) > 0.3:  # pixels per frame: hold the facing while standing or moving towards the camera
            self.facing[i] = 1 if du > 0 else -1
        if cyc.direction and self.facing[i] != cyc.direction:
            img = img[:, ::-1]
        return img


def render(
    setup: Setup | str,
    out: Path,
    *,
    seconds: float = 10.0,
    fps: float = 25.0,
    seed: int = 0,
    bank: list[WalkCycle] | None = None,
    scene: scenes.Scene | None = None,
    progress: bool = False,
    kits: bool | None = None,
) -> Rendered:
    """Draw the clip and write its truth (see the module's docstring). `scene` replaces the setup's
    provider movement (tests place people by hand); it must be sampled at `fps`. `kits`: teams in
    coloured bibs (see the module's docstring); default: on for the session setups only."""
    import cv2

    from edge_app.pitch import get_template

    setup = SETUPS[setup] if isinstance(setup, str) else setup
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cam, template = setup.camera, get_template(setup.template)
    if scene is not None:
        sc = scene
    elif setup.source == "session":  # the generator keeps its away spots out of this camera's view
        from benchmarks.accuracy.session import session_scene

        sc = session_scene(seconds=seconds, fps=fps, camera=cam, **setup.source_args)
    else:
        sc = scenes.SOURCES[setup.source](seconds=seconds, fps=fps, **setup.source_args)
    kits = setup.source == "session" if kits is None else kits
    bank = bank if bank is not None else load_bank()
    teams = sc.kit_teams()
    anim = _Animator(bank, len(sc.ids), seed, kit_colours(teams) if kits else None)
    base = background(cam, template)
    # Sensor noise: a few fields drawn once, cycled (drawing 25 M normals a 4K frame would
    # cost more than the rest of the frame); added with saturation as (+part, -part).
    cv2.setRNGSeed(seed)
    noise = []
    for _ in range(3):
        n = np.empty(base.shape, np.int16)
        cv2.randn(n, (0, 0, 0), (setup.noise_sigma,) * 3)
        noise.append((np.clip(n, 0, 255).astype(np.uint8), np.clip(-n, 0, 255).astype(np.uint8)))

    calib = calibration_for(cam, template, setup.name)
    paths = Rendered(
        out / "video.mp4",
        out / "calibration.json",
        out / "truth.csv",
        out / "positions.csv",
        out / "meta.json",
        len(sc.t),
        fps,
    )
    calib.save(paths.calibration)
    writer = cv2.VideoWriter(str(paths.video), cv2.VideoWriter_fourcc(*setup.codec), fps, (cam.width, cam.height))
    if not writer.isOpened():
        raise SystemExit(f"OpenCV cannot write {setup.codec} video here: pick another codec in the setup")
    travelled = np.zeros(len(sc.ids))
    steps = np.nan_to_num(np.hypot(*np.diff(sc.xy, axis=0).transpose(2, 0, 1)))
    W, H = cam.width, cam.height
    owner = np.full((H, W), -1, np.int32)
    with open(paths.truth, "w", newline="") as ft:
        tw = csv.writer(ft)
        tw.writerow(TRUTH_FIELDS)
        for k, t in enumerate(sc.t):
            if k:
                travelled += steps[k - 1]
            frame = base.copy()
            owner[:] = -1
            xy = sc.xy[k]
            present = np.flatnonzero(np.isfinite(xy[:, 0]))
            feet, heights = cam.person_pixels(xy[present])
            depth = cam.to_camera(np.c_[xy[present], np.zeros(len(present))])[:, 2]
            nxt = sc.xy[min(k + 1, len(sc.t) - 1), present]
            du = cam.project(np.c_[nxt, np.zeros(len(present))])[:, 0] - feet[:, 0]
            people = []
            for j in np.argsort(-depth):  # far to near
                i = present[j]
                if not (depth[j] > 0.5 and np.isfinite(feet[j]).all() and heights[j] > 2):
                    continue
                u, v, hpx = feet[j, 0], feet[j, 1], heights[j]
                spr = anim.frame(i, travelled[i], np.nan_to_num(du[j]))
                s = hpx / anim.cycles[i].height
                sh, sw = max(1, round(spr.shape[0] * s)), max(1, round(spr.shape[1] * s))
                x1, y2 = int(round(u - sw / 2)), int(round(v))
                y1 = y2 - sh
                if x1 >= W or y1 >= H or x1 + sw <= 0 or y2 <= 0:
                    continue
                spr = cv2.resize(
                    np.ascontiguousarray(spr), (sw, sh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
                )
                _paste(frame, owner, spr, x1, y1, i)
                own = int((spr[..., 3] >= ALPHA_SOLID).sum())
                people.append((i, x1, y1, x1 + sw, y2, hpx, own, depth[j], u, v))
            for i, x1, y1, x2, y2, hpx, own, d, u, v in people:
                cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x2, W), min(y2, H)
                seen = int((owner[cy1:cy2, cx1:cx2] == i).sum())
                tw.writerow(
                    [
                        k,
                        round(float(t), 4),
                        sc.ids[i],
                        sc.roles[i],
                        round(float(sc.xy[k, i, 0]), 4),
                        round(float(sc.xy[k, i, 1]), 4),
                        round(float(u), 2),
                        round(float(v), 2),
                        cx1,
                        cy1,
                        cx2,
                        cy2,
                        round(float(hpx), 2),
                        round(seen / own if own else 0.0, 4),
                        round(float(d), 3),
                    ]
                )
            plus, minus = noise[k % len(noise)]
            writer.write(cv2.subtract(cv2.add(frame, plus), minus))
            if progress and k % 25 == 0:
                print(f"\r{setup.name}: frame {k}/{len(sc.t)}", end="", file=sys.stderr)
    writer.release()
    if progress:
        print(file=sys.stderr)
    with open(paths.positions, "w", newline="") as fp:
        pw = csv.writer(fp)
        pw.writerow(["t", "player", "x", "y"])
        for i, pid in enumerate(sc.ids):
            for k, t in enumerate(sc.t):
                if np.isfinite(sc.xy[k, i, 0]):
                    pw.writerow(
                        [round(float(t), 4), pid, round(float(sc.xy[k, i, 0]), 4), round(float(sc.xy[k, i, 1]), 4)]
                    )
    meta = {
        "setup": setup.to_dict(),
        "source": sc.source,
        "pitch": list(sc.pitch),
        "fps": fps,
        "seconds": seconds,
        "frames": len(sc.t),
        "seed": seed,
        "people": [{"id": p, "role": r} | ({"team": tm} if kits else {}) for p, r, tm in zip(sc.ids, sc.roles, teams)],
        "camera": {"f_px": cam.f_px, "hfov_deg": cam.hfov_deg, "pan_deg": cam.pan_deg, "tilt_deg": cam.tilt_deg},
        "bank": [c.origin for c in anim.cycles],
    }
    if kits:
        meta["kits"] = True
    paths.meta.write_text(json.dumps(meta, indent=2) + "\n")
    return paths


def _paste(frame: np.ndarray, owner: np.ndarray, spr: np.ndarray, x1: int, y1: int, label: int) -> None:
    H, W = frame.shape[:2]
    h, w = spr.shape[:2]
    cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x1 + w, W), min(y1 + h, H)
    s = spr[cy1 - y1 : cy2 - y1, cx1 - x1 : cx2 - x1]
    a = s[..., 3:4].astype(np.float32) / 255.0
    region = frame[cy1:cy2, cx1:cx2]
    region[:] = (s[..., :3] * a + region * (1 - a) + 0.5).astype(np.uint8)
    owner[cy1:cy2, cx1:cx2][s[..., 3] >= ALPHA_SOLID] = label


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="render a harness setup: video, calibration and truth")
    ap.add_argument("--setup", choices=sorted(SETUPS), default="mast")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--kits", action=argparse.BooleanOptionalAction, help="teams in bibs (default: session setups)")
    args = ap.parse_args(argv)
    r = render(args.setup, args.out, seconds=args.seconds, fps=args.fps, seed=args.seed, progress=True, kits=args.kits)
    print(f"{r.frames} frames -> {r.video}\ncalibration {r.calibration}\ntruth {r.truth}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
