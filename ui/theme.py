"""High-contrast, touch-first look: white on black with yellow accents (readable in sunlight),
every target at least `TOUCH` px (gloves), fonts scaled to the panel (1024×600 up to 1920×1080)."""

from __future__ import annotations

TOUCH = 56  # px; above the 48 px minimum because coaches wear gloves
COLORS = {
    "bg": "#000000",
    "panel": "#161616",
    "line": "#5a5a5a",
    "fg": "#ffffff",
    "muted": "#c8c8c8",
    "accent": "#ffd600",
    "go": "#00e676",
    "stop": "#ff1744",
    "warn": "#ff9100",
}
# Per-track colours for boxes and trails: distinct, bright on both grass and black.
TRACK_COLORS = (
    "#ffd600",
    "#00e5ff",
    "#ff4081",
    "#76ff03",
    "#ff9100",
    "#e040fb",
    "#ffffff",
    "#18ffff",
    "#ff6e40",
    "#b2ff59",
    "#ea80fc",
    "#ffff00",
)


def track_color(track_id) -> str:
    """A track's (or a player key's, "P3", "#12": by its number) colour."""
    if isinstance(track_id, str):
        track_id = int("".join(c for c in track_id if c.isdigit()) or 0)
    return TRACK_COLORS[int(track_id) % len(TRACK_COLORS)]


def font_px(height: int) -> int:
    """Base font size for a window height: 18 px on a 600 px panel, 26 px at 1080."""
    return max(16, min(30, round(18 + (height - 600) * 8 / 480)))


def stylesheet(height: int = 600) -> str:
    # No min-width on buttons: a style sheet's min-width becomes a fixed minimum that layouts squeeze the
    # text under (tab names clipped in a small window); ui.widgets.TouchButton keeps them TOUCH px wide.
    f = font_px(height)
    c = COLORS
    return f"""
    QWidget {{ background: {c["bg"]}; color: {c["fg"]}; font-size: {f}px; }}
    QLabel#muted, QLabel[muted="true"] {{ color: {c["muted"]}; }}
    QLabel#title {{ font-size: {round(f * 1.35)}px; font-weight: bold; color: {c["accent"]}; }}
    QLabel#big {{ font-size: {round(f * 2.2)}px; font-weight: bold; }}
    QLabel#badge {{ border: 2px solid {c["accent"]}; border-radius: 6px; padding: 4px 10px; color: {c["accent"]}; font-weight: bold; }}
    QPushButton {{ min-height: {TOUCH}px; padding: 4px 16px; border: 2px solid {c["fg"]};
                   border-radius: 8px; background: {c["panel"]}; font-weight: bold; }}
    QPushButton:pressed, QPushButton:checked {{ background: {c["accent"]}; color: #000; border-color: {c["accent"]}; }}
    QPushButton:disabled {{ color: {c["line"]}; border-color: {c["line"]}; }}
    QPushButton#go {{ background: {c["go"]}; color: #000; border-color: {c["go"]}; font-size: {round(f * 1.3)}px; }}
    QPushButton#stop {{ background: {c["stop"]}; color: #fff; border-color: {c["stop"]}; font-size: {round(f * 1.3)}px; }}
    QPushButton#nav {{ border-radius: 0; border-width: 0 0 4px 0; border-color: {c["panel"]}; }}
    QPushButton#nav:checked {{ background: {c["panel"]}; color: {c["accent"]}; border-color: {c["accent"]}; }}
    QLineEdit, QComboBox, QSpinBox, QDoubleSpinBox {{ min-height: {TOUCH}px; border: 2px solid {c["fg"]};
                   border-radius: 6px; padding: 0 10px; background: {c["panel"]}; }}
    QComboBox QAbstractItemView {{ background: {c["panel"]}; selection-background-color: {c["accent"]};
                   selection-color: #000; }}
    QComboBox QAbstractItemView::item {{ min-height: {TOUCH}px; }}
    QListWidget, QTableWidget, QTextEdit, QScrollArea {{ background: {c["panel"]}; border: 2px solid {c["line"]}; }}
    QListWidget::item {{ min-height: {TOUCH}px; border-bottom: 1px solid {c["line"]}; }}
    QListWidget::item:selected, QTableWidget::item:selected {{ background: {c["accent"]}; color: #000; }}
    QHeaderView::section {{ background: {c["bg"]}; color: {c["accent"]}; border: 0; border-bottom: 2px solid {c["accent"]};
                   min-height: {TOUCH}px; font-weight: bold; padding: 0 6px; }}
    QTableWidget {{ gridline-color: {c["line"]}; }}
    QProgressBar {{ border: 2px solid {c["fg"]}; border-radius: 6px; text-align: center; min-height: 20px; color: {c["fg"]}; }}
    QProgressBar::chunk {{ background: {c["accent"]}; }}
    QFrame#tile {{ background: {c["panel"]}; border: 2px solid {c["line"]}; border-radius: 10px; }}
    QScrollBar:vertical {{ width: 28px; background: {c["panel"]}; }}
    QScrollBar::handle:vertical {{ background: {c["line"]}; min-height: {TOUCH}px; border-radius: 6px; }}
    """
