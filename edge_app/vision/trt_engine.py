"""Build-or-load TensorRT engines from YOLO ONNX files (scripts/build_trt.py and the `tensorrt` backend).

An engine only runs on the TensorRT version and GPU that built it, so its file name carries
both (plus precision and input size), and a sidecar JSON records what it was built from.
An engine whose sidecar does not match is rebuilt, never loaded. The sidecar also keeps the
ONNX's Ultralytics metadata (class names, keypoint shape), which the engine loses.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Iterator

import numpy as np

from edge_app.errors import AxolotlError, first_line
from edge_app.models import sha256_of
from edge_app.timeutil import utc_now_iso
from edge_app.vision.detectors.yolo import PAD_VALUE, STRIDE, Letterbox, layout_from
from edge_app.vision.sample_frames import even_frames, video_lengths

log = logging.getLogger(__name__)

INSTALL_TRT = (
    "TensorRT's Python package is missing: on a Jetson install JetPack (`sudo apt install nvidia-jetpack`, "
    "then use the system python3 or a venv with --system-site-packages); on a NUC with an NVIDIA GPU "
    "`pip install tensorrt`; or use detector type='onnxruntime'"
)
INSTALL_PYCUDA = (
    "pycuda is missing: `pip install pycuda` (needs the CUDA toolkit: JetPack on a Jetson, "
    "the NVIDIA driver + CUDA on a NUC); or use detector type='onnxruntime'"
)
# Checked on every load; the rest of the key only where the engine's name was derived from the options.
COMPAT = ("onnx_sha256", "tensorrt", "gpu")
KEY = (*COMPAT, "precision", "input_size", "dla_core", "min_size", "max_batch")


def import_tensorrt():
    try:
        import tensorrt as trt
    except (ImportError, OSError):  # OSError: the wheel is there but libnvinfer is not
        raise AxolotlError(INSTALL_TRT) from None
    return trt


class CudaDevice:
    """One GPU through pycuda, on its *primary* context, pushed around each use (`with gpu as cuda:`).

    pycuda rather than cuda-python: the product card names it, and it gives page-locked numpy
    arrays and async copies in one call each (cuda-python returns error tuples to unpack at
    every call). Not `pycuda.autoinit`: that makes a new context current on the importing
    thread only, while the pipeline infers on its detect thread; the primary context is the
    one TensorRT's runtime uses too, and pushing it works from any thread.
    """

    def __init__(self, index: int = 0):
        try:
            import pycuda.driver as cuda
        except (ImportError, OSError):
            raise AxolotlError(INSTALL_PYCUDA) from None
        try:
            cuda.init()
            device = cuda.Device(index)
            self.name = device.name()
            self.ctx = device.retain_primary_context()
        except cuda.Error as exc:
            raise AxolotlError(
                f"no usable CUDA GPU {index} ({first_line(exc, 160)}); check the NVIDIA driver with nvidia-smi, or use detector type='onnxruntime'"
            ) from None
        self.cuda = cuda

    def __enter__(self):
        self.ctx.push()
        return self.cuda

    def __exit__(self, *exc) -> None:
        self.ctx.pop()

    def close(self) -> None:
        if self.ctx is not None:
            self.ctx.detach()
            self.ctx = None


@dataclass(frozen=True)
class BuildOptions:
    precision: str = "fp16"  # fp16 | int8 | fp32
    input_size: int = 1280  # the letterbox size: the profile's opt and max height/width
    min_size: int = STRIDE  # smallest side the profile accepts (rect letterbox of wide frames)
    max_batch: int = 1
    workspace_mb: int = 1024
    dla_core: int | None = None
    calib_videos: tuple[str, ...] = ()
    calib_frames: int = 256
    calib_batch: int = 1
    calib_cache: str | None = None  # default: beside the engine, named after the ONNX hash and size


def sanitize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or "gpu"


def engine_file_name(onnx_path: Path, trt_version: str, gpu: str, opts: BuildOptions) -> str:
    precision = opts.precision + (f"-dla{opts.dla_core}" if opts.dla_core is not None else "")
    return f"{onnx_path.stem}_trt{trt_version}_{sanitize(gpu)}_{precision}_{opts.input_size}.engine"


def sidecar_path(engine_path: Path) -> Path:
    return engine_path.with_name(engine_path.name + ".json")


def read_sidecar(engine_path: Path) -> dict | None:
    try:
        return json.loads(sidecar_path(engine_path).read_text())
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def stale_reason(engine_path: Path, key: dict, fields=KEY) -> str | None:
    """Why the engine at `engine_path` must be rebuilt, or None if it can be loaded."""
    if not engine_path.exists():
        return "missing"
    meta = read_sidecar(engine_path)
    if meta is None:
        return f"its sidecar {sidecar_path(engine_path).name} is missing or unreadable"
    for f in fields:
        if meta.get(f) != key[f]:
            return f"built for {f}={meta.get(f)!r}, now {key[f]!r}"
    return None


def profile_shapes(shape: tuple, opts: BuildOptions) -> tuple[tuple, tuple, tuple]:
    """(min, opt, max) for an NCHW input whose -1 dims are dynamic; static dims stay as they are."""
    size = opts.input_size
    ranges = [(1, 1, opts.max_batch), None, (opts.min_size, size, size), (opts.min_size, size, size)]
    dims = [(d, d, d) if d != -1 else ranges[i] for i, d in enumerate(shape)]
    if any(r is None for r in dims):
        raise AxolotlError(f"input shape {shape} has a dynamic channel count; export the model with 3 input channels")
    return tuple(zip(*dims))


def onnx_metadata(onnx_path: Path) -> tuple[dict, tuple]:
    """The Ultralytics metadata and output shape, read with ONNX Runtime (an app dependency)."""
    import onnxruntime as ort

    try:
        sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises several types for bad files
        raise AxolotlError(
            f"cannot read model {onnx_path} ({first_line(exc, 160)}); restore it or re-export with scripts/export_onnx.py"
        ) from None
    meta = sess.get_modelmeta().custom_metadata_map
    out_shape = tuple(sess.get_outputs()[0].shape)
    layout_from(out_shape, meta)  # fail now, not after minutes of building, if it is no YOLO head
    keep = {k: meta[k] for k in ("task", "names", "kpt_shape", "stride", "imgsz") if k in meta}
    return keep, out_shape


def calibration_frames(videos, count: int, size: int) -> Iterator[np.ndarray]:
    """`count` frames drawn evenly over all the videos (the centres of equal slices), letterboxed
    by the detector's own Letterbox and padded to size×size (the calibration profile's shape).

    A generator: nothing is opened until TensorRT asks for the first batch, so a build that
    reuses a calibration cache never touches the videos.
    """
    lb = Letterbox(size)
    pad = np.float32(PAD_VALUE) * np.float32(1 / 255)
    for frame in even_frames(videos, count, option="--calib-video"):
        t = lb(frame)[0]
        if t.shape[1:] != (size, size):  # Letterbox never upscales past 2x: pad small videos
            out = np.full((3, size, size), pad, np.float32)
            y, x = (size - t.shape[1]) // 2, (size - t.shape[2]) // 2
            out[:, y : y + t.shape[1], x : x + t.shape[2]] = t
            t = out
        yield t.copy()  # Letterbox reuses its buffer


def make_calibrator(trt, cuda, frames: Iterator[np.ndarray], batch: int, size: int, cache_path: Path):
    """An entropy calibrator (v2: the one DLA needs) fed from `frames`, with a kept cache file."""

    class FrameCalibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self):
            trt.IInt8EntropyCalibrator2.__init__(self)  # pybind11 needs the base initialised
            self.fed = 0
            self._host = np.empty((batch, 3, size, size), np.float32)
            self._device = None  # allocated on the first batch: a cache hit needs no GPU memory

        def get_batch_size(self):
            return batch

        def get_batch(self, names):
            chunk = list(islice(frames, batch))
            if len(chunk) < batch:  # TensorRT wants full batches; the tail is dropped
                return None
            self._host[...] = chunk
            if self._device is None:
                self._device = cuda.mem_alloc(self._host.nbytes)
            cuda.memcpy_htod(self._device, self._host)
            self.fed += batch
            return [int(self._device)]

        def read_calibration_cache(self):
            if cache_path.exists():
                log.info("using calibration cache %s", cache_path)
                return cache_path.read_bytes()
            return None

        def write_calibration_cache(self, cache):
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            cache_path.write_bytes(bytes(cache))
            log.info("calibration cache written to %s (%d frames)", cache_path, self.fed)

    return FrameCalibrator()


def build_engine(trt, gpu: CudaDevice, onnx_path: Path, engine_path: Path, opts: BuildOptions, key: dict) -> dict:
    """Build, write the engine and its sidecar; returns the sidecar."""
    metadata, _ = onnx_metadata(onnx_path)
    if opts.precision not in ("fp16", "int8", "fp32"):
        raise AxolotlError(f"unknown precision '{opts.precision}'; use fp16, int8 or fp32")
    cache = (
        Path(opts.calib_cache)
        if opts.calib_cache
        else engine_path.parent / f"{onnx_path.stem}_{key['onnx_sha256'][:12]}_{opts.input_size}.calib"
    )
    if opts.precision == "int8" and not cache.exists():
        if not opts.calib_videos:
            raise AxolotlError(
                f"int8 needs calibration frames: pass your own videos (--calib-video / calib_videos), or a calibration cache ({cache} does not exist)"
            )
        for v in opts.calib_videos:
            if not Path(v).is_file():
                raise AxolotlError(f"calibration video not found: {v}; check the path")
        video_lengths(
            opts.calib_videos, "--calib-video"
        )  # now: an exception inside TensorRT's callback would lose its message
    t0 = time.monotonic()
    with gpu as cuda:
        logger = trt.Logger(trt.Logger.WARNING)
        builder = trt.Builder(logger)
        # TensorRT 10 only has explicit batch (the flag is deprecated); 8.x needs it asked for.
        major = int(trt.__version__.split(".")[0])
        network = builder.create_network(
            0 if major >= 10 else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
        )
        parser = trt.OnnxParser(network, logger)
        if not parser.parse_from_file(str(onnx_path)):
            errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
            raise AxolotlError(
                f"TensorRT cannot parse {onnx_path.name} ({errors[:200]}); re-export it with scripts/export_onnx.py"
            )
        if network.num_inputs != 1 or network.num_outputs != 1:
            raise AxolotlError(
                f"{onnx_path.name} has {network.num_inputs} inputs and {network.num_outputs} outputs; a YOLO export has one of each"
            )
        inp = network.get_input(0)
        config = builder.create_builder_config()
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, opts.workspace_mb << 20)
        shapes = profile_shapes(tuple(inp.shape), opts)
        if -1 in tuple(inp.shape):
            profile = builder.create_optimization_profile()
            profile.set_shape(inp.name, *shapes)
            config.add_optimization_profile(profile)
        if opts.precision in ("fp16", "int8"):
            if not builder.platform_has_fast_fp16:
                log.warning("this GPU has no fast fp16; the engine will be slow (use fp32 or another GPU)")
            config.set_flag(trt.BuilderFlag.FP16)  # int8 too: layers that do not quantize fall back to fp16
        calibrator = None
        if opts.precision == "int8":
            config.set_flag(trt.BuilderFlag.INT8)
            shape = (opts.calib_batch, 3, opts.input_size, opts.input_size)
            cal_profile = builder.create_optimization_profile()
            cal_profile.set_shape(inp.name, shape, shape, shape)  # calibration runs at this one shape
            config.set_calibration_profile(cal_profile)
            frames = calibration_frames(opts.calib_videos, opts.calib_frames, opts.input_size)
            calibrator = make_calibrator(trt, cuda, frames, opts.calib_batch, opts.input_size, cache)
            config.int8_calibrator = calibrator
        if opts.dla_core is not None:
            cores = builder.num_DLA_cores
            if not 0 <= opts.dla_core < cores:
                raise AxolotlError(
                    f"DLA core {opts.dla_core} does not exist on this device ({cores} DLA cores; only Jetson AGX/NX Orin have them); drop --dla-core / dla_core"
                )
            if opts.precision == "fp32":
                raise AxolotlError("DLA runs fp16 or int8 only; use precision fp16 or int8 with a DLA core")
            config.default_device_type = trt.DeviceType.DLA
            config.DLA_core = opts.dla_core
            config.set_flag(trt.BuilderFlag.GPU_FALLBACK)  # layers DLA cannot run go to the GPU
        serialized = builder.build_serialized_network(network, config)
        if serialized is None:
            raise AxolotlError(
                f"TensorRT could not build an engine from {onnx_path.name} (its log is above); try a larger --workspace-mb or precision fp16"
            )
    engine_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = engine_path.with_name(engine_path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(serialized)
    os.replace(tmp, engine_path)  # never leave a half-written engine under the real name
    meta = {
        **key,
        "onnx": str(onnx_path),
        "input": inp.name,
        "workspace_mb": opts.workspace_mb,
        "profile": {"min": list(shapes[0]), "opt": list(shapes[1]), "max": list(shapes[2])},
        "calibration": {"cache": str(cache), "frames_fed": calibrator.fed} if calibrator else None,
        "metadata": metadata,
        "build_seconds": round(time.monotonic() - t0, 1),
        "built_at": utc_now_iso("seconds"),
    }
    sidecar_path(engine_path).write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def ensure_engine(
    trt,
    gpu: CudaDevice,
    onnx_path: Path,
    opts: BuildOptions,
    *,
    engine: str | Path | None = None,
    engine_dir: str | Path | None = None,
    build: bool = True,
    force: bool = False,
) -> tuple[Path, dict, bool]:
    """The engine for `onnx_path` on this TensorRT and GPU: loaded if its sidecar matches, else built.

    With an explicit `engine` path only the compatibility (TensorRT, GPU, ONNX hash) is checked,
    and its own precision and size are used; a derived path must match every option.
    Returns (path, sidecar, built).
    """
    key = {
        "onnx_sha256": sha256_of(onnx_path),
        "tensorrt": trt.__version__,
        "gpu": gpu.name,
        "precision": opts.precision,
        "input_size": opts.input_size,
        "dla_core": opts.dla_core,
        "min_size": opts.min_size,
        "max_batch": opts.max_batch,
    }
    if engine is not None:
        path, fields = Path(engine).expanduser(), COMPAT
    else:
        path, fields = (
            Path(engine_dir or onnx_path.parent) / engine_file_name(onnx_path, trt.__version__, gpu.name, opts),
            KEY,
        )
    reason = "a rebuild was asked for" if force else stale_reason(path, key, fields)
    if reason is None:
        return path, read_sidecar(path), False
    if not build:
        raise AxolotlError(
            f"TensorRT engine {path} cannot be used ({reason}); build it with scripts/build_trt.py or set build = true"
        )
    log.warning("building TensorRT engine %s (%s); this takes minutes, once", path.name, reason)
    return path, build_engine(trt, gpu, onnx_path, path, opts, key), True
