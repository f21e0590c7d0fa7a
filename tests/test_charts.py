"""Charts: real PNGs of the expected size, with the heatmap's hot cell where the data put it."""

import subprocess
import sys

import cv2
import numpy as np
import pytest

from edge_app.charts import heatmap_png, speed_png
from edge_app.errors import AxolotlError
from edge_app.pitch import get_template


def _red_mask(img):
    b, g, r = (img[..., k].astype(int) for k in range(3))
    return (r > 90) & (r - g > 50) & (r - b > 40)


@pytest.mark.parametrize("row, col", [(0, 5), (3, 0)])
def test_heatmap_hot_cell_is_drawn_where_the_data_put_it(tmp_path, row, col):
    tpl = get_template("full")
    grid = np.zeros((4, 6))
    grid[row, col] = 0.6  # the hottest cell
    grid[1, 2] = 0.05  # a faint one elsewhere
    path = heatmap_png(grid, tpl, tmp_path / "heat.png", "Player 7")
    img = cv2.imread(str(path))
    assert img is not None and img.shape == (578, 800, 3)
    # The drawn pitch: the green area's bounding box (the colour bar lies outside it).
    b, g, r = (img[..., k].astype(int) for k in range(3))
    gy, gx = np.nonzero((g > 90) & (g - r > 40) & (g - b > 40))
    x0, x1, y0, y1 = gx.min(), gx.max(), gy.min(), gy.max()
    assert x1 - x0 > 600 and y1 - y0 > 350
    red = _red_mask(img)
    red[:, :x0] = False
    red[:, x1 + 1 :] = False
    ys, xs = np.nonzero(red)
    assert len(xs) > 500, "no strongly red cell drawn on the pitch"
    fx = (xs.mean() - x0) / (x1 - x0)  # 0 = left goal line … 1 = right
    fy = 1 - (ys.mean() - y0) / (y1 - y0)  # 0 = bottom touchline … 1 = top
    exp_fx, exp_fy = (col + 0.5) / 6, (row + 0.5) / 4
    assert abs(fx - exp_fx) < 0.08 and abs(fy - exp_fy) < 0.1, (fx, fy, exp_fx, exp_fy)


def test_heatmap_on_youth_and_custom_pitches(tmp_path):
    for tpl in (get_template("7v7"), get_template("custom", 32, 28)):
        p = heatmap_png(np.random.default_rng(0).random((5, 8)), tpl, tmp_path / f"{tpl.name}.png", tpl.name)
        img = cv2.imread(str(p))
        assert img is not None and img.shape[1] == 800
    with pytest.raises(AxolotlError):
        heatmap_png(np.zeros(5), get_template("full"), tmp_path / "bad.png", "")


def test_speed_png(tmp_path):
    t = np.linspace(0, 60, 601)
    v = 3 + 3 * np.sin(t / 5)
    zones = [("walk", 0, 2.0), ("jog", 2.0, 4.0), ("run", 4.0, 5.5), ("hsr", 5.5, 7.0), ("sprint", 7.0, None)]
    p = speed_png(t, v, zones, tmp_path / "speed.png", "Player 7")
    img = cv2.imread(str(p))
    assert img is not None and img.shape == (400, 900, 3)
    # The zone bands are shaded: several distinct light background colours.
    light = img[(img.min(axis=2) > 200) & (img.max(axis=2) < 255)]
    assert len(np.unique(light // 4, axis=0)) >= 3
    p2 = speed_png(t, v * 40, [], tmp_path / "px.png", "uncalibrated", unit="px/s")
    assert cv2.imread(str(p2)).shape == (400, 900, 3)  # the same 9 x 4 in figure at 100 dpi, for pixels too
    with pytest.raises(AxolotlError):
        speed_png(t, v[:-1], zones, tmp_path / "bad.png")


def test_importing_charts_does_not_import_matplotlib():
    code = "import sys, edge_app.charts, edge_app.pitch; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
