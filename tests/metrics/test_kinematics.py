"""Kinematics: resampling, gaps, outliers, zero-phase smoothing, the live (causal) filter."""

import numpy as np
import pytest

from edge_app.metrics.kinematics import LiveKinematics, SmoothingConfig, compute_kinematics, smooth
from edge_app.positions.cleaning import kept_samples
from tests.metrics import track


@pytest.mark.parametrize("method", ["butterworth", "savgol"])
@pytest.mark.parametrize("rate", [10, 25])
def test_constant_speed_passes_unchanged(method, rate):
    # 5 m/s for 20 s: 5 * 20 = 100 m, speed 5.0 everywhere (edges included), acceleration 0
    t, xy = track([(0, 5), (20, 5)], rate)
    kin = compute_kinematics(t, xy, smoothing=method)
    assert kin.rate == pytest.approx(rate)
    assert kin.distance == pytest.approx(100.0, abs=1e-6)
    seg = kin.segments[0]
    assert np.allclose(seg.v, 5.0, atol=1e-6)
    assert np.allclose(seg.a, 0.0, atol=1e-6)


def test_zero_phase_no_lag_but_causal_lags():
    # a 0.2 Hz sine of amplitude 1 m (peaks at 1.25, 6.25, 11.25 ... s): the zero-phase filter keeps its peaks where they are,
    # the causal one shifts them later
    rate = 25
    t = np.arange(0, 20, 1 / rate)
    x = np.sin(2 * np.pi * 0.2 * t)
    xy = np.stack([x, np.zeros_like(x)], axis=1)
    sm = smooth(xy, rate, SmoothingConfig(cutoff_hz=1.0))
    mid = (t > 4) & (t < 8.5)  # one peak, at 6.25 s
    assert t[mid][np.argmax(sm[mid, 0])] == pytest.approx(t[mid][np.argmax(x[mid])], abs=0.05)
    live = LiveKinematics(rate=rate, cutoff_hz=1.0).run(t, xy)
    assert t[mid][np.argmax(live.xy[mid, 0])] > t[mid][np.argmax(x[mid])] + 0.1


