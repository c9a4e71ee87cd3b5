"""Dead bugs (catalog): per side by the extended leg, opposite arm overhead, alternating."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["dead_bug"]


def test_alternating_dead_bugs_count_per_side_without_faults() -> None:
    c = analyze_trace(synthetic.dead_bug(reps=6), CFG)
    assert c.reps == 6
    assert c.reps_by_side == {"left": 3, "right": 3}
    assert [r.side for r in c.results] == ["left", "right"] * 3
    assert [r.faults for r in c.results] == [()] * 6


def test_arm_and_leg_of_the_same_side_are_flagged_same_side() -> None:
    c = analyze_trace(synthetic.dead_bug(reps=4, arm="same"), CFG)
    assert c.reps == 4
    assert [r.faults for r in c.results] == [("same_side", "arm_not_reaching")] * 4


def test_a_leg_moving_without_the_arm_is_arm_not_reaching() -> None:
    c = analyze_trace(synthetic.dead_bug(reps=2, arm="none"), CFG)
    assert [r.faults for r in c.results] == [("arm_not_reaching",)] * 2


def test_a_leg_stopping_half_way_counts_but_is_not_extended() -> None:
    c = analyze_trace(synthetic.dead_bug(reps=2, extend=0.5), CFG)
    assert [r.faults for r in c.results] == [("leg_not_extended",)] * 2


def test_the_same_side_twice_in_a_row_is_not_alternating() -> None:
    c = analyze_trace(synthetic.dead_bug(side=["left", "left", "right"]), CFG)
    assert [r.side for r in c.results] == ["left", "left", "right"]
    assert [r.faults for r in c.results] == [(), ("not_alternating",), ()]
