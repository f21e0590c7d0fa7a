"""The kiosk window: a navigation bar over a stack of screens (ui/app.py starts it)."""

from __future__ import annotations

import functools
import gc
import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from ui.context import Kiosk
from ui.theme import font_px, stylesheet
from ui.widgets import button, label

log = logging.getLogger(__name__)

EXIT_CHORD = "Ctrl+Alt+Q"  # the admin's way out of fullscreen kiosk mode (packaging/systemd/README.md)


@functools.cache
def prepare() -> dict:
    """Import the screens and warm the chart libraries up: seconds of pure Python that writes nothing,
    done once per process (ui/app.py lets a SIGTERM cut it short)."""
    from edge_app.charts import warm_up
    from ui.screens.calibration import CalibrationScreen
    from ui.screens.history import HistoryScreen
    from ui.screens.live import LiveScreen
    from ui.screens.pairing import PairingScreen
    from ui.screens.players import PlayersScreen
    from ui.screens.settings import SettingsScreen
    from ui.screens.summary import SummaryScreen

    warm_up()  # ~0.5 s once, before the window shows, instead of a UI freeze at the first summary
    return {
        "live": LiveScreen,
        "players": PlayersScreen,
        "calibrate": CalibrationScreen,
        "summary": SummaryScreen,
        "history": HistoryScreen,
        "pair": PairingScreen,
        "settings": SettingsScreen,
    }


class MainWindow(QMainWindow):
    def __init__(self, kiosk: Kiosk, sample: str | None = None):
        super().__init__()
        screens = prepare()
        self.kiosk = kiosk
        self.kiosk_mode = False  # fullscreen until the admin's exit chord
        self._screen = None  # the screen whose geometry the kiosk follows
        self._font_px = 0
        self.apply_style(600)  # before the first layout, so that the minimum size counts the real fonts
        self.setWindowTitle("Axolotl Edge")
        with_sample = {"live", "calibrate"}
        self.screens = {
            key: screen(kiosk, sample) if key in with_sample else screen(kiosk) for key, screen in screens.items()
        }
        titles = {
            "live": "Live",
            "players": "Players",
            "calibrate": "Calibrate",
            "summary": "Summary",
            "history": "History",
            "pair": "Phone",
            "settings": "Settings",
        }
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

    def show_fullscreen(self) -> None:
        """Fill the screen whether or not a window manager honours the fullscreen request: with none
        (xinit and the kiosk alone) the request is ignored and the window kept its own small size."""
        self.kiosk_mode = True
        self.fit_screen()
        self.showFullScreen()
        handle = self.windowHandle()
        handle.screenChanged.connect(self._follow_screen)
        self._follow_screen(handle.screen())

    def _follow_screen(self, screen) -> None:
        if self._screen is not None:
            self._screen.geometryChanged.disconnect(self.fit_screen)
        self._screen = screen
        if screen is not None:
            screen.geometryChanged.connect(self.fit_screen)  # a new resolution (xrandr, another panel)
        self.fit_screen()

    def fit_screen(self, *_) -> None:
        if self.kiosk_mode:
            self.setGeometry(self.screen().geometry())

    def leave_fullscreen(self) -> None:
        self.kiosk_mode = False
        self.showNormal()
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, False)
        self.kiosk.message.emit(f"kiosk mode left ({EXIT_CHORD}); close the window to quit")

    def resizeEvent(self, event):
        self.apply_style(event.size().height())
        super().resizeEvent(event)

    def apply_style(self, height: int) -> None:
        """Fonts follow the panel (1024×600 … 1920×1080); restyled only when the font size changes."""
        px = font_px(height)
        if px != self._font_px:
            self._font_px = px
            self.setStyleSheet(stylesheet(height))

    def closeEvent(self, event):
        self.kiosk.close()
        super().closeEvent(event)
