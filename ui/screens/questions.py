""" "Who is this?": one question at a time, the track's photo and the likely players' as big buttons; the
coach's tap is the answer (`player_edits.answer`), then the next question."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout

from ui.theme import TOUCH
from ui.widgets import button, label

PHOTO = QSize(TOUCH * 2, TOUCH * 24 // 7)  # the track asked about: twice the list's photo
ICON = QSize(TOUCH, TOUCH * 12 // 7)
SOMEONE_ELSE = "someone-else"  # player_edits' answers (imported there lazily: the kiosk starts fast)
NOT_A_PLAYER = "not-a-player"


def pixmap(jpeg: bytes | None) -> QPixmap:
    out = QPixmap()
    if jpeg:
        out.loadFromData(jpeg, "JPG")
    return out


def stake_text(q: dict) -> str:
    seen = f"{q['minutes'] * 60:.0f} s" if q["minutes"] < 1 else f"{q['minutes']:.1f} min"
    ran = f", {q['metres']:.0f} m run" if q.get("metres") is not None else ""
    return f"Seen for {seen}{ran}: who is this?"


class QuestionDialog(QDialog):
    """The open questions of a session; `answered(track_id, who)` for each tap (a player key, or one of
    SOMEONE_ELSE, NOT_A_PLAYER). `show_questions` puts up the first of a fresh list (closed when none)."""

    answered = Signal(int, str)

    def __init__(self, track_photo, player_photo, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Who is this?")
        self.track_photo, self.player_photo = track_photo, player_photo  # key -> JPEG bytes or None
        self.question: dict | None = None
        self.heading = label("", "title")
        self.photo = QLabel()
        self.photo.setFixedSize(PHOTO)
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stake = label("", wrap=True)
        self.grid = QGridLayout()
        self.choices = []
        top = QHBoxLayout()
        top.addWidget(self.photo)
        text = QVBoxLayout()
        text.addWidget(self.heading)
        text.addWidget(self.stake, 1)
        top.addLayout(text, 1)
        self.else_btn = button("Someone else", lambda: self._answer(SOMEONE_ELSE))
        self.other_btn = button("Not a player", lambda: self._answer(NOT_A_PLAYER))
        self.skip_btn = button("Later", self.reject)
        bottom = QHBoxLayout()
        for b in (self.else_btn, self.other_btn, self.skip_btn):
            bottom.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(self.grid)
        lay.addLayout(bottom)

    def show_questions(self, questions: list[dict]) -> None:
        if not questions:
            self.question = None
            self.accept()
            return
        q = self.question = questions[0]
        self.heading.setText(f"Who is this? ({len(questions)} left)")
        photo = pixmap(self.track_photo(q["track_id"]))
        self.photo.setPixmap(
            photo.scaled(PHOTO, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            if not photo.isNull()
            else QPixmap()
        )
        self.stake.setText(stake_text(q))
        for b in self.choices:
            self.grid.removeWidget(b)
            b.deleteLater()
        self.choices = []
        for i, c in enumerate(q["candidates"]):
            b = button(c["name"], lambda _=False, who=c["player"]: self._answer(who))
            b.setIconSize(ICON)
            b.setMinimumHeight(ICON.height() + 16)
            icon = pixmap(self.player_photo(c["player"]))
            if not icon.isNull():
                b.setIcon(QIcon(icon))
            self.choices.append(b)
            self.grid.addWidget(b, 0, i)
        for b in (*self.choices, self.else_btn, self.other_btn):
            b.setEnabled(True)

    def _answer(self, who: str) -> None:
        if self.question is None:
            return
        for b in (*self.choices, self.else_btn, self.other_btn):
            b.setEnabled(False)  # one answer per question: the next comes once it is applied
        self.answered.emit(int(self.question["track_id"]), who)
