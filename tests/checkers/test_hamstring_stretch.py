"""Hamstring stretches lying (seed S3): per side, 20 s holds, knee straightened."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["hamstring_stretch"]


def test_alternating_20_s_stretches_count_per_side_with_their_hold_time() -> None:
    c = analyze_trace(synthetic.hamstring_stretch(reps=4), CFG)
    assert c.reps_by_side == {"left": 2, "right": 2}
    assert [r.faults for r in c.results] == [()] * 4
    assert all(r.hold_s >= 20.0 for r in c.results)


def test_short_holds_count_but_are_hold_short() -> None:
    c = analyze_trace(synthetic.hamstring_stretch(reps=2, hold_s=5.0), CFG)
    assert [r.faults for r in c.results] == [("hold_short",)] * 2
    assert all(5.0 <= r.hold_s < 20.0 for r in c.results)


def test_a_knee_left_bent_is_not_extended() -> None:
    c = analyze_trace(synthetic.hamstring_stretch(reps=2, knee_deg=70.0, lift_deg=75.0), CFG)
    assert [r.faults for r in c.results] == [("knee_not_extended",)] * 2


def test_a_leg_raised_only_half_way_is_low() -> None:
    c = analyze_trace(synthetic.hamstring_stretch(reps=2, lift_deg=55.0), CFG)
    assert [r.faults for r in c.results] == [("leg_low", "hold_short")] * 2
