"""Detector backends, one module per backend (Frigate-style plugins), found by `registry`.

`create_detector(config)` builds the backend the config's `type` names; `base.DetectorBackend`
is the interface every backend implements.
"""

from __future__ import annotations

from edge_app.vision.detectors.base import DetectorBackend, ModelInfo
from edge_app.vision.detectors.registry import available, create_detector, register

__all__ = ["DetectorBackend", "ModelInfo", "create_detector", "register", "available"]
