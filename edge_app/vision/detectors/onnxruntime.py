"""ONNX Runtime backend: TensorRT, CUDA or CPU execution providers.

ORT falls back to the CPU without a word when CUDA/TensorRT libraries are missing, so
`info.providers` reports what the session really uses, and a requested accelerator that
did not load is logged as a warning.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from edge_app.errors import AxolotlError
from edge_app.models import resolve_model
from edge_app.vision.detectors.base import DetectorBackend, DetectorConfigBase, ModelInfo
from edge_app.vision.detectors.registry import register
from edge_app.vision.detectors.yolo import Letterbox, layout_from

log = logging.getLogger(__name__)

ORT_NAMES = {"tensorrt": "TensorrtExecutionProvider", "cuda": "CUDAExecutionProvider", "cpu": "CPUExecutionProvider"}
SHORT = {v: k for k, v in ORT_NAMES.items()}


Provider = Literal["tensorrt", "cuda", "cpu"]


class OnnxRuntimeDetectorConfig(DetectorConfigBase):
    type: Literal["onnxruntime"] = "onnxruntime"
    providers: list[Provider] | Literal["auto"] = "auto"  # auto: TensorRT > CUDA > CPU, as installed
    threads: int = Field(0, ge=0, description="intra-op threads; 0 lets ONNX Runtime decide")
    # ORT's idle workers busy-wait by default, stealing the cores that decode and tracking
    # need: off, the pipeline ran 8-14% faster end to end at 640 on 2 cores (benchmarks/README.md).
    spinning: bool = False
    trt_cache_dir: str | None = None  # engine cache for the TensorRT execution provider
    trt_fp16: bool = True


@register(OnnxRuntimeDetectorConfig)
class OnnxRuntimeDetector(DetectorBackend):
    def __init__(self, config):
        import onnxruntime as ort

        path, entry = resolve_model(config.model)
        available = ort.get_available_providers()
        wanted = ["tensorrt", "cuda", "cpu"] if config.providers == "auto" else list(config.providers)
        providers = []
        for name in wanted:
            ort_name = ORT_NAMES[name]
            if ort_name not in available:
                if config.providers != "auto":
                    log.warning("execution provider %s is not in this onnxruntime build (have %s)", name, available)
                continue
            if name == "tensorrt":
                # ORT does not notice a new ORT/TensorRT version in its cache: one folder per ORT
                # release (each pins a TensorRT). The timing cache speeds up rebuilds after a change.
                cache = Path(config.trt_cache_dir or path.parent / "trt-cache") / f"ort-{ort.__version__}"
                cache.mkdir(parents=True, exist_ok=True)
                providers.append(
                    (
                        ort_name,
                        {
                            "trt_engine_cache_enable": True,
                            "trt_engine_cache_path": str(cache),
                            "trt_timing_cache_enable": True,
                            "trt_timing_cache_path": str(cache),
                            "trt_fp16_enable": config.trt_fp16,
                        },
                    )
                )
            else:
                providers.append(ort_name)
        if "CPUExecutionProvider" not in [p if isinstance(p, str) else p[0] for p in providers]:
            providers.append("CPUExecutionProvider")  # ORT needs a fallback for unsupported nodes
        opts = ort.SessionOptions()
        if config.threads:
            opts.intra_op_num_threads = config.threads
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if config.spinning else "0")
        try:
            self.session = ort.InferenceSession(str(path), sess_options=opts, providers=providers)
        except Exception as exc:  # ORT raises several types for bad files
            first = str(exc).strip().splitlines()[0][:160]
            raise AxolotlError(
                f"cannot load model {path} ({first}); the file is corrupt or not ONNX: restore it or re-export with scripts/export_onnx.py"
            ) from None
        active = tuple(SHORT.get(p, p) for p in self.session.get_providers())
        requested = [p if isinstance(p, str) else p[0] for p in providers]
        for p in requested:
            if SHORT.get(p, p) not in active:
                log.warning(
                    "execution provider %s was requested but is not active (ORT fell back); running on %s",
                    SHORT.get(p, p),
                    ", ".join(active),
                )

        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        meta = self.session.get_modelmeta().custom_metadata_map
        self.layout = layout_from(tuple(self.session.get_outputs()[0].shape), meta)
        # A fixed batch axis (an export without dynamic=True) takes one tensor per call.
        self.max_batch = None if not isinstance(inp.shape[0], int) else int(inp.shape[0])
        dynamic = not all(isinstance(d, int) for d in inp.shape[2:])
        size = config.input_size
        if not dynamic and inp.shape[2] != size:
            log.warning("model %s has a fixed input size %s; ignoring input_size=%s", path.name, inp.shape[2], size)
            size = int(inp.shape[2])
        self.letterbox = Letterbox(size, rect=dynamic)
        self.conf, self.iou = config.conf, config.iou
        self.classes = tuple(config.classes) if config.classes is not None else None
        self.info = ModelInfo(
            name=entry.name if entry else path.stem,
            task=self.layout.task,
            input_size=size,
            class_names=self.layout.class_names,
            num_keypoints=self.layout.num_keypoints or None,
            providers=active,
        )

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: tensor})[0]
