"""Which samples of a track in metres are the player's: the cleaning every metric and the stitching share.

One function (`clean`), applied per track (the ends the stitching links, identity.py) and per player
(the series the metrics smooth, metrics/kinematics.py); nothing else decides which positions count.

1. clean: drop non-finite samples, sort by time, drop duplicate times;
2. outliers (metres only): a sample further from the running median of its ±0.25 s neighbourhood than
   12.5 m/s allows (plus a noise allowance) is a spike; a stretch whose speed over a 0.5 s baseline of the
   median-filtered track exceeds 12.5 m/s is a jump. Both are dropped;
3. gaps: between consecutive kept samples, a gap longer than `max_gap_s` (default 1.0 s), or one that
   could only be bridged faster than 12.5 m/s, is NOT interpolated: it splits the track into segments;
   shorter gaps are filled by linear interpolation. A stretch shorter than `min_excursion_s` (0.5 s)
   cut off by such an implausible jump is dropped too, as a gap: a ground point that jumped away and
   back (a box whose bottom the player in front hides: at a 4 m tripod, 10 px is metres far away).
   Too short to smooth, its 2-4 samples read 20-27 m/s on the accuracy harness's tripod7;
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class Cleaned:
    """A series after steps 1-3: clean samples, the outliers among them, and the stretches of the rest."""

    t: np.ndarray  # (n,) the clean samples: finite, increasing, one per time
    xy: np.ndarray  # (n, 2)
    rate: float  # the nominal rate (given, or the median of the clean samples')
    duplicates: int  # samples dropped as a repeated time
    bad: np.ndarray  # (n,) outliers (spikes, jumps)
    split: np.ndarray  # (m - 1,) over the m samples left: an un-interpolated gap after each
    bounds: np.ndarray  # stretch bounds over those m samples
    excursion: list[bool]  # per stretch: a short excursion, dropped as a gap


def clean(
    t,
    xy,
    *,
    rate: float | None = None,
    max_gap_s: float = 1.0,
    max_speed: float | None = 12.5,
    noise_tol_m: float = 0.75,
    min_excursion_s: float = 0.5,
) -> Cleaned:
    """Steps 1-3 on one series. `max_speed=None` skips the outlier and plausibility checks (pixels)."""
    t, xy, dup = clean_series(t, xy)
    rate = float(rate) if rate else median_rate(t)
    if not len(t):
        return Cleaned(t, xy, rate, dup, np.zeros(0, bool), np.zeros(0, bool), np.zeros(1, int), [])
    bad, split, bounds, excursion = _stretches(t, xy, rate, max_gap_s, max_speed, noise_tol_m, min_excursion_s)
    return Cleaned(t, xy, rate, dup, bad, split, bounds, excursion)


def clean_series(t, xy) -> tuple[np.ndarray, np.ndarray, int]:
    """Finite samples, sorted by time, one per time stamp. Returns (t, xy, number of duplicates dropped)."""
    t = np.asarray(t, dtype=float).reshape(-1)
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(t) != len(xy):
        raise ValueError(f"t has {len(t)} samples but xy has {len(xy)}")
    ok = np.isfinite(t) & np.isfinite(xy).all(axis=1)
    t, xy = t[ok], xy[ok]
    order = np.argsort(t, kind="stable")
    t, xy = t[order], xy[order]
    keep = np.ones(len(t), bool)
    keep[1:] = np.diff(t) > 1e-9
    return t[keep], xy[keep], int((~keep).sum())


def median_rate(t: np.ndarray) -> float:
    dt = np.diff(t)
    dt = dt[dt > 0]
    return float(1.0 / np.median(dt)) if len(dt) else 1.0


def _running_median(xy: np.ndarray, k: int) -> np.ndarray:
    if k < 1 or len(xy) < 3:
        return xy.copy()
    return np.stack([ndimage.median_filter(xy[:, i], size=2 * k + 1, mode="nearest") for i in range(2)], axis=1)


def outlier_mask(
    t: np.ndarray,
    xy: np.ndarray,
    *,
    max_speed: float = 12.5,
    rate: float | None = None,
    noise_tol_m: float = 0.75,
    window_s: float = 0.25,
) -> np.ndarray:
    """True for samples to drop as implausible (see the module docstring, step 2)."""
    n = len(t)
    bad = np.zeros(n, bool)
    if n < 3:
        return bad
    rate = rate or median_rate(t)
    k = max(1, int(round(window_s * rate)))
    # spikes: distance from the neighbourhood's median vs what max_speed allows in one sample interval
    med = _running_median(xy, k)
    dt = np.diff(t)
    dt_local = np.minimum(np.r_[dt, np.inf], np.r_[np.inf, dt])
    resid = np.hypot(*(xy - med).T)
    bad |= resid > noise_tol_m + max_speed * dt_local
    # jumps: speed over a 2*window_s baseline of the median-filtered track of the remaining samples
    good = ~bad
    tg, rg = t[good], _running_median(xy[good], k)
    if len(tg) >= 3:
        lo = np.interp(tg - window_s, tg, np.arange(len(tg)))
        hi = np.interp(tg + window_s, tg, np.arange(len(tg)))
        il, ih = np.floor(lo).astype(int), np.ceil(hi).astype(int)
        span = tg[ih] - tg[il]
        with np.errstate(invalid="ignore", divide="ignore"):
            vb = np.hypot(*(rg[ih] - rg[il]).T) / span
        jump = np.zeros(len(tg), bool)
        jump[span > 0] = vb[span > 0] > max_speed
        idx = np.flatnonzero(good)
        bad[idx[jump]] = True
    return bad


def _splits(t, xy, max_gap_s, max_speed, noise_tol_m) -> tuple[np.ndarray, np.ndarray]:
    """(split, leap) between consecutive samples: split at gaps that are too long or could only be
    crossed implausibly fast (leap)."""
    dt = np.diff(t)
    leap = np.zeros(len(dt), bool)
    if max_speed:
        leap = np.hypot(*np.diff(xy, axis=0).T) > max_speed * dt + noise_tol_m
    return (dt > max_gap_s) | leap, leap


def _stretches(t, xy, rate, max_gap_s, max_speed, noise_tol_m, min_excursion_s):
    """Steps 2-3 on clean (t, xy): (outliers over all samples; then over the rest: split after each
    sample, stretch bounds, excursion or not per stretch)."""
    bad = (
        outlier_mask(t, xy, max_speed=max_speed, rate=rate, noise_tol_m=noise_tol_m)
        if max_speed
        else np.zeros(len(t), bool)
    )
    t, xy = t[~bad], xy[~bad]
    split, leap = _splits(t, xy, max_gap_s, max_speed, noise_tol_m)
    bounds = np.r_[0, np.flatnonzero(split) + 1, len(t)]
    # A stretch shorter than `min_excursion_s` cut off by an implausible jump is a ground point that
    # jumped away (a box cut by the player in front, a keypoint on the wrong person): too short to
    # smooth, its speed is its jumps'. It counts as a gap, not re-joined (that would bridge the jump).
    excursion = [
        i1 > i0
        and t[i1 - 1] - t[i0] < min_excursion_s
        and ((i0 > 0 and leap[i0 - 1]) or (i1 < len(t) and leap[i1 - 1]))
        for i0, i1 in zip(bounds[:-1], bounds[1:])
    ]
    if all(excursion):
        excursion = [False] * len(excursion)
    return bad, split, bounds, excursion


def kept_samples(
    t,
    xy,
    *,
    rate: float | None = None,
    max_gap_s: float = 1.0,
    max_speed: float = 12.5,
    noise_tol_m: float = 0.75,
    min_excursion_s: float = 0.5,
) -> np.ndarray:
    """(n,) bool over the samples as given (times increasing): those `clean` keeps, i.e. without
    non-finite points, repeated times, spikes, jumps and excursions (steps 1-3)."""
    t = np.asarray(t, float).reshape(-1)
    xy = np.asarray(xy, float).reshape(-1, 2)
    keep = np.isfinite(t) & np.isfinite(xy).all(axis=1)
    keep[1:] &= np.diff(t) > 1e-9
    idx = np.flatnonzero(keep)
    if not len(idx):
        return keep
    tk, pk = t[idx], xy[idx]
    bad, _, bounds, excursion = _stretches(
        tk, pk, float(rate) if rate else median_rate(tk), max_gap_s, max_speed, noise_tol_m, min_excursion_s
    )
    keep[idx[bad]] = False
    idx = idx[~bad]
    for i0, i1, skip in zip(bounds[:-1], bounds[1:], excursion):
        if skip:
            keep[idx[i0:i1]] = False
    return keep
