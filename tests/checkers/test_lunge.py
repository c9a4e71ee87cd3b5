"""Lunges / split squats (catalog): counted on both knees, per front leg; the feet must not be in one line."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck.pose.landmarks import Landmark as L
from formcheck_testing import synthetic

CFG = builtin_exercises()["lunge"]


def test_split_squats_with_the_right_leg_forward_count_per_front_leg() -> None:
    c = analyze_trace(synthetic.lunge(reps=5, side="right"), CFG)
    assert c.reps == 5
    assert c.reps_by_side == {"left": 0, "right": 5}
    assert [r.faults for r in c.results] == [()] * 5


def test_alternating_lunges_are_split_by_front_leg_in_either_view() -> None:
    for view in ("side", "front"):
        c = analyze_trace(synthetic.lunge(reps=4, side="alternating", view=view), CFG)
        assert [r.side for r in c.results] == ["left", "right", "left", "right"], view


def test_feet_in_one_line_are_a_narrow_stance_from_the_front() -> None:
    c = analyze_trace(synthetic.lunge(reps=3, view="front", stance="in_line"), CFG)
    assert [r.faults for r in c.results] == [("narrow_stance",)] * 3
    wide = analyze_trace(synthetic.lunge(reps=3, view="front"), CFG)
    assert [r.faults for r in wide.results] == [()] * 3


def test_shallow_lunges_count_as_too_shallow() -> None:
    c = analyze_trace(synthetic.lunge(reps=3, depth_deg=60.0), CFG)
    assert [r.faults for r in c.results] == [("too_shallow",)] * 3


def test_a_trunk_leaning_40_degrees_at_the_bottom_is_flagged_side_on() -> None:
    c = analyze_trace(synthetic.lunge(reps=3, lean_deg=40.0), CFG)
    assert [r.faults for r in c.results] == [("leaning_forward",)] * 3


def test_per_side_counts_always_add_up_even_when_a_side_cannot_be_told() -> None:
    # One knee hidden throughout: the front leg cannot be compared with the back one. The
    # reps still count, and the per-side counts add up to them (an "unknown" side, not a guess).
    trace = synthetic.lunge(reps=3)
    trace.visibility[:, L.LEFT_KNEE] = 0.0
    c = analyze_trace(trace, CFG)
    assert c.reps == 3
    assert sum(c.reps_by_side.values()) == c.reps


def test_the_same_front_leg_carries_on_when_one_rep_cannot_tell_its_side() -> None:
    trace = synthetic.lunge(reps=3, side="right")
    second = trace.meta.extra["reps"][1]
    hide = (trace.t_s >= second.start_s - 0.5) & (trace.t_s <= second.end_s + 0.5)
    trace.visibility[hide, L.LEFT_KNEE] = 0.0
    c = analyze_trace(trace, CFG)
    assert c.reps_by_side == {"left": 0, "right": 3}
