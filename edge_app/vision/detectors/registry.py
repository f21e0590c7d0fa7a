"""Which backend a detector config's `type` names: discovery and lookup (Frigate's `detector_types`).

Every module of this package that is not the registry's own machinery (`base`, `yolo`, this one)
is a backend plugin: `discover()` imports each, and each registers its class with `@register(type)`.
A plugin imports only this module and `base`; nothing here imports a plugin by name, so adding a
backend is adding a module. Importing a plugin must not import its heavy runtime (TensorRT, CUDA)
until it is used, so every backend can be registered everywhere.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Callable

from edge_app.errors import AxolotlError
from edge_app.vision.detectors.base import DetectorBackend

_PACKAGE = __name__.rpartition(".")[0]
_NOT_PLUGINS = frozenset({"base", "registry", "yolo"})
_REGISTRY: dict[str, Callable[..., DetectorBackend]] = {}
_discovered = False


def register(type_key: str):
    """Class decorator: the backend built for configs with `type = type_key`."""

    def wrap(cls):
        cls.type_key = type_key
        _REGISTRY[type_key] = cls
        return cls

    return wrap


def discover() -> None:
    """Import every plugin module of the package once (importing registers them)."""
    global _discovered
    if _discovered:
        return
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name not in _NOT_PLUGINS and not module.name.startswith("_"):
            importlib.import_module(f"{_PACKAGE}.{module.name}")
    _discovered = True


def create_detector(config) -> DetectorBackend:
    """The backend the config's `type` names, built from that config."""
    discover()
    try:
        factory = _REGISTRY[config.type]
    except KeyError:
        raise AxolotlError(f"unknown detector type '{config.type}'; choose one of {sorted(_REGISTRY)}") from None
    return factory(config)


def available() -> list[str]:
    discover()
    return sorted(_REGISTRY)
