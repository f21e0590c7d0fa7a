"""Reusable touch widgets: the video view with overlays, player tiles, the naming dialog."""

from __future__ import annotations

from collections import deque

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from edge_app.vision.detections import PERSON
from edge_app.vision.pose import SKELETON
from ui.theme import COLORS, TOUCH, track_color

TRAIL = 40  # frames of trail per player
POSE_HOLD = 5  # frames a skeleton stays drawn after its pose sample (pose runs round-robin, not every frame)
KMH = 3.6


class TouchButton(QPushButton):
    """A button at least TOUCH px each way whose text is never clipped: layouts shrink a widget down to its
    minimum size hint, here the text's width in the current font plus the style's padding."""

    def sizeHint(self) -> QSize:
        return super().sizeHint().expandedTo(QSize(TOUCH, TOUCH))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


def button(text: str, slot=None, *, name: str | None = None, checkable: bool = False) -> QPushButton:
    b = TouchButton(text)
    if name:
        b.setObjectName(name)
    b.setCheckable(checkable)
    if slot is not None:
        b.clicked.connect(slot)
    return b


def label(text: str = "", name: str | None = None, wrap: bool = False) -> QLabel:
    lab = QLabel(text)
    if name:
        lab.setObjectName(name)
    lab.setWordWrap(wrap)
    return lab


def touch_scroll(view) -> None:
    """Finger scrolling (drag the list itself, no thin scrollbar to hit) and no sideways scrolling."""
    from PySide6.QtWidgets import QAbstractItemView, QScroller

    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    if isinstance(view, QAbstractItemView):
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    QScroller.grabGesture(view.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)


def bgr_to_qimage(image: np.ndarray) -> QImage:
    h, w = image.shape[:2]
    image = np.ascontiguousarray(image)
    return QImage(image.data, w, h, image.strides[0], QImage.Format.Format_BGR888).copy()  # own the pixels


def player_label(key, names: dict) -> str:
    """The coach's name for a player key ("P3"; or a track id, "#12"), else the key."""
    if not isinstance(key, str):
        key = f"#{int(key)}"
    return names.get(key) or key


