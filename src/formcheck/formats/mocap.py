"""Motion-capture import: 3-D marker or joint positions mapped to the 33 landmarks → pose trace.

Motion capture gives exact 3-D positions but no picture, and every system has its own
units, axes, time base and way of saying "marker missing". :class:`MocapSpec` declares
them; :func:`mocap_trace` converts to formcheck's world convention (metres, MediaPipe's
axes: y down), refuses input whose declared units, times or axes cannot be right, and warns
on what looks suspicious. See docs/trace-format.md, "Motion capture".

The trace it returns:

- ``world_xyz``: metres, y down, origin between the hips in each frame (MediaPipe's world
  convention), NaN where a marker is missing;
- ``image_xy``: *synthesised* by an orthographic projection along the world z axis
  (:func:`formcheck.formats.trace.project_world_to_image`); ``meta.extra["synthesized"] =
  "image_xy"`` and reports say so;
- ``meta.extra["world_exact"] = True`` (unless ``exact=False``): joint angles are measured
  in 3-D only, never blended with the (synthetic) image's flattened angles;
- ``meta.extra["segmented"] = True`` when the recording is one repetition (``segmented``):
  a rep still in progress at the end is counted as finished, not "unfinished".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from formcheck.errors import TraceError
from formcheck.formats.trace import DEFAULT_FRAME_SIZE, project_world_to_image
from formcheck.pose.frame import PoseTrace, TraceMeta
from formcheck.pose.landmarks import N_LANDMARKS
from formcheck.pose.landmarks import Landmark as L

__all__ = ["UNITS", "UP_AXES", "MocapImport", "MocapSpec", "mocap_trace", "rotation_to_mediapipe"]

#: Metres per declared unit.
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001}
#: Seconds per declared time unit (timestamps).
TIME_UNITS = {"s": 1.0, "ms": 0.001}

#: Proper rotations (det +1) taking the declared up axis to MediaPipe's up, −y (y points down).
_ROT = {
    "-y": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "+y": ((1, 0, 0), (0, -1, 0), (0, 0, -1)),
    "+z": ((1, 0, 0), (0, 0, -1), (0, 1, 0)),
    "-z": ((1, 0, 0), (0, 0, 1), (0, -1, 0)),
    "+x": ((0, 1, 0), (-1, 0, 0), (0, 0, 1)),
    "-x": ((0, -1, 0), (1, 0, 0), (0, 0, 1)),
}
UP_AXES = tuple(_ROT)

# Plausibility limits (adults and children; generous on purpose: they catch unit and axis
# mistakes, which are off by factors of 10-1000 or flip the body, not unusual bodies).
_TRUNK_M = (0.2, 1.0)  # mid-shoulder to mid-hip
_MAX_COORD_M = 20.0  # a capture volume is a room
_FPS = (1.0, 2000.0)
_MAX_DURATION_S = 4 * 3600.0


@dataclass(frozen=True, slots=True)
class MocapSpec:
    """What the numbers of a motion-capture recording mean.

    Attributes:
        units: length unit of the positions: "m", "cm" or "mm".
        up: the axis pointing up, against gravity: "+z" (many lab systems), "+y" (y up),
            "-y" (MediaPipe's own convention, y down), "-z", "+x", "-x".
        fps: frame rate, when there are no timestamps.
        time_unit: unit of given timestamps: "s" or "ms".
        missing: a sentinel value (in ``units``) that means "marker missing", e.g. -32768.
        zero_is_missing: a marker at exactly (0, 0, 0) is missing (Vicon writes that).
        exact: the positions are measured in 3-D (motion capture): angles are measured in
            3-D only (``meta.extra["world_exact"]``).
        segmented: the recording is exactly one repetition (``meta.extra["segmented"]``).
        yaw_deg: turn the body about the vertical axis before the synthetic image is made
            (90 shows a subject facing the camera from the side).
        source: what reports name as the source.
    """

    units: str = "m"
    up: str = "-y"
    fps: float | None = None
    time_unit: str = "s"
    missing: float | None = None
    zero_is_missing: bool = False
    exact: bool = True
    segmented: bool = False
    yaw_deg: float = 0.0
    source: str = "motion capture"

    def __post_init__(self) -> None:
        if self.units not in UNITS:
            raise TraceError(f"units = {self.units!r}: declare one of {', '.join(UNITS)}")
        if self.up not in _ROT:
            raise TraceError(f"up = {self.up!r}: declare one of {', '.join(UP_AXES)}")
        if self.time_unit not in TIME_UNITS:
            raise TraceError(f"time_unit = {self.time_unit!r}: declare one of {', '.join(TIME_UNITS)}")
        if self.fps is not None and not (_FPS[0] <= self.fps <= _FPS[1]):
            raise TraceError(f"fps = {self.fps:g} is not a motion-capture frame rate ({_FPS[0]:g} to {_FPS[1]:g})")


@dataclass(slots=True)
class MocapImport:
    """The imported trace and what looked suspicious in the input (one sentence each)."""

    trace: PoseTrace
    warnings: list[str] = field(default_factory=list)


def rotation_to_mediapipe(up: str, yaw_deg: float = 0.0) -> np.ndarray:
    """(3, 3) rotation taking the declared axes to MediaPipe's (y down), then turning the
    body by ``yaw_deg`` about the vertical axis."""
    r = np.array(_ROT[up], dtype=np.float64)
    a = math.radians(yaw_deg)
    yaw = np.array([[math.cos(a), 0.0, math.sin(a)], [0.0, 1.0, 0.0], [-math.sin(a), 0.0, math.cos(a)]])
    return yaw @ r


def _timestamps(n: int, spec: MocapSpec, t: np.ndarray | None) -> np.ndarray:
    if t is None:
        if spec.fps is None:
            raise TraceError("no time base: give timestamps or declare fps")
        return np.arange(n, dtype=np.float64) / spec.fps
    t_s = np.asarray(t, dtype=np.float64).reshape(-1) * TIME_UNITS[spec.time_unit]
    if t_s.shape[0] != n:
        raise TraceError(f"{t_s.shape[0]} timestamps for {n} frames")
    if not np.isfinite(t_s).all() or np.any(np.diff(t_s) <= 0):
        raise TraceError("timestamps must be finite and strictly increasing")
    if n >= 2:
        dt = float(np.median(np.diff(t_s)))
        if dt > 1.0 / _FPS[0]:
            hint = " (they look like milliseconds: declare time_unit = 'ms')" if spec.time_unit == "s" else ""
            raise TraceError(f"timestamps {dt:g} s apart are not motion capture (slower than 1 frame/s){hint}")
        if dt < 1.0 / _FPS[1]:
            raise TraceError(f"timestamps {dt:g} s apart: faster than {_FPS[1]:g} frames/s; check time_unit")
    return t_s


def _trunk_m(w: np.ndarray) -> np.ndarray:
    msh = 0.5 * (w[:, L.LEFT_SHOULDER] + w[:, L.RIGHT_SHOULDER])
    mhip = 0.5 * (w[:, L.LEFT_HIP] + w[:, L.RIGHT_HIP])
    return np.linalg.norm(msh - mhip, axis=-1)


def _check_scale(w: np.ndarray, spec: MocapSpec) -> None:
    trunk = _trunk_m(w)
    trunk = trunk[np.isfinite(trunk)]
    if trunk.size:
        med = float(np.median(trunk))
        if not (_TRUNK_M[0] <= med <= _TRUNK_M[1]):
            guess = min(UNITS, key=lambda u: abs(math.log(med / UNITS[spec.units] * UNITS[u] / 0.5)))
            hint = f"; the numbers look like {guess}: declare units = '{guess}'" if guess != spec.units else ""
            raise TraceError(
                f"trunk length {med:.3g} m with units = '{spec.units}' is not a human's "
                f"({_TRUNK_M[0]:g} to {_TRUNK_M[1]:g} m){hint}"
            )
    big = np.abs(w) > _MAX_COORD_M
    if big.any():
        frames = int(big.any(axis=(1, 2)).sum())
        hint = "" if spec.missing is not None else "; declare the missing-marker sentinel (missing = ...)"
        raise TraceError(
            f"positions up to {float(np.nanmax(np.abs(w))):.3g} m from the origin in {frames} frame(s): "
            f"outside any capture volume{hint}"
        )


def _check_up(w: np.ndarray, warnings: list[str]) -> None:
    """Refuse an upside-down body (the up axis is wrong); warn when it is never upright."""
    msh_y = 0.5 * (w[:, L.LEFT_SHOULDER, 1] + w[:, L.RIGHT_SHOULDER, 1])
    mhip_y = 0.5 * (w[:, L.LEFT_HIP, 1] + w[:, L.RIGHT_HIP, 1])
    feet_y = np.nanmean(w[:, [L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL], 1], axis=1)
    trunk = _trunk_m(w)
    ok = np.isfinite(msh_y) & np.isfinite(feet_y) & np.isfinite(trunk) & (trunk > 0)
    if not ok.any():
        warnings.append("shoulders, hips or feet never seen together: the up axis could not be checked")
        return
    # y points down: shoulders above the feet means shoulder y < feet y.
    head_down = (msh_y[ok] - feet_y[ok]) > 0.5 * trunk[ok]
    if head_down.mean() > 0.5:
        raise TraceError(
            "the body is upside down in most frames (shoulders below the feet): the declared up axis is wrong "
            "(y up? declare up = '+y'; z up? up = '+z')"
        )
    upright = np.abs(mhip_y[ok] - msh_y[ok]) / trunk[ok] > 0.7  # trunk within ~45° of vertical
    if not upright.any():
        warnings.append(
            "the trunk is never upright (lying throughout?); if the person stood, the declared up axis is wrong"
        )


def mocap_trace(
    positions: np.ndarray,
    spec: MocapSpec,
    t: np.ndarray | None = None,
    index: Sequence[int] | None = None,
) -> MocapImport:
    """Convert motion-capture positions to a pose trace (see the module docstring).

    Args:
        positions: (T, K, 3) positions in ``spec.units`` and ``spec``'s axes; row k is the
            MediaPipe landmark ``index[k]`` (default: K = 33, in landmark order).
        spec: what the numbers mean.
        t: (T,) timestamps in ``spec.time_unit``; default ``arange(T) / spec.fps``.
        index: the landmark index of each of the K rows; landmarks not listed are missing.

    Raises:
        TraceError: the declared units, times or axes cannot be right (the message says
            which and what to declare instead), or the arrays do not fit together.
    """
    p = np.asarray(positions, dtype=np.float64)
    if p.ndim != 3 or p.shape[2] != 3:
        raise TraceError(f"positions must be (frames, markers, 3), got shape {p.shape}")
    n, k = p.shape[:2]
    if n == 0:
        raise TraceError("no frames")
    idx = np.arange(N_LANDMARKS) if index is None else np.asarray(index, dtype=np.intp)
    if idx.shape != (k,) or np.any((idx < 0) | (idx >= N_LANDMARKS)) or len(set(idx.tolist())) != k:
        raise TraceError(f"index must name {k} distinct landmarks 0..{N_LANDMARKS - 1}")
    warnings: list[str] = []
    t_s = _timestamps(n, spec, t)
    if n >= 2 and float(t_s[-1] - t_s[0]) > _MAX_DURATION_S:
        raise TraceError(f"{t_s[-1] - t_s[0]:.0f} s long: check the time base (fps or time_unit)")

    p = p.copy()
    if spec.missing is not None:
        p[np.any(p == spec.missing, axis=-1)] = np.nan
    zero = np.all(p == 0.0, axis=-1)
    if spec.zero_is_missing:
        p[zero] = np.nan
    elif zero.any() and zero.mean() < 0.5:
        warnings.append(
            f"{int(zero.sum())} marker position(s) exactly at (0, 0, 0): a missing-marker sentinel? "
            "(declare zero_is_missing)"
        )
    w = np.full((n, N_LANDMARKS, 3), np.nan)
    w[:, idx] = p * UNITS[spec.units]
    _check_scale(w, spec)
    w = w @ rotation_to_mediapipe(spec.up, spec.yaw_deg).T
    _check_up(w, warnings)

    meta = TraceMeta(source=spec.source, model="motion capture", width=DEFAULT_FRAME_SIZE[0],
                     height=DEFAULT_FRAME_SIZE[1])  # fmt: skip
    meta.fps = spec.fps if spec.fps is not None else (float(1.0 / np.median(np.diff(t_s))) if n >= 2 else 0.0)
    # The image is projected from the positions before they are re-centred: movement of the
    # whole body (a squat going down) stays visible in the picture.
    image = project_world_to_image(w, meta.aspect)
    mhip = 0.5 * (w[:, L.LEFT_HIP] + w[:, L.RIGHT_HIP])
    if np.isfinite(mhip).all():
        w = w - mhip[:, None, :]
    else:
        warnings.append("hips missing in some frames: world positions keep their capture origin")
    finite = np.isfinite(w).all(axis=-1)
    meta.extra = {"synthesized": "image_xy", "frame_size_assumed": True, "units_declared": spec.units,
                  "up_declared": spec.up}  # fmt: skip
    if spec.exact:
        meta.extra["world_exact"] = True
    if spec.segmented:
        meta.extra["segmented"] = True
    trace = PoseTrace(
        t_s=t_s,
        image_xy=image.astype(np.float32),
        world_xyz=w.astype(np.float32),
        visibility=finite.astype(np.float32),
        presence=finite.astype(np.float32),
        n_people=finite.any(axis=1).astype(np.int16),
        identity_jump=np.zeros(n, dtype=bool),
        meta=meta,
    )
    return MocapImport(trace, warnings)
