"""Pelvic tilts (catalog): a few degrees of hip flexion DOWN from rest, held briefly."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["pelvic_tilt"]


def test_tilts_held_5_s_count_one_each() -> None:
    c = analyze_trace(synthetic.pelvic_tilt(reps=6), CFG)
    assert c.reps == 6
    assert [r.faults for r in c.results] == [()] * 6


def test_a_small_tilt_counts_but_is_small() -> None:
    c = analyze_trace(synthetic.pelvic_tilt(reps=3, tilt=0.6), CFG)
    assert [r.faults for r in c.results] == [("small_tilt", "hold_short")] * 3


def test_a_tilt_released_after_2_s_is_hold_short() -> None:
    c = analyze_trace(synthetic.pelvic_tilt(reps=3, hold_s=2.0), CFG)
    assert [r.faults for r in c.results] == [("hold_short",)] * 3


def test_noise_at_rest_is_not_a_tilt() -> None:
    c = analyze_trace(synthetic.pelvic_tilt(reps=3, tilt=0.0, noise_world_m=0.004, noise_image=0.002), CFG)
    assert c.reps == 0


def test_the_caveat_says_how_sure_the_measurement_is() -> None:
    assert "approximate" in CFG.caveat and "±3°" in CFG.caveat