class ImageView(QWidget):
    """An image scaled to fit (aspect kept); taps come back in image pixels."""

    tapped = Signal(float, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 200)

    def set_image(self, image: np.ndarray | QImage | None) -> None:
        self.image = bgr_to_qimage(image) if isinstance(image, np.ndarray) else image
        self.update()

    def image_rect(self) -> QRectF:
        if self.image is None:
            return QRectF()
        iw, ih = self.image.width(), self.image.height()
        s = min(self.width() / iw, self.height() / ih)
        return QRectF((self.width() - iw * s) / 2, (self.height() - ih * s) / 2, iw * s, ih * s)

    def to_widget(self, x: float, y: float) -> QPointF:
        r = self.image_rect()
        s = r.width() / self.image.width()
        return QPointF(r.x() + x * s, r.y() + y * s)

    def to_image(self, p: QPointF) -> tuple[float, float] | None:
        r = self.image_rect()
        if self.image is None or not r.contains(p):
            return None
        s = r.width() / self.image.width()
        return (p.x() - r.x()) / s, (p.y() - r.y()) / s

    def mousePressEvent(self, event):  # a tap (touch arrives as a synthesized mouse press)
        xy = self.to_image(event.position())
        if xy is not None:
            self.tapped.emit(*xy)

    def paintEvent(self, event):
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(COLORS["bg"]))
        if self.image is None:
            p.setPen(QColor(COLORS["muted"]))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder())
            p.end()
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(self.image_rect(), self.image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.draw_overlay(p, self.image_rect().width() / self.image.width())
        p.end()

    def placeholder(self) -> str:
        return "no picture yet"

    def draw_overlay(self, p: QPainter, scale: float) -> None:
        pass


class VideoView(ImageView):
    """The live picture with boxes, ids or names, skeletons, speed tags and trails."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tracked = None
        self.names: dict[str, str] = {}  # player key -> the coach's name
        self.keys: dict[int, str] = {}  # track id -> player key, this frame
        self.speeds: dict[int, float] = {}
        self.trails: dict[int, deque] = {}
        self.seen: dict[int, int] = {}  # track id -> last frame index it was in the picture
        self.poses: dict[int, tuple[int, np.ndarray]] = {}  # track id -> (frame index, landmarks): kept a moment
        self.frame_index = 0

    def placeholder(self) -> str:
        return "Press START to begin a session"

    def show_result(self, result, names: dict[str, str]) -> None:
        self.frame_index = result.frame.index
        self.names = names
        self.tracked = result.tracked
        ids = [] if result.tracked.tracker_id is None else result.tracked.tracker_id.tolist()
        self.keys = {int(t): result.key(t) for t in ids}
        self.speeds = {tid: s.speed for tid, s in result.live.items()}
        if result.tracked.tracker_id is not None:
            person = result.tracked.class_id == PERSON
            for tid, pt in zip(result.tracked.tracker_id[person], result.tracked.ground_point[person]):
                self.trails.setdefault(int(tid), deque(maxlen=TRAIL)).append((float(pt[0]), float(pt[1])))
                self.seen[int(tid)] = self.frame_index
        for pose in result.poses:
            self.poses[int(pose.track_id)] = (result.frame.index, pose.landmarks)
        # Forget players gone for a trail's length (a long session sees hundreds of track ids).
        for tid in [t for t, f in self.seen.items() if self.frame_index - f > TRAIL]:
            del self.seen[tid], self.trails[tid]
        for tid in [t for t, (f, _) in self.poses.items() if self.frame_index - f > POSE_HOLD]:
            del self.poses[tid]
        self.set_image(result.frame.image)

    def clear(self) -> None:
        self.tracked, self.trails, self.seen, self.poses, self.speeds, self.keys = None, {}, {}, {}, {}, {}
        self.set_image(None)

    def track_at(self, x: float, y: float) -> int | None:
        """The player whose box holds the point (the smallest box when they overlap)."""
        t = self.tracked
        if t is None or t.tracker_id is None or not len(t):
            return None
        b = t.xyxy
        inside = (b[:, 0] <= x) & (x <= b[:, 2]) & (b[:, 1] <= y) & (y <= b[:, 3]) & (t.class_id == PERSON)
        if not inside.any():
            return None
        area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
        return int(t.tracker_id[np.where(inside)[0][np.argmin(area[inside])]])

    def draw_overlay(self, p: QPainter, s: float) -> None:
        t = self.tracked
        if t is None or t.tracker_id is None:
            return
        live_ids = set(int(v) for v in t.tracker_id)
        for tid, pts in self.trails.items():
            if tid in live_ids and len(pts) > 1:
                p.setPen(QPen(QColor(track_color(self.keys.get(tid, tid))), max(2.0, 3 * s)))
                p.drawPolyline([self.to_widget(x, y) for x, y in pts])
        font = QFont(p.font())
        font.setPixelSize(max(14, round(self.height() / 34)))
        font.setBold(True)
        p.setFont(font)
        for i, tid in enumerate(t.tracker_id.tolist()):
            x0, y0, x1, y1 = (float(v) for v in t.xyxy[i])
            key = self.keys.get(tid, f"#{tid}")
            color = QColor(track_color(key) if t.class_id[i] == PERSON else COLORS["fg"])
            p.setPen(QPen(color, max(2.0, 3 * s)))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(self.to_widget(x0, y0), self.to_widget(x1, y1)))
            if t.class_id[i] != PERSON:
                continue
            pose = self.poses.get(tid)
            if pose is not None:
                lm = pose[1]
                p.setPen(QPen(QColor(COLORS["fg"]), max(1.5, 2 * s)))
                for a, b in SKELETON:
                    if lm[a, 3] > 0.5 and lm[b, 3] > 0.5:
                        p.drawLine(self.to_widget(lm[a, 0], lm[a, 1]), self.to_widget(lm[b, 0], lm[b, 1]))
            text = player_label(key, self.names)
            if tid in self.speeds:
                text += f"  {self.speeds[tid] * KMH:.0f} km/h"
            top_left = self.to_widget(x0, y0)
            metrics = p.fontMetrics()
            tag = QRectF(
                top_left.x(),
                top_left.y() - metrics.height() - 4,
                metrics.horizontalAdvance(text) + 12,
                metrics.height() + 4,
            )
            p.fillRect(tag, color)
            p.setPen(QColor("#000"))
            p.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)


class PlayerTile(QFrame):
    """One player's live figures: name, distance, speed, sprints and a load bar."""

    def __init__(self, key, parent=None):
        super().__init__(parent)
        self.key = key  # the player key (FrameResult.key)
        self.last_seen = 0.0  # video time (s) the player was last in the picture
        self.setObjectName("tile")
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 6, 10, 6)
        self.name = label("", "title")
        self.figures = label("", "muted")
        self.load = QProgressBar()
        self.load.setRange(0, 100)
        self.load.setTextVisible(False)  # text over a half-filled bar is unreadable in the sun
        grid.addWidget(self.name, 0, 0)
        grid.addWidget(self.figures, 1, 0)
        grid.addWidget(self.load, 2, 0)

    def show_totals(self, name: str, totals: dict | None) -> None:
        self.name.setText(name)
        color = track_color(self.key)
        self.setStyleSheet(f"QFrame#tile {{ border-color: {color}; }}")
        if totals is None:
            self.figures.setText("no metres yet (calibrate the pitch)")
            self.load.setValue(0)
            return
        self.figures.setText(
            f"{totals['distance']:.0f} m · {totals['speed'] * KMH:.0f} km/h\n"
            f"sprints {totals['sprints']} · load {100 * totals['load']:.0f}%"
        )
        self.load.setValue(round(100 * totals["load"]))


class NameDialog(QDialog):
    """Name a player: tap a roster name (no typing in gloves) or type one."""

    chosen = Signal(object, str)  # who (as given), name

    def __init__(self, who, roster: list[str], current: str | None = None, parent=None):
        """`who`: a track id, or a live player key ("P3")."""
        super().__init__(parent)
        self.who = who
        shown = who if isinstance(who, str) else f"#{who}"
        self.setWindowTitle(f"Name player {shown}")
        lay = QVBoxLayout(self)
        lay.addWidget(label(f"Who is {shown}?", "title"))
        grid = QGridLayout()
        self.roster_buttons = []
        for i, name in enumerate(roster):
            b = button(name, lambda _=False, n=name: self.pick(n))
            self.roster_buttons.append(b)
            grid.addWidget(b, i // 3, i % 3)
        lay.addLayout(grid)
        row = QHBoxLayout()
        self.edit = QLineEdit(current or "")
        self.edit.setPlaceholderText("or type a name")
        row.addWidget(self.edit, 1)
        self.ok_btn = button("OK", lambda: self.pick(self.edit.text()))
        row.addWidget(self.ok_btn)
        row.addWidget(button("Cancel", self.reject))
        lay.addLayout(row)

    def pick(self, name: str) -> None:
        name = name.strip()
        if name:
            self.chosen.emit(self.who, name)
            self.accept()
