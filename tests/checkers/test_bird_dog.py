"""Bird dogs (catalog): on all fours, the leg's hip flexion going DOWN, opposite arm, alternating."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.checkers.events import EventKind
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["bird_dog"]


def test_alternating_bird_dogs_held_3_s_count_per_side_without_faults_or_prompts() -> None:
    c = analyze_trace(synthetic.bird_dog(reps=6), CFG)
    assert c.reps_by_side == {"left": 3, "right": 3}
    assert [r.faults for r in c.results] == [()] * 6
    assert [e.code for e in c.events if e.kind == EventKind.CUE_ON] == []


def test_same_side_arm_and_leg_are_flagged() -> None:
    c = analyze_trace(synthetic.bird_dog(reps=2, arm="same"), CFG)
    assert [r.faults for r in c.results] == [("same_side", "arm_not_extended")] * 2


def test_an_arm_that_stays_down_is_arm_not_extended() -> None:
    c = analyze_trace(synthetic.bird_dog(reps=2, arm="none"), CFG)
    assert [r.faults for r in c.results] == [("arm_not_extended",)] * 2


def test_a_leg_lifted_half_way_is_not_extended() -> None:
    c = analyze_trace(synthetic.bird_dog(reps=2, leg_deg=50.0), CFG)
    assert [r.faults for r in c.results] == [("leg_not_extended", "hold_short")] * 2


def test_hips_rotating_during_the_hold_are_flagged_when_seen_from_the_front() -> None:
    # (20° off head-on: straight head-on the trunk points at the camera and its posture is not seen)
    c = analyze_trace(synthetic.bird_dog(reps=2, roll_deg=25.0, view=20.0), CFG)
    assert [r.faults for r in c.results] == [("hips_rotating",)] * 2


def test_hips_rotating_is_not_judged_side_on_where_only_depth_estimates_show_it() -> None:
    # Side-on, the hip line's tilt comes from MediaPipe's depth: a fault the camera cannot judge.
    c = analyze_trace(synthetic.bird_dog(reps=2, roll_deg=25.0), CFG)
    assert [r.faults for r in c.results] == [(), ()]


def test_the_back_sagging_during_the_hold_is_flagged() -> None:
    c = analyze_trace(synthetic.bird_dog(reps=2, sag_deg=-20.0), CFG)
    assert [r.faults for r in c.results] == [("hips_sagging",)] * 2


def test_a_short_hold_and_the_same_side_twice_are_flagged() -> None:
    c = analyze_trace(synthetic.bird_dog(side=["right", "right"], hold_s=0.0), CFG)
    assert [r.faults for r in c.results] == [("hold_short",), ("hold_short", "not_alternating")]


def test_bird_dogs_done_standing_up_prompt_hands_and_knees() -> None:
    c = analyze_trace(synthetic.squat(reps=2), CFG)
    prompts = [e.text for e in c.events if e.kind == EventKind.CUE_ON and e.code == "wrong_position"]
    assert prompts == ["This exercise is done on your hands and knees"]
