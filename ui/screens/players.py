"""Players of the open session: who each one is (photo, name, when and where seen, time tracked, distance);
name them (roster or typed), merge tracks, split a track, mark one not a player (or a player again); answer
"who is this?" (ui/screens/questions.py)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from edge_app.errors import AxolotlError
from edge_app.report import MIN_FRAMES
from ui.bridge import run_store_job
from ui.screens.questions import QuestionDialog
from ui.theme import TOUCH
from ui.widgets import NameDialog, button, label, touch_scroll

PHOTO = QSize(TOUCH, TOUCH * 12 // 7)  # 56 × 96: a person's crop is about twice as tall as wide
PHOTO_ROLE = 257  # Qt.UserRole + 1: the row's photo (QPixmap), None without one
PLAYER_ROLE = 258  # the row's role: "player" or "other" (the coach's word, else the summary's)
LATERAL = ("left", "centre", "right")  # thirds of the pitch's width (the heatmap's rows, from y = 0)
DEPTH = ("back", "mid", "forward")  # thirds of its length (the heatmap's columns, from x = 0)


def mmss(seconds: float) -> str:
    s = max(0, round(seconds))
    return f"{s // 60:02d}:{s % 60:02d}"


def pitch_area(heatmap: list[list[float]]) -> str | None:
    """Where a player mostly was, in a coach's words, from the mean cell of the summary's heatmap
    (None without one: uncalibrated). Left and right as the calibration's pitch axes run."""
    total = sum(map(sum, heatmap or []))
    if not total:
        return None
    rows, cols = len(heatmap), len(heatmap[0])
    y = sum(r * v for r, row in enumerate(heatmap) for v in row) / total
    x = sum(c * v for row in heatmap for c, v in enumerate(row)) / total
    side = LATERAL[min(2, int((y + 0.5) / rows * 3))]
    depth = DEPTH[min(2, int((x + 0.5) / cols * 3))]
    if depth == "mid":
        return "centre" if side == "centre" else f"{side} wing"
    return f"{side} {depth}"


