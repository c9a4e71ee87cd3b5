"""The generic shapes of the rep machine, driven by exercise definitions written as a user would.

Each test builds a small exercise from TOML text and feeds it synthetic motion, so a shape's
semantics are pinned independently of the catalog's thresholds.
"""

from __future__ import annotations

import tomllib

import pytest

from formcheck.analysis import analyze_trace
from formcheck.checkers.events import EventKind
from formcheck.errors import ConfigError
from formcheck.exercises.config import parse_exercise
from formcheck_testing import synthetic


def _exercise(rep: str, thresholds: str, extra: str = "", position: str = "any", view: str = "any"):
    text = f"""
[exercise]
name = "test"
position = "{position}"
view = "{view}"
[rep]
{rep}
[thresholds]
{thresholds}
{extra}
"""
    return parse_exercise(tomllib.loads(text), "test.toml")


def _cues(c, code: str) -> list:
    return [e for e in c.events if e.kind == EventKind.CUE_ON and e.code == code]


# ---------------------------------------------------------------- direction = "down"


KNEE_DOWN = _exercise(
    'signal = "knee_flex_deg"\nunit = "deg"\ndirection = "down"',
    """start_deg = { value = 60, min = 0, max = 180, unit = "deg" }
end_deg = { value = 80, min = 0, max = 180, unit = "deg" }
target_min_deg = { value = 30, min = 0, max = 180, unit = "deg" }""",
)


def _knee_extensions(reps: int, low_deg: float) -> synthetic.PoseTrace:
    """Lying with knees at 100°, straightening both to ``low_deg`` and back."""
    m = synthetic.Motion({"knee": 100.0}).rest(2.0)
    for _ in range(reps):
        synthetic.add_rep(m, {"knee": low_deg}, {"knee": 100.0}, out_s=1.5, hold_s=1.0, back_s=1.5, rest_s=1.0)
    pose = lambda ch: synthetic.supine_pose({"knee_left": ch["knee"], "knee_right": ch["knee"]})  # noqa: E731
    return synthetic.render_motion(m, pose, "back")


def test_a_falling_signal_counts_when_direction_is_down_and_reports_its_lowest_value() -> None:
    c = analyze_trace(_knee_extensions(3, 10.0), KNEE_DOWN)
    assert c.reps == 3
    assert [r.faults for r in c.results] == [()] * 3
    assert all(r.peak == pytest.approx(10.0, abs=1.0) for r in c.results)


def test_direction_down_target_min_is_how_far_down_it_must_go() -> None:
    c = analyze_trace(_knee_extensions(2, 45.0), KNEE_DOWN)
    assert [r.faults for r in c.results] == [("too_shallow",)] * 2


def test_direction_down_rejects_an_end_below_start() -> None:
    with pytest.raises(ConfigError, match="must be above start_deg"):
        KNEE_DOWN.with_overrides({"end_deg": 50})


# ---------------------------------------------------------------- relative


def _relative(window: float = 6.0):
    return _exercise(
        'signal = "ankle_deg"\nunit = "deg"\nrelative = true',
        f"""start_deg = {{ value = 12, min = 0, max = 90, unit = "deg" }}
end_deg = {{ value = 6, min = 0, max = 90, unit = "deg" }}
target_min_deg = {{ value = 30, min = 0, max = 90, unit = "deg" }}
baseline_window_s = {{ value = {window}, min = 1, max = 60, unit = "s" }}""",
    )


def test_relative_thresholds_are_distances_from_the_rest_level() -> None:
    c = analyze_trace(synthetic.ankle_pump(reps=5, range_deg=40.0), _relative())
    assert c.reps == 5
    assert all(r.peak == pytest.approx(40.0, abs=2.0) for r in c.results)  # the distance, not the angle


def test_relative_adds_its_window_threshold_with_a_default() -> None:
    cfg = _exercise(
        'signal = "ankle_deg"\nunit = "deg"\nrelative = true',
        'start_deg = { value = 12, min = 0, max = 90 }\nend_deg = { value = 6, min = 0, max = 90 }',
    )
    assert cfg.value("baseline_window_s") == 6.0


