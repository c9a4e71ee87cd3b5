"""Pure, vectorized geometry. Every function broadcasts over leading axes.

Units are in the names: ``_deg`` degrees, ``_m`` metres. Image vectors must already be in
isotropic units (see :func:`image_xy_to_isotropic`): on a 16:9 frame a 45° segment measured
on raw normalized x,y reads 60°.
"""

from __future__ import annotations

import numpy as np

_RAD2DEG = 180.0 / np.pi


def image_xy_to_isotropic(image_xy: np.ndarray, aspect: float) -> np.ndarray:
    """(..., 2) normalized image x,y -> (..., 2) in units of image height (x scaled by W/H)."""
    return np.multiply(image_xy, (aspect, 1.0), dtype=np.float64)


def angle_between_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unsigned angle between vectors u and v, (..., D) -> (...,) degrees in [0, 180]."""
    dot = np.add.reduce(u * v, axis=-1)
    norms = np.sqrt(np.add.reduce(u * u, axis=-1) * np.add.reduce(v * v, axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = dot / norms
    # minimum/maximum rather than np.clip: same result, a fraction of the call overhead,
    # which is what counts on the live path (one frame per call).
    return np.arccos(np.minimum(np.maximum(cos, -1.0), 1.0)) * _RAD2DEG


def angle_at_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The angle ∠abc at vertex b, (..., D) points -> (...,) degrees in [0, 180]."""
    return angle_between_deg(a - b, c - b)


def flexion_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Joint flexion at b: 180° − ∠abc, so 0° is a straight limb."""
    return 180.0 - angle_at_deg(a, b, c)


def from_vertical_deg(p_from: np.ndarray, p_to: np.ndarray) -> np.ndarray:
    """Angle of the image segment p_from→p_to away from straight up, (..., 2) -> (...,) deg.

    Image y points down, so "up" is (0, -1). 0° = vertical pointing up, 90° = horizontal,
    180° = pointing down. Inputs must be isotropic image coordinates.
    """
    d = p_to - p_from
    # The angle to (0, -1): atan2(|x|, −y). One call instead of a general angle_between.
    return np.degrees(np.arctan2(np.abs(d[..., 0]), -d[..., 1]))


def from_horizontal_deg(p_from: np.ndarray, p_to: np.ndarray) -> np.ndarray:
    """Unsigned tilt of the image line through p_from, p_to from horizontal, (..., 2) -> deg in [0, 90]."""
    d = p_to - p_from  # (arctan2 raises no floating-point warning, NaN included)
    return np.degrees(np.arctan2(np.abs(d[..., 1]), np.abs(d[..., 0])))


def signed_tilt_deg(p_left: np.ndarray, p_right: np.ndarray) -> np.ndarray:
    """Signed tilt of the image line p_left→p_right, (..., 2) -> deg in (-90, 90].

    Positive when p_left sits lower in the image (larger y) than p_right, whichever of the
    two is further left in the picture.
    """
    d = p_right - p_left
    return np.degrees(np.arctan2(-d[..., 1], np.abs(d[..., 0])))


def norm_m(v: np.ndarray) -> np.ndarray:
    """Euclidean length of (..., D) vectors."""
    return np.sqrt(np.einsum("...i,...i->...", v, v))
