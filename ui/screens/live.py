"""Live: the camera (or a file) with overlays, FPS and backend badges, big start/stop, player tiles."""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from edge_app.config import session_profile
from edge_app.errors import AxolotlError
from edge_app.vision.detections import PERSON
from ui.bridge import FrameBridge, run_job, run_store_job
from ui.widgets import NameDialog, PlayerTile, VideoView, button, label, player_label, touch_scroll

BACKEND = {"tensorrt": "TensorRT", "cuda": "CUDA", "cpu": "CPU"}
TILE_KEEP_S = 10.0  # seconds of video a player's tile stays after they were last seen


class LiveScreen(QWidget):
    ended = Signal(object)  # the LiveSession, once its summary is stored (or it failed)

    def __init__(self, kiosk, sample: str | None = None, parent=None):
        super().__init__(parent)
        self.kiosk = kiosk
        self.bridge = FrameBridge()
        self.bridge.ready.connect(self._draw_latest)
        self.ended.connect(self._on_ended)
        self.names: dict[str, str] = {}  # player key -> the coach's name (stays with the key across breaks)
        self.tiles: dict[str, PlayerTile] = {}  # player key -> its tile
        self.arrivals: deque = deque(maxlen=30)
        self.name_dialog: NameDialog | None = None
        self.unsaved: dict[str, tuple[int, str]] = {}  # player key -> (the track named, name)
        self.last_save = 0.0
        self.frames_drawn = 0

        self.source = QComboBox()
        self.source.setEditable(True)
        self.sample = sample
        self.start_btn = button("START", self.start, name="go")
        self.stop_btn = button("STOP", self.stop, name="stop")
        self.stop_btn.setEnabled(False)
        self.fps_badge = label("-- FPS", "badge")
        self.backend_badge = label("--", "badge")
        self.status = label("", "muted", wrap=True)
        top = QHBoxLayout()
        top.addWidget(self.source, 1)
        top.addWidget(self.fps_badge)
        top.addWidget(self.backend_badge)
        top.addWidget(self.start_btn)
        top.addWidget(self.stop_btn)

        self.video = VideoView()
        self.video.tapped.connect(self._tapped)
        self.tile_box = QWidget()
        self.tile_grid = QGridLayout(self.tile_box)
        self.tile_grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.tile_box)
        touch_scroll(scroll)
        body = QHBoxLayout()
        body.addWidget(self.video, 3)
        body.addWidget(scroll, 1)

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(body, 1)
        lay.addWidget(self.status)
        self.refresh_sources()
        kiosk.config_changed.connect(self.refresh_sources)

    def refresh_sources(self) -> None:
        self.source.clear()
        cam = self.kiosk.config.session.camera
        self.source.addItem(f"camera {cam}" if cam.isdigit() else cam, cam)
        if self.sample:
            self.source.addItem(f"sample clip ({self.sample.rsplit('/', 1)[-1]})", self.sample)

    def selected_source(self) -> str:
        i = self.source.currentIndex()
        text = self.source.currentText()
        return self.source.itemData(i) if i >= 0 and self.source.itemText(i) == text else text

    # -- start / stop -----------------------------------------------------------------------------
    def start(self) -> None:
        from edge_app.live import LiveSession

        k = self.kiosk
        if k.live is not None and k.live.running:
            return
        self.names, self.unsaved, self.arrivals, self.frames_drawn = {}, {}, deque(maxlen=30), 0
        for tile in self.tiles.values():
            tile.deleteLater()
        self.tiles = {}
        self.video.clear()
        try:
            profile = session_profile(k.config)
            k.live = LiveSession(
                k.config,
                k.db_path,
                on_frame=self.bridge.push,
                on_end=self.ended.emit,
                calibration=k.calibration,
                profile=profile,
            )
            k.live.start(self.selected_source())
        except AxolotlError as exc:
            self.status.setText(str(exc))
            return
        self.start_btn.setEnabled(False)
        self.stop_btn.setEnabled(True)
        self.backend_badge.setText("loading…")
        self.status.setText(
            "starting: loading the models…"
            + ("" if k.calibration else "  (no pitch calibration: speeds and distances need one, see Calibrate)")
        )

    def stop(self) -> None:
        live = self.kiosk.live
        if live is None or not live.running:
            return
        self.stop_btn.setEnabled(False)
        self.status.setText("stopping: saving the session and its summary…")
        run_job(lambda job: live.stop(), name="stop")  # joins the pipeline thread: never on the UI thread

    def _on_ended(self, live) -> None:
        if self.kiosk.closed:  # the window closed while the session was finishing
            return
        self.start_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)
        if live.error:
            self.status.setText(f"the session stopped: {live.error}")
        elif live.summary is not None:
            n = len(live.summary["players"])
            self.status.setText(f"session saved: {n} players. Open Summary for the figures and feedback.")
        self.kiosk.sessions_changed.emit()
        if live.session_id is None or live.summary is None:
            return
        sid = live.session_id
        if not (self.unsaved and self._save_names()):
            self.kiosk.open_session(sid)
            return
        from edge_app.player_edits import resummarize

        # named in the last second: the summary must carry it; rebuilt off the UI thread
        run_store_job(
            self.kiosk.db_path,
            lambda store, job: resummarize(store, sid),
            name="resummarize",
            done=lambda _s: self.kiosk.open_session(sid),
            failed=self.status.setText,
        )

    # -- drawing (UI thread, display rate) -------------------------------------------------------
    def _draw_latest(self) -> None:
        item = self.bridge.take()
        if item is None:
            return
        result, totals = item
        now = time.monotonic()
        self.arrivals.append((now, result.frame.index))
        if len(self.arrivals) > 1:
            (t0, f0), (t1, f1) = self.arrivals[0], self.arrivals[-1]
            if t1 > t0:
                self.fps_badge.setText(f"{(f1 - f0) / (t1 - t0):.1f} FPS")
        live = self.kiosk.live
        if live is not None and live.providers:
            self.backend_badge.setText(BACKEND.get(live.providers[0], live.providers[0]))
        if self.frames_drawn == 0:
            self.status.setText("recording: tap a player to name them")
        self.video.show_result(result, self.names)
        self._update_tiles(result, totals)
        self.frames_drawn += 1
        if self.unsaved and time.monotonic() - self.last_save > 1.0:
            self._save_names()

    def _update_tiles(self, result, totals: dict) -> None:
        """A tile per player in the picture, by player key (a track that breaks and resumes keeps its tile);
        a player gone for TILE_KEEP_S (left, or re-found under a new key) loses their tile, so a long
        session's panel stays the squad on the pitch."""
        t = result.frame.pts_s
        tracked = result.tracked
        ids = [] if tracked.tracker_id is None else [int(i) for i in tracked.tracker_id[tracked.class_id == PERSON]]
        keys = [result.key(tid) for tid in ids]
        for key in keys:
            tile = self.tiles.get(key)
            if tile is None:
                tile = self.tiles[key] = PlayerTile(key)
            tile.last_seen = t
            tile.show_totals(player_label(key, self.names), totals.get(key))
        gone = [key for key, tile in self.tiles.items() if t - tile.last_seen > TILE_KEEP_S]
        for key in gone:
            self.tiles.pop(key).deleteLater()
        if gone or any(self.tile_grid.indexOf(self.tiles[key]) < 0 for key in keys):
            cols = 2 if self.width() >= 1600 else 1
            for n, tile in enumerate(self.tiles.values()):
                self.tile_grid.addWidget(tile, n // cols, n % cols)  # re-adding moves a tile: no holes

    # -- naming ----------------------------------------------------------------------------------
    def _tapped(self, x: float, y: float) -> None:
        tid = self.video.track_at(x, y)
        if tid is None:
            return
        key = self.video.keys.get(tid, f"#{tid}")
        self.name_dialog = NameDialog(key, self.kiosk.config.session.roster, self.names.get(key), self)
        self.name_dialog.chosen.connect(lambda k, name: self.name_track(k, name, tid))
        self.name_dialog.open()

    def name_track(self, key: str, name: str, track_id: int | None = None) -> None:
        """Name a live player: shown at once under their key (kept across track breaks), and stored with
        the session on the track tapped (named tracks survive the stitching)."""
        self.names[key] = name
        if track_id is None:
            track_id = next((t for t, k in self.video.keys.items() if k == key), None)
        if track_id is not None:
            self.unsaved[key] = (track_id, name)
        if key in self.tiles:
            self.tiles[key].name.setText(name)
        self.video.update()
        self._save_names()

    def _save_names(self) -> bool:
        """Store the names given so far. A brand-new track reaches the database within a second
        (the store's batched writes), so a name that cannot be stored yet is retried."""
        live = self.kiosk.live
        sid = live.current_session_id if live is not None else None
        if sid is None:
            return False
        saved = False
        for key, (tid, name) in list(self.unsaved.items()):
            try:
                self.kiosk.store.name_player(sid, tid, name)
            except AxolotlError:
                continue
            del self.unsaved[key]
            saved = True
        self.last_save = time.monotonic()
        return saved
