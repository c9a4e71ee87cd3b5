"""Cat-cow (catalog): cycles of the head bowing and lifting with the back, measured from the cow."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["cat_cow"]


def test_slow_cycles_count_one_each() -> None:
    c = analyze_trace(synthetic.cat_cow(reps=8), CFG)
    assert c.reps == 8
    assert [r.faults for r in c.results] == [()] * 8
    assert all(45.0 <= r.peak <= 52.0 for r in c.results)  # the range of the cycle, from the cow


def test_rushed_cycles_are_too_fast() -> None:
    c = analyze_trace(synthetic.cat_cow(reps=4, each_way_s=0.8), CFG)
    assert [r.faults for r in c.results] == [("too_fast",)] * 4


def test_small_cycles_count_as_small_range() -> None:
    c = analyze_trace(synthetic.cat_cow(reps=4, range_deg=22.0), CFG)
    assert [r.faults for r in c.results] == [("small_range",)] * 4


def test_the_caveat_says_the_spine_is_not_seen() -> None:
    assert "spine has no landmarks" in CFG.caveat
