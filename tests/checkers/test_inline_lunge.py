"""Inline lunge (catalog): counted on knee flexion (both knees bend together); the verdict
combines depth, the trunk staying upright (lean added since the start of the rep) and the
step's length (the thighs' split in the body's side plane at the bottom). Synthetic exact
3-D motion and the camera view of the same motion."""

from __future__ import annotations

import pytest

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import get_exercise
from formcheck.formats.mocap import MocapSpec, mocap_trace
from formcheck_testing import synthetic

CFG = get_exercise("inline_lunge")
FPS = 60.0


def _exact(reps: int = 3, yaw: float = 0.0, **options: object):
    m = synthetic.inline_lunge_motion(reps=reps, start_s=1.0, **options)  # type: ignore[arg-type]
    t = synthetic.frame_times(m, FPS)
    pos = synthetic.skeleton(synthetic.inline_lunge_pose(m.sample(t)), len(t))
    return mocap_trace(pos, MocapSpec(units="m", up="+z", yaw_deg=yaw), t=t).trace


@pytest.mark.parametrize(("yaw", "front"), [(0.0, "right"), (90.0, "right"), (90.0, "left"), (-90.0, "left")])
def test_inline_lunges_count_clean_from_any_view_with_either_leg_in_front(yaw, front):
    c = analyze_trace(_exact(3, yaw=yaw, front=front), CFG)
    assert c.reps == 3 and [r.faults for r in c.results] == [()] * 3


def test_leaning_forward_during_the_lunge_is_flagged():
    c = analyze_trace(_exact(2, lean_deg=20.0), CFG)
    assert [r.faults for r in c.results] == [("leaning",)] * 2


def test_a_short_step_is_flagged():
    c = analyze_trace(_exact(2, split_deg=55.0), CFG)
    assert [r.faults for r in c.results] == [("short_step",)] * 2


def test_a_shallow_lunge_is_too_shallow():
    c = analyze_trace(_exact(2, depth_deg=70.0), CFG)
    assert c.reps == 2 and [r.faults for r in c.results] == [("too_shallow",)] * 2


def test_camera_inline_lunges_from_the_side_count_clean():
    c = analyze_trace(synthetic.inline_lunge(reps=3, seed=2), CFG)
    assert c.reps == 3 and [r.faults for r in c.results] == [()] * 3
