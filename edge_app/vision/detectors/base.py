"""The detector backend interface. One file per backend; each registers itself by `type`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edge_app.vision.detections import Detections
from edge_app.vision.detectors.yolo import Letterbox, YoloLayout, decode


class DetectorConfigBase(BaseModel):
    """What every backend's config has; each backend module declares `type: Literal[...]` on top of it."""

    model_config = ConfigDict(extra="forbid")

    model: str = "yolo11n-pose"  # a models/manifest.toml name (hash-checked) or a path
    # 1280, not Ultralytics' 640: yolo11n-pose at 640 misses most people under ~80 px tall
    # (1 of ~6 walkers per vtest.avi frame at 640, 3-5 at 960, 5-8 at 1280), and players seen
    # from the touchline are that small. 320/480/640 trade recall for speed.
    input_size: int = Field(1280, description="letterbox size; a multiple of 32 (320 ... 1280)")
    conf: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description=(
            "score cut-off of a detector used alone (`detect`; Ultralytics' default). The pipeline hands the "
            "tracker every box down to tracker.low_score_threshold instead"
        ),
    )
    iou: float = Field(0.5, ge=0.0, le=1.0)  # 0.7 (Ultralytics) leaves double boxes on one player
    classes: list[int] | None = [0, 32]  # COCO person and sports ball; None keeps every class


@dataclass(frozen=True)
class ModelInfo:
    name: str
    task: str  # "detect" | "pose"
    input_size: int
    class_names: tuple[str, ...]
    num_keypoints: int | None
    providers: tuple[str, ...]  # what really runs (ORT can fall back to CPU silently)


class DetectorBackend(ABC):
    """preprocess → infer → postprocess, split so the pipeline and `bench` can time each stage.

    Backends only implement `infer` (and loading); letterbox and decoding are shared.
    """

    type_key: ClassVar[str]
    config_model: ClassVar[type[DetectorConfigBase]]
    info: ModelInfo
    layout: YoloLayout
    letterbox: Letterbox
    conf: float
    iou: float
    classes: tuple[int, ...] | None

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        return self.letterbox(image)

    @property
    def params(self):
        """What `postprocess` needs to map the last preprocessed frame's output back to it."""
        return self.letterbox.params

    @abstractmethod
    def infer(self, tensor: np.ndarray) -> np.ndarray:
        """Raw model output for letterboxed (N, 3, H, W) float32 tensors, N ≤ `max_batch`."""

    max_batch: int | None = None  # tensors per model call; None: any (a dynamic batch axis)
    # Live canvases of any size (a model with dynamic height and width) are multiples of this: a
    # backend that builds its kernels per input shape wants few shapes, one that does not, few pixels.
    shape_step: int = 32

    def infer_batch(self, tensor: np.ndarray) -> np.ndarray:
        """Raw output for (N, 3, H, W): one call where the model takes a batch, else chunks of `max_batch`."""
        n, step = len(tensor), self.max_batch or len(tensor)
        if n <= step:
            return self.infer(tensor)
        return np.concatenate([self.infer(np.ascontiguousarray(tensor[i : i + step])) for i in range(0, n, step)])

    def postprocess(self, raw: np.ndarray, params=None) -> Detections:
        """Decode + NMS; `params` (the frame's letterbox) lets another thread do it while the next frame infers."""
        return decode(
            raw, self.layout, params or self.letterbox.params, conf=self.conf, iou=self.iou, classes=self.classes
        )

    def detect(self, image: np.ndarray) -> Detections:
        return self.postprocess(self.infer(self.preprocess(image)))

    def close(self) -> None:  # noqa: B027 - optional for backends
        pass

    # What the pipeline asks of every detector; a plain backend leaves them off, the zoom
    # (vision/zoom.py) uses them.
    timed: bool = False  # True: `preprocess(image, t)` takes the frame's media time too
    live: bool = False  # set by the pipeline: the source is a live camera (or a paced file)
    # Set by the pipeline: frames >= 0.1 s apart (live, or a file that sparse): players move further
    # between two than a box's own width, so what plans from the last frame follows them.
    sparse: bool = False
    # True: live, decode each frame on the detect thread before planning the next (it plans from it).
    plans_from_last_frame: bool = False

    def follow(self, tracked: Detections, t: float) -> None:  # noqa: B027 - optional for backends
        """Live: the tracked players (with ids) of the frame at media time `t`. Nothing here."""
