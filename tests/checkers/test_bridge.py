"""Glute bridges (catalog): a rep is hip flexion going DOWN (the hips rising), held at the top."""

from __future__ import annotations

import pytest

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["bridge"]


def test_ten_bridges_held_3_s_are_ten_clean_reps_peaking_near_zero_hip_flexion() -> None:
    c = analyze_trace(synthetic.bridge(reps=10), CFG)
    assert c.reps == 10
    assert [r.faults for r in c.results] == [()] * 10
    for r in c.results:
        assert r.peak == pytest.approx(0.0, abs=3.0)  # reported in the signal's own terms
        assert r.hold_s >= 3.0


def test_hips_lifted_only_part_way_count_but_are_hips_low() -> None:
    c = analyze_trace(synthetic.bridge(reps=3, lift=0.6), CFG)
    assert c.reps == 3  # a clear attempt counts; never at the top, so never held there either
    assert [r.faults for r in c.results] == [("hips_low", "hold_short")] * 3


def test_a_one_second_hold_at_the_top_is_hold_short() -> None:
    c = analyze_trace(synthetic.bridge(reps=3, hold_s=1.0), CFG)
    assert [r.faults for r in c.results] == [("hold_short",)] * 3


def test_a_small_hip_lift_is_not_a_bridge() -> None:
    assert analyze_trace(synthetic.bridge(reps=3, lift=0.3), CFG).reps == 0
