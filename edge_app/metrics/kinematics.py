"""From raw pitch positions to smoothed position, speed and acceleration.

Post-session (official KPIs), `compute_kinematics`:
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
4. each segment is resampled to a uniform grid (default rate: the input's median rate);
5. zero-phase smoothing of x and y: Butterworth low-pass run forwards and backwards (`sosfiltfilt`;
   default 2nd order per pass, i.e. the "4th-order zero-lag Butterworth" of biomechanics) or
   Savitzky-Golay (default 1.0 s window, 2nd order). The Butterworth's cut-off is chosen per player
   from the track's own noise by Winter's residual analysis (`residual`, over all the player's
   segments): clean optical tracking gets 3-6 Hz and keeps its peaks (a fixed 0.6 Hz read provider
   tracking 1.3 % short in distance and 0.26 m/s low in top speed, benchmarks/README.md), white
   position noise of 0.1-0.2 m at 10-25 Hz gets ~0.4-0.5 Hz (1 Hz would let ±0.4-0.6 m/s of noise
   into the top speed). Residual analysis assumes white noise: noise correlated over a few frames
   (a box's bottom edge following the legs, a partial occlusion) looks like movement to it and
   drew ~2 Hz and 4-5 m/s top speeds from a 1.4 m/s walk with such noise (0.2 m, 0.2 s) at 25 Hz.
   So a track whose noise estimate is over `clean_noise_m` (2 cm; video positions measured 4-10 cm,
   provider tracking 0.2-3 mm at 50-25 Hz; 2 px on an uncalibrated track) never gets more than
   `noisy_cutoff_hz` (0.6 Hz, the fixed default that was). A track too short to tell (no segment
   of 32 samples) gets `noisy_cutoff_hz` too; `cutoff_hz` fixes the cut-off for every track.
   Savitzky-Golay's stop band is leaky: with noisy 25 Hz input its accelerations are unreliable;
   prefer the Butterworth;
6. speed = |d(x, y)/dt| and acceleration = d(speed)/dt, by central differences.

Live display, `LiveKinematics`: a causal Butterworth (`sosfilt` with carried state) fed one sample at a
time, with the same outputs (position, speed, acceleration). It lags and, being one-sided and of lower
order, lets more noise through: the official numbers are always the post-session ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from scipy import ndimage, signal

from edge_app.metrics.residual import residual_cutoff

Filter = Literal["butterworth", "savgol"]


@dataclass
class SmoothingConfig:
    method: Filter = "butterworth"
    cutoff_hz: float | None = None  # Butterworth; None: per player by residual analysis (module docstring)
    noisy_cutoff_hz: float = 0.6  # the most a noisy track gets; and tracks too short to analyse
    clean_noise_m: float = 0.02  # residual-analysis noise up to which a track counts as clean
    min_cutoff_hz: float = 0.3  # the residual analysis never goes below this
    order: int = 2  # per pass: forwards + backwards = a 4th-order zero-lag Butterworth
    savgol_window_s: float = 1.0
    savgol_polyorder: int = 2


@dataclass
class Segment:
    """A stretch of track without an un-interpolated gap, on a uniform time grid."""

    t: np.ndarray  # (n,) s
    xy: np.ndarray  # (n, 2) smoothed position
    v: np.ndarray  # (n,) speed
    a: np.ndarray  # (n,) acceleration (rate of change of speed)

    @property
    def step_distance(self) -> np.ndarray:
        return np.hypot(*np.diff(self.xy, axis=0).T) if len(self.t) > 1 else np.zeros(0)

    @property
    def duration(self) -> float:
        return float(self.t[-1] - self.t[0]) if len(self.t) else 0.0


@dataclass
class Quality:
    tracked_time_s: float = 0.0
    fraction_seen: float = 0.0
    gaps: int = 0
    gap_time_s: float = 0.0
    interpolated_time_s: float = 0.0
    outliers_dropped: int = 0


@dataclass
class Kinematics:
    rate: float
    segments: list[Segment] = field(default_factory=list)
    quality: Quality = field(default_factory=Quality)
    cutoff_hz: float | None = None  # the Butterworth cut-off used (None: Savitzky-Golay or nothing smoothed)
    noise_m: float | None = None  # the residual analysis' noise estimate (RMS per coordinate), when it ran

    @property
    def distance(self) -> float:
        return float(sum(s.step_distance.sum() for s in self.segments))

    @property
    def top_speed(self) -> float:
        return float(max((s.v.max() for s in self.segments if len(s.v)), default=0.0))


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


def outlier_mask(t: np.ndarray, xy: np.ndarray, *, max_speed: float = 12.5, rate: float | None = None,
                 noise_tol_m: float = 0.75, window_s: float = 0.25) -> np.ndarray:
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


def smooth(xy: np.ndarray, rate: float, cfg: SmoothingConfig | None = None) -> np.ndarray:
    """Zero-phase smoothing of a uniformly sampled (n, 2) series; short series are handled gracefully."""
    cfg = cfg or SmoothingConfig()
    n = len(xy)
    if n < 4:
        return xy.copy()
    if cfg.method == "butterworth":
        if cfg.cutoff_hz is None:
            cfg = replace(cfg, cutoff_hz=butterworth_cutoff([xy], rate, cfg)[0])
        nyq = rate / 2
        if cfg.cutoff_hz >= 0.95 * nyq:  # nothing left to remove at this rate
            return xy.copy()
        sos = signal.butter(cfg.order, cfg.cutoff_hz, fs=rate, output="sos")
        # Edges: remove the line through the two end points (each estimated by a straight-line fit over
        # the first / last half cutoff period, so one noisy end sample does not pin the curve), then
        # extend the residual by point reflection about zero. A constant-velocity stretch passes
        # unchanged and the edges carry no start-up transient.
        m = int(min(n, max(3, round(0.5 * rate / cfg.cutoff_hz))))
        tt = np.arange(n, dtype=float)
        e0 = np.polyval(np.polyfit(tt[:m], xy[:m], 1), 0.0) if m >= 3 else xy[0]
        e1 = np.polyval(np.polyfit(tt[-m:], xy[-m:], 1), n - 1.0) if m >= 3 else xy[-1]
        line = e0 + (e1 - e0) * np.linspace(0.0, 1.0, n)[:, None]
        r = xy - line
        pad = min(n - 1, max(3 * (2 * len(sos) + 1), int(2 * rate / cfg.cutoff_hz)))
        ext = np.concatenate([-r[pad:0:-1], r, -r[-2:-pad - 2:-1]])
        return line + signal.sosfiltfilt(sos, ext, axis=0, padlen=0)[pad:pad + n]

    if cfg.method == "savgol":
        w = int(round(cfg.savgol_window_s * rate)) | 1
        w = min(w, n if n % 2 else n - 1)
        if w <= cfg.savgol_polyorder:
            return xy.copy()
        return signal.savgol_filter(xy, w, cfg.savgol_polyorder, axis=0, mode="interp")
    raise ValueError(f"unknown filter '{cfg.method}'; use 'butterworth' or 'savgol'")


def butterworth_cutoff(segments: list[np.ndarray], rate: float, cfg: SmoothingConfig) -> tuple[float, float | None]:
    """(cut-off, noise estimate or None) for one player's uniformly resampled segments."""
    if cfg.cutoff_hz is not None:
        return float(cfg.cutoff_hz), None
    fit = residual_cutoff(segments, rate, order=cfg.order, fmin=cfg.min_cutoff_hz)
    if fit is None:
        return float(cfg.noisy_cutoff_hz), None
    clean = fit.noise_rms <= cfg.clean_noise_m
    return (fit.cutoff_hz if clean else min(fit.cutoff_hz, cfg.noisy_cutoff_hz)), fit.noise_rms


