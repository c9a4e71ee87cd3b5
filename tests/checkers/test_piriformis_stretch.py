"""Piriformis stretch, figure 4 lying (seed S3): per side by the crossed leg, 20-30 s holds."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["piriformis_stretch"]


def test_one_stretch_per_side_counts_per_crossed_leg() -> None:
    c = analyze_trace(synthetic.piriformis_stretch(side=["right", "left"]), CFG)
    assert [r.side for r in c.results] == ["right", "left"]
    assert [r.faults for r in c.results] == [(), ()]
    assert all(r.hold_s >= 20.0 for r in c.results)


def test_short_holds_are_hold_short() -> None:
    c = analyze_trace(synthetic.piriformis_stretch(reps=2, hold_s=8.0), CFG)
    assert [r.faults for r in c.results] == [("hold_short",)] * 2


def test_thighs_not_pulled_in_enough_are_flagged() -> None:
    c = analyze_trace(synthetic.piriformis_stretch(reps=2, pull_deg=102.0), CFG)  # measured ~97°
    assert [r.faults for r in c.results] == [("not_pulled_in", "hold_short")] * 2


def test_with_the_crossed_leg_hidden_the_side_is_the_other_one_than_last_time() -> None:
    # Side-on the left leg is the far one; crossed, it hides: its ankle is never measured, so
    # the two sides cannot be compared and the sides are taken to alternate.
    first = synthetic.piriformis_stretch(reps=1, side="right")
    hidden = synthetic.piriformis_stretch(reps=1, side="left", far_side_visibility=0.1)
    c = analyze_trace(synthetic.concat([first, hidden]), CFG)
    assert [r.side for r in c.results] == ["right", "left"]
