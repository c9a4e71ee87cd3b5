"""Lying leg raises with both legs (catalog): counted on the mean lift of the measurable legs."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["lying_leg_raise"]


def test_both_leg_raises_count_clean() -> None:
    c = analyze_trace(synthetic.lying_leg_raise(reps=8), CFG)
    assert c.reps == 8
    assert [r.faults for r in c.results] == [()] * 8


def test_bent_knee_raises_count_too() -> None:
    c = analyze_trace(synthetic.lying_leg_raise(reps=3, lift_deg=80.0, knee_deg=60.0), CFG)
    assert [r.faults for r in c.results] == [()] * 3


def test_legs_raised_to_40_degrees_are_too_low() -> None:
    c = analyze_trace(synthetic.lying_leg_raise(reps=3, lift_deg=40.0), CFG)
    assert [r.faults for r in c.results] == [("too_low",)] * 3


def test_dropping_the_legs_is_lowered_too_fast() -> None:
    c = analyze_trace(synthetic.lying_leg_raise(reps=3, down_speed=250.0), CFG)
    assert [r.faults for r in c.results] == [("lowered_too_fast",)] * 3
