"""Is the view good enough? The `calibrate` command's warning about players too small to find."""

from __future__ import annotations

import numpy as np

from edge_app.positions.camera import CalibratedScale
from edge_app.vision.tiles import row_profile

STANDARD_SIZES = ((1280, 720), (1920, 1080), (2560, 1440), (3840, 2160))


def view_warning(calibration, frame_size: tuple[int, int] | None = None, *, min_person_px: float = 40.0) -> str | None:
    """One line when the smallest player on the visible pitch is under `min_person_px` tall, else None.

    Under ~40 px a player has too few pixels to be found even zoomed (the zoom upsamples, it
    adds no detail). Without the frame size (a calibration fitted from tapped points only), the
    smallest standard video size that holds every tapped point is assumed.
    """
    size = frame_size or calibration.image_size
    if size is None:
        pts = calibration.image_points
        fits = [s for s in STANDARD_SIZES if len(pts) and pts[:, 0].max() < s[0] and pts[:, 1].max() < s[1]]
        if not fits:
            return None
        size = fits[0]
    scale = CalibratedScale(calibration, tuple(size), margin_m=0.0)
    _, h_min, *_ = row_profile(scale, tuple(size))
    finite = h_min[np.isfinite(h_min) & (h_min > 0)]
    if not len(finite) or finite.min() >= min_person_px:
        return None
    return (
        f"players on the far side of the pitch are only {finite.min():.0f} px tall in this {size[0]}x{size[1]} view "
        f"(under {min_person_px:.0f} px, too small to be found even zoomed): mount the camera higher or nearer, "
        f"zoom the lens in, or record in 4K"
    )
