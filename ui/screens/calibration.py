"""Calibration: tap pitch landmarks on a still frame, see the pitch lines drawn back and the error in metres, save."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from edge_app.errors import AxolotlError
from edge_app.pitch import TEMPLATES, Calibration, get_template
from ui.bridge import run_job
from ui.theme import COLORS
from ui.widgets import ImageView, button, label, touch_scroll


class PitchView(ImageView):
    """The still frame with the tapped points and, once fitted, the pitch lines projected back."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.points: list[tuple[float, float]] = []
        self.outliers: list[int] = []  # taps the fit left out (drawn orange)
        self.lines_px: list[np.ndarray] = []

    def placeholder(self) -> str:
        return "Grab a frame from the camera"

    def draw_overlay(self, p: QPainter, s: float) -> None:
        p.setPen(QPen(QColor(COLORS["accent"]), 3))
        for poly in self.lines_px:
            p.drawPolyline([self.to_widget(x, y) for x, y in poly])
        for i, (x, y) in enumerate(self.points):
            p.setPen(QPen(QColor(COLORS["warn" if i in self.outliers else "stop"]), 3))
            c = self.to_widget(x, y)
            p.drawEllipse(c, 10, 10)
            p.drawText(c + QPointF(12, -12), str(i + 1))


class CalibrationScreen(QWidget):
    def __init__(self, kiosk, sample: str | None = None, parent=None):
        super().__init__(parent)
        self.kiosk, self.sample = kiosk, sample
        self.pairs: list[tuple[tuple[float, float], str]] = []
        self.calibration: Calibration | None = None
        self.view = PitchView()
        self.view.tapped.connect(self.tap)
        self.template = QComboBox()
        for name in [*TEMPLATES, "custom"]:
            self.template.addItem(name)
        self.length, self.width_m = QDoubleSpinBox(), QDoubleSpinBox()
        for box, value, suffix in ((self.length, 60.0, " m long"), (self.width_m, 40.0, " m wide")):
            box.setRange(5, 200)
            box.setValue(value)
            box.setSuffix(suffix)
            box.valueChanged.connect(self.template_changed)
        self.template.currentTextChanged.connect(self.template_changed)
        self.landmarks = QListWidget()
        self.error = label(
            "Tap a landmark in the list, then where it is on the picture (4 or more)", "muted", wrap=True
        )
        self.save_btn = button("Save", self.save)
        self.save_btn.setEnabled(False)
        side = QVBoxLayout()
        side.addWidget(button("New frame", self.grab))
        side.addWidget(self.template)
        row = QHBoxLayout()
        row.addWidget(self.length)
        row.addWidget(self.width_m)
        side.addLayout(row)
        side.addWidget(self.landmarks, 1)
        row = QHBoxLayout()
        row.addWidget(button("Undo", self.undo))
        row.addWidget(button("Clear", self.clear))
        side.addLayout(row)
        side.addWidget(self.save_btn)
        touch_scroll(self.landmarks)
        body = QHBoxLayout(self)
        left = QVBoxLayout()
        left.addWidget(self.view, 1)
        left.addWidget(self.error)
        body.addLayout(left, 3)
        body.addLayout(side, 1)
        self.template_changed()

    def shown(self) -> None:
        if self.view.image is None:
            self.grab()

    def current_template(self):
        name = self.template.currentText()
        return get_template(name, self.length.value(), self.width_m.value()) if name == "custom" else get_template(name)

    def template_changed(self, *_):
        custom = self.template.currentText() == "custom"
        self.length.setVisible(custom)
        self.width_m.setVisible(custom)
        self.landmarks.clear()
        for name in sorted(self.current_template().landmarks):
            item = QListWidgetItem(name.replace("_", " "))
            item.setData(256, name)
            self.landmarks.addItem(item)
        self.landmarks.setCurrentRow(0)
        self.clear()

    # -- the still frame -----------------------------------------------------------------------
    def grab(self) -> None:
        from edge_app.capture import open_source

        source = self.kiosk.config.session.camera
        live = self.kiosk.live
        self.error.setText("grabbing a frame…")

        def first_frame(job):
            # a camera in use by a live session cannot be opened twice: use the sample clip then
            src = self.sample if (live is not None and live.running) or source is None else source
            with open_source(src) as s:
                for frame in s:
                    return frame.image
            raise AxolotlError(f"{src} gave no picture; check the camera in Settings")

        def fallback(msg: str) -> None:
            if self.sample and source != self.sample:
                self.error.setText(f"{msg} — showing the sample clip instead")
                run_job(
                    lambda job: next(iter(open_source(self.sample))).image,
                    name="grab",
                    done=self.set_frame,
                    failed=self.error.setText,
                )
            else:
                self.error.setText(msg)

        run_job(first_frame, name="grab", done=self.set_frame, failed=fallback)

    def set_frame(self, image: np.ndarray) -> None:
        self.image_size = (image.shape[1], image.shape[0])
        self.view.set_image(image)
        self.clear()
        self.error.setText("Tap a landmark in the list, then where it is on the picture (4 or more)")

    # -- taps and fit --------------------------------------------------------------------------
    def tap(self, x: float, y: float) -> None:
        item = self.landmarks.currentItem()
        if item is None:
            self.error.setText("every landmark of this template is placed")
            return
        self.pairs.append(((x, y), item.data(256)))
        self.landmarks.takeItem(self.landmarks.row(item))  # each landmark once
        self.landmarks.setCurrentRow(0)
        self.refit()

    def undo(self) -> None:
        if self.pairs:
            _, name = self.pairs.pop()
            item = QListWidgetItem(name.replace("_", " "))
            item.setData(256, name)
            self.landmarks.insertItem(0, item)
            self.landmarks.setCurrentRow(0)
            self.refit()

    def clear(self) -> None:
        self.pairs, self.calibration = [], None
        self.view.points, self.view.lines_px = [], []
        self.save_btn.setEnabled(False)
        self.view.update()

    def refit(self) -> None:
        self.view.points = [p for p, _ in self.pairs]
        self.view.lines_px, self.view.outliers, self.calibration = [], [], None
        self.save_btn.setEnabled(False)
        if len(self.pairs) < 4:
            self.error.setText(f"{len(self.pairs)} of at least 4 landmarks placed")
        else:
            try:
                cal = Calibration.fit(
                    [p for p, _ in self.pairs],
                    [n for _, n in self.pairs],
                    template=self.current_template(),
                    camera=self.kiosk.config.session.camera,
                    image_size=getattr(self, "image_size", None),
                    min_inliers=4,
                )
            except AxolotlError as exc:
                self.error.setText(str(exc))
            else:
                self.calibration = cal
                lines = [cal.to_image(poly) for poly in cal.template.lines()]
                self.view.lines_px = [pl[np.isfinite(pl).all(axis=1)] for pl in lines]  # beyond the horizon: left out
                self.view.outliers = [i for i, ok in enumerate(cal.inliers) if not ok]
                off = ", ".join(str(i + 1) for i in self.view.outliers)
                self.error.setText(
                    f"error {cal.reprojection_error_m:.2f} m over {int(cal.inliers.sum())} of "
                    f"{len(self.pairs)} points"
                    + (f" (point {off} looks misplaced: undo and re-tap)" if off else "")
                    + ": check the yellow lines sit on the pitch, then Save"
                )
                self.save_btn.setEnabled(True)
        self.view.update()

    def save(self) -> None:
        if self.calibration is None:
            return
        path = self.kiosk.save_calibration(self.calibration)
        self.error.setText(f"saved to {path}: new sessions report metres")
