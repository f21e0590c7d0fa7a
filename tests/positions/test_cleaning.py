"""The cleaning every metric and the stitching share (positions/cleaning.py), at its defaults.

Every series here is a player standing still at 10 Hz, so each threshold can be worked by hand:
a leap between two samples 0.1 s apart needs more than 12.5 * 0.1 + 0.75 = 2.0 m; a spike, a sample
further than that from the median of its 7-sample (±0.3 s) neighbourhood. The values sit a few
centimetres either side of the defaults, so a default moved by a unit (or a `>` turned into `>=`) fails.
"""

import numpy as np

from edge_app.positions.cleaning import clean, clean_series, kept_samples


def _still(n=30, rate=10.0):
    return np.arange(n) / rate, np.zeros((n, 2))


def test_a_sample_with_a_nan_coordinate_is_dropped_even_with_a_finite_time():
    # Only xy is non-finite: t is fine, so the sample must go because of its point alone.
    t = np.array([0.0, 0.1, 0.2, 0.3])
    xy = np.array([[0, 0], [np.nan, 1], [2, 2], [3, np.inf]], float)
    tc, pc, dup = clean_series(t, xy)
    assert list(tc) == [0.0, 0.2] and pc.tolist() == [[0, 0], [2, 2]] and dup == 0


def test_a_three_sample_excursion_just_over_the_spike_limit_is_not_kept():
    # Samples 10-12 sit 2.05 m off: 4 of the 7 neighbours of each are still at 0, so the median is 0
    # and 2.05 > 0.75 + 12.5 * 0.1 = 2.0: spikes. At 13.5 m/s or a 1.75 m allowance the limit is
    # 2.1 m / 3.0 m and all 30 samples would be kept.
    t, xy = _still()
    xy[10:13, 0] = 2.05
    keep = kept_samples(t, xy)
    assert list(np.flatnonzero(~keep)) == [10, 11, 12]
    # 1.95 m off (under 2.0 m, and under the leap limit too): every sample is kept.
    xy[10:13, 0] = 1.95
    assert kept_samples(t, xy).all()


def test_a_step_just_over_the_leap_limit_splits_the_track():
    # At sample 15 the point steps 2.05 m and stays: the 7-sample median follows it (no spike), the
    # 0.6 s baseline reads 2.05 / 0.6 = 3.4 m/s (no jump), but 2.05 m in 0.1 s > 2.0 m: a split, both
    # stretches (1.4 s each) too long to be an excursion.
    t, xy = _still()
    xy[15:, 0] = 2.05
    c = clean(t, xy)
    assert not c.bad.any()
    assert list(np.flatnonzero(c.split)) == [14] and list(c.bounds) == [0, 15, 30] and c.excursion == [False, False]


def test_a_gap_over_a_second_splits_and_a_shorter_one_does_not():
    # 1.5 s without a sample (t 1.4 -> 2.9): over max_gap_s = 1.0, a split (not under a 2.0 s limit).
    t, xy = _still()
    t[15:] += 1.4
    assert list(np.flatnonzero(clean(t, xy).split)) == [14]
    # 0.9 s (1.4 -> 2.3): interpolated, no split.
    t2, _ = _still()
    t2[15:] += 0.8
    assert not clean(t2, xy).split.any()


def test_a_stretch_between_two_leaps_counts_as_excursion_only_under_half_a_second():
    # Samples 10-17 (0.7 s: t[17] - t[10]) are 5 m off, entered and left by a 5 m leap (> 2.0 m).
    # Four of the 7 neighbours of each plateau sample are on the plateau: no spikes; the 0.6 s baseline
    # reads 5 / 0.6 = 8.3 m/s < 12.5: no jumps. 0.7 s >= 0.5 s: a stretch of its own, kept.
    t, xy = _still()
    xy[10:18, 0] = 5.0
    c = clean(t, xy)
    assert list(c.bounds) == [0, 10, 18, 30] and c.excursion == [False, False, False]
    assert kept_samples(t, xy).all()
    # 4 samples (0.3 s: t[13] - t[10]) off: an excursion, dropped as a gap.
    t, xy = _still()
    xy[10:14, 0] = 5.0
    c = clean(t, xy)
    assert list(c.bounds) == [0, 10, 14, 30] and c.excursion == [False, True, False]
    assert list(np.flatnonzero(~kept_samples(t, xy))) == [10, 11, 12, 13]
