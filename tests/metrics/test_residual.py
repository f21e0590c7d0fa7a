"""Winter's residual analysis against cases worked out from the filter's own response."""

import numpy as np
import pytest
from scipy import optimize, signal

from edge_app.metrics.kinematics import SmoothingConfig, compute_kinematics, smooth
from edge_app.metrics.residual import butter_power_gain, residual_curve, residual_cutoff
from tests.metrics import SHUTTLE, track

FS, A, F0 = 50.0, 1.0, 1.0  # 1 m, 1 Hz sinusoid sampled at 50 Hz for 60 s (3001 samples, ends at zero)


def sinusoid(sigma, seed):
    t = np.arange(3001) / FS
    return (A * np.sin(2 * np.pi * F0 * t) + np.random.default_rng(seed).normal(0.0, sigma, len(t)))[:, None]


def test_closed_form_gain_is_scipys_butterworth():
    f = np.linspace(0.0, 24.9, 200)
    for fc in (0.4, 2.0, 9.0):
        _, h = signal.sosfreqz(signal.butter(2, fc, fs=FS, output="sos"), worN=f, fs=FS)
        assert np.allclose(butter_power_gain(f, fc, FS), np.abs(h) ** 2, atol=1e-9)


@pytest.mark.parametrize("n", [401, 398])  # 398: n - 1 = 397 is prime, the transform drops the last sample
def test_spectral_residual_is_the_smoothing_filters_residual(n):
    # the residual computed through the sine transform = RMS(raw - kinematics.smooth(raw)), up to edges
    _, xy = track(SHUTTLE, 25, noise=0.1, seed=4)
    xy = xy[:n]
    fcs = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
    direct = [np.sqrt(np.mean((xy - smooth(xy, 25, SmoothingConfig(cutoff_hz=fc))) ** 2)) for fc in fcs]
    assert residual_curve([xy], 25, fcs) == pytest.approx(direct, rel=0.01)


@pytest.mark.parametrize("sigma", [0.2, 0.05, 0.001])
def test_sinusoid_plus_white_noise_lands_where_the_theory_says(sigma):
    """Sinusoid A sin(2 pi f0 t) plus white noise of sd sigma; zero-phase Butterworth gain G(f) = |H(f)|².

    Residual at cut-off fc: R² = S² + N², with the signal's S = (A / sqrt 2)(1 - G(f0)) and the noise's
    N² = sigma² * mean over 0..Nyquist of (1 - G(f))². In the tail (7.5-15 Hz) S is nil and N close to
    a straight line whose intercept is sigma, so the chosen cut-off solves R² = sigma², that is
    S² = sigma² * P with P = 1 - mean (1 - G)², the share of the noise the filter lets through. By hand,
    S <= sigma there, so 1 - G(f0) <= sqrt(2) sigma / A: fc >= 1.90 Hz at sigma = 0.05 m. Solved:
    1.79 Hz (sigma 0.2 m), 2.46 Hz (0.05 m), 5.75 Hz (0.001 m). One noise draw lets through more or
    less than P (the few spectral lines below ~2 Hz carry it): allowing 0.5 P to 1.5 P moves the
    cut-off by only -5 % / +9 % (S falls as fc^-4), which is the range asserted.
    """
    fN = FS / 2
    f = np.linspace(0.0, fN, 20001)[:-1]

    def crossing(k):
        def excess(fc):
            passed = 1 - np.mean((1 - butter_power_gain(f, fc, FS)) ** 2)
            return (A / np.sqrt(2) * (1 - butter_power_gain(F0, fc, FS))) ** 2 - k * sigma**2 * passed

        return optimize.brentq(excess, 1.05 * F0, 0.6 * fN)

    lo, hi = crossing(1.5), crossing(0.5)  # more noise let through, a lower cut-off
    assert sigma > 0.01 or lo > 5.0  # the derivation itself: clean data, a high cut-off
    for seed in range(3):
        fit = residual_cutoff([sinusoid(sigma, seed)], FS)
        assert fit.noise_rms == pytest.approx(sigma, rel=0.05)
        assert lo <= fit.cutoff_hz <= hi, (fit.cutoff_hz, lo, hi)


def test_clean_track_keeps_a_high_cutoff_noisy_gets_a_low_one():
    # the hand-solved shuttle (0 -> 6 m/s at 4 m/s²): clean, the residual analysis keeps > 2 Hz and
    # the 6 m/s plateau; with 0.15 m of noise at 25 Hz it comes down below the old fixed 0.6 Hz
    t, xy = track(SHUTTLE, 25)
    clean = compute_kinematics(t, xy)
    assert clean.cutoff_hz > 2.0 and clean.noise_m < 0.005
    assert clean.top_speed == pytest.approx(6.0, abs=0.02)
    for seed in range(3):
        t, xy = track(SHUTTLE, 25, noise=0.15, seed=seed)
        noisy = compute_kinematics(t, xy)
        assert 0.3 <= noisy.cutoff_hz < 0.6
        assert noisy.noise_m == pytest.approx(0.15, rel=0.1)


def test_fixed_cutoff_and_short_tracks():
    t, xy = track(SHUTTLE, 25, noise=0.15)
    assert compute_kinematics(t, xy, smoothing=SmoothingConfig(cutoff_hz=1.0)).cutoff_hz == 1.0
    assert compute_kinematics(t, xy, smoothing="savgol").cutoff_hz is None
    # 1 s at 25 Hz (26 samples, under 32): too short to tell the noise, the fallback cut-off
    kin = compute_kinematics(t[:26], xy[:26])
    assert kin.cutoff_hz == SmoothingConfig().noisy_cutoff_hz == 0.6 and kin.noise_m is None
    assert residual_cutoff([xy[:26]], 25) is None
    assert residual_cutoff([xy], 2.0) is None  # the tail would start at 0.3 Hz, the lowest cut-off tried


def test_correlated_noise_does_not_fool_it_into_a_high_cutoff():
    """Residual analysis takes noise to be white. Position noise correlated over ~0.2 s (AR(1), sd 0.2 m;
    a box edge following the legs, a partial occlusion) has little power in the 3.75-7.5 Hz tail and
    looks like movement below it: Winter's crossing lands near 2 Hz and a 1.4 m/s walk would read
    4-5 m/s. Its white-noise estimate is still ~9 cm, far over the 2 cm of a clean track, so the
    cut-off is held at the 0.6 Hz a noisy track gets at most."""
    for seed in range(3):
        t, xy = track([(0, 1.4), (60, 1.4)], 25)
        rng = np.random.default_rng(seed)
        phi = np.exp(-1 / (0.2 * 25))  # 0.2 s correlation time
        xy = xy + signal.lfilter([1.0], [1.0, -phi], rng.normal(0.0, 0.2 * np.sqrt(1 - phi**2), xy.shape), axis=0)
        assert residual_cutoff([xy], 25).cutoff_hz > 1.5  # the white-noise assumption, fooled
        kin = compute_kinematics(t, xy)
        assert kin.noise_m > 0.05 and kin.cutoff_hz <= 0.6
        assert kin.top_speed < 2.5
