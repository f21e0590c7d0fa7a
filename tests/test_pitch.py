"""Pitch calibration: recovery of a known homography, RANSAC, refusals, landmarks, files."""

import json
from pathlib import Path

import numpy as np
import pytest

from edge_app.errors import AxolotlError
from edge_app.pitch import FULL, SCHEMA, Calibration, custom, get_template

ROOT = Path(__file__).resolve().parents[1]
VTEST_CAL = ROOT / "samples" / "vtest-calibration.json"


def camera_view_of_full_pitch() -> np.ndarray:
    """A 4K pinhole camera (3840×2160, f = 2000 px) on a gantry 30 m up and 35 m behind the
    bottom touchline, on the halfway line, looking down 33° at the whole pitch (the far
    touchline is about 5.7 px per metre deep). Returns the pitch → image homography."""
    f, cx, cy = 2000.0, 1920.0, 1080.0
    K = np.array([[f, 0, cx], [0, f, cy], [0, 0, 1]])
    C = np.array([52.5, -35.0, 30.0])  # camera centre in pitch metres (z up)
    tilt = np.radians(33.0)
    fwd = np.array([0, np.cos(tilt), -np.sin(tilt)])
    right = np.array([1.0, 0, 0])
    down = np.cross(fwd, right)
    R = np.stack([right, down, fwd])  # world → camera
    t = -R @ C
    P = K @ np.c_[R, t]
    return P[:, [0, 1, 3]]  # ground plane z = 0


def to_image(Hpi, pts):
    p = np.c_[pts, np.ones(len(pts))] @ Hpi.T
    return p[:, :2] / p[:, 2:]


def grid_points(n=11, m=7):
    xs, ys = np.meshgrid(np.linspace(0, 105, n), np.linspace(0, 68, m))
    return np.c_[xs.ravel(), ys.ravel()]


def test_recovers_known_homography_within_20cm_from_noisy_points():
    """Every landmark of the full template tapped with 1 px Gaussian noise, 20 fixed draws:
    the pitch (an 11×7 grid, near corners included, which are outside the frame) comes back
    within 0.2 m almost always (the far corners, 5.7 px/m deep, set the max)."""
    Hpi = camera_view_of_full_pitch()
    names = list(FULL.landmarks)
    pitch = np.array([FULL.point(n) for n in names])
    truth = grid_points()
    worst = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        img = to_image(Hpi, pitch) + rng.normal(0, 1.0, pitch.shape)
        cal = Calibration.fit(img, names, template="full", camera="cam1", image_size=(3840, 2160))
        assert cal.inliers.sum() >= len(names) - 1  # noise alone is (almost) never an outlier
        assert cal.reprojection_error_m < 0.2
        err = np.linalg.norm(cal.project(to_image(Hpi, truth)) - truth, axis=1)
        worst.append(err.max())
        # and back again: pitch → image agrees to a few pixels
        assert np.abs(cal.to_image(truth) - to_image(Hpi, truth)).max() < 5.0
    worst = np.array(worst)
    assert np.median(worst) < 0.12, worst.round(3)
    assert (worst < 0.2).sum() >= 17, worst.round(3)


def test_ransac_rejects_outliers():
    rng = np.random.default_rng(7)
    Hpi = camera_view_of_full_pitch()
    truth = grid_points(8, 5)
    img = to_image(Hpi, truth) + rng.normal(0, 1.0, truth.shape)
    bad = [3, 11, 25]
    img[bad] += np.array([[140, -60], [-90, 120], [200, 40]])  # mis-tapped points
    cal = Calibration.fit(img, truth, template="full")
    assert not cal.inliers[bad].any()
    assert cal.inliers.sum() >= len(truth) - len(bad) - 2
    err = np.linalg.norm(cal.project(to_image(Hpi, grid_points())) - grid_points(), axis=1)
    assert err.max() < 0.2


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and ":" in msg, msg
    return msg


GOOD_IMG = [(100, 100), (500, 110), (520, 400), (90, 380), (300, 250)]
GOOD_PITCH = [(0, 0), (40, 0), (40, 30), (0, 30), (20, 15)]


