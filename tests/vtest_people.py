"""Hand-annotated people in vtest.avi, for the tracking acceptance test.

Each visit is one person's continuous pass through the near part of the scene, with the
point between their feet read by eye off gridded frames (x, y in the 768×576 frame), about
every 4 s. A visit ends where the person goes out of the detector's reach (under ~55 px
tall at the far end of the road, where the pair below turned round for ~4 s): re-linking
across such gaps is the stitching pass (issue #3), not ByteTrack's job.
"""

from collections import Counter

import numpy as np

VISITS = {
    # The man in the red and navy jacket and the blonde woman in a black coat walk as a pair,
    # three times: up the road, back down, and later across the lawn (separately annotated).
    "red-jacket man, up the road": [(20, 705, 372), (60, 485, 289), (100, 507, 215), (140, 627, 170)],
    "blonde woman, up the road": [(20, 740, 365), (60, 517, 281), (100, 528, 215), (140, 647, 170)],
    "red-jacket man, back down": [(240, 653, 175), (280, 612, 204), (320, 610, 265), (360, 715, 334)],
    "blonde woman, back down": [(240, 675, 178), (280, 640, 209), (320, 642, 262), (360, 745, 329)],
    "red-jacket man, across the lawn": [
        (560, 192, 488),
        (600, 475, 408),
        (640, 662, 298),
        (680, 527, 224),
        (720, 315, 238),
        (760, 258, 319),
    ],
    "blonde woman, across the lawn": [
        (560, 225, 525),
        (600, 305, 570),
        (640, 362, 520),
        (680, 178, 446),
        (720, 78, 335),
    ],
    "woman in a red top, right to left": [(440, 630, 350), (480, 418, 284), (500, 322, 262), (560, 97, 235)],
}


def who(dets, x, y):
    """The track whose ground point (box bottom-centre) is nearest the annotated feet, if near enough."""
    if dets is None or not len(dets):
        return None
    gx, gy = (dets.xyxy[:, 0] + dets.xyxy[:, 2]) / 2, dets.xyxy[:, 3]
    dist = np.hypot(gx - x, gy - y)
    k = int(np.argmin(dist))
    return int(dets.tracker_id[k]) if dist[k] <= max(15.0, 0.3 * (dets.xyxy[k, 3] - dets.xyxy[k, 1])) else None


def owner(tracked_at: dict, points) -> int | None:
    """The id seen most often at a visit's annotated points (`tracked_at`: frame -> Detections)."""
    ids = [who(tracked_at.get(f), x, y) for f, x, y in points]
    counts = Counter(i for i in ids if i is not None)
    return counts.most_common(1)[0][0] if counts else None
