"""Phone pairing and sync: the QR code large, the one-time code counting down, who is guessing codes,
paired phones with revoke, and the upload state in plain words."""

from __future__ import annotations

import io
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from edge_app.errors import AxolotlError
from ui.widgets import button, label, touch_scroll

CODE_TTL_S = 120.0
GUESSING_WINDOW_S = 600.0  # wrong codes from the last ten minutes are shown


def guessing_text(guessers: list[dict]) -> str:
    """'Someone at 192.168.1.23 tried wrong codes 7 times', one line per address ('' when nobody guessed)."""
    return "\n".join(
        f"Someone at {g['source']} tried "
        + ("a wrong code once" if g["wrong"] == 1 else f"wrong codes {g['wrong']} times")
        for g in guessers[:3]
    )


def qr_pixmap(uri: str, side: int) -> QPixmap:
    """The QR code at most `side` px, each module a whole number of pixels (crisp for phone cameras)."""
    import segno

    qr = segno.make(uri, error="m")
    scale = max(4, side // qr.symbol_size(scale=1, border=4)[0])
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=4, dark="#000", light="#fff")
    pm = QPixmap()
    pm.loadFromData(buf.getvalue(), "PNG")
    return pm


class PairingScreen(QWidget):
    def __init__(self, kiosk, parent=None, port: int | None = None):
        super().__init__(parent)
        self.kiosk, self.port = kiosk, port
        self.info: dict | None = None
        self.expires_at = 0.0
        self.qr = label()
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code = label("", "big")
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.countdown = label("", "muted")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.guessing = label("", "badge", wrap=True)  # someone on the LAN trying codes: the coach should know
        self.guessing.setVisible(False)
        self.phones = QListWidget()
        self.sync_headline = label("", wrap=True)
        self.sync_detail = label("", "muted", wrap=True)
        self.status = label("", "muted", wrap=True)
        left = QVBoxLayout()
        left.addWidget(label("Scan with the Axolotl app", "title"))
        left.addWidget(self.qr, 1)
        left.addWidget(self.code)
        left.addWidget(self.countdown)
        left.addWidget(self.guessing)
        left.addWidget(button("New code", self.new_code))
        right = QVBoxLayout()
        right.addWidget(label("Paired phones", "title"))
        right.addWidget(self.phones, 1)
        right.addWidget(button("Revoke selected", self.revoke_selected))
        right.addWidget(label("Cloud upload", "title"))
        right.addWidget(self.sync_headline)
        right.addWidget(self.sync_detail)
        right.addWidget(self.status)
        touch_scroll(self.phones)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 1)
        lay.addLayout(right, 1)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)

    def shown(self) -> None:
        if self.info is None or time.monotonic() >= self.expires_at:
            self.new_code()
        self.refresh()
        self.timer.start(1000)

    def hideEvent(self, event):
        self.timer.stop()
        super().hideEvent(event)

    def new_code(self) -> None:
        from sync.pairing import new_pairing

        try:
            self.info = new_pairing(self.kiosk.db_path, self.kiosk.home, port=self.port, ttl_s=CODE_TTL_S)
        except AxolotlError as exc:
            self.status.setText(str(exc))
            return
        self.expires_at = time.monotonic() + CODE_TTL_S
        self._draw_qr()
        code = self.info["code"]
        self.code.setText(f"{code[:4]} {code[4:]}")
        self.tick()

    def _draw_qr(self) -> None:
        if self.info is not None:  # as large as the panel allows: half the width, the height less the code
            self.qr.setPixmap(qr_pixmap(self.info["uri"], min(self.height() - 260, self.width() // 2 - 40)))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._draw_qr()

    def tick(self) -> None:
        left = self.expires_at - time.monotonic()
        if left <= 0:
            self.new_code()  # an expired code is useless: show a fresh one
            return
        self.countdown.setText(f"code valid for {int(left) // 60}:{int(left) % 60:02d}, once")
        if int(left) % 5 == 0:
            self.refresh()

    def refresh(self) -> None:
        from sync.pairing import PairingStore
        from sync.uplink import SyncConfig, status_summary

        self.phones.clear()
        with PairingStore(self.kiosk.home / "pairing.db") as ps:
            guessing = guessing_text(ps.guessers(GUESSING_WINDOW_S))
            self.guessing.setText(guessing)
            self.guessing.setVisible(bool(guessing))
            for t in ps.tokens():
                if t.get("revoked_at"):
                    continue
                item = QListWidgetItem(f"{t['name']}   paired {str(t.get('created_at', ''))[:16].replace('T', ' ')}")
                item.setData(256, (t["id"], t["name"]))
                self.phones.addItem(item)
        if not self.phones.count():
            self.phones.addItem("no phone paired yet")
        try:
            config = SyncConfig.load(self.kiosk.home / "sync.toml")
        except AxolotlError as exc:
            config = None
            self.status.setText(str(exc))
        st = status_summary(self.kiosk.store, config)
        self.sync_headline.setText(st["headline"])
        detail = [f"{st['pending']} waiting · {st['sent']} uploaded · {st['failed']} failing"]
        if st["last_upload"]:
            detail.append(f"last upload {st['last_upload'][:16].replace('T', ' ')}")
        if st["error"]:
            detail.append(f"problem: {st['error']}")
        self.sync_detail.setText("\n".join(detail))

    def revoke_selected(self) -> None:
        from sync.pairing import PairingStore

        chosen = [i.data(256) for i in self.phones.selectedItems() if i.data(256)]
        if not chosen:
            self.status.setText("select a paired phone first")
            return
        with PairingStore(self.kiosk.home / "pairing.db") as ps:
            for token_id, _ in chosen:
                ps.revoke(token_id)
        names = [n for _, n in chosen]
        self.status.setText(f"revoked {', '.join(names)}: that phone must pair again")
        self.refresh()
