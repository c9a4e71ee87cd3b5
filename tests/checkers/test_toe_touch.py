"""Toe touch (seed S0): reach toward the toes and hold; "stop if it hurts"."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.checkers.events import EventKind
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["toe_touch"]


def test_a_35_s_fold_is_one_held_stretch_with_a_stop_if_it_hurts_prompt() -> None:
    c = analyze_trace(synthetic.toe_touch(), CFG)
    assert c.reps == 1
    assert c.results[0].faults == ()
    assert c.results[0].hold_s >= 30.0
    prompts = [e for e in c.events if e.kind == EventKind.CUE_ON and e.code == "stop_if_pain"]
    assert len(prompts) == 1 and "stop if it hurts" in prompts[0].text


def test_a_short_hold_is_hold_short() -> None:
    c = analyze_trace(synthetic.toe_touch(hold_s=10.0), CFG)
    assert [r.faults for r in c.results] == [("hold_short",)]


def test_a_shallow_bend_counts_as_short_reach() -> None:
    c = analyze_trace(synthetic.toe_touch(fold_deg=80.0), CFG)
    assert [r.faults for r in c.results] == [("short_reach", "hold_short")]