@pytest.mark.parametrize(
    "img, pitch, words",
    [
        (GOOD_IMG[:3], GOOD_PITCH[:3], "at least 4"),
        ([(100, 100), (100, 100), (520, 400), (90, 380)], GOOD_PITCH[:4], "same point"),
        (GOOD_IMG[:4], [(0, 0), (0, 0), (40, 30), (0, 30)], "same point"),
        ([(0, 0), (100, 100), (200, 200), (300, 300), (400, 400)], GOOD_PITCH, "one line"),
        (GOOD_IMG, [(0, 0), (10, 0), (20, 0), (30, 0), (40, 0)], "one line"),
        ([(0, 0), (100, 0), (200, 0), (100, 300)], GOOD_PITCH[:4], "general position"),
        (GOOD_IMG[:4], GOOD_PITCH[:3], "4 image points but 3"),
        ([(1, 2, 3)] * 4, GOOD_PITCH[:4], "N×2"),
        ([(np.nan, 1), (2, 3), (4, 5), (6, 7)], GOOD_PITCH[:4], "NaN"),
    ],
)
def test_degenerate_points_are_refused(img, pitch, words):
    with pytest.raises(AxolotlError) as e:
        Calibration.fit(img, pitch, template="full")
    assert words in _one_line(e)


def test_too_large_error_is_refused():
    # Five points that no homography fits well: a square whose centre was tapped 40 px off.
    img = [(100, 100), (500, 100), (500, 500), (100, 500), (340, 300), (300, 140)]
    pitch = [(0, 0), (40, 0), (40, 40), (0, 40), (20, 20), (20, 4)]
    with pytest.raises(AxolotlError) as e:
        Calibration.fit(img, pitch, template="full", ransac_threshold_m=10.0, max_error_m=0.5)
    assert "exceeds the 0.50 m limit" in _one_line(e)


def test_mismatched_points_are_refused():
    with pytest.raises(AxolotlError) as e:
        Calibration.fit(
            [(100, 100), (500, 100), (500, 500), (100, 500), (300, 300), (120, 300), (480, 120)],
            [(0, 0), (40, 40), (40, 0), (0, 40), (3, 37), (20, 1), (35, 19)],
            template="full",
            ransac_threshold_m=0.5,
        )
    _one_line(e)


def test_landmarks_resolve_on_every_template():
    full = get_template("full")
    assert (full.length, full.width) == (105.0, 68.0)
    assert full.point("centre_spot") == (52.5, 34.0)
    assert full.point("centre_circle_top") == (52.5, 34 + 9.15)
    assert full.point("left_penalty_spot") == (11.0, 34.0)
    assert full.point("right_box_edge_bottom") == pytest.approx((105 - 16.5, 34 - 20.16))
    assert full.point("corner_top_right") == (105.0, 68.0)
    nine, seven = get_template("9v9"), get_template("7v7")
    assert (nine.length, nine.width, seven.length, seven.width) == (73.0, 46.0, 55.0, 37.0)
    assert nine.point("left_penalty_spot")[0] == pytest.approx(9 * 0.9144)
    assert seven.point("centre_circle_right")[0] == pytest.approx(27.5 + 6 * 0.9144)
    c = get_template("custom", 60, 40)
    assert c.point("corner_top_right") == (60.0, 40.0) and c.point("centre_spot") == (30.0, 20.0)
    for name in ["corner_bottom_left", "halfway_top", "centre_circle_left", "left_box_goal_top"]:
        for tpl in (full, nine, seven, c):
            x, y = tpl.point(name)
            assert 0 <= x <= tpl.length and 0 <= y <= tpl.width
    with pytest.raises(AxolotlError) as e:
        full.point("centre_spto")
    _one_line(e)
    with pytest.raises(AxolotlError):
        get_template("5v5")
    with pytest.raises(AxolotlError):
        get_template("custom")
    with pytest.raises(AxolotlError):
        custom(-3, 10)


