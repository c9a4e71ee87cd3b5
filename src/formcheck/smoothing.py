"""Causal One Euro filtering of landmarks (Casiez, Roussel & Vogel, CHI 2012).

The filter is a first-order low-pass whose cutoff rises with speed: still landmarks are
smoothed hard (jitter at rest disappears), moving ones follow with little lag. It is causal
(each output uses only past and present input), so live and offline runs agree.

Parameters, per filter:
- ``min_cutoff_hz``: cutoff at rest. Lower = smoother and laggier at rest.
- ``beta``: how fast the cutoff rises with speed, in 1 / (unit/s) of the filtered values
  (unit = normalized image size for image coordinates, metres for world coordinates).
- ``d_cutoff_hz``: cutoff of the low-pass applied to the speed estimate itself.

The Tasks API does no temporal smoothing of its own (the legacy API did), hence this stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.pose.frame import PoseFrame

_TWO_PI = 2.0 * np.pi


@dataclass(frozen=True, slots=True)
class OneEuroParams:
    min_cutoff_hz: float = 1.0
    beta: float = 1.0
    d_cutoff_hz: float = 1.0


class OneEuroFilter:
    """Vectorized One Euro filter over an array of any fixed shape.

    NaN inputs pass through as NaN and restart the filter for those elements, so a
    landmark that disappears and comes back is not dragged from its old position.
    """

    def __init__(self, params: OneEuroParams = OneEuroParams()) -> None:
        self.p = params
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def reset(self) -> None:
        self._x = self._dx = None
        self._t = None

    def __call__(self, x: np.ndarray, t_s: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or t_s <= self._t:
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            self._t = t_s
            return self._x.copy()
        dt = t_s - self._t
        self._t = t_s
        prev = self._x
        fresh = np.isnan(prev)  # elements restarting after a gap
        dx = (x - prev) / dt
        a_d = 1.0 / (1.0 + 1.0 / (_TWO_PI * self.p.d_cutoff_hz * dt))
        dx_hat = a_d * dx + (1.0 - a_d) * self._dx
        cutoff = self.p.min_cutoff_hz + self.p.beta * np.abs(dx_hat)
        a = 1.0 / (1.0 + 1.0 / (_TWO_PI * cutoff * dt))
        x_hat = a * x + (1.0 - a) * prev
        if fresh.any():
            x_hat = np.where(fresh, x, x_hat)
            dx_hat = np.where(fresh, 0.0, dx_hat)
        # NaN inputs yield NaN outputs; their state restarts on the next finite value.
        self._x = x_hat
        self._dx = np.nan_to_num(dx_hat)
        return x_hat


@dataclass(frozen=True, slots=True)
class SmoothingConfig:
    image: OneEuroParams = OneEuroParams(min_cutoff_hz=1.0, beta=2.0, d_cutoff_hz=1.0)
    world: OneEuroParams = OneEuroParams(min_cutoff_hz=1.0, beta=2.0, d_cutoff_hz=1.0)
    enabled: bool = True


class LandmarkSmoother:
    """Smooths a PoseFrame's image and world landmarks; restarts when the person changes."""

    def __init__(self, config: SmoothingConfig = SmoothingConfig()) -> None:
        self.config = config
        self._image = OneEuroFilter(config.image)
        self._world = OneEuroFilter(config.world)

    def reset(self) -> None:
        self._image.reset()
        self._world.reset()

    def __call__(self, frame: PoseFrame) -> PoseFrame:
        if not self.config.enabled:
            return frame
        if frame.identity_jump or not frame.has_person:
            self.reset()
            if not frame.has_person:
                return frame
        return PoseFrame(
            frame.t_s,
            self._image(frame.image_xy, frame.t_s),
            self._world(frame.world_xyz, frame.t_s),
            frame.visibility,
            frame.presence,
            frame.n_people,
            frame.identity_jump,
        )
