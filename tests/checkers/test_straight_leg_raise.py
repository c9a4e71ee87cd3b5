"""Straight leg raises from the synthetic body through the whole chain."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis import Analyzer, analyze_trace
from formcheck.checkers.events import EventKind
from formcheck.exercises.config import builtin_exercises
from formcheck.pose.landmarks import Landmark as L
from formcheck_testing import synthetic

CFG = builtin_exercises()["straight_leg_raise"]
#: The advice's camera: at floor height. A 12° lift of the default body's leg puts the ankle
#: ~28 cm above the floor (reading 24-30 cm: near/far leg); 1° of lift moves it ~1.5 cm.
CAMERA = {"camera_height_m": 0.2}
LIFT_12_IN_DEG = 12.0
CM_PER_DEG = synthetic.Body().leg_m * 100.0 * np.pi / 180.0


def slr(**kw: object):
    return synthetic.straight_leg_raise(**(CAMERA | {"lift_deg": LIFT_12_IN_DEG} | kw))


def test_five_left_then_five_right_are_counted_per_side_without_faults() -> None:
    c = analyze_trace(slr(side=["left"] * 5 + ["right"] * 5), CFG)
    assert c.reps == 10
    assert c.reps_by_side == {"left": 5, "right": 5}
    assert [r.side for r in c.results] == ["left"] * 5 + ["right"] * 5
    assert [r.faults for r in c.results] == [()] * 10
    for r in c.results:
        # ~28 cm (11 in) truly; read within the camera's perspective error (tests/measures/test_floor_height.py)
        assert r.unit == "cm" and r.peak == pytest.approx(27.5, abs=4.0)
        assert r.hold_s >= 5.0
        assert r.extra_peaks[f"leg_lift_{r.side}_deg"] == pytest.approx(LIFT_12_IN_DEG, abs=1.0)


def test_alternating_sides_are_counted_per_side() -> None:
    c = analyze_trace(slr(reps=6, side="alternating"), CFG)
    assert c.reps_by_side == {"left": 3, "right": 3}
    assert [r.side for r in c.results] == ["left", "right"] * 3
    assert all(r.ok for r in c.results)


def test_a_raised_knee_bent_30_degrees_is_flagged_knee_bent() -> None:
    c = analyze_trace(slr(reps=3, knee_bend_deg=30.0, lift_deg=20.0), CFG)
    assert c.reps == 3  # the lift itself still reaches the target
    assert [r.faults for r in c.results] == [("knee_bent",)] * 3
    assert [e.code for e in c.events if e.kind == EventKind.FAULT] == ["knee_bent"] * 3
    assert "knee_bent" in [e.code for e in c.events if e.kind == EventKind.CUE_ON]  # "Keep the raised leg straight"


def test_a_slightly_soft_knee_is_still_a_straight_leg() -> None:
    soft = CFG.value("max_raised_knee_flex_deg") / 2
    c = analyze_trace(slr(reps=2, knee_bend_deg=soft), CFG)
    assert [r.faults for r in c.results] == [(), ()]


def test_lifting_too_high_is_flagged_too_high() -> None:
    c = analyze_trace(slr(reps=3, lift_deg=35.0), CFG)  # the ankle ~55 cm (22 in) up
    assert c.reps == 3
    assert [r.faults for r in c.results] == [("too_high", "hold_short")] * 3  # no time in the band
    assert all(r.peak > CFG.value("target_max_cm") for r in c.results)


def test_a_lift_of_a_few_inches_is_too_low() -> None:
    c = analyze_trace(slr(reps=2, lift_deg=5.0), CFG)  # the ankle ~19 cm (7.5 in) up
    assert [r.faults for r in c.results] == [("too_low", "hold_short")] * 2


def test_lowering_too_fast_is_flagged_lowered_too_fast() -> None:
    limit = CFG.value("max_return_speed_cm_s") / CM_PER_DEG  # deg/s of the lift
    c = analyze_trace(slr(reps=3, down_speed=3 * limit), CFG)
    assert c.reps == 3
    assert [r.faults for r in c.results] == [("lowered_too_fast",)] * 3
    assert "return_too_fast" in [e.code for e in c.events if e.kind == EventKind.CUE_ON]  # "Lower slowly"


def test_lowering_slowly_is_not_too_fast() -> None:
    limit = CFG.value("max_return_speed_cm_s") / CM_PER_DEG
    c = analyze_trace(slr(reps=3, down_speed=0.5 * limit), CFG)
    assert [r.faults for r in c.results] == [()] * 3


def test_the_other_knee_left_straight_is_flagged_other_knee_straight() -> None:
    c = analyze_trace(slr(reps=3, other_knee_deg=0.0), CFG)
    assert c.reps == 3
    assert [r.faults for r in c.results] == [("other_knee_straight",)] * 3


def test_legs_out_of_frame_in_the_middle_of_a_hold_still_give_exactly_one_rep_with_its_hold() -> None:
    rep = synthetic.straight_leg_raise_motion(reps=1).reps[0]
    span = (rep.hold_mid_s - 1.0, rep.hold_mid_s + 1.0)
    trace = slr(reps=1, out_of_frame=[span], out_of_frame_visibility=0.7)
    inside = (trace.t_s >= span[0]) & (trace.t_s < span[1])
    ankles = trace.image_xy[inside][:, [L.LEFT_ANKLE, L.RIGHT_ANKLE]]
    assert np.any((ankles < 0.0) | (ankles > 1.0), axis=-1).all()  # past the picture's edge
    assert np.all(trace.visibility[inside][:, synthetic.LEG_LANDMARKS] == pytest.approx(0.7))

    c = analyze_trace(trace, CFG)
    assert c.reps == 1
    assert c.results[0].faults == ()
    assert c.results[0].hold_s >= CFG.value("hold_s")


def test_end_of_stream_mid_hold_counts_the_raise_as_unfinished() -> None:
    rep = synthetic.straight_leg_raise_motion(reps=2).reps[1]
    c = analyze_trace(slr(reps=2, stop_at_s=rep.hold_mid_s), CFG)
    assert c.reps_by_side == {"left": 2, "right": 0}
    assert "unfinished" in c.results[-1].faults


def test_frame_by_frame_and_whole_trace_analysis_give_identical_events() -> None:
    reps = synthetic.straight_leg_raise_motion(reps=4, side="alternating").reps
    trace = slr(
        reps=4,
        side="alternating",
        knee_bend_deg=25.0,
        noise_world_m=0.01,
        seed=5,
        dropouts=[(reps[0].hold_mid_s, reps[0].hold_mid_s + 0.4)],
        out_of_frame=[(reps[3].hold_mid_s, reps[3].hold_mid_s + 1.5)],
    )
    a = Analyzer(CFG, trace.meta.aspect)
    for f in trace.frames():
        a.update(f)
    a.finish()
    batch = analyze_trace(trace, CFG)
    assert a.checker.events == batch.events
    assert a.checker.results == batch.results
    assert batch.reps_by_side == {"left": 2, "right": 2}
