"""Swiss ball, opposite arm and knee (seed S3): alternating, per side by the lifted knee."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.checkers.events import EventKind
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["swiss_ball_arm_leg"]


def test_ten_alternating_lifts_count_five_per_side() -> None:
    c = analyze_trace(synthetic.swiss_ball_arm_leg(reps=10), CFG)
    assert c.reps_by_side == {"left": 5, "right": 5}
    assert [r.faults for r in c.results] == [()] * 10
    assert [e.code for e in c.events if e.kind == EventKind.CUE_ON] == []  # sitting, facing: no prompts


def test_same_side_arm_and_knee_are_flagged() -> None:
    c = analyze_trace(synthetic.swiss_ball_arm_leg(reps=2, arm="same"), CFG)
    assert [r.faults for r in c.results] == [("same_side", "arm_not_overhead")] * 2


def test_an_arm_only_half_up_is_not_overhead() -> None:
    c = analyze_trace(synthetic.swiss_ball_arm_leg(reps=2, arm_deg=90.0), CFG)
    assert [r.faults for r in c.results] == [("arm_not_overhead",)] * 2


def test_a_small_knee_lift_is_too_low() -> None:
    c = analyze_trace(synthetic.swiss_ball_arm_leg(reps=2, knee_lift_deg=15.0), CFG)
    assert [r.faults for r in c.results] == [("knee_too_low",)] * 2


def test_the_same_knee_twice_is_not_alternating() -> None:
    c = analyze_trace(synthetic.swiss_ball_arm_leg(side=["right", "right"]), CFG)
    assert [r.faults for r in c.results] == [(), ("not_alternating",)]
