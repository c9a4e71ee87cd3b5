"""Whom formcheck is measuring: never silently another person.

With the default ``num_poses=1`` MediaPipe reports one body per frame and cannot say that
a second person is in view. When tracking is lost (the person is hidden for a moment,
leaves, or the landmarker restarts) its detector picks whichever body it finds, which may
be someone else; the tracked region can also slide onto a person passing close by. Then
the other person's movements would be scored as the user's.

:class:`IdentityGuard` watches, frame by frame, the body being reported against the person
being measured (the reference: hip centre and torso length in frame heights, from the last
frame accepted as that person). At a discontinuity — the estimator's identity jump (hip
moved over a quarter of the frame height in one frame, or a cut), the body found again
after a short gap, or the torso length changing by half in one frame — a body that does
not match the reference is taken for someone else: its frames are *not measured* (the
analysis drops them, shows the ``person_switched`` cue) until the reference person is
found again where they were. Jump-flagged frames (dropped by the analysis anyway, and
sliding for a few frames after a cut) are neither judged nor learnt from: the body is
judged on the first steady frame after them. Nobody in view for ``LEAVE_S`` ends the
matter: the next body found is measured (the person stepped away and came back).

Pure numpy and scalar state; the whole-trace function and the frame-by-frame guard give
the same answer for every frame (live, ``score`` and ``rescore`` agree). Cost, measured on
the shared 2-core machine: ~5 µs per frame over a whole trace, ~16 µs per live frame.
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.pose.landmarks import Landmark as L

#: A body within this distance (frame heights) of the reference hip centre...
MATCH_HIP_FH = 0.15
#: ...and with a torso length within this ratio of the reference is the same person.
MATCH_SCALE_RATIO = 1.3
#: The torso length changing by this ratio between consecutive frames is a discontinuity.
SCALE_JUMP_RATIO = 1.5
#: Nobody in view this long (s): whoever comes next is measured afresh.
LEAVE_S = 1.0

_HIPS = (int(L.LEFT_HIP), int(L.RIGHT_HIP))
_SHOULDERS = (int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER))


def body_features(image_xy: np.ndarray, usable: np.ndarray, aspect: float) -> tuple[np.ndarray, np.ndarray]:
    """Hip centre (..., 2) and torso length (...,) in frame heights, NaN where a hip or a
    shoulder is not usable. ``image_xy`` (..., 33, 2) normalized, ``usable`` (..., 33)."""
    xy = np.asarray(image_xy, dtype=np.float64)
    ok = usable[..., _HIPS[0]] & usable[..., _HIPS[1]] & usable[..., _SHOULDERS[0]] & usable[..., _SHOULDERS[1]]
    scale_xy = np.array([aspect, 1.0])
    hip = (xy[..., _HIPS[0], :] + xy[..., _HIPS[1], :]) * 0.5 * scale_xy
    sh = (xy[..., _SHOULDERS[0], :] + xy[..., _SHOULDERS[1], :]) * 0.5 * scale_xy
    d = sh - hip
    torso = np.sqrt(d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1])
    return np.where(ok[..., None], hip, np.nan), np.where(ok, torso, np.nan)


def frame_features(image_xy: np.ndarray, usable: np.ndarray, aspect: float) -> tuple[float, float, float]:
    """:func:`body_features` of one frame ((33, 2), (33,)) as floats, bit for bit the same,
    in plain float arithmetic (a dozen numpy calls per live frame cost ~80 µs)."""
    if not (usable[_HIPS[0]] and usable[_HIPS[1]] and usable[_SHOULDERS[0]] and usable[_SHOULDERS[1]]):
        return math.nan, math.nan, math.nan
    (lhx, lhy), (rhx, rhy) = image_xy[_HIPS[0]].tolist(), image_xy[_HIPS[1]].tolist()
    (lsx, lsy), (rsx, rsy) = image_xy[_SHOULDERS[0]].tolist(), image_xy[_SHOULDERS[1]].tolist()
    hx, hy = (lhx + rhx) * 0.5 * aspect, (lhy + rhy) * 0.5 * 1.0
    dx, dy = (lsx + rsx) * 0.5 * aspect - hx, (lsy + rsy) * 0.5 * 1.0 - hy
    return hx, hy, math.sqrt(dx * dx + dy * dy)


class IdentityGuard:
    """Frame by frame: is the body reported someone other than the person being measured?"""

    def __init__(self) -> None:
        self._ref: tuple[float, float, float] | None = None  # hip x, hip y, torso length
        self._prev_torso = math.nan
        self._absent_since: float | None = None
        self._pending = False  # a jump or a gap: the next steady frame is checked against the reference
        self.other = False

    def update(self, t_s: float, has_person: bool, jump: bool, hip_x: float, hip_y: float, torso: float) -> bool:
        """True when this frame's body is taken for another person (do not measure it)."""
        if not has_person:
            if self._absent_since is None:
                self._absent_since = t_s
            if t_s - self._absent_since >= LEAVE_S:
                self._ref, self.other, self._prev_torso = None, False, math.nan
            self._pending = True
            return False
        self._absent_since = None
        if jump:
            # Landmarks across a jump or a cut are dropped anyway and slide for a few frames
            # after a cut: the body is judged on the first steady frame after it.
            self._pending = True
            return self.other
        if not (math.isfinite(hip_x) and math.isfinite(hip_y) and math.isfinite(torso) and torso > 0):
            return self.other  # torso not seen: nothing to judge by, nothing learnt
        prev_torso, self._prev_torso = self._prev_torso, torso
        if self._ref is None:
            self._ref, self._pending = (hip_x, hip_y, torso), False
            return False
        rx, ry, rt = self._ref
        near = math.hypot(hip_x - rx, hip_y - ry) <= MATCH_HIP_FH
        matches = near and max(torso / rt, rt / torso) <= MATCH_SCALE_RATIO
        if not self.other:
            scale_jump = math.isfinite(prev_torso) and max(torso / prev_torso, prev_torso / torso) >= SCALE_JUMP_RATIO
            if (self._pending or scale_jump) and not matches:
                self.other = True
        elif matches:
            self.other = False
        self._pending = False
        if not self.other:
            self._ref = (hip_x, hip_y, torso)
        return self.other

    def run(
        self, t_s: np.ndarray, has_person: np.ndarray, jump: np.ndarray, hip: np.ndarray, torso: np.ndarray
    ) -> np.ndarray:
        """(T,) :meth:`update` over T frames ((T, 2) ``hip``, (T,) ``torso`` from :func:`body_features`),
        exactly as frame by frame, the guard going on from its state.

        Fast path: a frame with a person, no jump, a seen torso, following such a frame judged
        the measured person, leaves nobody else and only moves the reference on to itself
        unless its torso length jumps (``SCALE_JUMP_RATIO``; the same float division as
        :meth:`update`): whole runs of such frames need no step. The other frames step."""
        n = len(t_s)
        out = np.zeros(n, dtype=bool)
        if n == 0:
            return out
        hx, hy = hip[:, 0], hip[:, 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            seen = np.isfinite(hx) & np.isfinite(hy) & np.isfinite(torso) & (torso > 0)
            steady = np.asarray(has_person, dtype=bool) & ~np.asarray(jump, dtype=bool) & seen
            no_jump = np.zeros(n, dtype=bool)
            no_jump[1:] = np.maximum(torso[1:] / torso[:-1], torso[:-1] / torso[1:]) < SCALE_JUMP_RATIO
        fast = steady & no_jump
        fast[1:] &= steady[:-1]
        fast[0] = False  # its previous frame is the carried state's
        # end[i]: the first frame at or after i that is not fast (a run's end), for the jump ahead.
        idx = np.append(np.flatnonzero(~fast), n)
        ends = idx[np.searchsorted(idx, np.arange(n))].tolist()
        fast_l, steady_l = fast.tolist(), steady.tolist()
        t, person, jmp = t_s.tolist(), np.asarray(has_person).tolist(), np.asarray(jump).tolist()
        hxl, hyl, tl = hx.tolist(), hy.tolist(), torso.tolist()
        i, after_steady = 0, False  # after_steady: the frame before i was steady and judged the measured person
        while i < n:
            if after_steady and fast_l[i]:
                j = ends[i] - 1  # the run's last frame
                self._ref, self._prev_torso = (hxl[j], hyl[j], tl[j]), tl[j]
                i = j + 1  # out stays False over the run; the state is as after frame j
                continue
            other = self.update(t[i], person[i], jmp[i], hxl[i], hyl[i], tl[i])
            out[i] = other
            after_steady = steady_l[i] and not other
            i += 1
        return out


def other_person_frames(
    t_s: np.ndarray, has_person: np.ndarray, jump: np.ndarray, image_xy: np.ndarray, usable: np.ndarray, aspect: float
) -> np.ndarray:
    """(T,) bool: the frames of a trace whose body is taken for someone other than the
    person being measured (exactly what :class:`IdentityGuard` says frame by frame)."""
    hip, torso = body_features(image_xy, usable, aspect)
    return IdentityGuard().run(t_s, has_person, jump, hip, torso)
