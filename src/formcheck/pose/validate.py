"""Checks of pose data at the public entry points (re-scoring, trace analysis, the live analyzer).

A trace read from a file is checked by :func:`formcheck.formats.trace.load_trace`; a PoseTrace or a
PoseFrame built in Python reaches the analysis without that, and bad data there does not
fail cleanly: a NaN timestamp crashes the hold timer, timestamps going backwards give a
rep that ends before it starts. So the entry points check what they are given and refuse
it with one sentence saying what is wrong and where (:class:`PoseDataError`).

What is valid: timestamps finite and never going back (seconds; a repeated timestamp, which
a camera can deliver, is tolerated: the smoother and the checker handle it — trace files
are stricter, see docs/trace-format.md); landmark coordinates
finite or NaN (missing), within :data:`MAX_IMAGE_ABS` frame sizes / :data:`MAX_WORLD_ABS_M`
metres; visibility and presence in [0, 1] (or NaN); people counts from 0 to
:data:`MAX_PEOPLE`.
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.errors import TraceError
from formcheck.pose.frame import PoseFrame, PoseTrace
from formcheck.pose.landmarks import N_LANDMARKS

__all__ = ["MAX_IMAGE_ABS", "MAX_PEOPLE", "MAX_WORLD_ABS_M", "PoseDataError", "check_frame", "check_trace"]

#: Normalized image coordinates further than this from the frame are not a landmark.
MAX_IMAGE_ABS = 100.0
#: World coordinates (metres from the mid-hip) further than this are not a body (a trace
#: in millimetres would exceed it).
MAX_WORLD_ABS_M = 100.0
MAX_PEOPLE = 1000


class PoseDataError(TraceError, ValueError):
    """Pose data given to the API is invalid (a NaN or backward timestamp, out-of-range values)."""


def _fail(where: str, problem: str) -> PoseDataError:
    return PoseDataError(f"Invalid pose data ({where}): {problem}.")


def check_timestamps(t_s: np.ndarray, where: str) -> None:
    """Finite and never decreasing, else PoseDataError naming the first bad frame."""
    t_s = np.asarray(t_s)
    if t_s.ndim != 1:
        raise _fail(where, f"t_s has shape {t_s.shape}; expected (T,), one timestamp per frame")
    bad = np.flatnonzero(~np.isfinite(t_s))
    if bad.size:
        i = int(bad[0])
        raise _fail(where, f"the timestamp of frame {i} is {float(t_s[i])}; timestamps must be finite seconds")
    if t_s.size > 1:
        back = np.flatnonzero(np.diff(t_s) < 0)
        if back.size:
            i = int(back[0])
            raise _fail(
                where,
                f"timestamps must not go back, but frame {i + 1} (t_s={float(t_s[i + 1])!r}) follows frame {i} "
                f"(t_s={float(t_s[i])!r})",
            )


def _first_bad(mask: np.ndarray) -> int:
    """Frame index of the first True in a (T, ...) mask."""
    return int(np.argwhere(mask)[0][0])


def check_trace(trace: PoseTrace, where: str = "PoseTrace", full: bool = True) -> None:
    """Raise PoseDataError when ``trace`` is not valid pose data (see the module doc).

    ``full=False`` checks only what is per frame and cheap (timestamps, people counts,
    shapes): for code that re-runs the checker over measures computed, and checked, before.
    """
    t_s = np.asarray(trace.t_s)
    check_timestamps(t_s, where)
    n = t_s.shape[0]
    shapes = {
        "image_xy": (n, N_LANDMARKS, 2), "world_xyz": (n, N_LANDMARKS, 3), "visibility": (n, N_LANDMARKS),
        "presence": (n, N_LANDMARKS), "n_people": (n,), "identity_jump": (n,),
    }  # fmt: skip
    for name, want in shapes.items():
        shape = np.shape(getattr(trace, name))
        if shape != want:
            raise _fail(where, f"{name} has shape {shape}; expected {want}")
    people = np.asarray(trace.n_people)
    if people.dtype.kind not in "iub":
        raise _fail(where, f"n_people must be whole numbers, not {people.dtype}")
    bad = (people < 0) | (people > MAX_PEOPLE)
    if bad.any():
        i = _first_bad(bad)
        raise _fail(where, f"frame {i} says {int(people[i])} people; allowed: 0 to {MAX_PEOPLE}")
    if not full:
        return
    for name, limit, unit in (("image_xy", MAX_IMAGE_ABS, " frame sizes"), ("world_xyz", MAX_WORLD_ABS_M, " m")):
        arr = np.asarray(getattr(trace, name))
        if arr.dtype.kind not in "fiu":
            raise _fail(where, f"{name} must be numbers, not {arr.dtype}")
        with np.errstate(invalid="ignore"):
            bad = np.abs(arr) > limit  # NaN (missing) compares False: allowed
        if bad.any():
            i = _first_bad(bad)
            raise _fail(where, f"{name} of frame {i} holds {_worst(arr[i])}; allowed: NaN (missing) or up to "
                               f"{limit:g}{unit} from the origin")  # fmt: skip
    for name in ("visibility", "presence"):
        arr = np.asarray(getattr(trace, name))
        with np.errstate(invalid="ignore"):
            bad = (arr < 0) | (arr > 1) | np.isinf(arr)
        if bad.any():
            i = _first_bad(bad)
            raise _fail(where, f"{name} of frame {i} holds {_worst(arr[i], 0.5)}; allowed: 0 to 1 (or NaN)")


def _worst(values: np.ndarray, centre: float = 0.0) -> str:
    """The value furthest from ``centre`` (NaN ignored), for a message."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[~np.isnan(v)]
    return f"{float(v[np.argmax(np.abs(v - centre))]):g}" if v.size else "nan"


_IMG, _WORLD = (N_LANDMARKS, 2), (N_LANDMARKS, 3)


def check_frame(frame: PoseFrame, last_t_s: float | None, where: str = "Analyzer.update") -> None:
    """Raise PoseDataError unless ``frame`` can follow a frame at ``last_t_s`` (None: the first).

    Cheap on purpose (it runs on every live frame): the timestamp, the people count and the
    array shapes. Landmark values are the estimator's; NaN means missing.
    """
    t = frame.t_s
    try:
        finite = math.isfinite(t) and not isinstance(t, bool)
    except TypeError:
        finite = False
    if not finite:
        raise _fail(where, f"frame timestamp t_s={t!r}; timestamps must be finite seconds")
    if last_t_s is not None and t < last_t_s:
        raise _fail(where, f"frame timestamp t_s={float(t)!r} is before the previous one ({last_t_s!r}); "
                           "timestamps must not go back")  # fmt: skip
    if not 0 <= frame.n_people <= MAX_PEOPLE:
        raise _fail(where, f"n_people={frame.n_people!r}; allowed: 0 to {MAX_PEOPLE}")
    if getattr(frame.image_xy, "shape", None) != _IMG or getattr(frame.world_xyz, "shape", None) != _WORLD:
        raise _fail(where, f"landmarks have shapes {np.shape(frame.image_xy)} and {np.shape(frame.world_xyz)}; "
                           f"expected ({N_LANDMARKS}, 2) and ({N_LANDMARKS}, 3)")  # fmt: skip
