"""Cuts and identity jumps are marked after any backend, from the frames and the poses."""

from __future__ import annotations

import dataclasses

import numpy as np

from formcheck.pose.continuity import CUT_SETTLE_S, Continuity, CutDetector
from formcheck.pose.frame import PoseFrame
from formcheck_testing import synthetic


def _frame(level: int) -> np.ndarray:
    return np.full((72, 128, 3), level, np.uint8)


def _pose(t_s: float, dx: float = 0.0) -> PoseFrame:
    f = synthetic.squat(reps=1).frame(0)
    return dataclasses.replace(f, t_s=t_s, image_xy=f.image_xy + np.array([dx, 0.0]))


def test_a_hard_cut_marks_the_frames_of_the_next_quarter_second():
    cuts = CutDetector()
    flags = [cuts.update(_frame(40 if i < 10 else 200), i / 30) for i in range(30)]
    after = [i for i, f in enumerate(flags) if f]
    assert after[0] == 10
    assert after == list(range(10, 10 + int(CUT_SETTLE_S * 30) + 1))


def test_natural_changes_are_not_cuts():
    cuts = CutDetector()
    assert not any(cuts.update(_frame(100 + i % 5), i / 30) for i in range(60))


def test_a_hip_jump_marks_one_frame_and_a_steady_person_none():
    guard = Continuity()
    marked = [guard.mark(_frame(100), _pose(i / 30, 0.3 if i >= 5 else 0.0)).identity_jump for i in range(10)]
    assert marked == [False] * 5 + [True] + [False] * 4


def test_nobody_in_between_is_not_a_jump():
    guard = Continuity()
    assert not guard.mark(_frame(100), _pose(0.0)).identity_jump
    assert not guard.mark(_frame(100), PoseFrame.empty(1 / 30)).identity_jump
    assert not guard.mark(_frame(100), _pose(2 / 30, 0.4)).identity_jump


def test_observed_frames_prime_cut_detection_without_a_pose():
    guard = Continuity()
    guard.observe(_frame(30), 0.0)
    assert guard.mark(_frame(220), _pose(1 / 30)).identity_jump  # the cut happened at this frame


def test_a_recorded_jump_is_kept():
    guard = Continuity()
    pose = dataclasses.replace(_pose(0.0), identity_jump=True)
    assert guard.mark(_frame(100), pose).identity_jump
