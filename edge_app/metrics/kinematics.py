"""From raw pitch positions to smoothed position, speed and acceleration.

Post-session (official KPIs), `compute_kinematics`:
1-3. cleaning (`positions.cleaning`, shared with the stitching): finite samples in time order, outliers
   dropped, the track split at gaps over `max_gap_s` (1.0 s) or that only a sprint over 12.5 m/s could
   bridge, short gaps interpolated, short excursions dropped;
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
from scipy import signal

from edge_app.metrics.residual import residual_cutoff
from edge_app.positions.cleaning import Cleaned, clean

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
        ext = np.concatenate([-r[pad:0:-1], r, -r[-2 : -pad - 2 : -1]])
        return line + signal.sosfiltfilt(sos, ext, axis=0, padlen=0)[pad : pad + n]

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


def compute_kinematics(
    t,
    xy,
    *,
    rate: float | None = None,
    max_gap_s: float = 1.0,
    max_speed: float | None = 12.5,
    smoothing: SmoothingConfig | Filter | None = None,
    noise_tol_m: float = 0.75,
    min_excursion_s: float = 0.5,
) -> Kinematics:
    """Post-session kinematics of one player's track. `max_speed=None` disables the outlier and
    plausibility checks (uncalibrated pixel tracks, where 12.5 m/s means nothing)."""
    return kinematics(
        clean(
            t,
            xy,
            rate=rate,
            max_gap_s=max_gap_s,
            max_speed=max_speed,
            noise_tol_m=noise_tol_m,
            min_excursion_s=min_excursion_s,
        ),
        smoothing,
    )


def kinematics(cleaned: Cleaned, smoothing: SmoothingConfig | Filter | None = None) -> Kinematics:
    """Steps 4-6 on a cleaned series (positions.cleaning.clean)."""
    cfg = SmoothingConfig(method=smoothing) if isinstance(smoothing, str) else (smoothing or SmoothingConfig())
    rate = cleaned.rate
    kin = Kinematics(rate=rate)
    if len(cleaned.t) == 0:
        return kin
    bad, split, bounds, excursion = cleaned.bad, cleaned.split, cleaned.bounds, cleaned.excursion
    q = kin.quality
    q.outliers_dropped = int(bad.sum())
    t, xy = cleaned.t[~bad], cleaned.xy[~bad]
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

    def __init__(
        self,
        rate: float = 25.0,
        cutoff_hz: float = 1.0,
        order: int = 2,
        max_speed: float | None = 12.5,
        max_gap_s: float = 1.0,
        noise_tol_m: float = 0.75,
    ):
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
        return Segment(
            np.array([s.t for s in out]),
            np.array([s.xy for s in out]).reshape(-1, 2),
            np.array([s.speed for s in out]),
            np.array([s.accel for s in out]),
        )
