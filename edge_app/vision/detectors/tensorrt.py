"""TensorRT engine backend (Jetson / NVIDIA NUC). The engine code lands with issue #7.

Registered here so configs can name it today and get a clear answer instead of a
KeyError; on a box without TensorRT it says what to install.
"""

from __future__ import annotations

from edge_app.errors import AxolotlError
from edge_app.vision.detectors import register
from edge_app.vision.detectors.base import DetectorBackend


@register("tensorrt")
class TensorRTDetector(DetectorBackend):
    def __init__(self, config):
        try:
            import tensorrt  # noqa: F401
        except ImportError:
            raise AxolotlError("detector type 'tensorrt' needs TensorRT (JetPack on Jetson, NVIDIA's tensorrt package on a NUC); "
                               "or use type='onnxruntime' with providers=['cuda'] or ['cpu']") from None
        raise AxolotlError("the TensorRT engine backend is not built yet (issue #7); use type='onnxruntime' with providers=['tensorrt'] meanwhile")

    def infer(self, tensor):  # pragma: no cover - unreachable until #7
        raise NotImplementedError
