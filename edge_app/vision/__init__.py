"""Vision: detection, tracking and pose, all speaking `Detections`."""

from edge_app.vision.detections import Detections

__all__ = ["Detections"]
