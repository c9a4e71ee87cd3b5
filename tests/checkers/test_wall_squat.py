"""Wall squats from the synthetic body through the whole chain (smoothing → measures → checker)."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis import Analyzer, analyze_trace, trace_measures
from formcheck.checkers.events import EventKind
from formcheck.checkers.rep_checker import RepChecker
from formcheck.exercises.config import builtin_exercises
from formcheck.measures import visibility
from formcheck.measures.body import measure_index
from formcheck_testing import synthetic

CFG = builtin_exercises()["wall_squat"]


def _codes(checker: RepChecker, kind: EventKind) -> list[str]:
    return [e.code for e in checker.events if e.kind == kind]


def test_ten_wall_squats_to_45_with_5_s_holds_count_ten_clean_reps() -> None:
    c = analyze_trace(synthetic.wall_squat(reps=10, depth_deg=45.0, hold_s=5.0), CFG)
    assert c.reps == 10
    assert [r.faults for r in c.results] == [()] * 10
    assert all(r.ok and r.finished for r in c.results)
    for r in c.results:
        assert r.peak == pytest.approx(45.0, abs=1.0)
        assert r.hold_s >= 5.0
        assert r.max_return_speed_per_s < CFG.value("max_return_speed_deg_s")
    assert _codes(c, EventKind.FAULT) == []
    assert c.measurable_frames == c.frames


def test_wall_squats_seen_from_the_front_count_the_same() -> None:
    c = analyze_trace(synthetic.wall_squat(reps=3, view="front"), CFG)
    assert [r.faults for r in c.results] == [()] * 3


def test_two_second_holds_count_every_rep_with_exactly_hold_short() -> None:
    c = analyze_trace(synthetic.wall_squat(reps=10, hold_s=2.0), CFG)
    assert c.reps == 10
    assert [r.faults for r in c.results] == [("hold_short",)] * 10
    assert all(2.0 <= r.hold_s < 5.0 for r in c.results)


def test_squats_to_70_degrees_are_too_deep() -> None:
    c = analyze_trace(synthetic.wall_squat(reps=10, depth_deg=70.0), CFG)
    assert c.reps == 10
    # Held too deep is no time in the band: the hold is short too (never a tick for it).
    assert [r.faults for r in c.results] == [("too_deep", "hold_short")] * 10
    assert "above_target" in _codes(c, EventKind.CUE_ON)  # "Not so deep" while it happens


def test_squats_to_30_degrees_count_but_are_too_shallow() -> None:
    c = analyze_trace(synthetic.wall_squat(reps=10, depth_deg=30.0), CFG)
    assert c.reps == 10  # a clear attempt counts
    assert all("too_shallow" in r.faults for r in c.results)
    assert not any(r.ok for r in c.results)
    assert "below_target" in _codes(c, EventKind.CUE_ON)  # "Bend your knees a little more"


def test_a_20_degree_dip_is_not_a_rep() -> None:
    c = analyze_trace(synthetic.wall_squat(reps=5, depth_deg=20.0), CFG)
    assert c.reps == 0
    assert _codes(c, EventKind.REP) == []


def test_rising_much_faster_than_the_limit_is_too_fast() -> None:
    limit = CFG.value("max_return_speed_deg_s")
    c = analyze_trace(synthetic.wall_squat(reps=3, up_speed=3 * limit), CFG)
    assert c.reps == 3
    assert [r.faults for r in c.results] == [("too_fast",)] * 3
    assert all(r.max_return_speed_per_s > limit for r in c.results)
    assert "return_too_fast" in _codes(c, EventKind.CUE_ON)  # "Rise slowly"


def test_a_trunk_leaning_35_degrees_off_the_wall_is_flagged_leaning() -> None:
    c = analyze_trace(synthetic.wall_squat(reps=3, lean_deg=35.0), CFG)
    assert c.reps == 3
    assert [r.faults for r in c.results] == [("leaning",)] * 3
    assert _codes(c, EventKind.FAULT) == ["leaning"] * 3


def _pausing_at_thresholds(reps: int) -> synthetic.Motion:
    """Squats that pause 2 s at each counting threshold, going down and coming up."""
    start, end = CFG.value("start_deg"), CFG.value("end_deg")
    m = synthetic.Motion({"knee": 0.0, "lean": 0.0}).rest(2.0)
    for _ in range(reps):
        m.move({"knee": end}, 1.0).hold(2.0, label="pause").move({"knee": start}, 1.0).hold(2.0, label="pause")
        m.move({"knee": 45.0}, 1.0).hold(5.0)
        m.move({"knee": start}, 1.5).hold(2.0, label="pause").move({"knee": end}, 1.0).hold(2.0, label="pause")
        m.move({"knee": 0.0}, 1.0).rest(2.0)
    return m


def test_jitter_around_the_counting_thresholds_never_counts_twice() -> None:
    motion = _pausing_at_thresholds(reps=4)
    trace = synthetic.render_motion(
        motion, synthetic.wall_squat_pose, "feet", synthetic.Capture(noise_world_m=0.01, seed=3)
    )
    values, usable, img = trace_measures(trace)
    knee = values[:, measure_index("knee_flex_deg")]
    crossings = 0
    for (a, b), thr in zip(motion.spans("pause"), [CFG.value("end_deg"), CFG.value("start_deg")] * 8, strict=True):
        above = knee[(trace.t_s >= a + 0.5) & (trace.t_s < b)] > thr
        crossings += int(np.count_nonzero(above[1:] != above[:-1]))
    assert crossings > 40  # the measured signal really does jitter across the thresholds

    c = analyze_trace(trace, CFG, measures=(values, usable, img))
    assert c.reps == 4
    assert [r.faults for r in c.results] == [()] * 4


def test_legs_out_of_frame_mid_hold_keep_the_rep_and_its_hold() -> None:
    rep = synthetic.wall_squat_motion(reps=3).reps[1]
    span = (rep.hold_mid_s - 1.0, rep.hold_mid_s + 1.0)
    trace = synthetic.wall_squat(reps=3, out_of_frame=[span], out_of_frame_direction="below")
    legs_in_span = trace.image_xy[(trace.t_s >= span[0]) & (trace.t_s < span[1])][:, synthetic.LEG_LANDMARKS]
    assert np.all(legs_in_span[..., 1] > 1.0)  # the estimator's invented legs, below the picture

    c = analyze_trace(trace, CFG)
    assert c.reps == 3
    assert [r.faults for r in c.results] == [()] * 3
    assert c.results[1].hold_s >= 5.0
    cue = next(e for e in c.events if e.kind == EventKind.CUE_ON and e.code == "not_measurable")
    assert span[0] < cue.t_s < span[1]
    assert cue.text == visibility.TEXTS[visibility.FEET_OUT]
    assert c.measurable_frames < c.frames


def test_a_short_dropout_mid_hold_keeps_the_rep_and_its_hold() -> None:
    rep = synthetic.wall_squat_motion(reps=3).reps[1]
    c = analyze_trace(synthetic.wall_squat(reps=3, dropouts=[(rep.hold_start_s + 1.0, rep.hold_start_s + 3.0)]), CFG)
    assert [r.faults for r in c.results] == [()] * 3
    assert c.results[1].hold_s >= 5.0


def test_a_dropout_longer_than_max_gap_mid_rep_loses_that_rep() -> None:
    gap = CFG.value("max_gap_s") + 1.0
    rep = synthetic.wall_squat_motion(reps=3, hold_s=gap + 4.0).reps[1]
    dropout = (rep.hold_start_s + 2.0, rep.hold_start_s + 2.0 + gap)
    c = analyze_trace(synthetic.wall_squat(reps=3, hold_s=gap + 4.0, dropouts=[dropout]), CFG)
    assert c.reps == 2  # back in view still squatting, then rising: that rep is not counted
    assert all(not (r.start_s < dropout[0] < r.end_s) for r in c.results)
    lost = [e for e in c.events if e.code == "rep_lost"]
    assert len(lost) == 1 and lost[0].t_s >= dropout[1]


def test_end_of_stream_mid_hold_counts_the_rep_as_unfinished() -> None:
    rep = synthetic.wall_squat_motion(reps=3).reps[2]
    c = analyze_trace(synthetic.wall_squat(reps=3, stop_at_s=rep.hold_mid_s), CFG)
    assert c.reps == 3
    last = c.results[-1]
    assert "unfinished" in last.faults
    assert not last.finished
    assert [r.faults for r in c.results[:2]] == [(), ()]
    assert c.state().cues == ()


def _live(trace, cfg=CFG) -> Analyzer:
    a = Analyzer(cfg, trace.meta.aspect)
    for f in trace.frames():
        a.update(f)
    a.finish()
    return a


def test_frame_by_frame_and_whole_trace_analysis_give_identical_events() -> None:
    rep = synthetic.wall_squat_motion(reps=4).reps
    trace = synthetic.wall_squat(
        reps=4,
        up_speed=120.0,
        noise_world_m=0.01,
        seed=11,
        dropouts=[(rep[1].hold_mid_s, rep[1].hold_mid_s + 0.5)],
        out_of_frame=[(rep[2].hold_mid_s, rep[2].hold_mid_s + 1.0)],
    )
    live = _live(trace).checker
    batch = analyze_trace(trace, CFG)
    assert live.events == batch.events
    assert live.results == batch.results
    assert live.reps == 4


def test_pain_stop_ends_the_set_counts_the_rep_in_progress_and_ignores_later_frames() -> None:
    trace = synthetic.wall_squat(reps=3)
    rep = trace.meta.extra["reps"][1]
    a = Analyzer(CFG, trace.meta.aspect)
    frames = list(trace.frames())
    i_stop = int(np.searchsorted(trace.t_s, rep.hold_mid_s))
    for f in frames[:i_stop]:
        a.update(f)
    events = a.checker.stop(frames[i_stop].t_s)
    assert [e.kind for e in events] == [EventKind.REP, EventKind.STOP]
    assert events[-1].code == "pain_stop"
    assert events[-1].text == CFG.text("pain_stop")
    assert a.checker.reps == 2
    assert a.checker.results[-1].faults[-1] == "unfinished"
    assert a.checker.stopped == (frames[i_stop].t_s, "pain_stop")
    assert a.checker.state().phase == "stopped"
    assert all(a.update(f).events == [] for f in frames[i_stop:])
    assert all(e.kind == EventKind.CUE_OFF for e in a.finish())  # only clears what is shown
    assert a.checker.reps == 2
    assert a.checker.stop(frames[-1].t_s) == []  # stopping twice records one stop


def test_reset_starts_a_fresh_set_that_scores_the_same() -> None:
    trace = synthetic.wall_squat(reps=2, hold_s=2.0)
    a = _live(trace)
    first = list(a.checker.events)
    assert a.checker.reps == 2
    a.checker.reset()
    a.smoother.reset()
    c = a.checker
    assert c.reps == 0 and c.events == [] and c.results == [] and c.frames == 0 and c.stopped is None
    assert c.state().phase == "rest"
    for f in trace.frames():
        a.update(f)
    a.finish()
    assert c.events == first
    assert [r.faults for r in c.results] == [("hold_short",)] * 2


def test_reset_mid_squat_does_not_count_the_squat_already_in_progress() -> None:
    trace = synthetic.wall_squat(reps=3)
    rep = trace.meta.extra["reps"][0]
    a = Analyzer(CFG, trace.meta.aspect)
    done = False
    for f in trace.frames():
        if not done and f.t_s >= rep.hold_mid_s:
            a.checker.reset()
            done = True
        a.update(f)
    a.finish()
    assert a.checker.reps == 2
    assert a.checker.results[0].start_s > rep.end_s