def test_a_rest_level_that_drifts_during_a_rep_does_not_hold_it_open() -> None:
    # Pumps around a resting angle that shifts up by 15° in the middle of the set.
    m = synthetic.Motion({"ankle": 95.0, "rest": 0.0}).rest(2.0)
    for i in range(6):
        if i == 3:
            m.move({"rest": 15.0}, 0.5)
        synthetic.add_rep(m, {"ankle": 145.0}, {"ankle": 95.0}, out_s=1.0, hold_s=0.2, back_s=1.0, rest_s=0.5)
    pose = lambda ch: synthetic.supine_pose({f"ankle_{s}": ch["ankle"] + ch["rest"] for s in ("left", "right")})  # noqa: E731
    assert analyze_trace(synthetic.render_motion(m, pose, "back"), _relative()).reps == 6


# ---------------------------------------------------------------- rules: relative, abs, range, view, peak


def test_rule_flags_parse_and_unknown_keys_are_rejected_with_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown key.*rnage.*valid keys"):
        _exercise(
            'signal = "knee_flex_deg"\nunit = "deg"',
            'start_deg = { value = 30, min = 0, max = 90 }\nend_deg = { value = 10, min = 0, max = 90 }\n'
            'lim = { value = 5, min = 0, max = 90 }',
            '[[rule]]\ncode = "x"\nmeasure = "hip_flex_deg"\nabove = "lim"\nrnage = true',
        )


def test_a_peak_rule_judges_the_whole_rep_at_its_end() -> None:
    # Dead bugs with the opposite arm reaching only to 120° from the trunk: fine at 110, faulty at 140.
    for limit, faults in ((110, ()), (140, ("arm_low",))):
        cfg = _exercise(
            'signal = "knee_flex_{side}_deg"\nsides = ["left", "right"]\nunit = "deg"\ndirection = "down"',
            f"""start_deg = {{ value = 55, min = 0, max = 180 }}
end_deg = {{ value = 70, min = 0, max = 180 }}
arm_deg = {{ value = {limit}, min = 0, max = 180 }}""",
            '[[rule]]\ncode = "arm_low"\nmeasure = "arm_raise_{other}_deg"\nbelow = "arm_deg"\nphase = "peak"',
        )
        c = analyze_trace(synthetic.dead_bug(reps=2, arm_deg=30.0), cfg)
        assert [r.faults for r in c.results] == [faults] * 2


def test_a_range_rule_measures_stillness_during_the_hold() -> None:
    cfg = _exercise(
        'signal = "knee_flex_deg"\nunit = "deg"\nmode = "paced"',
        """start_deg = { value = 40, min = 0, max = 180 }
end_deg = { value = 25, min = 0, max = 180 }
hold_s = { value = 5, min = 1, max = 60 }
relax_s = { value = 5, min = 1, max = 60 }
still_deg = { value = 8, min = 0, max = 90 }""",
        '[[rule]]\ncode = "moved"\nmeasure = "hip_flex_deg"\nrange = true\nabove = "still_deg"\n'
        'phase = "hold"\nmin_s = 0',
    )
    still = analyze_trace(synthetic.abdominal_brace(duration_s=30.0), cfg)
    moving = analyze_trace(synthetic.abdominal_brace(duration_s=30.0, moves=[(3.0, 5.0)], move_deg=6.0), cfg)
    assert [r.faults for r in still.results] == [(), (), ()]
    assert [r.faults for r in moving.results] == [(), (), ()]  # 6° < 8°: still enough
    moving = analyze_trace(synthetic.abdominal_brace(duration_s=30.0, moves=[(3.0, 5.0)], move_deg=12.0), cfg)
    assert [r.faults for r in moving.results] == [("moved",), (), ()]


# ---------------------------------------------------------------- paced holds, side_by, gates


