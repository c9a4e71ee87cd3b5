"""Edited and tightly framed video (issue 12 item 5): feet just out of the picture fall back to
the thigh from vertical (a bird dog's hidden leg to the opposite arm), with a cue saying the
moving limb is not seen; a half rep in a fade-out is not counted."""

from __future__ import annotations

import dataclasses

import pytest

from formcheck.analysis import analyze_trace
from formcheck.checkers.events import EventKind
from formcheck.checkers.rep_checker import FADE_S, LIMB_HIDDEN
from formcheck.errors import ConfigError
from formcheck.exercises.config import ExerciseConfig, builtin_exercises, parse_exercise, read_toml
from formcheck.pose.landmarks import Landmark as L
from formcheck_testing import synthetic

EXERCISES = builtin_exercises()
FEET = (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)


def _without_fallback(cfg: ExerciseConfig) -> ExerciseConfig:
    return dataclasses.replace(cfg, rep=dataclasses.replace(cfg.rep, fallback=None))


def _cues(checker) -> set[str]:
    return {e.code for e in checker.events if e.kind is EventKind.CUE_ON}


def _feet_cut(name: str, **options):
    """The exercise filmed with the feet just below the bottom edge for the whole recording
    (the estimator still reports them, outside the picture, as MediaPipe does)."""
    make = getattr(synthetic, name)
    return make(out_of_frame=[(0.0, 1e9)], out_of_frame_landmarks=FEET, out_of_frame_direction="below", **options)


@pytest.mark.parametrize("view", ["side", "front"])
@pytest.mark.parametrize(("name", "thigh_deg"), [("squat", 45.0), ("deep_squat", 91.0)])
def test_squats_with_the_feet_out_of_the_picture_count_from_the_thighs(name, thigh_deg, view) -> None:
    # The synthetic squat tilts the shins as far as the thighs (knee = 2 × thigh): the
    # fallback's 1.4 × thigh reads lower than the knee but past the squat's start and target.
    cfg = EXERCISES[name]
    trace = _feet_cut(name, reps=3, view=view)
    assert analyze_trace(trace, _without_fallback(cfg)).reps == 0  # nothing measurable without it
    checker = analyze_trace(trace, cfg)
    assert checker.reps == 3
    assert [r.peak for r in checker.results] == pytest.approx([1.4 * thigh_deg] * 3, abs=0.5)
    assert LIMB_HIDDEN in _cues(checker) and "not_measurable" not in _cues(checker)


def test_a_wall_squat_with_the_feet_cut_off_counts_its_holds() -> None:
    checker = analyze_trace(_feet_cut("wall_squat", reps=3), EXERCISES["wall_squat"])
    assert checker.reps == 3
    assert [r.peak for r in checker.results] == pytest.approx([1.4 * 22.5] * 3, abs=0.5)  # 45° knee, 22.5° thigh


@pytest.mark.parametrize("view", ["side", "front"])
def test_lunges_with_the_feet_cut_off_count_on_the_front_leg(view) -> None:
    checker = analyze_trace(_feet_cut("lunge", reps=3, view=view), EXERCISES["lunge"])
    assert [r.side for r in checker.results] == ["right"] * 3


def test_a_bird_dog_whose_far_leg_is_hidden_counts_by_the_opposite_arm() -> None:
    # Side-on, the left side is the far one: its leg is not seen. The right arm reaching
    # forward (90° → 175° from the trunk) stands for it: 180 − arm = the leg's hip flexion.
    trace = synthetic.bird_dog(reps=4, far_side_visibility=0.1)
    cfg = EXERCISES["bird_dog"]
    assert [r.side for r in analyze_trace(trace, _without_fallback(cfg)).results] == ["right", "right"]
    checker = analyze_trace(trace, cfg)
    assert [r.side for r in checker.results] == ["left", "right", "left", "right"]
    assert [r.peak for r in checker.results][0::2] == pytest.approx([180.0 - 175.0] * 2, abs=0.5)
    assert all(not r.faults for r in checker.results)
    assert LIMB_HIDDEN in _cues(checker)


def test_all_feet_in_view_never_use_the_fallback_nor_say_the_limb_is_hidden() -> None:
    checker = analyze_trace(synthetic.squat(reps=3), EXERCISES["squat"])
    assert checker.reps == 3 and LIMB_HIDDEN not in _cues(checker)
    assert [r.peak for r in checker.results] == pytest.approx([90.0] * 3, abs=0.5)


def test_a_rep_fading_out_of_view_at_the_end_is_not_counted() -> None:
    base = synthetic.squat(reps=2)
    rep = base.meta.extra["reps"][1]
    t_end = rep.end_s + 3.0
    faded = synthetic.squat(reps=2, dropouts=[(rep.hold_start_s + 0.1, 1e9)], stop_at_s=t_end)
    assert faded.t_s[-1] - (rep.hold_start_s + 0.1) > FADE_S
    assert analyze_trace(faded, EXERCISES["squat"]).reps == 1
    # Seen to the last frame (the recording simply stops), the rep counts, flagged unfinished.
    cut = synthetic.squat(reps=2, stop_at_s=rep.hold_start_s + 0.3)
    checker = analyze_trace(cut, EXERCISES["squat"])
    assert checker.reps == 2 and "unfinished" in checker.results[1].faults


def _squat_doc(**rep: object) -> dict:
    from importlib import resources

    path = resources.files("formcheck.exercises") / "squat.toml"
    data = read_toml(str(path), "exercise file")
    data["rep"] = {k: v for k, v in data["rep"].items() if not k.startswith("fallback")} | rep
    return data


@pytest.mark.parametrize(
    ("rep", "message"),
    [
        ({"fallback": "thigh_from_vertical_{side}_deg", "fallback_scale": 0}, "fallback_scale = 0"),
        ({"fallback": "thigh_from_vertical_{side}_deg", "fallback_scale": 11.0}, "fallback_scale = 11.0"),
        ({"fallback": "thigh_from_vertical_{side}_deg", "fallback_scale": True}, "fallback_scale = True"),
        ({"fallback": "thigh_from_vertical_{side}_deg", "fallback_offset": "10"}, "fallback_offset = '10'"),
        ({"fallback": "thigh_from_vertical_{side}_deg", "fallback_offset": 400}, "fallback_offset = 400"),
        ({"fallback": "thigh_angle_{side}_deg"}, "unknown measure"),
        ({"fallback": 3}, "must be a string"),
        ({"fallback_scale": 1.4}, "fallback_scale needs fallback"),
        ({"fallback": "arm_raise_{other}_deg"}, "{other} side of a signal without sides"),
    ],
)
def test_bad_fallback_keys_are_rejected_naming_the_key(rep, message) -> None:
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")):
        parse_exercise(_squat_doc(**rep), "squat.toml")


def test_the_fallback_is_typed_on_load() -> None:
    rp = parse_exercise(_squat_doc(fallback="thigh_from_vertical_{side}_deg", fallback_scale=2), "squat.toml").rep
    assert (rp.fallback, rp.fallback_scale, rp.fallback_offset) == ("thigh_from_vertical_{side}_deg", 2.0, 0.0)
    assert "thigh_from_vertical_left_deg" in EXERCISES["squat"].measures_used()
