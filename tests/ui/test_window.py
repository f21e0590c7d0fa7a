"""The kiosk window: its labels are never clipped, however small it is asked to be, and fullscreen follows
the screen. (Filling a real X server's screen is tests/ui/test_kiosk_x11.py.)"""

import pytest

from ui.theme import TOUCH


def clipped(window):
    """Visible buttons narrower than their text plus padding, and one-line labels narrower than their text."""
    from PySide6.QtWidgets import QAbstractButton, QLabel

    out = []
    for w in window.findChildren(QAbstractButton) + window.findChildren(QLabel):
        if not w.isVisible() or not w.text() or (isinstance(w, QLabel) and w.wordWrap()):
            continue
        need = w.sizeHint().width() if isinstance(w, QAbstractButton) else w.minimumSizeHint().width()
        if w.width() < need:
            out.append((w.text(), w.width(), need))
    return out


@pytest.mark.parametrize("size", [(500, 300), (628, 481), (1024, 600), (1920, 1080)])
def test_no_label_is_clipped(window, size, qtbot):
    """A window asked to be smaller than its content is held at its minimum: the text sets it, not fixed pixels."""
    window.resize(*size)
    for key in window.screens:
        window.show_screen(key)
        qtbot.wait(20)
        assert clipped(window) == [], key
    assert all(b.width() >= TOUCH for b in window.nav_buttons.values())


def test_fullscreen_follows_the_screen(window, qtbot):
    window.show_fullscreen()
    qtbot.waitUntil(lambda: window.geometry() == window.screen().geometry())
    window.leave_fullscreen()  # the admin's exit chord: the window is the admin's to size again
    window.resize(900, 600)
    window.fit_screen()
    assert window.size().toTuple() == (900, 600)
