"""Players of the open session: name them (roster or typed), merge tracks, split a track."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from edge_app.errors import AxolotlError
from ui.bridge import run_store_job
from ui.widgets import NameDialog, button, label, touch_scroll


class PlayersScreen(QWidget):
    def __init__(self, kiosk, parent=None):
        super().__init__(parent)
        self.kiosk = kiosk
        self.title = label("No session open: finish a live session or open one from History", "title", wrap=True)
        self.list = QListWidget()
        self.list.setSelectionMode(
            QAbstractItemView.SelectionMode.MultiSelection
        )  # taps toggle: no Ctrl key on a touchscreen
        self.split_frame = QSpinBox()
        self.split_frame.setRange(0, 10_000_000)
        self.split_frame.setPrefix("at frame ")
        self.name_btn = button("Name", self.name_selected)
        self.merge_btn = button("Merge", self.merge_selected)
        self.split_btn = button("Split", self.split_selected)
        self.status = label(
            "Select players (tap), then Name, Merge (two or more) or Split (one track)", "muted", wrap=True
        )
        self.name_dialog: NameDialog | None = None
        row = QHBoxLayout()
        for w in (self.name_btn, self.merge_btn, self.split_btn, self.split_frame):
            row.addWidget(w)
        touch_scroll(self.list)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.list, 1)
        lay.addLayout(row)
        lay.addWidget(self.status)
        kiosk.session_opened.connect(lambda _sid: self.isVisible() and self.refresh())

    def shown(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        sid = self.kiosk.session_id
        self.list.clear()
        if sid is None:
            return
        players = self.kiosk.store.players(sid)
        self.title.setText(f"Players of session {sid[:8]}")
        for p in players:
            tracks = ", ".join(map(str, p["track_ids"]))
            item = QListWidgetItem(f"{p['name'] or p['player']}    tracks {tracks}")
            item.setData(256, p)  # Qt.UserRole
            self.list.addItem(item)

    def selected(self) -> list[dict]:
        return [i.data(256) for i in self.list.selectedItems()]

    def _edit(self, what: str, fn) -> None:
        """Apply an edit, then rebuild the summary off the UI thread (it recomputes every player)."""
        from edge_app.player_edits import resummarize

        sid = self.kiosk.session_id
        try:
            fn(sid)
        except AxolotlError as exc:
            self.status.setText(str(exc))
            return
        self.refresh()
        self.status.setText(f"{what}; updating the summary…")
        run_store_job(
            self.kiosk.db_path,
            lambda store, job: resummarize(store, sid),
            name="resummarize",
            done=lambda _s: self._edited(what),
            failed=self.status.setText,
        )

    def _edited(self, what: str) -> None:
        self.status.setText(f"{what}; summary updated")
        self.kiosk.sessions_changed.emit()

    def name_selected(self) -> None:
        sel = self.selected()
        if len(sel) != 1:
            self.status.setText("select exactly one player to name")
            return
        p = sel[0]
        self.name_dialog = NameDialog(p["track_ids"][0], self.kiosk.config.session.roster, p["name"], self)
        self.name_dialog.chosen.connect(
            lambda _tid, name: self._edit(
                f"named {name}", lambda sid: self.kiosk.store.name_player(sid, p["player"], name)
            )
        )
        self.name_dialog.open()

    def merge_selected(self) -> None:
        sel = self.selected()
        if len(sel) < 2:
            self.status.setText("select two or more players to merge into one")
            return
        tracks = [t for p in sel for t in p["track_ids"]]
        self._edit(
            f"merged tracks {', '.join(map(str, tracks))}", lambda sid: self.kiosk.store.merge_tracks(sid, tracks)
        )

    def split_selected(self) -> None:
        sel = self.selected()
        if len(sel) != 1 or len(sel[0]["track_ids"]) != 1:
            self.status.setText("select one player with one track to split, and set the frame")
            return
        tid, frame = sel[0]["track_ids"][0], self.split_frame.value()
        self._edit(f"split track {tid} at frame {frame}", lambda sid: self.kiosk.store.split_track(sid, tid, frame))
