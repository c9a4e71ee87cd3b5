"""Squats (catalog): counted on knee flexion; side view judges the forward lean."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.checkers.events import EventKind
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["squat"]


def test_ten_squats_to_90_degrees_count_ten_clean_reps() -> None:
    c = analyze_trace(synthetic.squat(reps=10), CFG)
    assert c.reps == 10
    assert [r.faults for r in c.results] == [()] * 10
    assert all(abs(r.peak - 90.0) < 1.5 for r in c.results)


def test_squats_seen_from_the_front_count_the_same_and_are_not_told_to_turn() -> None:
    # The squat's own advice accepts a front view: no camera prompt contradicts it.
    c = analyze_trace(synthetic.squat(reps=3, view="front"), CFG)
    assert [r.faults for r in c.results] == [()] * 3
    assert [e for e in c.events if e.kind == EventKind.CUE_ON and e.code == "wrong_view"] == []


def test_half_squats_to_50_degrees_count_as_too_shallow() -> None:
    c = analyze_trace(synthetic.squat(reps=4, depth_deg=50.0), CFG)
    assert [r.faults for r in c.results] == [("too_shallow",)] * 4


def test_a_30_degree_dip_is_not_a_squat() -> None:
    assert analyze_trace(synthetic.squat(reps=4, depth_deg=30.0), CFG).reps == 0


def test_chest_dropping_is_flagged_side_on_but_not_judged_from_the_front() -> None:
    side = analyze_trace(synthetic.squat(reps=3, lean_ratio=0.8), CFG)
    assert [r.faults for r in side.results] == [("leaning_forward",)] * 3
    front = analyze_trace(synthetic.squat(reps=3, lean_ratio=0.8, view="front"), CFG)
    assert [r.faults for r in front.results] == [()] * 3
