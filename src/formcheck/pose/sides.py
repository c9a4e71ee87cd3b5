"""Left and right kept the same person's left and right over time.

Pose estimators swap a limb's left/right labels now and then: for a frame or for a whole
movement, most often side-on (the two legs or arms overlap in the picture and the model
guesses which is which), on still poses, and with the lite model; at times the whole body is
read mirrored for a few frames. Each swap makes one side's measures jump to the other limb's
values: a raised leg seems to drop and come back, a rep is counted on the wrong side or twice.

:class:`SideKeeper` decides, frame by frame and per limb pair (the arms with their shoulders,
the legs with their hips), whether to keep the estimator's labels or swap them:

- *anatomy*: a limb swaps only together with the girdle landmark it hangs from (a knee stays
  on its hip, an elbow on its shoulder), so a corrected pose is always a body;
- *continuity*: the reading that costs less wins, the cost being the mean distance of the
  unit's landmarks to where the same-named landmarks were in the previous frame (a swap moves
  both limbs by their separation in one frame; real movement moves them a little). A swap
  must be cheaper by :data:`SWAP_MARGIN` torso lengths (image, aspect corrected) and by half
  (:data:`SWAP_RATIO`), so limbs close together or moving fast are never swapped on noise.
  The keeper leans to the estimator: a correction lasts only while it stays clearly the more
  continuous reading.

The decision is relative to the previous frame's: a swap lasting many frames stays undone for
as long as it lasts, and its end (the labels jumping back) is followed too. The estimator's
own labels are taken afresh when the two limbs meet (their labels then change no measure),
when a corrected reading has lasted :data:`MAX_SWAP_S` (the estimator is right far more often
than not: a long disagreement is more likely a wrong start than a long swap), when nobody is
in view, and at a discontinuity (a cut, a person switch: ``identity_jump``).

Pure numpy and a little scalar state. The whole-trace function and the frame-by-frame keeper
give the same answer for every frame (the same per-frame costs, computed by one function on
T frames or on one, then the same decision), so live, ``score`` and ``rescore`` agree. The
keeper's state (:class:`SideState`) is small: a trace analysed in chunks, carrying it from one
chunk to the next, gets the same answer as analysed whole.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from formcheck.measures.body import landmark_usable
from formcheck.pose.frame import PoseFrame, PoseTrace
from formcheck.pose.landmarks import Landmark as L

#: A swap must be cheaper than keeping the labels by this much (torso lengths, mean distance
#: per landmark). Frame-to-frame movement at video rates is a few hundredths of a torso;
#: limbs far enough apart for their labels to matter are tenths apart.
SWAP_MARGIN = 0.15
#: A corrected reading lasting this long (s) without the limbs meeting gives way to the
#: estimator's labels: longer than a rep's swap, shorter than a set.
MAX_SWAP_S = 8.0
#: ... and cost less than this fraction of keeping them: a limb that moved fast may land near
#: where the other was (a nearest-position match then is no evidence of a swap).
SWAP_RATIO = 0.5


@dataclass(frozen=True, slots=True)
class Limb:
    """A pair of limbs whose labels may be swapped: the landmarks of each side, in the same
    order, the girdle landmark they hang from first."""

    name: str
    left: tuple[int, ...]
    right: tuple[int, ...]


LIMBS: tuple[Limb, ...] = (
    Limb(
        "arm",
        (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB),
        (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB),
    ),
    Limb(
        "leg",
        (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
        (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
    ),
)

#: For each limb, the index permutation of the 33 landmarks that swaps its left and right.
_PERMS = []
for _limb in LIMBS:
    _p = np.arange(33)
    _p[list(_limb.left)], _p[list(_limb.right)] = list(_limb.right), list(_limb.left)
    _PERMS.append(_p)
_TORSO = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)


def _masked_xy(image_xy: np.ndarray, usable: np.ndarray, aspect: float) -> np.ndarray:
    """(..., 33, 2) aspect-corrected image landmarks (frame heights), NaN where unusable."""
    xy = np.asarray(image_xy, dtype=np.float64) * np.array([aspect, 1.0])
    return np.where(usable[..., None], xy, np.nan)


def _dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = a - b
    return np.sqrt(d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1])


#: Landmark indices of every limb's pairs, all limbs in a row, and where each limb's start.
_LEFT = np.array([i for limb in LIMBS for i in limb.left], dtype=np.intp)
_RIGHT = np.array([i for limb in LIMBS for i in limb.right], dtype=np.intp)
_BOUNDS = np.cumsum([0] + [len(limb.left) for limb in LIMBS])

#: Columns of :func:`swap_costs`.
KEEP, SWAP, APART = range(3)


def _limb_means(x: np.ndarray) -> np.ndarray:
    """(T, n_limbs): per limb, the mean of the finite ones among its pairs' columns of ``x``
    ((T, n_pairs); NaN where none is). Sums of a handful of columns, so T frames at once and
    one frame give the same bits."""
    ok = np.isfinite(x)
    total = np.where(ok, x, 0.0)
    out = np.empty((x.shape[0], len(LIMBS)))
    for j in range(len(LIMBS)):
        lo, hi = _BOUNDS[j], _BOUNDS[j + 1]
        n = ok[:, lo:hi].sum(axis=1)
        out[:, j] = np.where(n > 0, total[:, lo:hi].sum(axis=1) / np.maximum(n, 1), np.nan)
    return out


def swap_costs(cur: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """(T, n_limbs, 3) per frame and limb, in torso lengths of ``cur``: continuity keeping the
    labels and swapping them (mean distance to the same-named landmarks of ``prev``; 0 where
    not measurable), and how far apart the left and right limb are (NaN where not measurable).
    A pair of landmarks counts toward both readings or neither: each reading is judged on the
    same landmarks (one seen under one reading only is no evidence).

    ``cur``, ``prev``: (T, 33, 2) from :func:`_masked_xy` (``prev`` = the frame before each)."""
    sh = 0.5 * (cur[:, _TORSO[0]] + cur[:, _TORSO[1]])
    hip = 0.5 * (cur[:, _TORSO[2]] + cur[:, _TORSO[3]])
    torso = _dist(sh, hip)
    torso = np.where(torso > 0, torso, np.nan)[:, None]
    cl, cr, pl, pr = cur[:, _LEFT], cur[:, _RIGHT], prev[:, _LEFT], prev[:, _RIGHT]  # (T, n_pairs, 2)
    keep = 0.5 * (_dist(cl, pl) + _dist(cr, pr))
    swap = 0.5 * (_dist(cr, pl) + _dist(cl, pr))
    both = np.isfinite(keep) & np.isfinite(swap)
    out = np.empty((cur.shape[0], len(LIMBS), 3))
    out[..., KEEP] = np.nan_to_num(_limb_means(np.where(both, keep, np.nan)) / torso, nan=0.0)
    out[..., SWAP] = np.nan_to_num(_limb_means(np.where(both, swap, np.nan)) / torso, nan=0.0)
    out[..., APART] = _limb_means(_dist(cl, cr)) / torso
    return out


@dataclass(frozen=True, slots=True)
class SideState:
    """What the keeper carries from one frame to the next: each limb's current reading
    (True = swapped from the estimator's labels) and since when (s), whether the previous frame
    itself followed one (``settled``: a swap may start against it), and the previous frame's
    landmarks ((33, 2) aspect-corrected, NaN where unusable; None = no previous frame)."""

    swapped: tuple[bool, ...] = (False,) * len(LIMBS)
    since: tuple[float, ...] = (0.0,) * len(LIMBS)
    prev_xy: np.ndarray | None = None
    settled: bool = False


def decide(state: SideState, t_s: float, costs: np.ndarray, reset: bool) -> SideState:
    """The keeper's state after a frame at ``t_s`` with ``costs`` ((n_limbs, 3),
    :func:`swap_costs`); ``prev_xy`` is left for the caller to set. ``reset``: a frame that
    starts afresh (no previous reading or positions to follow). A swap never starts against
    the first frame after a fresh start: a person just found is the estimator's least steady
    reading (at times mirrored), no reference to hold the next frames to."""
    may_start = state.settled and not reset
    swapped, since = [], []
    for j in range(len(LIMBS)):
        was = False if reset else state.swapped[j]
        keep, swap, apart = costs[j].tolist()
        if apart < SWAP_MARGIN or (was and t_s - state.since[j] >= MAX_SWAP_S):
            now = False  # the limbs meet, or a long disagreement: the estimator's labels
        elif reset:
            now = False
        else:
            # Biased to the estimator (right far more often than not): a swap is undone only
            # on clear evidence, and the undoing stops as soon as it is not clearly continuous.
            clear = swap < keep - SWAP_MARGIN and swap < SWAP_RATIO * keep
            now = keep < swap - SWAP_MARGIN if was else clear and may_start
        swapped.append(now)
        since.append(0.0 if not now else state.since[j] if was else t_s)  # since when swapped (0: not)
    return SideState(tuple(swapped), tuple(since), None, settled=not reset)


def _may_swap(costs: np.ndarray, reset: np.ndarray, settled: np.ndarray) -> np.ndarray:
    """(T,) bool: frames where a limb not swapped could become swapped (:func:`decide`'s
    condition, vectorized; ``settled``: the state's flag at each frame): from a state with
    nothing swapped, no other frame changes it."""
    keep, swap, apart = costs[..., KEEP], costs[..., SWAP], costs[..., APART]
    clear = (swap < keep - SWAP_MARGIN) & (swap < SWAP_RATIO * keep) & ~(apart < SWAP_MARGIN)
    return clear.any(axis=1) & ~reset & settled


def apply_swaps(arrays: tuple[np.ndarray, ...], swapped: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-landmark arrays ((T, 33, ...) each) with each limb's labels swapped on the frames
    where ``swapped`` ((T, n_limbs) bool) says so; new arrays, the inputs are not changed."""
    out = tuple(a.copy() for a in arrays)
    for j, perm in enumerate(_PERMS):
        rows = np.flatnonzero(swapped[:, j])
        if rows.size:
            for dst in out:  # limbs touch different landmarks: their swaps compose
                dst[rows] = dst[rows][:, perm]
    return out


class SideKeeper:
    """Frame by frame: the frame with each limb pair's left/right labels kept consistent."""

    def __init__(self, aspect: float, min_visibility: float, state: SideState | None = None) -> None:
        self.aspect = aspect
        self.min_visibility = min_visibility
        self.state = state or SideState()

    def update(self, pose: PoseFrame) -> PoseFrame:
        usable = landmark_usable(pose.image_xy[None], pose.visibility[None], pose.presence[None], self.min_visibility)
        cur = _masked_xy(pose.image_xy[None], usable, self.aspect)
        person = pose.has_person
        reset = not person or bool(pose.identity_jump) or self.state.prev_xy is None
        prev = cur if self.state.prev_xy is None else self.state.prev_xy[None]
        state = decide(self.state, float(pose.t_s), swap_costs(cur, prev)[0], reset)
        self.state = dataclasses.replace(state, prev_xy=cur[0] if person else None)
        if not any(state.swapped):
            return pose
        img, world, vis, pres = apply_swaps(
            (pose.image_xy[None], pose.world_xyz[None], pose.visibility[None], pose.presence[None]),
            np.array([state.swapped]),
        )
        return dataclasses.replace(pose, image_xy=img[0], world_xyz=world[0], visibility=vis[0], presence=pres[0])


def trace_swaps(
    trace: PoseTrace, min_visibility: float, state: SideState | None = None
) -> tuple[np.ndarray, SideState]:
    """(T, n_limbs) bool: the frames and limbs whose labels the keeper swaps (exactly what
    :class:`SideKeeper` says frame by frame), and the state after the last frame (to carry
    into the next chunk of a longer recording)."""
    state = state or SideState()
    n = len(trace)
    out = np.zeros((n, len(LIMBS)), dtype=bool)
    if n == 0:
        return out, state
    usable = landmark_usable(trace.image_xy, trace.visibility, trace.presence, min_visibility)
    cur = _masked_xy(trace.image_xy, usable, trace.meta.aspect)
    person = (np.asarray(trace.n_people) > 0) & np.isfinite(trace.image_xy[:, 0, 0])
    prev = np.empty_like(cur)
    prev[1:] = cur[:-1]
    prev[0] = cur[0] if state.prev_xy is None else state.prev_xy
    had_prev = np.empty(n, dtype=bool)
    had_prev[1:] = person[:-1]
    had_prev[0] = state.prev_xy is not None
    reset = ~person | np.asarray(trace.identity_jump, dtype=bool) | ~had_prev
    costs = swap_costs(cur, prev)
    # Nothing swapped stays nothing swapped until a frame that may swap: step frame by frame
    # only from such a frame until all is back to the estimator's labels (a long trace with
    # a few swaps costs a few Python steps, not one per frame).
    settled = np.empty(n, dtype=bool)
    settled[1:] = ~reset[:-1]
    settled[0] = state.settled
    candidates = np.flatnonzero(_may_swap(costs, reset, settled)).tolist()
    t_s, resets = trace.t_s.tolist(), reset.tolist()
    idle = SideState(settled=True)  # the state at a candidate frame when nothing is swapped
    i, k = 0, 0
    while i < n:
        if not any(state.swapped):
            while k < len(candidates) and candidates[k] < i:
                k += 1
            if k == len(candidates):
                break  # never swapped again: the rest stays as the estimator labelled it
            i, state = candidates[k], idle
        state = decide(state, t_s[i], costs[i], resets[i])
        out[i] = state.swapped
        i += 1
    last = n - 1
    return out, dataclasses.replace(state, settled=not resets[last], prev_xy=cur[last] if person[last] else None)


def keep_sides(trace: PoseTrace, min_visibility: float, state: SideState | None = None) -> tuple[PoseTrace, SideState]:
    """The trace with left/right kept consistent (:func:`trace_swaps` applied), and the
    keeper's state after it. The trace is returned as it is when nothing is swapped."""
    swapped, state = trace_swaps(trace, min_visibility, state)
    if not swapped.any():
        return trace, state
    img, world, vis, pres = apply_swaps((trace.image_xy, trace.world_xyz, trace.visibility, trace.presence), swapped)
    fixed = PoseTrace(trace.t_s, img, world, vis, pres, trace.n_people, trace.identity_jump, trace.meta)
    return fixed, state


def count_swaps(swapped: np.ndarray) -> int:
    """How many separate swaps (runs of swapped frames, per limb) ``swapped`` holds."""
    s = np.asarray(swapped, dtype=np.int8)
    if s.size == 0:
        return 0
    return int((np.diff(s, axis=0, prepend=0) == 1).sum())
