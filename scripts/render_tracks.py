#!/usr/bin/env python3
"""Draw a stored session's boxes and track ids on frames of its video, for checking by eye.

.venv/bin/python scripts/render_tracks.py --db S.db SESSION VIDEO --frames 0 50 100 --out /tmp/sheet.png
"""

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from edge_app.store import SessionStore  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("session")
    ap.add_argument("video")
    ap.add_argument("--db", required=True)
    ap.add_argument("--frames", type=int, nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--scale", type=float, default=0.5)
    args = ap.parse_args()
    store = SessionStore(args.db)
    wanted = set(args.frames)
    by_frame = {f.frame: f.detections for f in store.frames(args.session) if f.frame in wanted}
    store.close()
    cap = cv2.VideoCapture(args.video)
    tiles = []
    for idx in sorted(wanted):
        cap.set(cv2.CAP_PROP_POS_FRAMES, idx)
        ok, img = cap.read()
        if not ok:
            continue
        dets = by_frame.get(idx)
        if dets is not None:
            for box, tid in zip(dets.xyxy.astype(int), dets.tracker_id):
                cv2.rectangle(img, tuple(box[:2]), tuple(box[2:]), (0, 0, 255), 2)
                cv2.putText(
                    img, str(int(tid)), (int(box[0]), int(box[1]) - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 255, 255), 2
                )
        cv2.putText(img, f"frame {idx}", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
        tiles.append(cv2.resize(img, None, fx=args.scale, fy=args.scale))
    rows = [
        np.hstack(tiles[i : i + 2] + [np.zeros_like(tiles[0])] * (2 - len(tiles[i : i + 2])))
        for i in range(0, len(tiles), 2)
    ]
    cv2.imwrite(args.out, np.vstack(rows))
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
