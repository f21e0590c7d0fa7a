"""OpenVINO backend: Intel's runtime for the NUC's CPU, integrated GPU and NPU.

`device` and `precision` are hints OpenVINO may not follow (a missing device, a CPU that computes
f16 as bf16), so `info.providers` reports what the compiled model really runs, as
"DEVICE/precision" (e.g. "CPU/int8"), and a request that was not met is one warning line.
int8 loads the NNCF model built from the club's own video (edge_app/vision/quantize.py) and
refuses, with the reason, when it is missing, stale or failed its accuracy check.

Batches: the input's batch axis is made dynamic (`model.reshape`), so `infer` takes
(N, 3, H, W) tiles in one call, like ONNX Runtime with a dynamic-batch export.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
from pydantic import Field

from edge_app.errors import AxolotlError
from edge_app.models import resolve_model
from edge_app.vision.detectors.base import DetectorBackend, DetectorConfigBase, ModelInfo
from edge_app.vision.detectors.registry import register
from edge_app.vision.detectors.yolo import Letterbox, layout_from
from edge_app.vision.ov_model import dims, import_openvino, metadata_of, ov_error, with_dynamic_batch

log = logging.getLogger(__name__)

# The precision hint OpenVINO is given for the layers it computes in floating point; int8 keeps
# the layers NNCF left unquantised (the head's output and its box and keypoint decoding) in f32.
FLOAT_HINT = {"f32": "f32", "f16": "f16", "bf16": "bf16", "int8": "f32"}


def compile_for(core, model, device: str, config):
    """Compile with the precision hint (the CPU and GPU take it; AUTO hands it on) and, on the CPU, the threads."""
    props = {"PERFORMANCE_HINT": "LATENCY"}
    if device != "NPU":  # the NPU computes f16 and int8 whatever it is told
        props["INFERENCE_PRECISION_HINT"] = FLOAT_HINT[config.precision]
    if device == "CPU":
        # Pinned threads cannot dodge the box's other threads (capture, tracking, pose): unpinned ran
        # 344 ms against 434 pinned at 640 on the 2 shared cores here (ONNX Runtime does not pin either).
        props["ENABLE_CPU_PINNING"] = False
        if config.threads:
            props["INFERENCE_NUM_THREADS"] = config.threads
    return core.compile_model(model, device, props)


def precisions(compiled) -> dict[str, str]:
    """{device: floating-point precision it really computes in}, for one device or each AUTO picked."""
    devices = list(compiled.get_property("EXECUTION_DEVICES"))
    try:
        per_device = {devices[0]: compiled.get_property("INFERENCE_PRECISION_HINT")}
    except RuntimeError:  # AUTO answers per device
        per_device = compiled.get_property("DEVICE_PROPERTIES")
        per_device = {d: per_device.get(d, {}).get("INFERENCE_PRECISION_HINT") for d in devices}
    return {d: p.get_type_name() if p is not None else "?" for d, p in per_device.items()}


def pick_device(core, wanted: str) -> str:
    """`wanted` if this machine has it (AUTO always), else CPU, said in one line."""
    have = core.available_devices
    if wanted == "AUTO" or any(d.split(".")[0] == wanted for d in have):
        return wanted
    log.warning(
        "OpenVINO device %s is not on this machine (have %s); running on CPU", wanted, ", ".join(have) or "none"
    )
    return "CPU"


class OpenVINODetectorConfig(DetectorConfigBase):
    type: Literal["openvino"]
    # A device this machine lacks falls back to the CPU (one warning line); AUTO lets OpenVINO choose.
    device: Literal["CPU", "GPU", "NPU", "AUTO"] = "CPU"
    # int8 runs the NNCF model quantised on your own video (`axolotl-edge models quantize`, or built
    # at start from calib_videos); it is refused unless its accuracy check against f32 passed.
    precision: Literal["f32", "f16", "bf16", "int8"] = "f32"
    threads: int = Field(0, ge=0, description="inference threads; 0 lets OpenVINO decide")
    int8_dir: str | None = None  # the int8 model cache; default: models/ in the data folder
    calib_videos: list[str] = []  # int8: rebuild from these when the cached model is missing or stale
    calib_frames: int = Field(300, ge=20, le=1000)


@register(OpenVINODetectorConfig)
class OpenVINODetector(DetectorBackend):
    def __init__(self, config):
        ov = import_openvino()
        onnx_path, entry = resolve_model(config.model)
        core = ov.Core()
        if config.precision == "int8":
            from edge_app.vision.quantize import ensure_int8  # only int8 needs the cache (and NNCF to rebuild it)

            path = ensure_int8(onnx_path, config)
        else:
            path = onnx_path
        try:
            model = core.read_model(str(path))
        except RuntimeError as exc:
            raise AxolotlError(
                f"OpenVINO cannot read model {path} ({ov_error(exc)}); restore it or re-export with scripts/export_onnx.py"
            ) from None
        device = pick_device(core, config.device)
        if device == "NPU":
            # The NPU compiles static shapes only: one square tensor per call (not tested here: no NPU).
            model.reshape({model.input(0).get_any_name(): [1, 3, config.input_size, config.input_size]})
        else:
            with_dynamic_batch(model)
        try:
            self.compiled = compile_for(core, model, device, config)
        except RuntimeError as exc:
            if device == "CPU":
                raise AxolotlError(
                    f"OpenVINO cannot compile {path.name} for CPU ({ov_error(exc)}); use detector type='onnxruntime'"
                ) from None
            log.warning("OpenVINO cannot use device %s (%s); running on CPU", device, ov_error(exc, 120))
            device = "CPU"
            if model.input(0).get_partial_shape()[0].is_static:
                with_dynamic_batch(model)
            self.compiled = compile_for(core, model, device, config)
        self.request = self.compiled.create_infer_request()

        wanted = FLOAT_HINT[config.precision]
        ran = precisions(self.compiled)
        for dev, p in ran.items():
            if p != wanted:
                log.warning("OpenVINO on %s computes %s as %s here", dev, wanted, p)
        devices = "+".join(ran)  # what AUTO chose
        precision = "int8" if config.precision == "int8" else "+".join(sorted(set(ran.values())))
        self.device, self.precision = devices, precision

        inp = model.input(0).get_partial_shape()
        self.layout = layout_from(dims(model.output(0).get_partial_shape()), metadata_of(model))
        self.max_batch = None if inp[0].is_dynamic else inp[0].get_length()  # dynamic: any number of tiles in one call
        dynamic = inp[2].is_dynamic or inp[3].is_dynamic
        size = config.input_size
        if not dynamic and inp[2].get_length() != size:
            log.warning(
                "model %s has a fixed input size %s; ignoring input_size=%s", path.name, inp[2].get_length(), size
            )
            size = inp[2].get_length()
        self.letterbox = Letterbox(size, rect=dynamic)
        self.conf, self.iou = config.conf, config.iou
        self.classes = tuple(config.classes) if config.classes is not None else None
        self.info = ModelInfo(
            name=entry.name if entry else onnx_path.stem,
            task=self.layout.task,
            input_size=size,
            class_names=self.layout.class_names,
            num_keypoints=self.layout.num_keypoints or None,
            providers=(f"{devices}/{precision}",),
        )

    # OpenVINO's CPU plugin builds its kernels for each new input shape: +45 ms at a shape's first call
    # (int8, 2 cores here; again 26-121 ms), so live canvases come in 128 px steps, a few dozen shapes.
    shape_step = 128

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        """Raw output for (N, 3, H, W); a copy, since the request's buffer is reused by the next call."""
        self.request.infer({0: tensor}, share_inputs=True)
        return self.request.get_output_tensor(0).data.copy()
