"""Calibration screen: tap landmarks on a still frame of a pitch whose true homography we know."""

import json

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from edge_app.pitch import Calibration, draw_template, get_template

# A touchline view of a full-size pitch in a 1280×720 frame: pitch corners → image corners.
PITCH_CORNERS = np.float32([(0, 0), (105, 0), (105, 68), (0, 68)])
IMAGE_CORNERS = np.float32([(60, 680), (1220, 680), (930, 170), (350, 170)])
H = cv2.getPerspectiveTransform(PITCH_CORNERS, IMAGE_CORNERS)
TAPPED = [
    "corner_bottom_left",
    "corner_bottom_right",
    "corner_top_right",
    "corner_top_left",
    "halfway_bottom",
    "halfway_top",
    "centre_spot",
]


def to_px(points_m):
    return cv2.perspectiveTransform(np.float64(points_m).reshape(-1, 1, 2), H).reshape(-1, 2)


def pitch_frame() -> np.ndarray:
    return draw_template(get_template("full"), H, (1280, 720))


def tap_landmark(qtbot, screen, name, offset=(0, 0)):
    item = next(
        screen.landmarks.item(i) for i in range(screen.landmarks.count()) if screen.landmarks.item(i).data(256) == name
    )
    screen.landmarks.setCurrentItem(item)
    x, y = to_px([get_template("full").point(name)])[0]
    p = screen.view.to_widget(x + offset[0], y + offset[1])
    qtbot.mouseClick(screen.view, Qt.MouseButton.LeftButton, pos=QPoint(round(p.x()), round(p.y())))


@pytest.fixture
def screen(window):
    s = window.screens["calibrate"]
    window.stack.setCurrentWidget(s)  # not show_screen: its first show grabs a camera frame in the background
    s.template.setCurrentText("full")
    s.set_frame(pitch_frame())  # the still frame (a camera cannot run here)
    return s


def test_taps_on_known_landmarks_fit_the_true_homography(screen, kiosk, qtbot):
    for name in TAPPED[:3]:
        tap_landmark(qtbot, screen, name)
    assert screen.calibration is None and not screen.save_btn.isEnabled()
    assert "3 of at least 4" in screen.error.text()
    for name in TAPPED[3:]:
        tap_landmark(qtbot, screen, name)
    assert [n for _, n in screen.pairs] == TAPPED  # each tap took the selected landmark
    cal = screen.calibration
    assert cal is not None and screen.save_btn.isEnabled()
    # a tap lands on a whole widget pixel (≈1.7 image px here): the fit is that close to the truth
    assert cal.reprojection_error_m < 0.25
    assert f"error {cal.reprojection_error_m:.2f} m" in screen.error.text()
    pitch = cal.project(to_px([(52.5, 34.0), (16.5, 13.84), (94.0, 34.0)]))
    np.testing.assert_allclose(pitch, [(52.5, 34.0), (16.5, 13.84), (94.0, 34.0)], atol=0.5)
    # the pitch lines drawn back land on the frame's lines
    boundary = screen.view.lines_px[0]
    np.testing.assert_allclose(boundary[:4], IMAGE_CORNERS, atol=3.0)

    qtbot.mouseClick(screen.save_btn, Qt.MouseButton.LeftButton)
    assert (
        kiosk.calibration_path == kiosk.home / "calibration.json"
    )  # never over the --calibration file it started with
    saved = json.loads(kiosk.calibration_path.read_text())
    assert saved["template"]["name"] == "full" and len(saved["points"]) == len(TAPPED)
    assert kiosk.calibration is not None and kiosk.calibration.reprojection_error_m == cal.reprojection_error_m


def test_a_wrong_tap_shows_the_error_that_the_fit_gives(screen, qtbot):
    for name in TAPPED:
        tap_landmark(qtbot, screen, name, offset=(0, 25) if name == "halfway_top" else (0, 0))
    image_pts = [p for p, _ in screen.pairs]
    expected = Calibration.fit(image_pts, TAPPED, template="full", min_inliers=4)
    cal = screen.calibration
    assert cal.reprojection_error_m == pytest.approx(expected.reprojection_error_m)
    # 25 px at the far touchline is metres off: RANSAC leaves that tap out, and the screen says which
    bad = TAPPED.index("halfway_top")
    assert not cal.inliers[bad] and cal.inliers.sum() == len(TAPPED) - 1
    assert screen.view.outliers == [bad]
    assert "over 6 of 7 points" in screen.error.text() and "point 6" in screen.error.text()
    # undo the bad tap and place it right: the error drops back
    while screen.pairs and screen.pairs[-1][1] != "halfway_top":
        screen.undo()
    screen.undo()
    tap_landmark(qtbot, screen, "halfway_top")
    tap_landmark(qtbot, screen, "centre_spot")
    assert screen.calibration.reprojection_error_m < 0.25


def test_too_few_or_degenerate_taps_are_refused_in_one_line(screen, qtbot):
    for name in ("corner_bottom_left", "halfway_bottom", "corner_bottom_right", "left_box_edge_bottom"):
        tap_landmark(qtbot, screen, name)  # four points on (nearly) one line
    assert screen.calibration is None and not screen.save_btn.isEnabled()
    assert "\n" not in screen.error.text() and screen.error.text()
