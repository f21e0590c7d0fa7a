"""Settings: camera, model and input size, age profile, sprint threshold, the data folder, the roster.

Saved to config.toml through the same validated config the CLI reads."""

from __future__ import annotations

import shutil

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from edge_app.config import AppConfig
from edge_app.errors import AxolotlError
from edge_app.metrics.profiles import PROFILES
from ui.widgets import button, label, touch_scroll

INPUT_SIZES = (320, 480, 640, 960, 1280)


def cameras() -> list[str]:
    """Camera choices: V4L2 devices present, then a Jetson CSI camera."""
    from pathlib import Path

    found = sorted(str(p) for p in Path("/dev").glob("video*"))
    return ["0", *found, "csi:0"]


class SettingsScreen(QWidget):
    def __init__(self, kiosk, parent=None):
        super().__init__(parent)
        self.kiosk = kiosk
        self.camera = QComboBox()
        self.camera.setEditable(True)
        self.model = QComboBox()
        self.model.setEditable(True)
        self.input_size = QComboBox()
        for s in INPUT_SIZES:
            self.input_size.addItem(str(s))
        self.profile = QComboBox()
        self.profile.addItems(list(PROFILES))
        self.sprint = QDoubleSpinBox()
        self.sprint.setRange(0, 40)
        self.sprint.setSuffix(" km/h")
        self.sprint.setSpecialValueText("profile default")
        self.folder = label("", "muted", wrap=True)
        self.wording = label("", "muted", wrap=True)  # which words the feedback uses: the model's or built-in
        self.roster = QListWidget()
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("a player's name")
        self.status = label("", "muted", wrap=True)
        form = QFormLayout()
        form.addRow("Camera", self.camera)
        form.addRow("Model", self.model)
        form.addRow("Input size", self.input_size)
        form.addRow("Age profile", self.profile)
        form.addRow("Sprint from", self.sprint)
        form.addRow("Data folder", self.folder)
        form.addRow("Feedback", self.wording)
        roster = QVBoxLayout()
        roster.addWidget(label("Roster", "title"))
        roster.addWidget(self.roster, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_name, 1)
        row.addWidget(button("Add", self.add_name))
        row.addWidget(button("Remove", self.remove_name))
        roster.addLayout(row)
        self.squad_btn = button("Squad (count, teams, bibs)…", self.edit_squad)
        roster.addWidget(self.squad_btn)
        self.squad = None
        body = QHBoxLayout()
        body.addLayout(form, 3)
        body.addLayout(roster, 2)
        touch_scroll(self.roster)
        lay = QVBoxLayout(self)
        lay.addLayout(body, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        self.save_btn = button("Save", self.save)
        bottom.addWidget(self.save_btn)
        lay.addLayout(bottom)
        self.load()

    def shown(self) -> None:
        self.load()

    def load(self) -> None:
        from edge_app.feedback.gate import wording_status
        from edge_app.models import load_manifest

        cfg = self.kiosk.config
        self.camera.clear()
        self.camera.addItems(cameras())
        self.camera.setCurrentText(cfg.session.camera)
        self.model.clear()
        self.model.addItems([m.name for m in load_manifest().values() if m.task in ("pose", "detect")])
        self.model.setCurrentText(cfg.detector.model)
        self.input_size.setCurrentText(str(cfg.detector.input_size))
        self.profile.setCurrentText(cfg.session.profile)
        self.sprint.setValue(cfg.session.sprint_kmh or 0)
        self.roster.clear()
        self.roster.addItems(cfg.session.roster)
        home = self.kiosk.home
        free = shutil.disk_usage(home).free / 1e9
        self.folder.setText(f"{home}\n{free:.1f} GB free (set AXOLOTL_EDGE_HOME to move it)")
        self.wording.setText(wording_status(cfg.feedback.model, home))

    def add_name(self) -> None:
        name = self.new_name.text().strip()
        existing = [self.roster.item(i).text() for i in range(self.roster.count())]
        if name and name not in existing:
            self.roster.addItem(name)
        self.new_name.clear()

    def edit_squad(self) -> None:
        from ui.screens.roster import RosterDialog

        self.squad = RosterDialog(self.kiosk.home, self)
        self.squad.open()

    def remove_name(self) -> None:
        for item in self.roster.selectedItems():
            self.roster.takeItem(self.roster.row(item))

    def save(self) -> None:
        from pydantic import ValidationError

        from edge_app.config import session_profile
        from edge_app.errors import describe_validation

        data = self.kiosk.config.model_dump()
        data["detector"].update(model=self.model.currentText().strip(), input_size=int(self.input_size.currentText()))
        data["session"].update(
            camera=self.camera.currentText().strip() or "0",
            profile=self.profile.currentText(),
            sprint_kmh=self.sprint.value() or None,
            roster=[self.roster.item(i).text() for i in range(self.roster.count())],
        )
        try:
            config = AppConfig.model_validate(data)
            session_profile(config)  # a sprint threshold below the profile's HSR bound is refused here
            if config.detector.input_size % 32:
                raise AxolotlError("input size must be a multiple of 32")
        except ValidationError as exc:
            self.status.setText(f"not saved: {describe_validation(exc)}")
            return
        except AxolotlError as exc:
            self.status.setText(f"not saved: {exc}")
            return
        self.kiosk.save_config(config)
        self.status.setText(f"saved to {self.kiosk.config_path}; new sessions use it")
