"""The session summary: a sortable table per player, heatmap and speed charts, sprints, feedback
(streaming in while the local LLM writes) and export to a USB stick."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from edge_app.feedback.wording import preview_text
from ui.bridge import run_job, run_store_job
from ui.widgets import KMH, button, label, touch_scroll

COLUMNS = ("Player", "Distance", "Top km/h", "Sprints", "HSR", "Acc/Dec", "m/min", "Seen s")


class NumberItem(QTableWidgetItem):
    """Sorts by its number, not its text."""

    def __init__(self, value: float, text: str):
        super().__init__(text)
        self.value = value
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other):
        return self.value < getattr(other, "value", 0)


def usb_folders() -> list[Path]:
    """Mounted removable drives (udisks mounts under /media/$USER or /run/media/$USER)."""
    user = os.environ.get("USER", "")
    roots = [Path("/media") / user, Path("/run/media") / user, Path("/media")]
    found = []
    for root in roots:
        if root.is_dir():
            found += [p for p in sorted(root.iterdir()) if p.is_dir() and os.access(p, os.W_OK) and p not in found]
    return found


class SummaryScreen(QWidget):
    def __init__(self, kiosk, parent=None):
        super().__init__(parent)
        self.kiosk = kiosk
        self.summary: dict | None = None
        self.charts: dict[str, Path] = {}
        self.raw = ""
        self.feedback_sid: str | None = None
        self.feedback_entries: list[dict] = []
        self.title = label("No session open", "title", wrap=True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self.player_selected)
        self.heatmap, self.speed = label(), label()
        for w in (self.heatmap, self.speed):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            w.setMinimumSize(200, 120)
        self.sprints = QListWidget()
        self.feedback = QTextEdit()
        self.feedback.setReadOnly(True)
        self.tabs = QTabWidget()
        charts = QWidget()
        cl = QHBoxLayout(charts)
        cl.addWidget(self.heatmap)
        cl.addWidget(self.speed)
        self.tabs.addTab(charts, "Charts")
        self.tabs.addTab(self.sprints, "Sprints")
        self.tabs.addTab(self.feedback, "Feedback")
        self.feedback_btn = button("Write feedback", self.write_feedback)
        self.export_json = button("Export JSON", lambda: self.export("summary"))
        self.export_csv = button("Export CSV", lambda: self.export("players"))
        self.status = label("", "muted", wrap=True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.tabs)
        row = QHBoxLayout()
        row.addWidget(self.title, 1)
        for b in (self.feedback_btn, self.export_json, self.export_csv):
            row.addWidget(b)
        touch_scroll(self.sprints)
        touch_scroll(self.table)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(split, 1)
        lay.addWidget(self.status)
        kiosk.session_opened.connect(self.load)

    # -- the table -----------------------------------------------------------------------------
    def load(self, session_id: str) -> None:
        s = self.kiosk.store.get_summary(session_id)
        self.summary, self.charts = s, {}
        self.table.setRowCount(0)
        self.sprints.clear()
        self.feedback.clear()
        self.heatmap.clear()
        self.speed.clear()
        if s is None:
            self.title.setText(f"Session {session_id[:8]} has no summary (it was interrupted before the end)")
            return
        unit = s["units"]
        self.title.setText(
            f"{s['started_at'][:16].replace('T', ' ')}  ·  {s['duration_s'] / 60:.1f} min  ·  "
            f"{len(s['players'])} players  ·  {s['profile']['name']}"
            + ("" if unit == "m" else "  ·  NOT CALIBRATED: pixels, not metres")
        )
        speed = (lambda v: v * KMH) if unit == "m" else (lambda v: v)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(s["players"]))
        for r, p in enumerate(s["players"]):
            cells = [
                QTableWidgetItem(p["player"]),
                NumberItem(p["distance"], f"{p['distance']:.0f} {unit}"),
                NumberItem(p["top_speed"], f"{speed(p['top_speed']):.1f}"),
                NumberItem(p["sprint_count"], str(p["sprint_count"])),
                NumberItem(p["hsr_distance"], f"{p['hsr_distance']:.0f}"),
                NumberItem(
                    p["acceleration_count"] + p["deceleration_count"],
                    f"{p['acceleration_count']}/{p['deceleration_count']}",
                ),
                NumberItem(p["work_rate_per_min"], f"{p['work_rate_per_min']:.0f}"),
                NumberItem(p["quality"]["tracked_time_s"], f"{p['quality']['tracked_time_s']:.0f}"),
            ]
            for c, item in enumerate(cells):
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        for p in s["players"]:
            for e in p["sprints"]:
                self.sprints.addItem(
                    f"{p['player']}: at {e['start_s']:.0f} s for {e['duration_s']:.1f} s, "
                    f"{e['distance']:.0f} {unit}, peak {speed(e['peak']):.1f}"
                    + (" km/h" if unit == "m" else f" {unit}/s")
                )
        if not self.sprints.count():
            self.sprints.addItem("no sprints in this session")
        if s.get("feedback"):
            self.show_feedback(s["feedback"])
        self.render_charts()

    def player_selected(self) -> None:
        rows = {i.row() for i in self.table.selectedItems()}
        if rows:
            self.show_charts(self.table.item(rows.pop(), 0).text())

    # -- charts (drawn by edge_app.charts on a worker thread) ------------------------------------------
    def render_charts(self) -> None:
        from edge_app.charts import session_charts

        s, out = self.summary, self.kiosk.home / "charts" / self.summary["session_id"]
        self.status.setText("drawing the charts…")
        run_store_job(
            self.kiosk.db_path,
            lambda store, job: session_charts(store, s, out),
            name="charts",
            done=self.charts_ready,
            failed=self.status.setText,
        )

    def charts_ready(self, paths: list) -> None:
        self.charts = {Path(p).name: Path(p) for p in paths}
        self.status.setText("")
        if self.summary and self.summary["players"]:
            self.show_charts(self.summary["players"][0]["player"])

    def show_charts(self, player: str) -> None:
        for lab, kind in ((self.heatmap, "heatmap"), (self.speed, "speed")):
            path = self.charts.get(f"{player}-{kind}.png")
            if path is None:
                lab.setText("no pitch heatmap without a calibration" if kind == "heatmap" else "")
                continue
            pm = QPixmap(str(path))
            lab.setPixmap(
                pm.scaled(
                    max(200, self.width() // 2 - 40),
                    max(120, self.tabs.height() - 60),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    # -- feedback ------------------------------------------------------------------------------
    def write_feedback(self) -> None:
        from edge_app.feedback.service import generate_feedback

        if self.summary is None:
            return
        sid, writer = self.summary["session_id"], self.kiosk.feedback_writer()
        self.raw, self.feedback_entries, self.feedback_sid = "", [], sid
        self.feedback_btn.setEnabled(False)
        self.tabs.setCurrentWidget(self.feedback)
        self.feedback.setPlainText("writing…")

        def work(store, job):
            return generate_feedback(
                store,
                sid,
                writer=writer,
                on_token=lambda t: job.progress.emit(("token", t)),
                on_entry=lambda e: job.progress.emit(("entry", e)),
            )

        run_store_job(
            self.kiosk.db_path,
            work,
            name="feedback",
            progress=self.feedback_progress,
            done=self.feedback_done,
            failed=self.feedback_failed,
        )

    def _showing_feedback_session(self) -> bool:
        """False once another session was opened while the feedback was written (it is stored all the same)."""
        return self.summary is not None and self.summary["session_id"] == self.feedback_sid

    def feedback_progress(self, item) -> None:
        if not self._showing_feedback_session():
            return
        kind, value = item
        if kind == "token":
            self.raw += value
        else:
            self.feedback_entries.append(value)
            self.raw = ""
        self.feedback.setHtml(
            self._entries_html(self.feedback_entries)
            + (f"<p style='color:#c8c8c8'><i>{preview_text(self.raw)}…</i></p>" if self.raw else "")
        )

    def feedback_done(self, feedback: dict) -> None:
        self.feedback_btn.setEnabled(True)
        self.kiosk.sessions_changed.emit()
        if not self._showing_feedback_session():
            return
        self.summary["feedback"] = feedback
        self.show_feedback(feedback)

    def feedback_failed(self, message: str) -> None:
        self.feedback_btn.setEnabled(True)
        self.feedback.setPlainText(message)

    def show_feedback(self, feedback: dict) -> None:
        entries = ([feedback["team"]] if feedback.get("team") else []) + feedback.get("players", [])
        self.feedback_entries = entries
        from edge_app.feedback.gate import wording_line

        note = wording_line(feedback)
        self.feedback.setHtml(self._entries_html(entries) + (f"<p style='color:#c8c8c8'>({note})</p>" if note else ""))

    @staticmethod
    def _entries_html(entries: list[dict]) -> str:
        from html import escape

        parts = []
        for e in entries:
            drills = "".join(f"<li>{escape(d['name'])} ({d['minutes']} min)</li>" for d in e.get("drills", []))
            parts.append(
                f"<h3 style='color:#ffd600'>{escape(e['player'])}</h3><p>{escape(e['text'])}</p>"
                + (f"<ul>{drills}</ul>" if drills else "")
            )
        return "".join(parts)

    # -- export --------------------------------------------------------------------------------
    def export(self, fmt: str) -> None:
        if self.summary is None:
            return
        sticks = usb_folders()
        folder = sticks[0] if sticks else self.kiosk.home / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        sid = self.summary["session_id"]
        path = folder / f"axolotl-{self.summary['started_at'][:10]}-{sid[:8]}.{'json' if fmt == 'summary' else 'csv'}"
        summary = self.summary

        def work(job):
            from edge_app.report import write_summary

            tmp = path.with_suffix(path.suffix + ".part")
            with open(tmp, "w", newline="") as fp:
                write_summary(summary, fmt, fp)
                fp.flush()
                os.fsync(fp.fileno())  # the coach pulls the stick out right after
            tmp.replace(path)
            return path

        where = "USB stick" if sticks else "no USB stick found: saved on the box"
        self.status.setText(f"exporting to {folder}…")
        run_job(
            work,
            name="export",
            done=lambda p: self.status.setText(f"exported {p} ({where})"),
            failed=self.status.setText,
        )
