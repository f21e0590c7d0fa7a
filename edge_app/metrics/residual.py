"""Residual analysis (Winter 2009, *Biomechanics and Motor Control of Human Movement*, §3.4.4): the
low-pass cut-off a track's own noise calls for.

For each trial cut-off fc, the residual R(fc) is the RMS difference between the raw and the smoothed
positions. Above the movement's own frequencies the residual is noise only and falls almost linearly
with fc; the straight line fitted to that high-frequency tail, extended to 0 Hz, meets the axis at
`a`, an estimate of the noise RMS. The chosen cut-off is where the residual curve comes down to `a`:
the signal it distorts there is about as large as the noise it lets through. Clean (provider) tracks
have almost no noise, so `a` is tiny and the cut-off lands high (peaks kept); noisy video positions
get a low one.

R(fc) is computed in the frequency domain, in one pass per segment: the line through the two end
points is removed (so the point-reflected extension that `kinematics.smooth` filters is continuous),
the rest goes through a type-I discrete sine transform (that extension's Fourier series), and each
trial cut-off weighs the spectrum by the zero-phase filter's residual gain 1 - |H(f)|², with H the
Butterworth's response (`sosfiltfilt` applies |H|²). By Parseval this is the time-domain
residual of the same filter, up to edge effects (checked in tests/metrics/test_residual.py), at the
cost of one FFT instead of one filtering per trial cut-off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import fft

TAIL = (0.3, 0.6)  # fraction of Nyquist over which the noise line is fitted
MIN_SAMPLES = 32  # shorter segments say too little about the noise and are left out of the analysis


@dataclass(frozen=True)
class ResidualFit:
    cutoff_hz: float  # the chosen cut-off
    noise_rms: float  # the noise line's intercept `a` (per coordinate, same unit as the positions)
    freqs: np.ndarray  # trial cut-offs, Hz
    residuals: np.ndarray  # R(fc) at each, per coordinate


def _spectrum(xy: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray, int]:
    """(frequencies, power summed over the coordinates, values used) of a segment without its
    end-to-end line."""
    # The transform runs an FFT of length 2(n - 1): its last few samples are left out so that this
    # length factors into small primes (a 90-minute track of 135000 samples: 0.47 s -> 0.01 s).
    n = fft.prev_fast_len(len(xy) - 1) + 1
    xy = xy[:n]
    r = xy - (xy[0] + (xy[-1] - xy[0]) * np.linspace(0.0, 1.0, n)[:, None])
    c = fft.dst(r[1:-1], type=1, norm="ortho", axis=0)  # orthonormal: sum c² = sum r²
    return np.arange(1, n - 1) * rate / (2 * (n - 1)), (c**2).sum(axis=1), xy.size


def butter_power_gain(f: np.ndarray, fc: float, rate: float, order: int = 2) -> np.ndarray:
    """|H(f)|² of `scipy.signal.butter(order, fc, fs=rate)` in closed form (the bilinear transform with
    pre-warping maps the analog 1 / (1 + (w/wc)^2N) onto w = tan(pi f / rate)); = sosfiltfilt's gain."""
    return 1.0 / (1.0 + (np.tan(np.pi * np.asarray(f) / rate) / np.tan(np.pi * fc / rate)) ** (2 * order))


def residual_curve(segments: Sequence[np.ndarray], rate: float, freqs: np.ndarray, order: int = 2) -> np.ndarray:
    """RMS residual (per coordinate) at each trial cut-off of a zero-phase Butterworth (`order` per pass),
    pooled over the segments (each a uniformly sampled (n, d) array)."""
    segs = [np.asarray(s, float) for s in segments if len(s) >= 3]
    if not segs:
        return np.zeros(len(freqs))
    f, p, count = zip(*(_spectrum(s, rate) for s in segs))
    f, p = np.concatenate(f), np.concatenate(p)
    w2n = np.tan(np.pi * f / rate) ** (2 * order)  # butter_power_gain, with the per-frequency part done once
    out = [(p * (w2n / (np.tan(np.pi * fc / rate) ** (2 * order) + w2n)) ** 2).sum() for fc in freqs]
    return np.sqrt(np.array(out) / sum(count))


def residual_cutoff(
    segments: Sequence[np.ndarray],
    rate: float,
    *,
    order: int = 2,
    fmin: float = 0.3,
    tail: tuple[float, float] = TAIL,
    steps: int = 60,
) -> ResidualFit | None:
    """Winter's cut-off for these segments of one player's track, or None when they are too short to
    tell (every segment under `MIN_SAMPLES`) or the rate too low for a noise tail above `fmin`."""
    segs = [s for s in segments if len(s) >= MIN_SAMPLES]
    nyq = rate / 2
    if not segs or tail[0] * nyq <= fmin:
        return None
    freqs = np.linspace(fmin, tail[1] * nyq, steps)
    res = residual_curve(segs, rate, freqs, order)
    in_tail = freqs >= tail[0] * nyq
    a = max(float(np.polyfit(freqs[in_tail], res[in_tail], 1)[1]), 0.0)
    below = np.flatnonzero(res <= a)
    if not len(below):  # never down to the noise line: keep the highest trial cut-off
        return ResidualFit(float(freqs[-1]), a, freqs, res)
    i = int(below[0])
    # where the falling curve crosses `a`, linearly between the two trial cut-offs around it
    fc = freqs[0] if i == 0 else float(np.interp(a, [res[i], res[i - 1]], [freqs[i], freqs[i - 1]]))
    return ResidualFit(float(fc), a, freqs, res)
