"""The frame pipeline: capture → detect → track → pose → store, on threads with bounded queues.

Three threads overlap the work: the capture thread decodes (inside `VideoSource`), the
detect thread letterboxes and runs the model, and the caller's thread decodes the boxes (NMS), tracks, runs pose,
keeps each track's best photo (`vision.photos`) and hands rows to the store, whose own writer thread commits once a second. ONNX
Runtime and OpenCV release the GIL, so decode, inference and tracking really overlap.
A live source (a camera, or `capture.PacedSource`) runs under the live budget: the detect
thread always takes the newest frame (docs/ARCHITECTURE.md §1).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from edge_app.capture import Frame, VideoSource, open_source
from edge_app.config import AppConfig
from edge_app.errors import AxolotlError
from edge_app.identity import appearance_samples, split_sample, torso_colours
from edge_app.identity.live import LiveIdentity
from edge_app.positions.ground import pitch_points
from edge_app.vision.detections import PERSON, Detections
from edge_app.vision.detectors import create_detector
from edge_app.vision.photos import TrackPhotos
from edge_app.vision.track import ByteTrack, live_iou_buffer

log = logging.getLogger(__name__)

STAGES = ("decode", "preprocess", "inference", "nms", "tracking", "pose", "photos", "store")
_END = object()
# At most this many frames a second (0.13 s apart), tracking and crops work as live (see `run`). A 10 fps
# file stays on the file path: on vtest.avi (10 fps) the sparse path made a walker "sprint" (a jump between
# two people), where ByteTrack's own follows walkers well.
SPARSE_FPS = 7.5
APPEARANCE_EVERY_S = 0.2  # media time between torso-colour samples of each player (every 5th frame at 25 fps)
# Sparse frames: no track-box match across this torso-colour distance (two kits: 0.6+ apart). A second gate
# on the legs (ByteTrack takes one per part: `torso_colours(legs=True)`, gates (0.5, 0.5)) measured better on
# the session renders (IDF1 0.85 against 0.76 on a minute of the mast) but broke real walkers' tracks on
# vtest.avi (51 tracks, 34 players for ~20 people, against <= 30): off (benchmarks/README.md).
TRACK_COLOUR_GATE = 0.5
LIVE_POSE_LAG_S = 0.5  # live: no pose on a frame whose boxes come out later than this after it was taken
# Live, pose at most this often: on 2 cores its time is taken from the detector. Run on every processed
# frame of the mast (its near players are over pose's 80 px) it took 75 ms p50 a frame, ~0.4 of a core at
# 5 frames a second; the pose KPIs are medians over a session and need no more (benchmarks/README.md).
LIVE_POSE_EVERY_S = 0.5


@dataclass
class FrameResult:
    frame: Frame
    tracked: Detections  # tracked players (and ball) with tracker_id
    poses: list  # PoseSample per player that got a pose this frame
    timings_ms: dict[str, float]
    live: dict = field(default_factory=dict)  # track id -> LiveSample (causal speed, m/s) when calibrated
    # person track id -> player key: "P<n>" kept across track breaks ([pipeline] live_relink), else "#<id>"
    players: dict[int, str] = field(default_factory=dict)

    def key(self, track_id) -> str:
        """The player key of a track of this frame (its own "#<id>" when the mapping has none)."""
        return self.players.get(int(track_id)) or f"#{int(track_id)}"


@dataclass(frozen=True)
class DetectedFrame:
    """One frame off the detect thread: the model's raw output for the caller's thread to decode,
    or (`decoded`, the live zoom) its detections, decoded there already."""

    frame: Frame
    decoded: bool
    timings_ms: dict[str, float]  # decode, preprocess, inference (and nms when decoded); the caller adds its own
    raw: np.ndarray | None = None  # not decoded: the model output ...
    params: Any = None  # ... and what `postprocess` maps it back to the frame with (the letterbox or tile plan)
    detections: Detections | None = None  # decoded


@dataclass
class RunResult:
    session_id: str | None
    status: str
    frames: int
    wall_s: float
    providers: tuple[str, ...]
    track_ids: set = field(default_factory=set)
    stage_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    dropped: int = 0

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s else 0.0

    def stage_summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for stage in STAGES:
            values = self.stage_ms.get(stage)
            if values:
                arr = np.asarray(values)
                out[stage] = {
                    "mean": float(arr.mean()),
                    "p50": float(np.percentile(arr, 50)),
                    "p95": float(np.percentile(arr, 95)),
                    "p99": float(np.percentile(arr, 99)),
                }
        return out


class Pipeline:
    """Build once (loads the models), then `run` a source. `stop()` ends a live run cleanly."""

    def __init__(
        self, config: AppConfig, store=None, *, on_result: Callable[[FrameResult], None] | None = None, calibration=None
    ):
        self.config = config
        self.store = store
        self.on_result = on_result
        self.calibration = calibration  # pitch homography: live speeds in m/s for the display
        self.detector = create_detector(config.detector)
        if config.zoom.mode != "off":
            # Small players: each part of the frame at the zoom it needs (edge_app/vision/zoom.py).
            from edge_app.vision.zoom import ZoomDetector

            self.detector = ZoomDetector(self.detector, config.zoom, calibration)
        # ByteTrack's second stage continues tracks from low-score boxes (tracker.low_score_threshold
        # to its activation threshold): the detector must hand them over, whatever detector.conf
        # (a standalone detection's cut-off) says. Ultralytics' track mode lowers conf likewise.
        self.detector.conf = config.tracker.low_score_threshold
        self.pose = None
        if config.pose.enabled:
            from edge_app.vision.pose import PoseEstimator

            try:
                self.pose = PoseEstimator(budget_ms=config.pose.budget_ms, min_box_height=config.pose.min_box_height)
            except AxolotlError as exc:  # a box without MediaPipe's model still tracks and measures
                log.warning("pose is off: %s", exc)
        self._stop = threading.Event()
        self._followed = threading.Event()  # a sparse file: the frame's players followed, plan the next
        self.session_id: str | None = None  # the stored session of the current run, once it started

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        if self.pose is not None:
            self.pose.close()
        self.detector.close()

    def models_info(self) -> dict:
        info = self.detector.info
        models = {
            "detector": {
                "name": info.name,
                "task": info.task,
                "input_size": info.input_size,
                "providers": list(info.providers),
                "backend": self.detector.type_key,
            }
        }
        if self.pose is not None:
            models["pose"] = {"name": "mediapipe-pose-full", "version": self.pose.version}
        return models

    def _detect_loop(self, source, out: queue.Queue, errors: list) -> None:
        det = self.detector
        # Frames far apart (live, or a sparse file): the zoom decodes its boxes here, before the next
        # frame is planned, so the next frame's crops are seeded by this one, not by the one before
        # (1 processed frame of movement instead of 2: frames are 0.2-0.5 s apart live, 0.04 in a file).
        nms_here = det.sparse and det.plans_from_last_frame
        try:
            # Live: always the newest frame (older queued ones are dropped), so the box never falls
            # behind the camera; a file: every frame.
            for frame in source.newest() if source.is_live else source:
                if self._stop.is_set():
                    break
                t0 = time.perf_counter()
                tensor = det.preprocess(frame.image, frame.pts_s) if det.timed else det.preprocess(frame.image)
                t1 = time.perf_counter()
                raw = det.infer(tensor)
                t2 = time.perf_counter()
                timings = {"preprocess": (t1 - t0) * 1e3, "inference": (t2 - t1) * 1e3}
                if frame.decode_ms is not None:
                    timings["decode"] = frame.decode_ms
                if nms_here:
                    dets = det.postprocess(raw, det.params)
                    timings["nms"] = (time.perf_counter() - t2) * 1e3
                    out.put(DetectedFrame(frame, decoded=True, timings_ms=timings, detections=dets))
                    if not source.is_live:
                        # A file: the next frame is planned once this one's players are followed, so a
                        # run gives the same boxes every time (live, the newest state is the right one).
                        while not self._followed.wait(0.1) and not self._stop.is_set():
                            pass
                        self._followed.clear()
                    continue
                # NMS runs on the caller's thread: this one goes straight on to the next inference
                # (letterbox + NMS were ~10% of a 320 px frame here, benchmarks/README.md).
                out.put(DetectedFrame(frame, decoded=False, timings_ms=timings, raw=raw, params=det.params))
        except BaseException as exc:  # handed to the caller's thread, which re-raises it
            errors.append(exc)
        finally:
            out.put(_END)

    def _live_speeds(self, filters: dict, tracked: Detections, t: float, fps: float) -> dict:
        """Causal (live-display) speed per player; the official numbers are recomputed after."""
        if self.calibration is None or not len(tracked):
            return {}
        from edge_app.metrics.kinematics import LiveKinematics

        person = tracked.class_id == PERSON
        ids, pts = tracked.tracker_id[person], pitch_points(tracked.xyxy[person], self.calibration)
        out = {}
        for tid, (x, y) in zip(ids.tolist(), pts):
            kin = filters.get(tid)
            if kin is None:
                kin = filters[tid] = LiveKinematics(rate=fps)
            sample = kin.update(t, x, y)
            if sample is not None:
                out[tid] = sample
        return out

    def _live_players(self, relink: LiveIdentity | None, frame, tracked: Detections, appearance) -> dict[int, str]:
        """Each person track's player key: the re-linker's (a track back after a break keeps its key), or "#<id>"."""
        if tracked.tracker_id is None or not len(tracked):
            return {}
        person = tracked.class_id == PERSON
        ids, boxes = tracked.tracker_id[person], tracked.xyxy[person]
        if relink is None:
            return {int(t): f"#{int(t)}" for t in ids}
        if appearance is None and not all(relink.known(t) for t in ids):
            appearance = appearance_samples(frame.image, tracked)  # a new track's colour, for its re-link
        elif appearance is not None:  # the stored samples carry the legs too: the re-linker reads torsos
            appearance = {t: split_sample(h)[0] for t, h in appearance.items()}
        xy = pitch_points(boxes, self.calibration) if self.calibration is not None else None
        return relink.update(frame.pts_s, ids, boxes, xy, appearance)

    def run(self, source, *, max_frames: int | None = None, progress: bool = False) -> RunResult:
        """Process a source (a spec for `open_source`, or an opened `VideoSource`) to its end."""
        self._stop.clear()
        self._followed.clear()
        cfg = self.config
        if not isinstance(source, VideoSource):
            source = open_source(source, queue_size=cfg.pipeline.queue_size)
        fps = source.fps or 25.0
        self.detector.live = source.is_live
        # Frames >= 0.13 s apart (a camera at the box's 2-5 Hz, or a file recorded or cut that sparse):
        # players move further than their own width between two, so the tracker's IoU buffers its
        # boxes and the zoom's crops follow the tracked players, live or not (benchmarks/README.md,
        # "Who is who over a session").
        sparse = source.is_live or fps <= SPARSE_FPS
        self.detector.sparse = sparse
        tracker = ByteTrack(frame_rate=round(fps), **cfg.tracker.model_dump())
        tracker.colour_gate = TRACK_COLOUR_GATE if sparse else None
        session_id = None
        if self.store is not None:
            session_id = self.store.start_session(
                source=source.spec.describe(),
                config=cfg.model_dump(),
                models=self.models_info(),
                fps=fps,
                frame_size=source.size,
                live=source.is_live,
            )
        self.session_id = session_id
        result = RunResult(session_id, "running", 0, 0.0, self.detector.info.providers)
        live_filters: dict = {}
        # Whoever watches (the kiosk, the API) sees players, not track ids (edge_app/identity/live.py).
        relink = LiveIdentity() if self.on_result is not None and cfg.pipeline.live_relink else None
        photos = TrackPhotos()  # each track's best crop, for the Players screen and the phone
        last_pts = None
        last_pose = -np.inf  # media time of the last live pose run
        next_appearance = -np.inf  # media time of the next torso-colour sample
        detections_q: queue.Queue = queue.Queue(maxsize=2)
        errors: list = []
        worker = threading.Thread(
            target=self._detect_loop, args=(source, detections_q, errors), name="detect", daemon=True
        )
        bar = None
        if progress:
            from tqdm import tqdm

            total = source.frame_count if max_frames is None else min(max_frames, source.frame_count or max_frames)
            bar = tqdm(total=total, unit="frame", desc="analyze", leave=False, dynamic_ncols=True)
        start = time.perf_counter()
        worker.start()
        status = "completed"
        try:
            while True:
                item = detections_q.get()
                if item is _END:
                    break
                frame, timings = item.frame, item.timings_ms
                tn = time.perf_counter()
                if item.decoded:
                    detections = item.detections
                else:
                    detections = self.detector.postprocess(item.raw, item.params)
                    timings["nms"] = (time.perf_counter() - tn) * 1e3
                t0 = time.perf_counter()
                if sparse:  # frames 0.1-0.5 s apart: players move further than plain IoU can follow
                    dt = frame.pts_s - last_pts if last_pts is not None else 0.0
                    tracker.iou_buffer = live_iou_buffer(dt)
                    tracker.steps = max(1.0, dt * 30)
                    last_pts = frame.pts_s
                # Sparse frames: two players who cross between two frames swap ids unless their colours tell.
                tracked = tracker.update(detections, torso_colours(frame.image, detections) if sparse else None)
                if sparse:  # the zoom's crops follow the tracked players
                    self.detector.follow(tracked, frame.pts_s)
                    self._followed.set()
                t1 = time.perf_counter()
                poses = []
                # Live, pose is the first thing shed when the box falls behind the camera (the next
                # frame's boxes already here, or this frame over LIVE_POSE_LAG_S old): MediaPipe
                # (~30 ms a player here; 140-180 ms a processed vtest frame) would add to the lag
                # and take a core from the detector (benchmarks/README.md, "A live budget").
                behind = source.is_live and (
                    not detections_q.empty()
                    or time.monotonic_ns() - frame.t_ns > LIVE_POSE_LAG_S * 1e9
                    or frame.pts_s - last_pose < LIVE_POSE_EVERY_S
                )
                if self.pose is not None and len(tracked) and not behind:
                    last_pose = frame.pts_s
                    poses = self.pose.process(frame.image, tracked[tracked.class_id == PERSON], int(frame.pts_s * 1000))
                t2 = time.perf_counter()
                new_photos = (
                    photos.update(frame.image, tracked, frame.index, frame.pts_s) if self.store is not None else []
                )
                tp = time.perf_counter()
                # Torso colours for the after-session stitching pass (and the live re-links): 5 a second is plenty.
                appearance = None
                if (self.store is not None or relink is not None) and frame.pts_s >= next_appearance:
                    appearance = appearance_samples(frame.image, tracked, legs=True)
                    next_appearance = frame.pts_s + APPEARANCE_EVERY_S - 1e-3
                if self.store is not None:
                    self.store.add_frame(
                        session_id, frame.index, frame.pts_s, tracked, poses, appearance=appearance, photos=new_photos
                    )
                t3 = time.perf_counter()
                timings.update(tracking=(t1 - t0) * 1e3, pose=(t2 - t1) * 1e3, store=(t3 - tp) * 1e3)
                if self.store is not None:
                    timings["photos"] = (tp - t2) * 1e3
                for stage, ms in timings.items():
                    result.stage_ms[stage].append(ms)
                if tracked.tracker_id is not None:
                    result.track_ids.update(int(t) for t in tracked.tracker_id)
                players = {}
                if self.on_result is not None:
                    ti = time.perf_counter()
                    players = self._live_players(relink, frame, tracked, appearance)
                    if relink is not None:
                        timings["identity"] = (time.perf_counter() - ti) * 1e3
                        result.stage_ms["identity"].append(timings["identity"])
                live = self._live_speeds(live_filters, tracked, frame.pts_s, fps) if self.on_result is not None else {}
                result.frames += 1
                if self.on_result is not None:
                    self.on_result(FrameResult(frame, tracked, poses, timings, live, players))
                if bar is not None:
                    bar.update(1)
                if max_frames is not None and result.frames >= max_frames:
                    self._stop.set()
                    break
        except KeyboardInterrupt:
            # Ctrl-C / SIGTERM is how a live session ends; a file cut short is interrupted.
            self._stop.set()
            if not source.is_live:
                status = "interrupted"
                raise
        finally:
            self._stop.set()
            source.close()
            while worker.is_alive():  # unblock a detect thread waiting on a full queue
                try:
                    detections_q.get(timeout=0.05)
                except queue.Empty:
                    pass
            result.wall_s = time.perf_counter() - start
            result.dropped = source.stats.get("dropped", 0)
            if bar is not None:
                bar.close()
            if errors:
                status = "failed"
            result.status = status
            if self.store is not None:
                self.store.add_photos(session_id, photos.finish())  # the best crops still waiting to be encoded
                self.store.end_session(
                    session_id,
                    status=status,
                    stats={
                        "frames": result.frames,
                        "wall_s": round(result.wall_s, 3),
                        "fps": round(result.fps, 2),
                        "dropped": result.dropped,
                        "providers": list(result.providers),
                        "stage_ms": {k: round(v["mean"], 2) for k, v in result.stage_summary().items()},
                    },
                )
        if errors:
            raise errors[0]
        return result
