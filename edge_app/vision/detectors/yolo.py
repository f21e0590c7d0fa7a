"""YOLOv8 / YOLO11 pre- and post-processing shared by every backend.

Recognises detect (4 + nc rows) and pose (4 + nc + K*3 rows) heads from the output shape
and the Ultralytics ONNX metadata (`task`, `names`, `kpt_shape`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import cv2
import numpy as np

from edge_app.errors import AxolotlError
from edge_app.vision.detections import Detections

PAD_VALUE = 114  # Ultralytics' letterbox grey; the model was trained with it
STRIDE = 32


@dataclass(frozen=True)
class LetterboxParams:
    scale: float
    pad_x: int
    pad_y: int
    src_w: int
    src_h: int


class Letterbox:
    """Resize keeping aspect ratio, pad, BGR→RGB, HWC→CHW, /255, into preallocated buffers.

    With `rect` (dynamic-shape models) the pad only reaches the next multiple of 32, as
    Ultralytics does, so a 4:3 frame at 640 runs at 640×480, not 640×640.
    """

    def __init__(self, size: int, rect: bool = False):
        if size % STRIDE or not 160 <= size <= 1920:
            raise AxolotlError(f"input size {size} is not a multiple of 32 between 160 and 1920; use 320, 480 or 640")
        self.size, self.rect = size, rect
        self.params: LetterboxParams | None = None
        self._src_shape: tuple[int, int] | None = None

    def _allocate(self, h: int, w: int) -> None:
        # Upscaling helps small, far players (vtest.avi's 768 px frames gain a lot at 1280),
        # but past 2x the model starts seeing people in textures: fruits.jpg (512 px) gives a
        # 0.69 "person" at 1280 and none at 1024. So the input never exceeds 2x the frame.
        size = min(self.size, max(STRIDE, 2 * max(h, w) // STRIDE * STRIDE))
        scale = min(size / h, size / w)
        nw, nh = round(w * scale), round(h * scale)
        if self.rect:
            out_w, out_h = -(-nw // STRIDE) * STRIDE, -(-nh // STRIDE) * STRIDE
        else:
            out_w = out_h = size
        pad_x, pad_y = (out_w - nw) // 2, (out_h - nh) // 2
        self._canvas = np.full((out_h, out_w, 3), PAD_VALUE, np.uint8)
        self._inner = self._canvas[pad_y : pad_y + nh, pad_x : pad_x + nw]
        self._nw, self._nh = nw, nh
        self._tensor = np.empty((1, 3, out_h, out_w), np.float32)
        self.params = LetterboxParams(scale, pad_x, pad_y, w, h)
        self._src_shape = (h, w)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        if (h, w) != self._src_shape:
            self._allocate(h, w)
        p = self.params
        src = image
        if p.scale != 1.0:
            src = cv2.resize(image, (self._nw, self._nh), interpolation=cv2.INTER_LINEAR)
        if p.pad_x or p.pad_y or src.shape[:2] != self._canvas.shape[:2]:
            self._inner[...] = src  # the pad border was filled once, at allocation
            src = self._canvas
        # One pass: BGR→RGB channel flip, HWC→CHW and scaling, written into the reused tensor.
        np.multiply(src.transpose(2, 0, 1)[::-1], np.float32(1 / 255), out=self._tensor[0])
        return self._tensor


@dataclass(frozen=True)
class YoloLayout:
    task: str  # "detect" | "pose"
    num_classes: int
    num_keypoints: int  # 0 for detect
    class_names: tuple[str, ...]
    transposed: bool  # True when the output is (1, anchors, channels)


def layout_from(output_shape: tuple, metadata: dict[str, str]) -> YoloLayout:
    """Work out the head from the output shape, using the Ultralytics metadata when present."""
    dims = list(output_shape[1:]) if len(output_shape) == 3 else []
    ints = [d for d in dims if isinstance(d, int)]
    if not ints:
        raise AxolotlError(
            f"cannot read the model's output shape {output_shape}; export a YOLOv8/YOLO11 detect or pose ONNX with Ultralytics"
        )
    channels = min(ints)  # channels (≤ 4+80+51) are always fewer than anchors (≥ 2100)
    transposed = dims[1] == channels and dims[0] != channels
    names: dict[int, str] = {}
    if "names" in metadata:
        try:
            names = ast.literal_eval(metadata["names"])
        except (ValueError, SyntaxError):
            names = {}
    kpts = 0
    if "kpt_shape" in metadata:
        k, d = ast.literal_eval(metadata["kpt_shape"])
        if d != 3:
            raise AxolotlError(f"pose model has {d} values per keypoint; only (x, y, visibility) models are supported")
        kpts = int(k)
    if names or kpts:
        nc = len(names) if names else channels - 4 - kpts * 3
    elif channels in (84, 56):  # no metadata: the two stock COCO heads
        nc, kpts = (80, 0) if channels == 84 else (1, 17)
    else:
        nc = -1
    if nc < 1 or 4 + nc + kpts * 3 != channels:
        raise AxolotlError(
            f"output with {channels} channels is not a YOLOv8/YOLO11 detect or pose head; export the model with Ultralytics (format=onnx)"
        )
    task = "pose" if kpts else "detect"
    class_names = tuple(names.get(i, str(i)) for i in range(nc)) if names else tuple(str(i) for i in range(nc))
    return YoloLayout(task, nc, kpts, class_names, transposed)


def decode(
    raw: np.ndarray,
    layout: YoloLayout,
    lb: LetterboxParams,
    *,
    conf: float,
    iou: float,
    classes: tuple[int, ...] | None,
) -> Detections:
    """Threshold, class-aware NMS (OpenCV's, in C++), and undo the letterbox."""
    out = raw[0] if raw.ndim == 3 else raw
    if not layout.transposed:
        out = out.T  # (anchors, channels); a view, no copy
    nc = layout.num_classes
    scores_all = out[:, 4 : 4 + nc]
    if nc == 1:
        class_id = np.zeros(len(out), np.int32)
        score = scores_all[:, 0]
    else:
        class_id = scores_all.argmax(1).astype(np.int32)
        score = np.take_along_axis(scores_all, class_id[:, None], 1)[:, 0]
    keep = score > conf
    if classes is not None:
        keep &= np.isin(class_id, classes)
    idx = np.flatnonzero(keep)
    if not len(idx):
        return Detections.empty(layout.num_keypoints or None)
    rows = out[idx]
    score, class_id = score[idx].astype(np.float32), class_id[idx]
    cxcywh = rows[:, :4]
    xywh = np.concatenate([cxcywh[:, :2] - cxcywh[:, 2:] / 2, cxcywh[:, 2:]], axis=1)
    picked = cv2.dnn.NMSBoxesBatched(xywh.tolist(), score.tolist(), class_id.tolist(), conf, iou)
    picked = np.asarray(picked, dtype=np.int64).reshape(-1)
    picked = picked[np.argsort(-score[picked], kind="stable")]
    xyxy = np.empty((len(picked), 4), np.float32)
    xyxy[:, :2] = xywh[picked, :2]
    xyxy[:, 2:] = xywh[picked, :2] + xywh[picked, 2:]
    shift = np.array([lb.pad_x, lb.pad_y, lb.pad_x, lb.pad_y], np.float32)
    xyxy = (xyxy - shift) / lb.scale
    np.clip(xyxy[:, 0::2], 0, lb.src_w, out=xyxy[:, 0::2])
    np.clip(xyxy[:, 1::2], 0, lb.src_h, out=xyxy[:, 1::2])
    kps = None
    if layout.num_keypoints:
        kps = rows[picked, 4 + nc :].reshape(len(picked), layout.num_keypoints, 3).astype(np.float32)
        kps[:, :, 0] = (kps[:, :, 0] - lb.pad_x) / lb.scale
        kps[:, :, 1] = (kps[:, :, 1] - lb.pad_y) / lb.scale
    return Detections(xyxy, score[picked], class_id[picked], kps)
