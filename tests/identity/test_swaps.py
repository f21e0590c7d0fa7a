"""The cut of a track that holds two teammates (edge_app.identity.swaps): samples made by hand, the
torso's histogram then the legs' (as the pipeline stores them), 0.2 s (one frame at 5 fps) apart."""

from __future__ import annotations

import numpy as np

from edge_app.identity.swaps import CUT_AT, MIN_SIDE, TORSO_SAME, swap_cuts
from tests.identity.helpers import BLUE, RED, shirt

NAVY, WHITE = shirt("navy", 1), shirt("white", 2)


def samples(parts, start=0):
    """(frame, sample) rows: `parts` is [(torso, legs, how many)], one after the other."""
    rows, frame = [], start
    for torso, legs, n in parts:
        for _ in range(n):
            noisy = legs * np.random.default_rng(frame).uniform(0.9, 1.1, legs.shape)  # frame-to-frame noise
            rows.append((frame, np.r_[torso, noisy / noisy.sum()].astype(np.float32)))
            frame += 1
    return rows


def test_a_swap_between_teammates_is_cut_where_the_legs_change():
    # Red bib, navy shorts for 30 frames, then red bib, white shorts: the other teammate from frame 130.
    rows = samples([(RED, NAVY, 30), (RED, WHITE, 25)], start=100)
    assert swap_cuts({7: rows}) == [(7, 130)]
    # Two swaps (A, B, A): both cuts; each side at least MIN_SIDE samples.
    rows = samples([(RED, NAVY, 20), (RED, WHITE, 20), (RED, NAVY, 20)])
    assert swap_cuts({7: rows}) == [(7, 20), (7, 40)]
    # a track under 2 x MIN_SIDE samples (4 s) is never cut; 9 + 30: cut a frame late (10 a side at least)
    assert swap_cuts({7: samples([(RED, NAVY, MIN_SIDE), (RED, WHITE, MIN_SIDE - 1)])}) == []
    assert swap_cuts({7: samples([(RED, NAVY, MIN_SIDE - 1), (RED, WHITE, 30)])}) == [(7, MIN_SIDE)]


def test_one_person_is_not_cut():
    assert swap_cuts({1: samples([(RED, NAVY, 60)])}) == []
    # the torso changes with the legs (the light, the pose: vtest.avi's walkers), so no swap of teammates
    assert swap_cuts({1: samples([(RED, NAVY, 30), (BLUE, WHITE, 30)])}) == []
    assert 0 < TORSO_SAME < CUT_AT
    # a session stored before the legs: nothing to go by
    assert swap_cuts({1: [(f, RED) for f in range(60)]}) == []
