"""ByteTrack's Kalman filter, vectorised over tracks: one state row per track.

Constant velocity in (x, y, a, h): box centre, aspect ratio w / h, height; the measurement is the
position only. With a diagonal start the covariance stays block-diagonal: 4 independent 2x2
blocks (position, velocity) of x, y, a and h. So a track is one row of 20 numbers: the mean (8),
then the blocks' pp, pv, vv (4 each). Predict is one (T, 20) @ (20, 20) product plus noise; the
update is closed form per block: the full 8x8 filter's numbers (up to rounding) without any 8x8
product, Cholesky or inverse. `covariances` gives the full (T, 8, 8) view.
"""

from __future__ import annotations

import numpy as np

# Kalman noise, relative to the box height (ByteTrack / DeepSORT values): the standard deviation
# of x, y and h is weight * h; the aspect ratio a has a fixed one.
_W_POS = 1.0 / 20
_W_VEL = 1.0 / 160
_HW = np.array([1.0, 1.0, 0.0, 1.0])


def _noise(weight_pos: float, a_pos: float, weight_vel: float, a_vel: float) -> tuple[np.ndarray, np.ndarray]:
    """(multiplier, offset), both (8,): variance = (h * multiplier)^2 + offset for [pos x4, vel x4]."""
    mult = np.concatenate([weight_pos * _HW, weight_vel * _HW])
    offset = np.array([0, 0, a_pos * a_pos, 0, 0, 0, a_vel * a_vel, 0], float)
    return mult, offset


_P0 = _noise(2 * _W_POS, 1e-2, 10 * _W_VEL, 1e-5)  # initial covariance
_R_MULT, _R_OFF = _W_POS * _HW, np.array([0, 0, 1e-2, 0])  # measurement noise (0.1 for a)

# Columns of a state row: mean (8), then the 2x2 covariance blocks of x, y, a, h:
# position variance (4), position-velocity covariance (4), velocity variance (4).
PP, PV, VV = slice(8, 12), slice(12, 16), slice(16, 20)
NCOL = 20


def _transition() -> np.ndarray:
    """The predict step as one linear map of a state row: x' = x @ L (+ process noise).

    Mean: position += velocity. Covariance, F P F^T per 2x2 block [[pp, pv], [pv, vv]]:
    pp' = pp + 2 pv + vv, pv' = pv + vv, vv' = vv.
    """
    L = np.eye(NCOL)
    for d in range(4):
        L[4 + d, d] = 1.0
        L[12 + d, 8 + d] = 2.0
        L[16 + d, 8 + d] = 1.0
        L[16 + d, 12 + d] = 1.0
    return L


_L = _transition()
_Q_MULT = np.zeros(NCOL)  # process noise on the pp and vv columns: (h * mult)^2 + offset
_Q_OFF = np.zeros(NCOL)
_Q_MULT[PP], _Q_MULT[VV] = np.split(_noise(_W_POS, 1e-2, _W_VEL, 1e-5)[0], 2)
_Q_OFF[PP], _Q_OFF[VV] = np.split(_noise(_W_POS, 1e-2, _W_VEL, 1e-5)[1], 2)
_STEP_POW = np.ones(NCOL)  # 2 ** (power of `steps`) per column: pp grows with steps, vv with steps²
_STEP_POW[PP], _STEP_POW[VV] = 2.0, 4.0
_GAIN_ROW, _COV_ROW = np.array([0, 0, 1]), np.array([0, 1, 1])  # see correct


def initiate(z: np.ndarray, steps: float = 1.0) -> np.ndarray:
    """New state rows (k, NCOL) from xyah boxes z (k, 4): at rest, with the initial covariance.
    `steps`: reference frames (1/30 s) per step, for sparse frames (a velocity per step that large)."""
    x = np.zeros((len(z), NCOL))
    x[:, :4] = z
    p0 = _P0[0].copy()
    p0[4:] *= steps
    p = z[:, 3:4] * p0
    p *= p
    p += _P0[1]
    x[:, PP] = p[:, :4]
    x[:, VV] = p[:, 4:]
    return x


def predict(x: np.ndarray, n_tracked: int, steps: float = 1.0) -> np.ndarray:
    """Constant-velocity prediction of state rows x (k, NCOL), returned as new rows. Rows from
    `n_tracked` on are not in the tracked state (lost): their height velocity is zeroed first.
    `steps`: reference frames (1/30 s) per step: the position noise grows with it, and the noise on
    a velocity per step with its square (the same acceleration over a longer step)."""
    x = x.copy()
    x[n_tracked:, 7] = 0.0
    q = x[:, 3:4] * (_Q_MULT if steps == 1.0 else _Q_MULT * _STEP_POW ** np.log2(steps))
    q *= q
    q += _Q_OFF
    x = x @ _L
    x += q
    return x


def correct(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Measurement update of state rows x with xyah boxes z (k, 4), returned as new rows; closed
    form per 2x2 block: gain (kp, kv) = (pp, pv) / s with s = pp + r; mean += gain * innovation;
    pp -= kp pp, pv -= kp pv, vv -= kv pv."""
    x = x.copy()
    k = len(x)
    cov = x[:, 8:20].reshape(k, 3, 4)  # a view: pp, pv, vv
    r = x[:, 3:4] * _R_MULT
    r *= r
    r += _R_OFF
    gain = cov[:, :2] / (cov[:, 0] + r)[:, None]
    innov = z - x[:, :4]
    x[:, :8] += (gain * innov[:, None]).reshape(k, 8)
    cov -= gain[:, _GAIN_ROW] * cov[:, _COV_ROW]
    return x


def tlbr(x: np.ndarray) -> np.ndarray:
    """Boxes (k, 4) xyxy from state rows (k, >=4), computed as supervision does."""
    out = np.empty((len(x), 4))
    wh = out[:, 2:]
    np.multiply(x[:, 2:4], x[:, 3:4], out=wh)  # w = a * h
    wh[:, 1] = x[:, 3]
    np.subtract(x[:, :2], wh / 2, out=out[:, :2])
    wh += out[:, :2]
    return out


def covariances(x: np.ndarray) -> np.ndarray:
    """The full covariances (k, 8, 8) of state rows x."""
    cov = np.zeros((len(x), 8, 8))
    d = np.arange(4)
    cov[:, d, d] = x[:, PP]
    cov[:, d, d + 4] = cov[:, d + 4, d] = x[:, PV]
    cov[:, d + 4, d + 4] = x[:, VV]
    return cov
