"""Heel slides from the synthetic body through the whole chain: range and "slow down"."""

from __future__ import annotations

from formcheck.analysis import Analyzer, analyze_trace
from formcheck.checkers.events import EventKind
from formcheck.checkers.rep_checker import RepChecker
from formcheck.exercises.config import builtin_exercises
from formcheck.pose.landmarks import Landmark as L
from formcheck_testing import synthetic

CFG = builtin_exercises()["heel_slide"]
LIMIT = CFG.value("max_speed_deg_s")


def _cue_times(c: RepChecker, code: str) -> list[float]:
    return [e.t_s for e in c.events if e.kind == EventKind.CUE_ON and e.code == code]


def test_slow_heel_slides_count_ten_clean_reps_and_never_say_slow_down() -> None:
    trace = synthetic.heel_slide(reps=10, peak_deg=90.0, bend_speed=LIMIT / 2, straighten_speed=LIMIT / 2)
    c = analyze_trace(trace, CFG)
    assert c.reps == 10
    assert c.reps_by_side == {"left": 10, "right": 0}
    assert [r.faults for r in c.results] == [()] * 10
    assert all(r.max_speed_per_s < LIMIT for r in c.results)
    assert _cue_times(c, "slow_down") == []


def test_heel_slides_at_twice_the_speed_limit_say_slow_down_in_every_rep_and_are_too_fast() -> None:
    trace = synthetic.heel_slide(reps=10, peak_deg=90.0, bend_speed=2 * LIMIT, straighten_speed=2 * LIMIT)
    c = analyze_trace(trace, CFG)
    assert c.reps == 10
    assert [r.faults for r in c.results] == [("too_fast",)] * 10
    cues = _cue_times(c, "slow_down")
    for rep in trace.meta.extra["reps"]:
        assert any(rep.start_s <= t <= rep.end_s for t in cues), f"no 'slow down' during rep {rep.index}"
    texts = {e.text for e in c.events if e.code == "slow_down" and e.kind == EventKind.CUE_ON}
    assert texts == {CFG.text("slow_down")}
    assert c.state().cues == ()  # cleared at the end


def test_a_heel_slide_to_40_degrees_counts_with_incomplete_range() -> None:
    c = analyze_trace(synthetic.heel_slide(reps=3, peak_deg=40.0), CFG)
    assert c.reps == 3
    assert [r.faults for r in c.results] == [("incomplete_range",)] * 3


def test_a_knee_bend_below_the_start_threshold_is_not_a_rep() -> None:
    c = analyze_trace(synthetic.heel_slide(reps=3, peak_deg=CFG.value("start_deg") - 10.0), CFG)
    assert c.reps == 0


def test_alternating_legs_are_counted_per_side() -> None:
    c = analyze_trace(synthetic.heel_slide(reps=6, side="alternating"), CFG)
    assert c.reps_by_side == {"left": 3, "right": 3}
    assert all(r.ok for r in c.results)


def test_frame_by_frame_and_whole_trace_analysis_give_identical_events() -> None:
    trace = synthetic.heel_slide(
        reps=4, side="right", bend_speed=2 * LIMIT, noise_world_m=0.01, seed=2, dropouts=[(9.0, 9.4)]
    )
    a = Analyzer(CFG, trace.meta.aspect)
    for f in trace.frames():
        a.update(f)
    a.finish()
    batch = analyze_trace(trace, CFG)
    assert a.checker.events == batch.events
    assert a.checker.results == batch.results
    assert batch.reps_by_side == {"left": 0, "right": 4}


_FEET = (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)


def test_feet_slipping_just_out_of_the_picture_while_holding_still_do_not_read_as_a_fast_movement() -> None:
    rep = synthetic.heel_slide_motion(reps=3, hold_s=4.0).reps[1]
    trace = synthetic.heel_slide(
        reps=3,
        hold_s=4.0,
        fill=0.98,  # framed tight: the feet are near the picture's edge
        out_of_frame=[(rep.hold_mid_s - 1.0, rep.hold_mid_s + 1.0)],
        out_of_frame_landmarks=_FEET,
        out_of_frame_direction="side",
    )
    c = analyze_trace(trace, CFG)
    assert c.reps == 3
    assert [r.faults for r in c.results] == [()] * 3
    assert _cue_times(c, "slow_down") == []
