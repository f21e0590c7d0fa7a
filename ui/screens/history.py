"""Sessions history: a searchable list; open one, or compare two side by side."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from edge_app.errors import AxolotlError
from edge_app.report import compare_sessions
from ui.widgets import button, label, touch_scroll

FIGURES = {
    "players": "Players",
    "duration_s": "Duration s",
    "distance": "Distance",
    "distance_per_player": "Per player",
    "top_speed": "Top speed /s",
    "hsr_distance": "HSR distance",
    "sprints": "Sprints",
    "accelerations": "Accelerations",
}


def session_line(s: dict, summary: dict | None) -> str:
    names = ", ".join(
        p["player"] for p in (summary or {}).get("players", []) if not p["player"].startswith(("track-", "player-"))
    )
    return (
        f"{s['started_at'][:16].replace('T', ' ')}   {s['status']:<11}   {s.get('frames') or 0} frames   "
        f"{s['source'].rsplit('/', 1)[-1]}" + (f"   {names}" if names else "")
    )


class HistoryScreen(QWidget):
    def __init__(self, kiosk, parent=None):
        super().__init__(parent)
        self.kiosk = kiosk
        self.search = QLineEdit()
        self.search.setPlaceholderText("search: date, name, source, status")
        self.search.textChanged.connect(self.filter)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        self.compare_table = QTableWidget(0, 4)
        self.compare_table.setHorizontalHeaderLabels(["", "First", "Second", "Change"])
        self.compare_table.verticalHeader().setVisible(False)
        self.compare_table.setVisible(False)
        self.status = label("Tap one session and Open, or two and Compare", "muted", wrap=True)
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        self.open_btn = button("Open", self.open_selected)
        self.compare_btn = button("Compare", self.compare_selected)
        row.addWidget(self.open_btn)
        row.addWidget(self.compare_btn)
        touch_scroll(self.list)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        body = QHBoxLayout()
        body.addWidget(self.list, 3)
        body.addWidget(self.compare_table, 2)
        lay.addLayout(body, 1)
        lay.addWidget(self.status)
        # Reading every summary takes a while in a long season: done when the list is looked at,
        # not on the UI thread each time a session changes.
        kiosk.sessions_changed.connect(self.refresh_if_visible)

    def shown(self) -> None:
        self.refresh()

    def refresh_if_visible(self) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        store = self.kiosk.store
        for s in store.list_sessions():  # newest first
            item = QListWidgetItem(session_line(s, store.get_summary(s["id"])))
            item.setData(256, s["id"])
            self.list.addItem(item)
        self.filter(self.search.text())

    def filter(self, text: str) -> None:
        words = text.lower().split()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(not all(w in item.text().lower() for w in words))

    def selected_ids(self) -> list[str]:
        return [i.data(256) for i in self.list.selectedItems() if not i.isHidden()]

    def open_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            self.status.setText("select one session to open")
            return
        self.kiosk.open_session(ids[0])

    def compare_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 2:
            self.status.setText("select exactly two sessions to compare")
            return
        store = self.kiosk.store
        # oldest first, so "Change" reads as progress
        ids.sort(key=lambda i: store.get_session(i)["started_at"])
        summaries = [store.get_summary(i) for i in ids]
        if None in summaries:
            self.status.setText("both sessions need a summary (an interrupted session has none)")
            return
        try:
            rows = compare_sessions(*summaries)
        except AxolotlError as exc:
            self.status.setText(str(exc))
            return
        self.compare_table.setRowCount(len(rows))
        for r, (key, values) in enumerate(rows.items()):
            for c, text in enumerate([FIGURES.get(key, key), *(f"{v:g}" for v in values[:2]), f"{values[2]:+g}"]):
                self.compare_table.setItem(r, c, QTableWidgetItem(text))
        self.compare_table.resizeColumnsToContents()
        self.compare_table.setVisible(True)
        self.status.setText(f"{ids[0][:8]} → {ids[1][:8]} ({summaries[0]['units']})")
