"""Discontinuities in a stream of poses, whatever backend produced them.

Two things make landmarks untrustworthy for a moment, and neither depends on how the pose
was estimated: a hard cut between shots of an edited video (the estimator keeps "tracking"
for a few frames while its landmarks slide off the body), and the tracked person being
swapped for someone else (the hip centre jumps). :class:`Continuity` watches the frames
and the poses and marks such frames ``identity_jump``; the analysis then does not measure
them and restarts smoothing after them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from formcheck.pose.frame import PoseFrame
from formcheck.pose.landmarks import Landmark as L

#: A tracked person whose hip centre moves this far (in frame heights) between consecutive
#: frames has been swapped for someone else: single-person trackers follow one and may jump.
JUMP_FRACTION = 0.25
#: Hard cuts between shots (edited videos): mean absolute difference of a coarse thumbnail
#: (0-255). Natural motion in front of a fixed camera stays under ~10; cuts score 40+.
CUT_SCORE = 25.0
#: After a cut, distrust the landmarks this long.
CUT_SETTLE_S = 0.25
THUMB_STRIDE = 16


def hip_centre(image_xy: np.ndarray, aspect: float) -> np.ndarray:
    """(2,) hip centre of (33, 2) normalized image landmarks, in frame heights."""
    return np.asarray(image_xy, dtype=np.float64)[[L.LEFT_HIP, L.RIGHT_HIP]].mean(axis=0) * (aspect, 1.0)


def is_jump(prev_hip: np.ndarray | None, hip: np.ndarray) -> bool:
    """True when the tracked person's hip centre moved too far since the previous frame
    to be the same person (``prev_hip`` None: no one was tracked in the previous frame)."""
    return prev_hip is not None and float(np.hypot(*(hip - prev_hip))) > JUMP_FRACTION


class CutDetector:
    """Hard cuts between shots, from a coarse thumbnail of each frame (any channel order:
    the score is a mean over all channels)."""

    def __init__(self) -> None:
        self._thumb: np.ndarray | None = None
        self._cut_until = -np.inf

    def update(self, frame: np.ndarray, t_s: float) -> bool:
        """True while ``frame`` (H, W, 3 uint8) follows a hard cut by at most CUT_SETTLE_S."""
        thumb = frame[::THUMB_STRIDE, ::THUMB_STRIDE].astype(np.int16)
        prev, self._thumb = self._thumb, thumb
        if prev is not None and prev.shape == thumb.shape and float(np.abs(thumb - prev).mean()) > CUT_SCORE:
            self._cut_until = t_s + CUT_SETTLE_S
        return t_s <= self._cut_until


class Continuity:
    """Marks the poses of a stream that follow a cut or an identity jump.

    Feed every frame in order: :meth:`mark` for a frame whose pose was estimated,
    :meth:`observe` for a frame that was only decoded (the start of a chunk scored from
    mid-video sees the cuts just before it, as one pass would).
    """

    def __init__(self) -> None:
        self._cuts = CutDetector()
        self._prev_hip: np.ndarray | None = None

    def observe(self, frame: np.ndarray, t_s: float) -> None:
        self._cuts.update(frame, t_s)
        self._prev_hip = None

    def mark(self, frame: np.ndarray, pose: PoseFrame, aspect: float | None = None) -> PoseFrame:
        """``pose`` with ``identity_jump`` set when it follows a cut or a jump."""
        if aspect is None:
            aspect = frame.shape[1] / frame.shape[0]
        return self.mark_scanned(pose, self.scan(frame, pose.t_s), aspect)

    def scan(self, frame: np.ndarray, t_s: float) -> bool:
        """Watch a frame for cuts (every decoded frame, inferred or not); True while it
        follows a cut. Its pose, if any, is then given to :meth:`mark_scanned`."""
        return self._cuts.update(frame, t_s)

    def mark_scanned(self, pose: PoseFrame, cut: bool, aspect: float) -> PoseFrame:
        """:meth:`mark` for a frame already :meth:`scan`-ned (``cut``: what the scan said).
        Poses must come in stream order, but frames may be skipped in between."""
        if not pose.has_person:
            self._prev_hip = None
            return pose
        hip = hip_centre(pose.image_xy, aspect)
        jump = is_jump(self._prev_hip, hip)
        self._prev_hip = hip
        if (jump or cut) and not pose.identity_jump:
            return dataclasses.replace(pose, identity_jump=True)
        return pose


def mark_joins(trace, starts: np.ndarray) -> None:
    """Jump checks across the frames at ``starts`` (indices where separately estimated
    pieces of a trace were joined), which no single estimator could make; in place."""
    aspect = trace.meta.aspect
    for f in starts.tolist():
        has_prev = trace.n_people[f - 1] > 0 and np.isfinite(trace.image_xy[f - 1, 0, 0])
        has_now = trace.n_people[f] > 0 and np.isfinite(trace.image_xy[f, 0, 0])
        if has_prev and has_now:
            prev_hip = hip_centre(trace.image_xy[f - 1], aspect)
            trace.identity_jump[f] |= is_jump(prev_hip, hip_centre(trace.image_xy[f], aspect))
