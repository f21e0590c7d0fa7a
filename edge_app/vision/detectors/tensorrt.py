"""TensorRT engine backend (Jetson / NVIDIA NUC).

The engine is built from the configured ONNX on first use (or by scripts/build_trt.py) and
rebuilt when TensorRT, the GPU or the ONNX changed (edge_app/vision/trt_engine.py). Inference:
letterboxed tensor → page-locked host buffer → async copy to the GPU → enqueue → async copy
back → stream sync, all on one CUDA stream; buffers are allocated once, at the profile's max.
"""

from __future__ import annotations

import logging
import time
from typing import Literal

import numpy as np
from pydantic import Field

from edge_app.errors import AxolotlError
from edge_app.models import resolve_model
from edge_app.vision import trt_engine  # a module import: trt_engine imports this package's yolo.py
from edge_app.vision.detectors.base import DetectorBackend, DetectorConfigBase, ModelInfo
from edge_app.vision.detectors.registry import register
from edge_app.vision.detectors.yolo import Letterbox, layout_from

log = logging.getLogger(__name__)


class _TensorApi:
    """TensorRT >= 8.5 (JetPack 5.1+, 10.x): I/O tensors by name, execute_async_v3."""

    def __init__(self, trt, engine, context):
        self.trt, self.engine, self.context = trt, engine, context
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        ins = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        outs = [n for n in names if n not in ins]
        _check_io(len(ins), len(outs))
        self.input, self.output = ins[0], outs[0]

    def dtype(self, name):
        return np.dtype(self.trt.nptype(self.engine.get_tensor_dtype(name)))

    def engine_shape(self, name) -> tuple:
        return tuple(self.engine.get_tensor_shape(name))

    def max_input_shape(self) -> tuple:
        shape = self.engine_shape(self.input)
        return tuple(self.engine.get_tensor_profile_shape(self.input, 0)[2]) if -1 in shape else shape

    def set_input_shape(self, shape) -> bool:
        return self.context.set_input_shape(self.input, shape)

    def output_shape(self) -> tuple:
        return tuple(self.context.get_tensor_shape(self.output))

    def bind(self, d_in, d_out) -> None:
        self.context.set_tensor_address(self.input, int(d_in))
        self.context.set_tensor_address(self.output, int(d_out))

    def execute(self, stream) -> bool:
        return self.context.execute_async_v3(stream.handle)


class _BindingApi:
    """TensorRT 8.0-8.4 (JetPack 5.0.x): bindings by index, execute_async_v2."""

    def __init__(self, trt, engine, context):
        self.trt, self.engine, self.context = trt, engine, context
        n = engine.num_bindings
        ins = [i for i in range(n) if engine.binding_is_input(i)]
        outs = [i for i in range(n) if i not in ins]
        _check_io(len(ins), len(outs))
        self.input, self.output = ins[0], outs[0]
        self._bindings = [0] * n

    def dtype(self, index):
        return np.dtype(self.trt.nptype(self.engine.get_binding_dtype(index)))

    def engine_shape(self, index) -> tuple:
        return tuple(self.engine.get_binding_shape(index))

    def max_input_shape(self) -> tuple:
        shape = self.engine_shape(self.input)
        return tuple(self.engine.get_profile_shape(0, self.input)[2]) if -1 in shape else shape

    def set_input_shape(self, shape) -> bool:
        return self.context.set_binding_shape(self.input, shape)

    def output_shape(self) -> tuple:
        return tuple(self.context.get_binding_shape(self.output))

    def bind(self, d_in, d_out) -> None:
        self._bindings[self.input], self._bindings[self.output] = int(d_in), int(d_out)

    def execute(self, stream) -> bool:
        return self.context.execute_async_v2(self._bindings, stream.handle)


def _check_io(n_in: int, n_out: int) -> None:
    if n_in != 1 or n_out != 1:
        raise AxolotlError(
            f"the engine has {n_in} inputs and {n_out} outputs; a YOLO detector has one of each: rebuild it from a YOLO ONNX"
        )


class TensorRTDetectorConfig(DetectorConfigBase):
    type: Literal["tensorrt"]
    # An engine only runs on the TensorRT and GPU that built it: it is built from `model` at
    # first start (minutes, once; or ahead with scripts/build_trt.py) and rebuilt when either
    # or the ONNX changes. `engine` pins a file; by default the name is derived in engine_dir.
    engine: str | None = None
    engine_dir: str | None = None  # default: the ONNX file's folder (models/)
    build: bool = True  # False: refuse to start instead of building
    precision: Literal["fp16", "int8", "fp32"] = "fp16"
    dla_core: int | None = Field(None, ge=0)  # Jetson AGX/NX Orin: 0 or 1; unsupported layers fall back to the GPU
    workspace_mb: int = Field(1024, ge=16, description="TensorRT builder workspace limit")
    calib_videos: list[str] = []  # int8: your own session videos, frames drawn evenly from them
    calib_frames: int = Field(256, ge=1)
    calib_cache: str | None = None  # int8 calibration cache; default: beside the engine
    warmup: int = Field(3, ge=0, description="inferences run at start (the first ones are slow)")
    # Zoom tiles of one frame in one call (edge_app/vision/zoom.py logs how many); the engine's
    # buffers are sized for this many full-size inputs, so 1 (tiles in turn) is the default.
    max_batch: int = Field(1, ge=1, le=64)
    device: int = Field(0, ge=0, description="CUDA device index")


