"""Hip flexor stretch, half-kneeling (seed S3): per side by the kneeling leg, 30 s holds."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["hip_flexor_stretch"]


def test_alternating_30_s_stretches_count_per_kneeling_leg() -> None:
    c = analyze_trace(synthetic.hip_flexor_stretch(reps=4), CFG)
    assert [r.side for r in c.results] == ["left", "right", "left", "right"]
    assert [r.faults for r in c.results] == [()] * 4
    assert all(r.hold_s >= 30.0 for r in c.results)


def test_kneeling_without_shifting_the_hips_forward_is_not_a_stretch() -> None:
    # The counted movement is the hips going forward (the back hip extending), not the split.
    c = analyze_trace(synthetic.hip_flexor_stretch(reps=2, push_deg=0.0), CFG)
    assert c.results == []


def test_a_small_shift_of_the_hips_counts_short_of_the_position() -> None:
    c = analyze_trace(synthetic.hip_flexor_stretch(reps=2, push_deg=11.0), CFG)
    assert [r.faults for r in c.results] == [("position_short", "hold_short")] * 2  # never held in position


def test_leaning_forward_is_flagged() -> None:
    # Leaning forward flexes the back hip relative to the trunk: the hips must go further.
    c = analyze_trace(synthetic.hip_flexor_stretch(reps=2, push_deg=50.0, lean_deg=35.0), CFG)
    assert [r.faults for r in c.results] == [("leaning_forward",)] * 2


def test_short_holds_are_hold_short() -> None:
    c = analyze_trace(synthetic.hip_flexor_stretch(reps=2, hold_s=10.0), CFG)
    assert [r.faults for r in c.results] == [("hold_short",)] * 2


def test_the_hips_pushed_forward_while_standing_in_a_split_stance_do_not_count() -> None:
    # Not half-kneeling: the front foot only comes a quarter of the way (thighs barely split).
    m = synthetic.hip_flexor_stretch_motion(reps=1, side="left")
    for seg in m.segments:
        for part in (seg.start, seg.end):
            part["step_right"] = min(part["step_right"], 0.25)
    trace = synthetic.render_motion(m, synthetic.kneeling_pose, "lowest")
    assert analyze_trace(trace, CFG).results == []
