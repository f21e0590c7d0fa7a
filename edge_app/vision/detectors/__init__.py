"""Detector backends: a registry keyed by the config's `type` (Frigate-style plugins).

Each backend lives in its own module and registers itself; `create_detector(config)`
builds the one the config names. Importing a backend module must not import its heavy
runtime (TensorRT, CUDA) until it is used, so every backend can be registered everywhere.
"""

from __future__ import annotations

from typing import Callable

from edge_app.errors import AxolotlError
from edge_app.vision.detectors.base import DetectorBackend, ModelInfo

_REGISTRY: dict[str, Callable[..., DetectorBackend]] = {}


def register(type_key: str):
    def wrap(cls):
        cls.type_key = type_key
        _REGISTRY[type_key] = cls
        return cls

    return wrap


def create_detector(config) -> DetectorBackend:
    try:
        factory = _REGISTRY[config.type]
    except KeyError:
        raise AxolotlError(f"unknown detector type '{config.type}'; choose one of {sorted(_REGISTRY)}") from None
    return factory(config)


def available() -> list[str]:
    return sorted(_REGISTRY)


# Importing registers them.
from edge_app.vision.detectors import onnxruntime as _ort  # noqa: E402,F401
from edge_app.vision.detectors import tensorrt as _trt  # noqa: E402,F401

__all__ = ["DetectorBackend", "ModelInfo", "create_detector", "register", "available"]