def test_paced_mode_needs_hold_and_relax_times_and_no_sides() -> None:
    with pytest.raises(ConfigError, match="relax_s"):
        _exercise(
            'signal = "knee_flex_deg"\nunit = "deg"\nmode = "paced"',
            "start_deg = { value = 40, min = 0, max = 180 }\nend_deg = { value = 25, min = 0, max = 180 }\n"
            "hold_s = { value = 5, min = 1, max = 60 }",
        )
    with pytest.raises(ConfigError, match="needs a text"):
        _exercise(
            'signal = "knee_flex_deg"\nunit = "deg"\nhold_cues = ["breathe"]',
            "start_deg = { value = 40, min = 0, max = 180 }\nend_deg = { value = 25, min = 0, max = 180 }",
        )


def test_side_by_needs_a_both_sides_signal_and_a_side_measure() -> None:
    with pytest.raises(ConfigError, match="side_by"):
        _exercise(
            'signal = "knee_flex_{side}_deg"\nsides = ["left", "right"]\nunit = "deg"\nside_by = "hip_ext_{side}_deg"',
            "start_deg = { value = 40, min = 0, max = 180 }\nend_deg = { value = 25, min = 0, max = 180 }",
        )


def test_a_gate_keeps_reps_from_starting_outside_the_position() -> None:
    gated = _exercise(
        'signal = "hip_flex_deg"\nunit = "deg"',
        "start_deg = { value = 45, min = 0, max = 180 }\nend_deg = { value = 30, min = 0, max = 180 }\n"
        "lying_deg = { value = 60, min = 0, max = 90 }",
        '[[gate]]\nmeasure = "trunk_lean_deg"\nmin = "lying_deg"',
    )
    assert analyze_trace(synthetic.rest_position(rest_s=10.0), gated).reps == 1
    assert analyze_trace(synthetic.rest_position(rest_s=10.0, sitting=True), gated).reps == 0


# ---------------------------------------------------------------- camera guidance


SQUAT_SIDE = _exercise(
    'signal = "knee_flex_deg"\nunit = "deg"',
    "start_deg = { value = 48, min = 0, max = 180 }\nend_deg = { value = 38, min = 0, max = 180 }",
    position="standing",
    view="side",
)


def test_a_wrong_view_is_one_prompt_after_the_delay_and_counting_goes_on() -> None:
    c = analyze_trace(synthetic.squat(reps=3, view="front"), SQUAT_SIDE)
    assert c.reps == 3
    prompts = _cues(c, "wrong_view")
    assert len(prompts) == 1
    assert prompts[0].t_s == pytest.approx(3.0, abs=0.05)  # guide_delay_s after the first frame
    assert prompts[0].text == "Turn sideways to the camera"


def test_no_prompt_for_a_view_that_is_right_or_only_briefly_wrong() -> None:
    assert _cues(analyze_trace(synthetic.squat(reps=2), SQUAT_SIDE), "wrong_view") == []
    short = SQUAT_SIDE.with_overrides({"guide_delay_s": 60})
    assert _cues(analyze_trace(synthetic.squat(reps=2, view="front"), short), "wrong_view") == []


def test_a_three_quarter_view_is_not_judged() -> None:
    assert _cues(analyze_trace(synthetic.squat(reps=2, view=40.0), SQUAT_SIDE), "wrong_view") == []


def test_the_prompt_texts_can_be_overridden_by_the_exercise() -> None:
    cfg = _exercise(
        'signal = "knee_flex_deg"\nunit = "deg"',
        "start_deg = { value = 48, min = 0, max = 180 }\nend_deg = { value = 38, min = 0, max = 180 }",
        '[texts]\nwrong_position = "Lie down on the mat, please"',
        position="lying",
    )
    prompts = _cues(analyze_trace(synthetic.squat(reps=2), cfg), "wrong_position")
    assert [p.text for p in prompts] == ["Lie down on the mat, please"]


def test_standing_when_lying_is_expected_is_one_wrong_position_prompt_recorded_in_the_report() -> None:
    from formcheck.exercises.config import builtin_exercises
    from formcheck.formats.report import build_report

    c = analyze_trace(synthetic.squat(reps=2), builtin_exercises()["bridge"])
    report = build_report(c, source="synthetic", model="synthetic")
    codes = [cue["code"] for cue in report["cues"]]
    assert codes.count("wrong_position") == 1
    assert "This exercise is done lying on your back" in [cue["text"] for cue in report["cues"]]