def derivatives(xy: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Speed and acceleration (d speed / dt) by central differences (one-sided at the ends)."""
    if len(xy) < 2:
        return np.zeros(len(xy)), np.zeros(len(xy))
    vel = np.gradient(xy, dt, axis=0)
    v = np.hypot(vel[:, 0], vel[:, 1])
    a = np.gradient(v, dt) if len(v) > 1 else np.zeros_like(v)
    return v, a


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
    bad = outlier_mask(t, xy, max_speed=max_speed, rate=rate, noise_tol_m=noise_tol_m) if max_speed else np.zeros(len(t), bool)
    t, xy = t[~bad], xy[~bad]
    split, leap = _splits(t, xy, max_gap_s, max_speed, noise_tol_m)
    bounds = np.r_[0, np.flatnonzero(split) + 1, len(t)]
    # A stretch shorter than `min_excursion_s` cut off by an implausible jump is a ground point that
    # jumped away (a box cut by the player in front, a keypoint on the wrong person): too short to
    # smooth, its speed is its jumps'. It counts as a gap, not re-joined (that would bridge the jump).
    excursion = [i1 > i0 and t[i1 - 1] - t[i0] < min_excursion_s and ((i0 > 0 and leap[i0 - 1]) or (i1 < len(t) and leap[i1 - 1]))
                 for i0, i1 in zip(bounds[:-1], bounds[1:])]
    if all(excursion):
        excursion = [False] * len(excursion)
    return bad, split, bounds, excursion


def kept_samples(t, xy, *, rate: float | None = None, max_gap_s: float = 1.0, max_speed: float = 12.5,
                 noise_tol_m: float = 0.75, min_excursion_s: float = 0.5) -> np.ndarray:
    """(n,) bool: the samples of a track in metres (times increasing) that `compute_kinematics` keeps,
    i.e. without non-finite points, spikes, jumps and excursions (steps 1-3)."""
    t = np.asarray(t, float).reshape(-1)
    xy = np.asarray(xy, float).reshape(-1, 2)
    keep = np.isfinite(t) & np.isfinite(xy).all(axis=1)
    keep[1:] &= np.diff(t) > 1e-9
    idx = np.flatnonzero(keep)
    if not len(idx):
        return keep
    tk, pk = t[idx], xy[idx]
    bad, _, bounds, excursion = _stretches(tk, pk, float(rate) if rate else median_rate(tk), max_gap_s, max_speed,
                                           noise_tol_m, min_excursion_s)
    keep[idx[bad]] = False
    idx = idx[~bad]
    for i0, i1, skip in zip(bounds[:-1], bounds[1:], excursion):
        if skip:
            keep[idx[i0:i1]] = False
    return keep


def compute_kinematics(t, xy, *, rate: float | None = None, max_gap_s: float = 1.0,
                       max_speed: float | None = 12.5, smoothing: SmoothingConfig | Filter | None = None,
                       noise_tol_m: float = 0.75, min_excursion_s: float = 0.5) -> Kinematics:
    """Post-session kinematics of one player's track. `max_speed=None` disables the outlier and
    plausibility checks (uncalibrated pixel tracks, where 12.5 m/s means nothing)."""
    cfg = SmoothingConfig(method=smoothing) if isinstance(smoothing, str) else (smoothing or SmoothingConfig())
    t, xy, _ = clean_series(t, xy)
    n_raw = len(t)
    rate = float(rate) if rate else median_rate(t)
    kin = Kinematics(rate=rate)
    if n_raw == 0:
        return kin
    bad, split, bounds, excursion = _stretches(t, xy, rate, max_gap_s, max_speed, noise_tol_m, min_excursion_s)
    q = kin.quality
    q.outliers_dropped = int(bad.sum())
    t, xy = t[~bad], xy[~bad]
    if len(t) == 0:
        return kin
    dt = np.diff(t)
    q.gaps = int(split.sum())
    q.gap_time_s = float(dt[split].sum())
    nominal = 1.0 / rate
    filled = (~split) & (dt > 1.5 * nominal)
    q.interpolated_time_s = float((dt[filled] - nominal).sum())
    grids = []
    for i0, i1, skip in zip(bounds[:-1], bounds[1:], excursion):
        if skip:
            q.outliers_dropped += i1 - i0
            continue
        ts, ps = t[i0:i1], xy[i0:i1]
        q.tracked_time_s += float(ts[-1] - ts[0])
        m = int(np.floor((ts[-1] - ts[0]) * rate + 1e-6))
        grid = ts[0] + np.arange(m + 1) / rate
        grids.append((grid, np.stack([np.interp(grid, ts, ps[:, 0]), np.interp(grid, ts, ps[:, 1])], axis=1)))
    if cfg.method == "butterworth":  # one cut-off for the player, from all its segments
        kin.cutoff_hz, kin.noise_m = butterworth_cutoff([p for _, p in grids], rate, cfg)
        cfg = replace(cfg, cutoff_hz=kin.cutoff_hz)
    for grid, pos in grids:
        pos = smooth(pos, rate, cfg)
        v, a = derivatives(pos, nominal)
        kin.segments.append(Segment(grid, pos, v, a))
    span = t[-1] - t[0]
    expected = int(round(span * rate)) + 1
    q.fraction_seen = float(min(1.0, len(t) / expected)) if expected > 0 else 1.0
    return kin


@dataclass
class LiveSample:
    t: float
    xy: tuple[float, float]
    speed: float
    accel: float


class LiveKinematics:
    """Causal smoothing for the live display, fed sample by sample (`update`).

    A causal Butterworth low-pass (`scipy.signal.sosfilt` with its state carried between calls) at a
    nominal rate; speed from the filtered positions, acceleration from the speed, both one-sided.
    Samples that imply more than `max_speed` (plus a noise allowance) are ignored (`dropped` counts them);
    after a pause longer than `max_gap_s` the filter restarts at the new position.
    """

    def __init__(self, rate: float = 25.0, cutoff_hz: float = 1.0, order: int = 2, max_speed: float | None = 12.5,
                 max_gap_s: float = 1.0, noise_tol_m: float = 0.75):
        self.rate = rate
        cutoff = min(cutoff_hz, 0.45 * rate)
        self.sos = signal.butter(order, cutoff, fs=rate, output="sos")
        self.zi0 = signal.sosfilt_zi(self.sos)
        self.max_speed, self.max_gap_s, self.noise_tol_m = max_speed, max_gap_s, noise_tol_m
        self.dropped = 0
        self._reset()

    def _reset(self):
        self._zi = None
        self._last_t = self._last_xy = self._last_v = None
        self._raw_last = None

    def update(self, t: float, x: float, y: float) -> LiveSample | None:
        p = np.array([x, y], float)
        if not np.isfinite(p).all() or not np.isfinite(t):
            return None
        if self._last_t is not None:
            dt = t - self._last_t
            if dt <= 0:
                return None
            if dt > self.max_gap_s:
                self._reset()
            elif self.max_speed and np.hypot(*(p - self._raw_last)) > self.max_speed * dt + self.noise_tol_m:
                self.dropped += 1
                return None
        if self._zi is None:
            self._zi = [self.zi0 * p[0], self.zi0 * p[1]]
            self._last_t, self._last_xy, self._last_v, self._raw_last = t, p, 0.0, p
            return LiveSample(t, (float(x), float(y)), 0.0, 0.0)
        f = np.empty(2)
        for i in range(2):
            out, self._zi[i] = signal.sosfilt(self.sos, [p[i]], zi=self._zi[i])
            f[i] = out[0]
        dt = t - self._last_t
        v = float(np.hypot(*(f - self._last_xy)) / dt)
        a = (v - self._last_v) / dt
        self._last_t, self._last_xy, self._last_v, self._raw_last = t, f, v, p
        return LiveSample(float(t), (float(f[0]), float(f[1])), v, float(a))

    def run(self, t, xy) -> Segment:
        """Feed a whole series sample by sample; the outputs as one array-backed Segment (dropped samples omitted)."""
        out = [s for s in (self.update(ti, *pi) for ti, pi in zip(np.asarray(t, float), np.asarray(xy, float))) if s]
        return Segment(np.array([s.t for s in out]), np.array([s.xy for s in out]).reshape(-1, 2),
                       np.array([s.speed for s in out]), np.array([s.accel for s in out]))