@register(TensorRTDetectorConfig)
class TensorRTDetector(DetectorBackend):
    def __init__(self, config):
        trt = trt_engine.import_tensorrt()
        self._gpu = None
        onnx_path, entry = resolve_model(config.model)
        self._gpu = trt_engine.CudaDevice(config.device)
        try:
            self._load(trt, config, onnx_path, entry)
        except BaseException:
            self.close()
            raise

    def _load(self, trt, config, onnx_path, entry) -> None:
        gpu = self._gpu
        opts = trt_engine.BuildOptions(
            precision=config.precision,
            input_size=config.input_size,
            workspace_mb=config.workspace_mb,
            dla_core=config.dla_core,
            calib_videos=tuple(config.calib_videos),
            calib_frames=config.calib_frames,
            calib_cache=config.calib_cache,
            max_batch=config.max_batch,
        )
        self.engine_path, meta, _ = trt_engine.ensure_engine(
            trt, gpu, onnx_path, opts, engine=config.engine, engine_dir=config.engine_dir, build=config.build
        )
        with gpu as cuda:
            self._cuda = cuda
            self._runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))  # must outlive the engine
            self.engine = self._runtime.deserialize_cuda_engine(self.engine_path.read_bytes())
            if self.engine is None:
                raise AxolotlError(
                    f"TensorRT cannot load the engine {self.engine_path} (corrupt, or built by another TensorRT); delete it and its .json, it is rebuilt at the next start"
                )
            self.context = self.engine.create_execution_context()
            api = (_TensorApi if hasattr(self.engine, "num_io_tensors") else _BindingApi)(
                trt, self.engine, self.context
            )
            self._api = api
            if api.dtype(api.input) != np.float32:
                raise AxolotlError(
                    f"the engine's input is {api.dtype(api.input)}, not float32; rebuild it with scripts/build_trt.py"
                )
            # Buffers sized once for the largest shape the profile allows; smaller frames use a prefix.
            max_in = api.max_input_shape()
            if not api.set_input_shape(max_in):
                raise AxolotlError(
                    f"the engine rejects its own max input shape {max_in}; rebuild it with scripts/build_trt.py"
                )
            max_out = api.output_shape()
            self.max_batch = int(max_in[0])  # the profile's largest batch; more tiles go in chunks
            self._h_in = cuda.pagelocked_empty(int(np.prod(max_in)), np.float32)  # pinned: truly async copies
            self._h_out = cuda.pagelocked_empty(int(np.prod(max_out)), api.dtype(api.output))
            self._d_in = cuda.mem_alloc(self._h_in.nbytes)
            self._d_out = cuda.mem_alloc(self._h_out.nbytes)
            api.bind(self._d_in, self._d_out)
            self._stream = cuda.Stream()
        self._shape: tuple | None = None
        self._out_shape: tuple = ()

        in_shape = api.engine_shape(api.input)
        dynamic = in_shape[2] == -1 or in_shape[3] == -1
        out_shape = tuple(d if d >= 0 else None for d in api.engine_shape(api.output))
        self.layout = layout_from(out_shape, meta.get("metadata") or {})
        size = int(meta.get("input_size") or config.input_size) if dynamic else int(in_shape[2])
        if size != config.input_size:
            log.warning(
                "engine %s was built for input size %s; ignoring input_size=%s",
                self.engine_path.name,
                size,
                config.input_size,
            )
        self.letterbox = Letterbox(size, rect=dynamic)
        self.conf, self.iou = config.conf, config.iou
        self.classes = tuple(config.classes) if config.classes is not None else None
        self.info = ModelInfo(
            name=entry.name if entry else onnx_path.stem,
            task=self.layout.task,
            input_size=size,
            class_names=self.layout.class_names,
            num_keypoints=self.layout.num_keypoints or None,
            providers=("tensorrt",),
        )
        # The first runs pay for lazy CUDA module loading and TensorRT's tactic set-up (hundreds of
        # ms); do them now, not on the first frame of a session.
        warm = np.zeros((1, 3, size, size) if dynamic else max_in, np.float32)
        times = []
        for _ in range(config.warmup):
            t0 = time.perf_counter()
            self.infer(warm)
            times.append((time.perf_counter() - t0) * 1e3)
        self.warmup_runs = len(times)
        if times:
            log.info("TensorRT warm-up: first run %.1f ms, last %.1f ms", times[0], times[-1])

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        """Raw output; a view of the pinned output buffer, valid until the next call."""
        cuda, api = self._cuda, self._api
        shape = tuple(tensor.shape)
        self._gpu.ctx.push()  # any thread: the pipeline infers on its detect thread
        try:
            if shape != self._shape:
                if not api.set_input_shape(shape):
                    raise AxolotlError(
                        f"input shape {shape} is outside the engine's profile; rebuild it (scripts/build_trt.py --min-size) or use another input_size"
                    )
                self._shape, self._out_shape = shape, api.output_shape()
            h_in = self._h_in[: tensor.size]
            h_in.reshape(shape)[...] = tensor
            h_out = self._h_out[: int(np.prod(self._out_shape))]
            cuda.memcpy_htod_async(self._d_in, h_in, self._stream)
            if not api.execute(self._stream):
                raise AxolotlError(
                    "TensorRT failed to enqueue the inference (see its log); rebuild the engine with scripts/build_trt.py"
                )
            cuda.memcpy_dtoh_async(h_out, self._d_out, self._stream)
            self._stream.synchronize()
        finally:
            self._gpu.ctx.pop()
        # A copy: the pipeline decodes on another thread while the next frame reuses the pinned buffer.
        return h_out.reshape(self._out_shape).copy()

    def close(self) -> None:
        if self._gpu is None or self._gpu.ctx is None:
            return
        if hasattr(self, "_d_in"):
            with self._gpu:
                self._d_in.free()
                self._d_out.free()
                del self.context, self.engine
        self._gpu.close()