def thumbnail(photo: QPixmap) -> QPixmap:
    """The photo at the row's size (far players' crops are small), centred in a PHOTO-sized frame so every
    row's text starts at the same place."""
    scaled = photo.scaled(PHOTO, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    out = QPixmap(PHOTO)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.drawPixmap((PHOTO.width() - scaled.width()) // 2, (PHOTO.height() - scaled.height()) // 2, scaled)
    painter.end()
    return out


def player_role(player: dict, stats: dict | None) -> str:
    """The coach's word first (the summary may not be rebuilt yet), then the summary's (a roster's "other")."""
    return player.get("role") or (stats or {}).get("role") or "player"


def row_text(number: int, player: dict, seen: tuple[float, float] | None, stats: dict | None, units: str) -> str:
    """Two lines: the name (or "Player n"; "not a player" for an other), then when and where seen, time
    tracked, distance, tracks."""
    facts = []
    if seen is not None:
        facts.append(f"{mmss(seen[0])}–{mmss(seen[1])}")
    if stats is not None:
        area = pitch_area(stats["heatmap"])
        facts += [area] if area else []
        facts += [f"tracked {mmss(stats['quality']['tracked_time_s'])}", f"{stats['distance']:.0f} {units}"]
    facts.append(("tracks " if len(player["track_ids"]) > 1 else "track ") + ", ".join(map(str, player["track_ids"])))
    other = "  ·  not a player" if player_role(player, stats) == "other" else ""
    return f"{player['name'] or f'Player {number}'}{other}\n{'  ·  '.join(facts)}"


class PlayersScreen(QWidget):
    def __init__(self, kiosk, parent=None):
        super().__init__(parent)
        self.kiosk = kiosk
        self.title = label("No session open: finish a live session or open one from History", "title", wrap=True)
        self.list = QListWidget()
        self.list.setIconSize(PHOTO)
        self.list.setSelectionMode(
            QAbstractItemView.SelectionMode.MultiSelection
        )  # taps toggle: no Ctrl key on a touchscreen
        self.split_frame = QSpinBox()
        self.split_frame.setRange(0, 10_000_000)
        self.split_frame.setPrefix("at frame ")
        self.name_btn = button("Name", self.name_selected)
        self.merge_btn = button("Merge", self.merge_selected)
        self.split_btn = button("Split", self.split_selected)
        self.role_btn = button("Not a player", self.role_selected)
        self.status = label(
            "Select players (tap), then Name, Merge (two or more), Split (one track) or Not a player",
            "muted",
            wrap=True,
        )
        self.name_dialog: NameDialog | None = None
        self.questions: list[dict] = []
        self.question_dialog: QuestionDialog | None = None
        self.ask_btn = button("Who is this?", self.ask, name="go")
        self.ask_btn.hide()  # shown with the number of open questions, once there are some
        row = QHBoxLayout()
        for w in (self.ask_btn, self.name_btn, self.merge_btn, self.split_btn, self.split_frame, self.role_btn):
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
            self.ask_btn.hide()
            return
        store = self.kiosk.store
        photos = store.player_photos(sid)
        rows = store.track_rows(sid)
        times = {r[0]: (r[4], r[5]) for r in rows}
        frames = {r[0]: r[6] for r in rows}
        summary = store.get_summary(sid) or {}
        # the summary's players by their tracks (a stale summary, mid-edit, leaves some out)
        stats = {frozenset(q["track_ids"]): q for q in summary.get("players", [])}
        # A player the summary left out as detector noise (a few frames) is no row of the coach's.
        players = [
            p
            for p in store.players(sid)
            if frozenset(p["track_ids"]) in stats or sum(frames.get(t, 0) for t in p["track_ids"]) >= MIN_FRAMES
        ]
        self.title.setText(f"Players of session {sid[:8]}")
        for n, p in enumerate(players, 1):
            spans = [times[t] for t in p["track_ids"] if t in times]
            seen = (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None
            row = stats.get(frozenset(p["track_ids"]))
            item = QListWidgetItem(row_text(n, p, seen, row, summary.get("units", "m")))
            item.setData(256, p)  # Qt.UserRole
            item.setData(PLAYER_ROLE, player_role(p, row))
            item.setSizeHint(QSize(0, PHOTO.height() + 12))  # every row photo-high, with or without one
            photo = QPixmap()
            if p["player"] in photos and photo.loadFromData(photos[p["player"]], "JPG"):
                item.setIcon(QIcon(thumbnail(photo)))
            item.setData(PHOTO_ROLE, None if photo.isNull() else photo)
            self.list.addItem(item)
        self.find_questions()

    def find_questions(self) -> None:
        """The open "who is this?" questions, off the UI thread (positions and costs of the whole session)."""
        from edge_app.player_edits import questions

        sid = self.kiosk.session_id
        run_store_job(
            self.kiosk.db_path,
            lambda store, job: questions(store, sid),
            name="questions",
            done=lambda qs: self._questions(sid, qs),
            failed=self.status.setText,
        )

    def _questions(self, sid: str, qs: list[dict]) -> None:
        # the job may end after the screen is gone (the window closed while it ran)
        if sid != self.kiosk.session_id or not isValid(self.ask_btn):
            return
        self.questions = qs
        self.ask_btn.setText(f"Who is this? ({len(qs)})")
        self.ask_btn.setVisible(bool(qs))
        if self.question_dialog is not None and self.question_dialog.isVisible():
            self.question_dialog.show_questions(qs)

    def ask(self) -> None:
        if not self.questions:
            return
        store, sid = self.kiosk.store, self.kiosk.session_id
        self.question_dialog = QuestionDialog(
            lambda tid: store.track_photo(sid, tid), lambda key: store.player_photo(sid, key), self
        )
        self.question_dialog.answered.connect(self.answer)
        self.question_dialog.show_questions(self.questions)
        self.question_dialog.open()

    def answer(self, track_id: int, who: str) -> None:
        """Apply the coach's answer and rebuild the summary off the UI thread; then the next question."""
        from edge_app.player_edits import answer

        sid = self.kiosk.session_id
        self.status.setText(f"track {track_id}: updating the players and the summary…")
        run_store_job(
            self.kiosk.db_path,
            lambda store, job: answer(store, sid, track_id, who),
            name="answer",
            done=lambda _s: (self._edited(f"answered for track {track_id}"), self.refresh()),
            failed=self.status.setText,
        )

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
            lambda _who, name: self._edit(
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

    def role_selected(self) -> None:
        """Mark the selected not players (a referee, a coach, a parent: one row each, out of team totals);
        when every one selected is marked already, they are players again."""
        items = self.list.selectedItems()
        if not items:
            self.status.setText("select who is not a player (a referee, a coach, a parent), then Not a player")
            return
        back = all(i.data(PLAYER_ROLE) == "other" for i in items)
        role, keys = ("player" if back else "other"), [i.data(256)["player"] for i in items]
        what = "a player again" if back else "not a player"
        self._edit(
            f"{len(keys)} marked {what}",
            lambda sid: [self.kiosk.store.set_player_role(sid, key, role) for key in keys],
        )

    def split_selected(self) -> None:
        sel = self.selected()
        if len(sel) != 1 or len(sel[0]["track_ids"]) != 1:
            self.status.setText("select one player with one track to split, and set the frame")
            return
        tid, frame = sel[0]["track_ids"][0], self.split_frame.value()
        self._edit(f"split track {tid} at frame {frame}", lambda sid: self.kiosk.store.split_track(sid, tid, frame))
