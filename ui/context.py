"""What every screen shares: the data folder, the config, the session store, the calibration,
the live session and the feedback writer. Screens react to its signals; none talks to another."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from edge_app.config import AppConfig, data_dir, default_config_path, load_config, save_config
from edge_app.errors import AxolotlError
from edge_app.pitch import Calibration
from edge_app.store import SessionStore

log = logging.getLogger(__name__)


class Kiosk(QObject):
    session_opened = Signal(str)  # a stored session to show (summary, players)
    sessions_changed = Signal()  # one was added or edited
    config_changed = Signal()
    calibration_changed = Signal()
    message = Signal(str)  # one line for the status bar (errors in plain words)

    def __init__(
        self,
        db_path: str | Path | None = None,
        home: str | Path | None = None,
        config_path: str | Path | None = None,
        calibration: str | Path | None = None,
    ):
        super().__init__()
        self.home = Path(home) if home is not None else data_dir()
        self.home.mkdir(parents=True, exist_ok=True)
        self.db_path = Path(db_path) if db_path is not None else self.home / "axolotl.db"
        self.config_path = (
            Path(config_path)
            if config_path is not None
            else (default_config_path() if home is None else self.home / "config.toml")
        )
        self.config: AppConfig = load_config(self.config_path) if self.config_path.exists() else AppConfig()
        self.store = SessionStore(self.db_path)
        self.calibration: Calibration | None = None
        self._calibration_arg = calibration
        self.load_calibration()
        self.session_id: str | None = None  # the session the summary/players screens show
        self.live = None  # edge_app.live.LiveSession while one runs
        self.closed = False
        self._writer = None

    # -- config / calibration -------------------------------------------------------------------
    @property
    def calibration_path(self) -> Path:
        """Where the Calibrate screen saves (and later sessions load) the pitch calibration."""
        return Path(self.config.session.calibration or self.home / "calibration.json")

    def load_calibration(self) -> None:
        path = Path(self._calibration_arg or self.calibration_path)
        try:
            self.calibration = Calibration.load(path) if path.exists() else None
        except AxolotlError as exc:
            self.calibration = None
            log.warning("%s", exc)

    def save_calibration(self, cal: Calibration) -> Path:
        path = cal.save(self.calibration_path)
        self.calibration, self._calibration_arg = cal, None  # the coach's new one wins over --calibration
        self.calibration_changed.emit()
        return path

    def save_config(self, config: AppConfig) -> None:
        save_config(config, self.config_path)
        self.config = config
        self._writer = None  # the feedback model may have changed
        self.load_calibration()
        self.config_changed.emit()

    # -- sessions ------------------------------------------------------------------------------
    def open_session(self, session_id: str) -> None:
        self.session_id = self.store.resolve_id(session_id)
        self.session_opened.emit(self.session_id)

    def feedback_writer(self):
        if self._writer is None:
            from edge_app.feedback.llm import FeedbackWriter

            self._writer = FeedbackWriter(self.config.feedback.model, max_tokens=self.config.feedback.max_tokens)
        return self._writer

    def close(self) -> None:
        self.closed = True
        if self.live is not None and self.live.running:
            self.live.stop()
        if self._writer is not None:
            self._writer.close()
        self.store.close()
