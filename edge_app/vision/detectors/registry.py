"""Which backend a detector config's `type` names: discovery and lookup (Frigate's `detector_types`).

Every module of this package that is not the registry's own machinery (`base`, `yolo`, this one)
is a backend plugin: `discover()` imports each, and each registers its class with `@register(Config)`,
where `Config` is the backend's own config model (`type: Literal["name"]`, on `base.DetectorConfigBase`):
edge_app.config builds the [detector] section's union from `config_models()`.
A plugin imports only this module and `base`; nothing here imports a plugin by name, so adding a
backend is adding a module. Importing a plugin must not import its heavy runtime (TensorRT, CUDA)
until it is used, so every backend can be registered everywhere.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Callable, get_args

from edge_app.errors import AxolotlError
from edge_app.vision.detectors.base import DetectorBackend, DetectorConfigBase

_PACKAGE = __name__.rpartition(".")[0]
_PATH = Path(__file__).parent
_NOT_PLUGINS = frozenset({"base", "registry", "yolo"})
_REGISTRY: dict[str, Callable[..., DetectorBackend]] = {}
_discovered = False


def register(config_model: type[DetectorConfigBase]):
    """Class decorator: the backend built for `config_model`, whose `type: Literal["name"]` is its key."""
    (type_key,) = get_args(config_model.model_fields["type"].annotation)

    def wrap(cls):
        cls.type_key, cls.config_model = type_key, config_model
        _REGISTRY[type_key] = cls
        return cls

    return wrap


def discover() -> None:
    """Import every plugin module of the package once (importing registers them)."""
    global _discovered
    if _discovered:
        return
    for module in pkgutil.iter_modules([str(_PATH)]):
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


def config_models(default: str = "onnxruntime") -> dict[str, type[DetectorConfigBase]]:
    """{type: the backend's config model}, `default` first (the union's order is its error messages' order)."""
    discover()
    order = sorted(_REGISTRY, key=lambda key: (key != default, key))
    return {key: _REGISTRY[key].config_model for key in order}


def available() -> list[str]:
    discover()
    return sorted(_REGISTRY)
