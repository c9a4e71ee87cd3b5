"""Knee to chest (seed S3): one knee pulled in, per side, held 20 s."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["knee_to_chest"]


def test_alternating_20_s_pulls_count_per_side() -> None:
    c = analyze_trace(synthetic.knee_to_chest(reps=4), CFG)
    assert c.reps_by_side == {"left": 2, "right": 2}
    assert [r.faults for r in c.results] == [()] * 4
    assert all(r.hold_s >= 20.0 for r in c.results)


def test_short_holds_are_hold_short() -> None:
    c = analyze_trace(synthetic.knee_to_chest(reps=2, hold_s=3.0), CFG)
    assert [r.faults for r in c.results] == [("hold_short",)] * 2


def test_a_knee_not_pulled_in_far_enough_is_flagged() -> None:
    c = analyze_trace(synthetic.knee_to_chest(reps=2, hip_deg=107.0), CFG)
    assert [r.faults for r in c.results] == [("not_pulled_in", "hold_short")] * 2


def test_both_knees_resting_bent_is_not_a_rep() -> None:
    assert analyze_trace(synthetic.knee_to_chest(reps=2, hip_deg=50.0), CFG).reps == 0
