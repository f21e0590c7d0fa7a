"""Reading models with OpenVINO, shared by its detector backend and the int8 builder (quantize.py)."""

from __future__ import annotations

from edge_app.errors import AxolotlError

INSTALL = (
    "OpenVINO is not installed: `pip install 'axolotl-edge[intel]'` (x86-64; scripts/install.sh does it on "
    "a NUC), or use detector type='onnxruntime'"
)


def import_openvino():
    try:
        import openvino as ov
    except ImportError:
        raise AxolotlError(INSTALL) from None
    return ov


def ov_error(exc: BaseException, limit: int = 160) -> str:
    """OpenVINO's message without its "Exception from src/...cpp:N:" lines."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip() and not ln.startswith("Exception from")]
    return (lines[0] if lines else type(exc).__name__)[:limit]


def metadata_of(model) -> dict[str, str]:
    """The Ultralytics metadata the ONNX carried (OpenVINO keeps it in rt_info, and in a saved IR)."""
    if not model.has_rt_info(["framework"]):
        return {}
    keys = model.get_rt_info()["framework"].keys()
    return {k: model.get_rt_info(["framework", k]).astype(str) for k in keys}


def with_dynamic_batch(model) -> None:
    """Make the input's batch axis dynamic (a fixed-batch export too); height and width stay as exported."""
    ov = import_openvino()
    shape = model.input(0).get_partial_shape()
    if shape.rank.is_dynamic or shape.rank.get_length() != 4:
        raise AxolotlError(
            f"the model's input has shape {shape}; a YOLO detector takes (N, 3, H, W): re-export it with scripts/export_onnx.py"
        )
    if shape[0].is_static:
        model.reshape({model.input(0).get_any_name(): ov.PartialShape([-1, shape[1], shape[2], shape[3]])})


def dims(partial_shape) -> tuple:
    """A partial shape as a tuple: ints where static, None where dynamic (layout_from's convention)."""
    return tuple(d.get_length() if d.is_static else None for d in partial_shape)
