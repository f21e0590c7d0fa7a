"""Screenshots of every kiosk screen at 1024×600 and 1920×1080 → docs/screenshots/ (used by the README).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Runs the real app offscreen on a fresh data folder: a live session of the sample clip (two
players named from the roster), its summary with feedback, a second session to compare, a
calibration tapped on a drawn pitch, the pairing screen and the settings.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

SIZES = ((1024, 600), (1920, 1080))
ROSTER = ["Sam", "Alex", "Jo", "Priya", "Luca", "Mia"]


def pump(app, seconds: float = 0.3, until=None, timeout: float = 300.0) -> None:
    end = time.monotonic() + (timeout if until else seconds)
    while time.monotonic() < end and not (until and until()):
        app.processEvents()
        time.sleep(0.01)


def shoot(app, win, key: str, out: Path, before=None) -> None:
    for w, h in SIZES:
        win.resize(w, h)
        win.show_screen(key) if before is None else before()
        pump(app, 0.5)
        path = out / f"{key}-{w}x{h}.png"
        win.grab().save(str(path))
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="axolotl-shots-"))
    os.environ["AXOLOTL_EDGE_HOME"] = str(home)

    from edge_app.config import SAMPLE_CLIP, load_config
    from edge_app.pitch import draw_template, get_template
    from ui.context import Kiosk
    from ui.window import MainWindow

    app = QApplication.instance() or QApplication([])
    kiosk = Kiosk(home=home, calibration=ROOT / "samples" / "vtest-calibration.json")
    kiosk.save_config(
        load_config(overrides={"detector": {"input_size": 960}, "session": {"roster": ROSTER, "profile": "u13"}})
    )
    win = MainWindow(kiosk, str(SAMPLE_CLIP))
    win.resize(*SIZES[0])
    win.show()

    # Live: the sample clip, two players named from the roster mid-session.
    live = win.screens["live"]
    live.source.setCurrentIndex(1)
    live.start()
    pump(app, until=lambda: live.frames_drawn > 40 and len(live.tiles) >= 4)
    for tid, name in zip(sorted(live.tiles)[:2], ROSTER):
        live.name_track(tid, name)
    pump(app, until=lambda: live.frames_drawn > 60)
    shoot(app, win, "live", out)
    live.stop()
    pump(app, until=lambda: kiosk.session_id is not None and bool(win.screens["summary"].charts))

    summary = win.screens["summary"]
    summary.write_feedback()
    pump(app, until=lambda: summary.feedback_btn.isEnabled())
    summary.tabs.setCurrentIndex(0)
    shoot(app, win, "summary", out)
    summary.tabs.setCurrentWidget(summary.feedback)
    shoot(
        app,
        win,
        "feedback",
        out,
        before=lambda: (win.show_screen("summary"), summary.tabs.setCurrentWidget(summary.feedback)),
    )
    shoot(app, win, "players", out)

    # History: a second, shorter session of the same clip, then compare the two.
    first = kiosk.session_id
    live.start()
    pump(app, until=lambda: live.frames_drawn > 60)
    live.stop()
    pump(app, until=lambda: kiosk.session_id != first)  # its summary has opened
    history = win.screens["history"]

    def compare():
        win.show_screen("history")
        for i in range(history.list.count()):
            history.list.item(i).setSelected(True)
        history.compare_selected()

    shoot(app, win, "history", out, before=compare)

    # Calibration: landmarks tapped on a drawn touchline view of a full-size pitch.
    cal = win.screens["calibrate"]
    H = cv2.getPerspectiveTransform(
        np.float32([(0, 0), (105, 0), (105, 68), (0, 68)]), np.float32([(60, 680), (1220, 680), (930, 170), (350, 170)])
    )

    def calibrate():
        win.stack.setCurrentWidget(cal)
        win.nav_buttons["calibrate"].setChecked(True)
        cal.template.setCurrentText("full")
        cal.set_frame(draw_template(get_template("full"), H, (1280, 720)))
        pump(app, 0.2)
        for name in ("corner_bottom_left", "corner_bottom_right", "corner_top_right", "corner_top_left", "centre_spot"):
            for i in range(cal.landmarks.count()):
                if cal.landmarks.item(i).data(256) == name:
                    cal.landmarks.setCurrentRow(i)
            x, y = cv2.perspectiveTransform(np.float64([[get_template("full").point(name)]]), H)[0, 0]
            cal.tap(float(x), float(y))

    shoot(app, win, "calibrate", out, before=calibrate)
    shoot(app, win, "pair", out)
    shoot(app, win, "settings", out)
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