@pytest.mark.parametrize("rate,sigma", [(10, 0.1), (25, 0.15)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noisy_constant_run_acceptance(rate, sigma, seed):
    # GPS-like white position noise; acceptance: distance within 2 %, top speed within 0.3 m/s
    t, xy = track([(0, 5), (20, 5)], rate, noise=sigma, seed=seed)
    kin = compute_kinematics(t, xy)
    assert kin.distance == pytest.approx(100.0, rel=0.02)
    assert abs(kin.top_speed - 5.0) <= 0.3
    assert kin.quality.outliers_dropped == 0  # noise is not an outlier


def test_irregular_sample_times_are_resampled():
    # 5 m/s, sampled at random intervals of 50-120 ms (median ~85 ms -> ~11.8 Hz grid)
    rng = np.random.default_rng(3)
    t = np.cumsum(np.r_[0.0, rng.uniform(0.05, 0.12, 240)])
    xy = np.stack([5 * t, np.zeros_like(t)], axis=1)
    kin = compute_kinematics(t, xy)
    span = t[-1] - t[0]
    assert kin.rate == pytest.approx(1 / np.median(np.diff(t)))
    assert np.allclose(np.diff(kin.segments[0].t), 1 / kin.rate)
    # the uniform grid stops up to one step before the last sample: distance = 5 * (grid span)
    grid_span = kin.segments[0].t[-1] - kin.segments[0].t[0]
    assert span - grid_span < 1 / kin.rate
    assert kin.distance == pytest.approx(5 * grid_span, rel=1e-6)
    assert kin.top_speed == pytest.approx(5.0, abs=1e-6)
    assert kin.quality.tracked_time_s == pytest.approx(span)


def test_short_gap_is_interpolated_long_gap_splits():
    t, xy = track([(0, 5), (20, 5)], 25)
    # ~0.5 s missing: 13 samples (8.00 .. 8.48 s), so 7.96 s and 8.52 s are neighbours: a 0.56 s
    # interval (< max_gap_s = 1.0), interpolated; interpolated time = 0.56 - 0.04 (one nominal step)
    # = 13 * 0.04 = 0.52 s; the distance is unchanged (100 m)
    i = np.arange(len(t))  # t = i / 25: select by index, not by float comparison
    keep = (i < 200) | (i >= 213)  # drop 8.00 .. 8.48 s
    kin = compute_kinematics(t[keep], xy[keep])
    assert len(kin.segments) == 1
    assert kin.quality.gaps == 0
    assert kin.quality.interpolated_time_s == pytest.approx(0.52, abs=1e-6)
    assert kin.distance == pytest.approx(100.0, abs=1e-6)
    # 3 s missing (75 samples): 7.96 s -> 11.00 s = 3.04 s > max_gap_s (1.0): not interpolated, two segments;
    # distance = 100 - 5 * 3.04 = 84.8 m; tracked time = 20 - 3.04 = 16.96 s
    keep = (i < 200) | (i >= 275)  # drop 8.00 .. 10.96 s
    kin = compute_kinematics(t[keep], xy[keep])
    assert len(kin.segments) == 2
    assert kin.quality.gaps == 1
    assert kin.quality.gap_time_s == pytest.approx(3.04, abs=1e-6)
    assert kin.quality.interpolated_time_s == 0
    assert kin.quality.tracked_time_s == pytest.approx(16.96, abs=1e-6)
    assert kin.distance == pytest.approx(84.8, abs=1e-6)
    # fraction seen: 501 - 75 = 426 of the 501 expected samples (0..20 s at 25 Hz)
    assert kin.quality.fraction_seen == pytest.approx(426 / 501, abs=1e-4)


def test_spikes_above_max_speed_are_dropped():
    # one 20 m spike (500 m/s at 25 Hz) and a 2-sample 8 m spike: 3 outliers, refilled (short),
    # distance and top speed as without them
    t, xy = track([(0, 5), (20, 5)], 25)
    xy = xy.copy()
    xy[250, 1] += 20
    xy[300:302, 0] += 8
    kin = compute_kinematics(t, xy)
    assert kin.quality.outliers_dropped == 3
    assert kin.quality.gaps == 0
    assert kin.distance == pytest.approx(100.0, abs=1e-3)
    assert kin.top_speed == pytest.approx(5.0, abs=1e-3)


def test_jump_is_not_counted_as_running():
    # a 30 m jump at t = 10 s (a wrong id merge): the samples around it are dropped and the track is
    # split there (crossing it would need > 12.5 m/s), so no 30 m is added to the distance
    t, xy = track([(0, 5), (20, 5)], 25)
    xy = xy.copy()
    xy[t >= 10, 0] += 30
    kin = compute_kinematics(t, xy)
    assert kin.quality.gaps == 1
    assert kin.quality.outliers_dropped > 0
    assert 95.0 < kin.distance < 100.0
    assert kin.top_speed == pytest.approx(5.0, abs=1e-3)


def test_short_excursion_between_jumps_adds_no_speed():
    # a 1.5 m/s walk whose ground point leaves for 0.48 s (a box cut by the player in front: 1.5 m,
    # 2.5 m, then 4 m off for 10 samples) and comes back. Each leap splits the track; the 2-sample
    # piece between the first two was too short to smooth and read 25 m/s (the accuracy harness's
    # tripod7: 20-27 m/s top speeds on 5 of 14 players). The excursion is dropped as a gap: no
    # speed above the walk's, and only the walk's own distance (less the 0.48 s dropped).
    t, xy = track([(0, 1.5), (10, 1.5)], 25)
    xy = xy.copy()
    xy[100, 1] += 1.5
    xy[101, 1] += 2.5
    xy[102:112, 1] += 4.0
    kin = compute_kinematics(t, xy)
    assert kin.top_speed == pytest.approx(1.5, abs=1e-3)
    assert kin.quality.outliers_dropped == 12
    assert [len(s.t) for s in kin.segments] == [100, 139]
    assert kin.distance == pytest.approx(1.5 * (len(t) - 1 - 12 - 1) / 25, abs=1e-3)


def test_kept_samples_are_the_ones_the_kinematics_use():
    # A 1.5 m/s walk at 25 Hz (0..4.04 s, 102 samples) whose last 2 ground points leapt 3 m toward
    # the camera (a box that took in the player in front as the track was lost): 3 m in 0.04 s is
    # over 12.5 m/s x 0.04 s + 0.75 m, and 2 samples (0.04 s) are under 0.5 s: an excursion, dropped.
    # A 20 m spike at 2 s is dropped too. Kept: the other 99, as many as compute_kinematics uses.
    t = np.arange(102) / 25
    xy = np.c_[1.5 * t, np.zeros(102)]
    xy[-2:, 1] += 3.0
    xy[50, 1] += 20.0
    keep = kept_samples(t, xy)
    assert keep.sum() == 99 and not keep[50] and not keep[-2:].any()
    kin = compute_kinematics(t, xy)
    assert kin.quality.outliers_dropped == 3
    assert kin.segments[-1].t[-1] == pytest.approx(t[keep][-1])
    # non-finite points (above the horizon) are not kept, the rest is
    xy[10] = np.nan
    assert kept_samples(t, xy).sum() == 98


def test_pixels_skip_the_speed_checks():
    # in px/s, 12.5 means nothing: a fast pixel track (200 px/s) is kept whole
    t = np.arange(0, 10, 0.04)
    xy = np.stack([200 * t, np.zeros_like(t)], axis=1)
    kin = compute_kinematics(t, xy, max_speed=None)
    assert kin.quality.outliers_dropped == 0
    assert kin.distance == pytest.approx(200 * t[-1])


def test_short_segments_are_handled():
    # 3 and 5 samples: shorter than the filter's padding; no crash, finite output
    for n in (1, 2, 3, 5, 12):
        t = np.arange(n) * 0.04
        kin = compute_kinematics(t, np.stack([3 * t, np.zeros(n)], axis=1))
        assert np.isfinite(kin.distance)
        if n > 1:
            assert kin.distance == pytest.approx(3 * t[-1], abs=1e-6)


def test_live_filter_sample_by_sample():
    t, xy = track([(0, 4), (10, 4)], 25)
    live = LiveKinematics(rate=25)
    outs = [live.update(ti, *p) for ti, p in zip(t, xy)]
    assert outs[-1].speed == pytest.approx(4.0, abs=0.01)  # settled
    assert live.update(t[-1] + 0.04, xy[-1, 0] + 30, xy[-1, 1]) is None  # 750 m/s: dropped
    assert live.dropped == 1


def test_no_samples_give_a_quality_of_zeros():
    # An unseen player: no segment, and every quality figure 0 (not a default left at 1).
    kin = compute_kinematics(np.zeros(0), np.zeros((0, 2)))
    q = kin.quality
    assert kin.segments == [] and kin.distance == 0.0 and kin.top_speed == 0.0
    assert (q.tracked_time_s, q.fraction_seen, q.gaps, q.gap_time_s, q.interpolated_time_s, q.outliers_dropped) == (
        0,
        0,
        0,
        0,
        0,
        0,
    )


def test_quality_of_a_track_that_starts_late_with_one_missing_sample():
    # 10 Hz from t = 10.0 s to 11.0 s without t = 10.5: span 1.0 s, 11 samples expected, 10 seen
    # -> fraction_seen 10/11; the 0.2 s hole is interpolated (0.2 - 0.1 = 0.1 s), no gap.
    t = 10.0 + np.r_[np.arange(5), np.arange(6, 11)] / 10
    xy = np.c_[np.zeros(10), np.zeros(10)]
    q = compute_kinematics(t, xy).quality
    assert q.fraction_seen == pytest.approx(10 / 11)
    assert q.interpolated_time_s == pytest.approx(0.1) and q.gaps == 0
    # A hole of 1.5 s (over max_gap_s = 1.0 s) is a gap: two segments, 1.5 s of gap time.
    t = np.r_[np.arange(10) / 10, 2.4 + np.arange(10) / 10]
    kin = compute_kinematics(t, np.zeros((20, 2)))
    assert len(kin.segments) == 2 and kin.quality.gaps == 1 and kin.quality.gap_time_s == pytest.approx(1.5)


def test_a_track_too_short_for_residual_analysis_gets_the_noisy_cutoff():
    # 20 samples: no segment of 32, so the Butterworth cut-off is noisy_cutoff_hz, 0.6 Hz.
    t, xy = track([(0, 2), (1.9, 2)], 10)
    assert compute_kinematics(t, xy).cutoff_hz == pytest.approx(0.6)
