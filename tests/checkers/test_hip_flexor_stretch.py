"""Hip flexor stretch, half-kneeling (seed S3): per side by the kneeling leg, 30 s holds."""

from __future__ import annotations

from formcheck import synthetic
from formcheck.analysis import analyze_trace
from formcheck.config import builtin_exercises

CFG = builtin_exercises()["hip_flexor_stretch"]


def test_alternating_30_s_stretches_count_per_kneeling_leg() -> None:
    c = analyze_trace(synthetic.hip_flexor_stretch(reps=4), CFG)
    assert [r.side for r in c.results] == ["left", "right", "left", "right"]
    assert [r.faults for r in c.results] == [()] * 4
    assert all(r.hold_s >= 30.0 for r in c.results)


def test_hips_not_shifted_forward_are_flagged() -> None:
    c = analyze_trace(synthetic.hip_flexor_stretch(reps=2, push_deg=0.0), CFG)
    assert [r.faults for r in c.results] == [("hips_not_forward",)] * 2


def test_leaning_forward_is_flagged_and_loses_the_stretch() -> None:
    # Leaning forward flexes the back hip relative to the trunk: the stretch is gone too.
    c = analyze_trace(synthetic.hip_flexor_stretch(reps=2, lean_deg=35.0), CFG)
    assert [r.faults for r in c.results] == [("leaning_forward", "hips_not_forward")] * 2


def test_short_holds_are_hold_short() -> None:
    c = analyze_trace(synthetic.hip_flexor_stretch(reps=2, hold_s=10.0), CFG)
    assert [r.faults for r in c.results] == [("hold_short",)] * 2


def test_a_half_step_is_not_the_full_position() -> None:
    m = synthetic.hip_flexor_stretch_motion(reps=1, side="left")
    for seg in m.segments:  # the front foot only comes half-way
        for part in (seg.start, seg.end):
            part["step_right"] = min(part["step_right"], 0.75)
    trace = synthetic.render_motion(m, synthetic.kneeling_pose, "lowest")
    c = analyze_trace(trace, CFG)
    assert [r.faults for r in c.results] == [("position_short", "hold_short")]
