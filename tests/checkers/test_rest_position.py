"""Rest position (seed S0): a timed rest lying with hips and knees bent."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.checkers.events import EventKind
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["rest_position"]


def test_a_two_minute_rest_is_timed() -> None:
    c = analyze_trace(synthetic.rest_position(rest_s=130.0), CFG)
    assert c.reps == 1
    assert c.results[0].faults == ()
    assert 130.0 <= c.results[0].hold_s <= 136.0


def test_a_shorter_rest_than_planned_is_hold_short() -> None:
    c = analyze_trace(synthetic.rest_position(rest_s=40.0), CFG)
    assert [r.faults for r in c.results] == [("hold_short",)]


def test_sitting_with_hips_and_knees_bent_is_not_this_rest() -> None:
    c = analyze_trace(synthetic.rest_position(rest_s=40.0, sitting=True), CFG)
    assert c.reps == 0
    prompts = [e.text for e in c.events if e.kind == EventKind.CUE_ON and e.code == "wrong_position"]
    assert prompts == ["This exercise is done lying on your back"]