def test_save_load_round_trip(tmp_path):
    Hpi = camera_view_of_full_pitch()
    truth = grid_points(4, 3)
    cal = Calibration.fit(to_image(Hpi, truth), truth, template="9v9", camera="north stand", image_size=(3840, 2160))
    path = cal.save(tmp_path / "cams" / "north.json")
    data = json.loads(path.read_text())
    assert data["schema"] == SCHEMA and data["camera"] == "north stand"
    assert data["template"] == {"name": "9v9", "length": 73.0, "width": 46.0}
    assert data["image_size"] == [3840, 2160] and len(data["points"]) == 12
    for key in ("H", "reprojection_error_m", "created_at"):
        assert key in data
    again = Calibration.load(path)
    assert np.allclose(again.H, cal.H)
    assert again.template.name == "9v9" and again.camera == "north stand"
    assert again.reprojection_error_m == pytest.approx(cal.reprojection_error_m)
    px = to_image(Hpi, grid_points())
    assert np.allclose(again.project(px), cal.project(px))


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json", "not valid JSON"),
        ('{"schema": "something/else"}', "schema"),
        (json.dumps({"schema": SCHEMA, "template": {"name": "full"}}), "malformed"),
        (
            json.dumps(
                {"schema": SCHEMA, "template": {"name": "full", "length": 105, "width": 68}, "H": [[1, 0], [0, 1]]}
            ),
            "3×3",
        ),
        ("[1, 2]", "not a calibration"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, content, words):
    p = tmp_path / "cal.json"
    p.write_text(content)
    with pytest.raises(AxolotlError) as e:
        Calibration.load(p)
    assert words in _one_line(e)
    with pytest.raises(AxolotlError) as e:
        Calibration.load(tmp_path / "missing.json")
    assert "does not exist" in _one_line(e)


def test_points_above_the_horizon_project_to_nan():
    Hpi = camera_view_of_full_pitch()
    truth = grid_points(4, 3)
    cal = Calibration.fit(to_image(Hpi, truth), truth, template="full")
    horizon_row = 1080 - 2000 * np.tan(np.radians(33.0))
    out = cal.project([(1920, horizon_row - 50), (1920, 1800)])
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()


def test_vtest_calibration_gives_plausible_scale():
    cal = Calibration.load(VTEST_CAL)
    assert cal.camera == "vtest" and cal.template.name == "custom" and cal.image_size == (768, 576)
    # The access road on the left, from the lawn's edge to the car park's kerb at x = 100 px,
    # is taken as a UK single-lane road (3.0–3.7 m).
    a, b = cal.project([(100, 247), (100, 205)])
    assert 3.0 <= np.linalg.norm(a - b) <= 3.7
    # A 1.75 m detector box on the plaza (feet at row 330) is 0.229 × (330 + 86) = 95 px tall,
    # so 95 px sideways there is 1.75 m.
    a, b = cal.project([(400, 330), (495, 330)])
    assert np.linalg.norm(a - b) == pytest.approx(1.75, rel=0.05)
    # The woman in black, frames 0 → 30 (3 s), feet read by eye: a brisk walk.
    a, b = cal.project([(661, 318), (412, 292)])
    assert 1.2 <= np.linalg.norm(a - b) / 3.0 <= 2.0
    # The annotated walkers' average speeds, every visit of the acceptance data.
    from tests.vtest_people import VISITS

    walk = VISITS["red-jacket man, up the road"]
    xy = cal.project([(u, v) for _, u, v in walk])
    speed = np.linalg.norm(np.diff(xy, axis=0), axis=1).sum() / ((walk[-1][0] - walk[0][0]) / 10)
    assert 1.0 <= speed <= 1.6


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_saved_calibration_with_a_non_finite_tapped_point_is_refused(tmp_path, bad):
    """Issue 13: NaN/inf in a calibration's tapped points was accepted (and made every projection NaN)."""
    data = Calibration.fit(GOOD_IMG, GOOD_PITCH, template="full").to_dict()
    data["points"][1]["image"] = [bad, 110.0]
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(data))  # Python writes NaN/Infinity, and reads them back
    with pytest.raises(AxolotlError) as e:
        Calibration.load(path)
    assert "NaN or infinite" in _one_line(e)
    data["points"][1]["image"], data["points"][2]["pitch"] = [500.0, 110.0], [40.0, bad]
    with pytest.raises(AxolotlError) as e:
        Calibration.from_dict(data)
    assert "calibration pitch points" in _one_line(e)
