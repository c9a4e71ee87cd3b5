"""Sit to stand (catalog): counted on knee flexion like a squat (standing → seated →
standing); the verdict combines knee alignment, trunk lean, left/right symmetry, a level
pelvis and the feet side by side. Synthetic exact 3-D motion (motion-capture import), so
every view measures the same, and the camera view of the same motion."""

from __future__ import annotations

import pytest

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import get_exercise
from formcheck.formats.mocap import MocapSpec, mocap_trace
from formcheck_testing import synthetic

CFG = get_exercise("sit_to_stand")
FPS = 60.0


def _exact(reps: int = 3, yaw: float = 0.0, **faults: float):
    """Sit to stand as motion capture (exact 3-D), seen from ``yaw``; ``faults`` are the
    options of :func:`synthetic.sit_to_stand_motion`."""
    m = synthetic.sit_to_stand_motion(reps=reps, start_s=1.0, **faults)
    t = synthetic.frame_times(m, FPS)
    ch = m.sample(t)
    pos = synthetic.sit_to_stand_valgus(synthetic.skeleton(synthetic.sit_to_stand_pose(ch), len(t)), ch)
    return mocap_trace(pos, MocapSpec(units="m", up="+z", yaw_deg=yaw), t=t).trace


@pytest.mark.parametrize("yaw", [0.0, 90.0])
def test_sit_to_stand_counts_clean_from_the_front_and_the_side(yaw):
    c = analyze_trace(_exact(3, yaw=yaw), CFG)
    assert c.reps == 3 and [r.faults for r in c.results] == [()] * 3


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"valgus_m": 0.08}, "knees_in"),
        ({"lean_deg": 60.0}, "leaning_forward"),
        ({"uneven_deg": 25.0}, "uneven"),
        ({"roll_deg": 15.0}, "hips_tilted"),
        ({"stagger_deg": 20.0}, "feet_staggered"),
    ],
)
def test_each_fault_is_flagged_on_every_rep_and_alone(fault, code):
    c = analyze_trace(_exact(2, **fault), CFG)
    assert c.reps == 2 and [r.faults for r in c.results] == [(code,)] * 2


def test_not_sitting_down_is_too_shallow():
    c = analyze_trace(_exact(2, depth_deg=60.0, lean_deg=20.0), CFG)
    assert c.reps == 2 and all("too_shallow" in r.faults for r in c.results)


def test_camera_sit_to_stand_from_the_side_counts_clean():
    c = analyze_trace(synthetic.sit_to_stand(reps=3, seed=2), CFG)
    assert c.reps == 3 and [r.faults for r in c.results] == [()] * 3
