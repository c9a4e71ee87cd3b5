"""Heel raises (seed S3): slow, both heels, weight even; measured from the standing level."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["heel_raise"]


def test_ten_slow_raises_facing_the_camera_are_ten_clean_reps() -> None:
    c = analyze_trace(synthetic.heel_raise(reps=10), CFG)
    assert c.reps == 10
    assert [r.faults for r in c.results] == [()] * 10


def test_raises_seen_side_on_count_too() -> None:
    c = analyze_trace(synthetic.heel_raise(reps=4, view="side"), CFG)
    assert [r.faults for r in c.results] == [()] * 4


def test_a_small_lift_counts_but_is_too_low() -> None:
    c = analyze_trace(synthetic.heel_raise(reps=3, lift_deg=8.0), CFG)  # ~2.7 cm: past start, short of 3 cm
    assert [r.faults for r in c.results] == [("too_low",)] * 3


def test_bobbing_up_and_down_is_too_fast() -> None:
    c = analyze_trace(synthetic.heel_raise(reps=3, up_s=0.35, down_s=0.35), CFG)
    assert [r.faults for r in c.results] == [("too_fast",)] * 3


def test_leaning_onto_one_leg_tilts_hips_and_shoulders() -> None:
    c = analyze_trace(synthetic.heel_raise(reps=3, roll_deg=8.0), CFG)
    assert [r.faults for r in c.results] == [("uneven_hips", "uneven_shoulders")] * 3


def test_one_heel_lower_than_the_other_is_flagged() -> None:
    c = analyze_trace(synthetic.heel_raise(reps=3, uneven_deg=15.0), CFG)
    assert [r.faults for r in c.results] == [("uneven_heels",)] * 3


def test_bending_the_knees_is_flagged() -> None:
    c = analyze_trace(synthetic.heel_raise(reps=3, knee_bend_deg=25.0), CFG)
    assert [r.faults for r in c.results] == [("knees_bent",)] * 3


def test_balance_is_not_judged_side_on() -> None:
    c = analyze_trace(synthetic.heel_raise(reps=3, roll_deg=8.0, view="side"), CFG)
    assert [r.faults for r in c.results] == [()] * 3
