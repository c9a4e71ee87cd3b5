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
from formcheck.pose.landmarks import N_LANDMARKS

_TWO_PI = 2.0 * np.pi


@dataclass(frozen=True, slots=True)
class OneEuroParams:
    min_cutoff_hz: float = 1.0
    beta: float = 1.0
    d_cutoff_hz: float = 1.0


_TWO_PI_A = np.array(_TWO_PI)  # 0-d arrays: numpy broadcasts them far faster than Python floats
_ONE_A = np.array(1.0)


def one_euro_step(
    x: np.ndarray,
    prev: np.ndarray,
    dx_prev: np.ndarray,
    dx_out: np.ndarray,
    dt: np.ndarray | float,
    a_d: np.ndarray | float,
    one_minus_a_d: np.ndarray | float,
    min_cutoff: np.ndarray | float,
    beta: np.ndarray | float,
    out: np.ndarray,
    b1: np.ndarray,
    b2: np.ndarray,
) -> None:
    """One One Euro update, element-wise and in place: the single definition used by the
    live filter (:class:`LandmarkSmoother`) and by whole-trace smoothing
    (:mod:`formcheck.smoothing.batch`), so the two agree bit for bit. ``dx_out`` may be
    ``dx_prev``; ``b1``, ``b2`` are scratch buffers.

    dx = (x − prev)/dt; dx̂ = a_d·dx + (1 − a_d)·dx̂_prev; cutoff = min_cutoff + beta·|dx̂|;
    a = 1 / (1 + 1/(2π·cutoff·dt)); x̂ = a·x + (1 − a)·prev.
    """
    sub, mul, div, add = np.subtract, np.multiply, np.divide, np.add
    sub(x, prev, b1)
    div(b1, dt, b1)
    mul(b1, a_d, b1)
    mul(dx_prev, one_minus_a_d, b2)
    add(b1, b2, dx_out)
    np.absolute(dx_out, b1)
    mul(b1, beta, b1)
    add(b1, min_cutoff, b1)
    mul(b1, _TWO_PI_A, b1)
    mul(b1, dt, b1)
    div(_ONE_A, b1, b1)
    add(b1, _ONE_A, b1)
    div(_ONE_A, b1, b1)
    sub(_ONE_A, b1, b2)
    mul(b2, prev, b2)
    mul(b1, x, b1)
    add(b1, b2, out)


