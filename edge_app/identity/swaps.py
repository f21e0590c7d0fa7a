"""A track that holds two people: cut it where its legs change.

At the box's 5 positions a second, two teammates in one bib who cross between two frames can swap
ids in the tracker (the torso's colour gate cannot tell them apart). On the 10-minute two-kit
renders 98 % of the tracks' wrong frames (mast) and 93 % (tripod) were in tracks that held two
people for 2 s or more each: a track like that can never be one right player, whatever the identity
does after. Their legs (shorts, socks, skin) tell teammates apart where their bibs do not: a track's
legs samples are cut in two where the means of both sides are farthest apart, if farther than
`CUT_AT` while the torso's stay within `TORSO_SAME` (the same bib), each side at least `MIN_SIDE`
samples, and each side again (binary segmentation).

Measured on the renders' tracks (the best cut's distance, one person's tracks against two people's):
one person q90 0.21-0.28, q99 0.45-0.47; two people q50 0.47-0.56. At 0.3, 41 of 60 two-people tracks
are cut and 17 of 228 one-person tracks (those cuts are not kept as constraints: `refine` gives each
part to a person by its colours, the same one when they agree). Real walkers' legs change with the
stride more than the renders' do: tests/test_vtest.py bounds what this does to them.
"""

from __future__ import annotations

import numpy as np

from edge_app.identity.appearance import histogram_distance, split_sample

CUT_AT = 0.3
MIN_SIDE = 10  # samples (0.2 s apart live): 2 s a side
# A swap between teammates keeps the bib: the torso's means across the cut at most this far apart (the
# renders' swaps: 0.04-0.2, most under 0.15). Where the torso changes too it is the light or the pose:
# on vtest.avi's real walkers every cut the legs alone would make (16 in 30 tracks) had 0.17-0.53.
TORSO_SAME = 0.15


def _best_cut(legs: np.ndarray, min_side: int) -> tuple[int, float]:
    """(index of the first sample of the right side, Bhattacharyya distance of the two sides' means)."""
    n = len(legs)
    cs = np.cumsum(legs, axis=0)
    k = np.arange(min_side, n - min_side + 1)
    left = cs[k - 1] / k[:, None]
    right = (cs[-1] - cs[k - 1]) / (n - k)[:, None]
    bc = np.sqrt(left * right).sum(axis=1) / np.sqrt(left.sum(axis=1) * right.sum(axis=1)).clip(1e-12)
    d = np.sqrt(np.clip(1.0 - bc, 0.0, None))
    best = int(np.argmax(d))
    return int(k[best]), float(d[best])


def _cuts(legs: np.ndarray, torso: np.ndarray, min_side: int, cut_at: float) -> list[int]:
    if len(legs) < 2 * min_side:
        return []
    k, d = _best_cut(legs, min_side)
    if d <= cut_at or histogram_distance(torso[:k].mean(axis=0), torso[k:].mean(axis=0)) > TORSO_SAME:
        return []
    left, right = _cuts(legs[:k], torso[:k], min_side, cut_at), _cuts(legs[k:], torso[k:], min_side, cut_at)
    return left + [k] + [k + c for c in right]


def swap_cuts(samples: dict[int, list], *, cut_at: float = CUT_AT, min_side: int = MIN_SIDE) -> list[tuple[int, int]]:
    """(track id, frame) where each track's legs change, in frame order per track: the part from that
    frame on is someone else. `samples`: per track its (frame, sample) in time order
    (`store.appearance(frames=True)`); samples without legs (older sessions) are skipped."""
    out = []
    for tid, rows in samples.items():
        kept = [(f, *split_sample(np.asarray(s))) for f, s in sorted(rows, key=lambda r: r[0])]
        kept = [(f, t, g) for f, t, g in kept if g is not None and g.sum() > 0 and t.sum() > 0]
        if len(kept) < 2 * min_side:
            continue
        torso, legs = (np.array([r[i] for r in kept], np.float64) for i in (1, 2))
        torso /= torso.sum(axis=1, keepdims=True)
        legs /= legs.sum(axis=1, keepdims=True)
        out += [(int(tid), int(kept[k][0])) for k in _cuts(legs, torso, min_side, cut_at)]
    return out
