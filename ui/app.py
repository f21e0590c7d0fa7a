"""The kiosk window: a navigation bar over a stack of screens. `axolotl-edge kiosk` starts it."""

from __future__ import annotations

import gc
import logging
import signal
import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QButtonGroup, QHBoxLayout, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from edge_app.config import SAMPLE_CLIP
from ui.context import Kiosk
from ui.theme import stylesheet
from ui.widgets import button, label

log = logging.getLogger(__name__)

EXIT_CHORD = "Ctrl+Alt+Q"  # the admin's way out of fullscreen kiosk mode (packaging/systemd/README.md)


class MainWindow(QMainWindow):
    def __init__(self, kiosk: Kiosk, sample: str | None = None):
        super().__init__()
        from ui.screens.calibration import CalibrationScreen
        from ui.screens.history import HistoryScreen
        from ui.screens.live import LiveScreen
        from ui.screens.pairing import PairingScreen
        from ui.screens.players import PlayersScreen
        from ui.screens.settings import SettingsScreen
        from ui.screens.summary import SummaryScreen

        from edge_app.charts import warm_up

        warm_up()  # ~0.5 s once, before the window shows, instead of a UI freeze at the first summary
        self.kiosk = kiosk
        self.setWindowTitle("Axolotl Edge")
        self.screens = {
            "live": LiveScreen(kiosk, sample), "players": PlayersScreen(kiosk), "calibrate": CalibrationScreen(kiosk, sample),
            "summary": SummaryScreen(kiosk), "history": HistoryScreen(kiosk), "pair": PairingScreen(kiosk),
            "settings": SettingsScreen(kiosk),
        }
        titles = {"live": "Live", "players": "Players", "calibrate": "Calibrate", "summary": "Summary",
                  "history": "History", "pair": "Phone", "settings": "Settings"}
        self.stack = QStackedWidget()
        nav = QHBoxLayout()
        nav.setSpacing(0)
        self.nav = QButtonGroup(self)
        self.nav_buttons = {}
        for key, screen in self.screens.items():
            self.stack.addWidget(screen)
            b = button(titles[key], lambda _=False, k=key: self.show_screen(k), name="nav", checkable=True)
            self.nav.addButton(b)
            self.nav_buttons[key] = b
            nav.addWidget(b)
        self.message = label("", "muted")
        kiosk.message.connect(self.message.setText)
        kiosk.session_opened.connect(lambda _sid: self.show_screen("summary"))
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(6, 0, 6, 4)
        lay.addLayout(nav)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.message)
        self.setCentralWidget(central)
        QShortcut(QKeySequence(EXIT_CHORD), self, activated=self.leave_fullscreen)
        self.show_screen("live")
        # Everything loaded so far (numpy, OpenCV, matplotlib, Qt wrappers...) lives as long as the app:
        # out of the collector's sight, a full collection no longer walks it. Without this a gen-2 pass
        # took 170-200 ms holding the GIL (measured with gc.callbacks) and froze the UI thread with it.
        gc.freeze()

    def show_screen(self, key: str) -> None:
        self.stack.setCurrentWidget(self.screens[key])
        self.nav_buttons[key].setChecked(True)
        if hasattr(self.screens[key], "shown"):
            self.screens[key].shown()

    def leave_fullscreen(self) -> None:
        self.showNormal()
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, False)
        self.kiosk.message.emit(f"kiosk mode left ({EXIT_CHORD}); close the window to quit")

    def resizeEvent(self, event):
        self.setStyleSheet(stylesheet(self.height()))  # fonts follow the panel (1024×600 … 1920×1080)
        super().resizeEvent(event)

    def closeEvent(self, event):
        self.kiosk.close()
        super().closeEvent(event)


def run(*, db_path=None, config_path=None, calibration=None, fullscreen: bool = False, size: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("axolotl-edge")
    # systemd stops the kiosk with SIGTERM: close the window (which ends a live session cleanly)
    # instead of dying mid-write. Qt's loop runs no Python code, so a timer lets the handler run.
    signal.signal(signal.SIGTERM, lambda *_: app.closeAllWindows())
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(250)
    kiosk = Kiosk(db_path, config_path=config_path, calibration=calibration)
    win = MainWindow(kiosk, str(SAMPLE_CLIP) if SAMPLE_CLIP.exists() else None)
    if fullscreen:
        app.setOverrideCursor(Qt.CursorShape.BlankCursor)  # a touch panel has no pointer
        win.showFullScreen()
    else:
        w, h = (int(v) for v in (size or "1024x600").lower().split("x"))
        win.resize(w, h)
        win.show()
    return app.exec()