class _OneEuroCore:
    """One Euro state over a flat float64 vector with per-element parameters, stepped one
    frame at a time (:meth:`step`). The arithmetic is :func:`one_euro_step`, the textbook
    formula operation for operation, with preallocated buffers because a frame's 165 values
    make numpy's per-call overhead the whole cost.
    """

    __slots__ = ("_b1", "_b2", "beta", "d_cutoff", "d_scalar", "dx", "min_cutoff", "nan_state", "started", "t", "x")

    def __init__(self, min_cutoff: np.ndarray, beta: np.ndarray, d_cutoff: np.ndarray) -> None:
        self.min_cutoff = np.ascontiguousarray(min_cutoff, dtype=np.float64)
        self.beta = np.ascontiguousarray(beta, dtype=np.float64)
        self.d_cutoff = np.ascontiguousarray(d_cutoff, dtype=np.float64)
        # One shared derivative cutoff (the usual case) makes the derivative's smoothing
        # factor a scalar per frame.
        self.d_scalar: float | None = float(self.d_cutoff[0]) if np.all(self.d_cutoff == self.d_cutoff[0]) else None
        n = self.min_cutoff.shape[0]
        self.x = np.empty(n)  # previous output
        self.dx = np.empty(n)  # previous smoothed derivative
        self._b1 = np.empty(n)
        self._b2 = np.empty(n)
        self.reset()

    def reset(self) -> None:
        self.started = False
        self.t = 0.0
        self.nan_state = False

    def _begin(self, x: np.ndarray, t_s: float, out: np.ndarray) -> None:
        out[...] = x
        self.x[...] = x
        self.dx[...] = 0.0
        self.t = t_s
        self.started = True
        self.nan_state = bool(np.isnan(x).any())

    def _a_d(self, dt: float) -> float | np.ndarray:
        if self.d_scalar is not None:
            return 1.0 / (1.0 + 1.0 / (_TWO_PI * self.d_scalar * dt))
        return 1.0 / (1.0 + 1.0 / (_TWO_PI * self.d_cutoff * dt))

    def _advance(
        self, x: np.ndarray, dt: np.ndarray, a_d: np.ndarray, one_minus_a_d: np.ndarray, x_nan: bool, out: np.ndarray
    ) -> None:
        """One filter step; ``dt``, ``a_d`` and ``1 - a_d`` are 0-d or (1,) arrays (or (K,))."""
        prev, dxs = self.x, self.dx
        one_euro_step(x, prev, dxs, dxs, dt, a_d, one_minus_a_d, self.min_cutoff, self.beta, out, self._b1, self._b2)
        if self.nan_state or x_nan:
            # Elements restarting after a NaN take the new value as is; NaN inputs give NaN
            # outputs and restart on the next finite value.
            fresh = np.isnan(prev)
            if fresh.any():
                out[fresh] = x[fresh]
                dxs[fresh] = 0.0
            np.copyto(dxs, np.nan_to_num(dxs))
            self.nan_state = bool(np.isnan(out).any())
        np.copyto(prev, out)

    def step(self, x: np.ndarray, t_s: float, out: np.ndarray) -> None:
        """Filter one sample ``x`` (flat float64) taken at ``t_s`` into ``out``."""
        if not self.started or t_s <= self.t:
            self._begin(x, t_s, out)
            return
        dt = t_s - self.t
        self.t = t_s
        a_d = self._a_d(dt)
        x_nan = bool(np.isnan(x).any())
        self._advance(x, np.array(dt), np.asarray(a_d), np.asarray(1.0 - a_d), x_nan, out)


@dataclass(frozen=True, slots=True)
class SmoothingConfig:
    image: OneEuroParams = OneEuroParams(min_cutoff_hz=1.0, beta=2.0, d_cutoff_hz=1.0)
    world: OneEuroParams = OneEuroParams(min_cutoff_hz=1.0, beta=2.0, d_cutoff_hz=1.0)
    enabled: bool = True


class LandmarkSmoother:
    """Smooths a PoseFrame's image and world landmarks; restarts when the person changes.

    Image and world coordinates run through one One Euro state (33 × 2 + 33 × 3 values,
    each with its own parameters). A whole trace is smoothed by
    :func:`formcheck.smoothing.batch.smooth_landmarks` with the same numbers, bit for bit.
    """

    _N_IMG = N_LANDMARKS * 2
    _N = N_LANDMARKS * 5

    def __init__(self, config: SmoothingConfig = SmoothingConfig()) -> None:
        self.config = config
        ni, nw = self._N_IMG, self._N - self._N_IMG

        def per_element(attr: str) -> np.ndarray:
            return np.concatenate([np.full(ni, getattr(config.image, attr)), np.full(nw, getattr(config.world, attr))])

        self._core = _OneEuroCore(per_element("min_cutoff_hz"), per_element("beta"), per_element("d_cutoff_hz"))
        self._in = np.empty(self._N)

    def reset(self) -> None:
        self._core.reset()

    def __call__(self, frame: PoseFrame) -> PoseFrame:
        if not self.config.enabled:
            return frame
        if frame.identity_jump or not frame.has_person:
            self.reset()
            if not frame.has_person:
                return frame
        x = self._in
        x[: self._N_IMG] = frame.image_xy.reshape(-1)
        x[self._N_IMG :] = frame.world_xyz.reshape(-1)
        out = np.empty(self._N)
        self._core.step(x, frame.t_s, out)
        return PoseFrame(
            frame.t_s,
            out[: self._N_IMG].reshape(N_LANDMARKS, 2),
            out[self._N_IMG :].reshape(N_LANDMARKS, 3),
            frame.visibility,
            frame.presence,
            frame.n_people,
            frame.identity_jump,
        )
