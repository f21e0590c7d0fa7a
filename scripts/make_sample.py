"""Cut the sample clip the README's first command analyses.

    python scripts/make_sample.py [--src /work/shared/data/vtest.avi] [--frames 150] [--out samples/vtest-15s.avi]

Takes the first N frames (150 = 15 s at vtest's 10 fps) of OpenCV's vtest.avi (768x576,
pedestrians) and writes them with cv2.VideoWriter, in a form OpenCV reads back
without extra codecs. Codec: MPEG-4 Part 2 ('XVID' in AVI, 2.3 MB for 150 frames), which OpenCV's FFmpeg
backend writes and reads everywhere; Motion-JPEG ('MJPG') at its default quality made 11.6 MB,
too big for the repository (pass --fourcc MJPG to get it anyway). Then it reads the result back
and checks the frame count.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = Path("/work/shared/data/vtest.avi")
DEFAULT_OUT = ROOT / "samples" / "vtest-15s.avi"
MAX_BYTES = 6 * 1024 * 1024


def make_sample(src: Path, out: Path, frames: int, fourcc: str = "XVID") -> tuple[int, int]:
    """Write the first `frames` frames of `src` to `out`. Returns (frames written, bytes)."""
    cap = cv2.VideoCapture(str(src))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {src}: get vtest.avi from opencv/samples/data")
    fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
    w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    if not writer.isOpened():
        raise SystemExit(f"cannot write {out}: this OpenCV build cannot encode {fourcc!r}; try --fourcc MJPG")
    n = 0
    try:
        while n < frames:
            ok, img = cap.read()
            if not ok:
                break
            writer.write(img)
            n += 1
    finally:
        writer.release()
        cap.release()

    check = cv2.VideoCapture(str(out))
    got = 0
    while check.read()[0]:
        got += 1
    check.release()
    if got != n:
        raise SystemExit(f"{out}: wrote {n} frames but read back {got}")
    return n, out.stat().st_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--fourcc", default="XVID", help="XVID (default), MJPG, mp4v (with a .mp4 --out)")
    args = ap.parse_args(argv)
    n, size = make_sample(args.src, args.out, args.frames, args.fourcc)
    print(f"{args.out}: {n} frames, {size / 1e6:.2f} MB")
    if size > MAX_BYTES:
        print(f"warning: {size} bytes > {MAX_BYTES}; use fewer --frames or another --fourcc", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
