"""Abdominal bracing (seed S3): holds paced by the checker, posture and stillness checked."""

from __future__ import annotations

import pytest

from formcheck.analysis import analyze_trace
from formcheck.checkers.events import EventKind
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["abdominal_brace"]


def _cue_times(c, code: str) -> list[float]:
    return [round(e.t_s, 2) for e in c.events if e.kind == EventKind.CUE_ON and e.code == code]


def test_lying_still_gets_ten_paced_five_second_holds_with_breathing_prompts() -> None:
    # settle 2 s, then 10 × (hold 5 s + relax 5 s)
    c = analyze_trace(synthetic.abdominal_brace(duration_s=100.0), CFG)
    assert c.reps == 10
    assert [r.faults for r in c.results] == [()] * 10
    assert [r.start_s for r in c.results] == pytest.approx([2.0 + 10.0 * i for i in range(10)], abs=0.05)
    assert all(r.hold_s == pytest.approx(5.0, abs=0.05) for r in c.results)
    assert _cue_times(c, "brace") == _cue_times(c, "breathe") == [r.start_s for r in c.results]
    assert _cue_times(c, "relax") == [round(r.end_s, 2) for r in c.results]
    texts = {e.code: e.text for e in c.events if e.kind == EventKind.CUE_ON}
    assert texts["breathe"] == "Don't hold your breath: keep breathing"


def test_the_caveat_says_the_brace_itself_is_not_visible() -> None:
    assert "cannot be seen" in CFG.caveat


def test_moving_during_a_hold_is_flagged_on_that_hold_only() -> None:
    c = analyze_trace(synthetic.abdominal_brace(duration_s=42.0, moves=[(13.0, 15.0)]), CFG)
    assert c.reps == 4
    assert [r.faults for r in c.results] == [(), ("moved",), (), ()]


def test_straightening_the_legs_cuts_the_hold_short_and_waits_for_the_position() -> None:
    c = analyze_trace(synthetic.abdominal_brace(duration_s=45.0, straighten=[(13.0, 17.0)]), CFG)
    assert [r.faults for r in c.results][:2] == [(), ("moved", "hold_short")]
    assert c.results[1].hold_s < 2.0
    assert all(r.faults == () for r in c.results[2:])


def test_no_holds_are_paced_standing_up_and_the_person_is_told_to_lie_down() -> None:
    c = analyze_trace(synthetic.squat(reps=2), CFG)
    assert c.reps == 0
    prompts = [e.text for e in c.events if e.kind == EventKind.CUE_ON and e.code == "wrong_position"]
    assert prompts == ["This exercise is done lying on your back"]


def test_a_hold_cut_off_by_the_end_of_the_recording_is_not_counted() -> None:
    c = analyze_trace(synthetic.abdominal_brace(duration_s=14.0), CFG)  # second hold starts at 12 s
    assert c.reps == 1
