"""PNG charts: a pitch heatmap (mplsoccer) and speed over time with zone bands (matplotlib).

matplotlib and mplsoccer are imported inside the functions, so importing this module (and
starting the CLI) stays fast; the Agg backend is used, so no display is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from edge_app.errors import AxolotlError


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def warm_up() -> None:
    """Import matplotlib and mplsoccer and render one tiny figure. Their first use (imports, font
    setup) holds the GIL: 58-68 ms on a worker thread here, up to ~190 ms with the pipeline and the
    LLM busy, enough to freeze a UI thread; afterwards a session's charts stall it < 1 ms."""
    import importlib
    import io

    importlib.import_module("mplsoccer")
    plt = _plt()
    fig = plt.figure(figsize=(1, 1))
    fig.text(0.5, 0.5, "0")
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def heatmap_png(heatmap, template, path, title: str = "", *, dpi: int = 100, cmap: str = "YlOrRd") -> Path:
    """Draw ``heatmap`` (rows × cols fractions of time) over the pitch of ``template``.

    Row 0 is the band nearest ``y = 0`` (the bottom touchline), column 0 the band nearest
    ``x = 0`` (the left goal line): the pitch is drawn with x to the right and y up, as on
    a plan, so a cell lands where its metres are.
    """
    grid = np.asarray(heatmap, dtype=float)
    if grid.ndim != 2 or grid.size == 0:
        raise AxolotlError(
            f"a heatmap must be a 2-D grid (rows × cols), got shape {grid.shape}: pass the summary's heatmap grid"
        )
    grid = np.where(np.isfinite(grid), grid, 0.0)
    plt = _plt()
    from mplsoccer import Pitch

    length, width = float(template.length), float(template.width)
    pitch = Pitch(
        pitch_type="custom",
        pitch_length=length,
        pitch_width=width,
        pitch_color="#2e7d32",
        line_color="white",
        line_zorder=3,
        linewidth=1.5,
    )
    fig, ax = pitch.draw(figsize=(8, 8 * width / length + 0.6))
    rows, cols = grid.shape
    vmax = grid.max() if grid.max() > 0 else 1.0
    # pcolormesh with explicit edges: row i covers y in [i*W/rows, (i+1)*W/rows].
    xe = np.linspace(0, length, cols + 1)
    ye = np.linspace(0, width, rows + 1)
    # Cells never visited stay transparent (the grass shows through).
    shown = np.ma.masked_less_equal(grid, 0.0)
    mesh = ax.pcolormesh(xe, ye, shown, cmap=cmap, vmin=0, vmax=vmax, alpha=0.85, zorder=2, shading="flat")
    cb = fig.colorbar(mesh, ax=ax, fraction=0.03, pad=0.02)
    cb.set_label("share of time")
    if title:
        ax.set_title(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


# Distinct, light band colours for zones, slowest first.
_ZONE_COLOURS = ["#e3f2fd", "#e8f5e9", "#fffde7", "#fff3e0", "#ffebee", "#f3e5f5", "#eceff1"]


def speed_png(
    t,
    speed,
    zones: Sequence[tuple[str, float, float | None]],
    path,
    title: str = "",
    unit: str = "m/s",
    *,
    dpi: int = 100,
) -> Path:
    """Speed over time with each zone (name, lower, upper; upper None = open) shaded.

    ``unit`` labels the axis: "m/s", "km/h", or "px/s" when there is no calibration (and
    then the title says so).
    """
    t = np.asarray(t, dtype=float).reshape(-1)
    v = np.asarray(speed, dtype=float).reshape(-1)
    if t.shape != v.shape:
        raise AxolotlError(f"speed chart got {len(t)} times but {len(v)} speeds: pass one speed per time")
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4))
    top = np.nanmax(v) if np.isfinite(v).any() else 1.0
    finite_uppers = [z[2] for z in zones if z[2] is not None and np.isfinite(z[2])]
    ymax = max([top * 1.1, *(u * 1.05 for u in finite_uppers[:-1])] or [1.0]) if zones else top * 1.1
    ymax = max(ymax, top * 1.1, 1e-6)
    for i, (name, lo, hi) in enumerate(zones):
        hi_ = ymax if hi is None or not np.isfinite(hi) else min(hi, ymax)
        if lo >= ymax:
            continue
        ax.axhspan(lo, hi_, color=_ZONE_COLOURS[i % len(_ZONE_COLOURS)], zorder=0, lw=0)
        ax.text(
            t[0] if len(t) else 0,
            (lo + hi_) / 2,
            f" {name}",
            va="center",
            ha="left",
            fontsize=8,
            color="#455a64",
            zorder=1,
        )
    ax.plot(t, v, color="#1565c0", lw=1.5, zorder=3)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"speed ({unit})")
    ax.set_ylim(0, ymax)
    if len(t):
        ax.set_xlim(t[0], t[-1] if t[-1] > t[0] else t[0] + 1)
    if unit == "px/s":
        title = (title + " " if title else "") + "(uncalibrated: pixels, not metres)"
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3, zorder=1)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def session_charts(store, summary: dict, out) -> list[Path]:
    """A heatmap (calibrated sessions) and a speed-over-time PNG per player of a stored summary."""
    from edge_app.metrics.kinematics import compute_kinematics
    from edge_app.positions.session import read_positions
    from edge_app.report import summary_calibration

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cal = summary_calibration(summary)
    positions = read_positions(store, summary["session_id"], cal)
    written = []
    for p in summary["players"]:
        t, xy = positions.player(p["track_ids"])
        if cal is not None:
            written.append(
                heatmap_png(
                    p["heatmap"], cal.template, out / f"{p['player']}-heatmap.png", title=f"{p['player']}: where"
                )
            )
        kin = compute_kinematics(t, xy, max_speed=12.5 if cal is not None else None)
        zones = [(z["name"], z["lower"], z["upper"]) for z in p["zones"]]
        st = np.concatenate([seg.t for seg in kin.segments]) if kin.segments else np.zeros(0)
        sv = np.concatenate([seg.v for seg in kin.segments]) if kin.segments else np.zeros(0)
        written.append(
            speed_png(
                st,
                sv,
                zones,
                out / f"{p['player']}-speed.png",
                title=f"{p['player']}: speed",
                unit="m/s" if cal is not None else "px/s",
            )
        )
    return written
