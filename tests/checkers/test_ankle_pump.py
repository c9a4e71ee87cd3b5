"""Ankle pumps (seed S3): cycles of the ankle angle, measured from the pulled-up end."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck_testing import synthetic

CFG = builtin_exercises()["ankle_pump"]


def test_twelve_full_pumps_count_twelve() -> None:
    c = analyze_trace(synthetic.ankle_pump(reps=12), CFG)
    assert c.reps == 12
    assert [r.faults for r in c.results] == [()] * 12
    assert all(50.0 <= r.peak <= 57.0 for r in c.results)  # the pump's range, from pulled up


def test_pumps_count_whatever_the_ankle_angle_at_rest() -> None:
    for rest_deg in (85.0, 110.0):  # the relative signal: a different resting angle changes nothing
        m = synthetic.ankle_pump_motion(reps=4)
        trace = synthetic.render_motion(
            m,
            lambda ch, r=rest_deg: synthetic.supine_pose(
                {"ankle_left": ch["ankle"] - 95.0 + r, "ankle_right": ch["ankle"] - 95.0 + r}
            ),
            "back",
        )
        assert analyze_trace(trace, CFG).reps == 4


def test_small_pumps_count_with_amplitude_too_small() -> None:
    c = analyze_trace(synthetic.ankle_pump(reps=5, range_deg=20.0), CFG)
    assert [r.faults for r in c.results] == [("small_range",)] * 5
    assert CFG.text("small_range") == "Amplitude too small"


def test_twitches_of_a_few_degrees_are_not_pumps() -> None:
    assert analyze_trace(synthetic.ankle_pump(reps=5, range_deg=8.0), CFG).reps == 0
