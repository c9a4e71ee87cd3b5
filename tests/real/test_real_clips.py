"""The whole exercise catalog on the real sample clips (labels in ../shared/sample_videos/labels.toml).

Every clip is scored with its labelled exercise. Inference uses the full model (the default
of ``formcheck score``, and the model of the core-clip tests, so each clip is inferred once
per session); the lite model's results are in docs/exercises.md. Both models meet every
label below on the recorded traces.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from formcheck.analysis import analyze_trace
from formcheck.config import builtin_exercises
from formcheck.report import build_report

pytestmark = pytest.mark.real

# The project's manifest holds the same labels as ../shared (names only are needed to collect).
_MANIFEST = Path(__file__).resolve().parents[2] / "sample_videos" / "labels.toml"
CLIPS: list[dict[str, Any]] = tomllib.loads(_MANIFEST.read_text(encoding="utf-8"))["clip"]
FIRST_TEN = [c["file"] for c in CLIPS[:10]]
EXERCISES = builtin_exercises()


@pytest.fixture(scope="module")
def score(real_trace):
    """``score(clip_file) -> report`` for the clip's labelled exercise, computed once."""
    done: dict[str, dict[str, Any]] = {}

    def get(clip: str) -> dict[str, Any]:
        if clip not in done:
            label = next(c for c in CLIPS if c["file"] == clip)
            checker = analyze_trace(real_trace(clip), EXERCISES[label["exercise"]])
            done[clip] = build_report(checker, source=clip, model="full")
        return done[clip]

    return get


@pytest.mark.parametrize("clip", [c["file"] for c in CLIPS])
def test_every_clip_counts_as_labelled(score, clip: str) -> None:
    label = next(c for c in CLIPS if c["file"] == clip)
    report = score(clip)
    assert report["reps"] in label["reps_accept"], (clip, report["reps"], label["reps_accept"])
    if "reps_by_side" in label:
        assert report["reps_by_side"] == label["reps_by_side"]


def test_the_catalog_bar_nine_of_the_first_ten_clips(score) -> None:
    hits = [score(clip)["reps"] in c["reps_accept"] for clip, c in zip(FIRST_TEN, CLIPS, strict=False)]
    assert sum(hits) >= 9, dict(zip(FIRST_TEN, hits, strict=True))


def test_dead_bug_alternates_sides_with_the_opposite_arm(score) -> None:
    report = score("lying_dead_bug_side_studio.mp4")
    assert [r["side"] for r in report["rep_details"]] == ["left", "right", "left", "right"]
    opposite_limb_faults = {"same_side", "arm_not_reaching", "not_alternating"}
    assert all(not (opposite_limb_faults & set(r["faults"])) for r in report["rep_details"])


def test_forward_lunge_first_rep_is_a_narrow_in_line_stance_and_the_second_is_not(score) -> None:
    reps = score("lunge_forward_front_incorrect_then_correct.mp4")["rep_details"]
    assert len(reps) == 2
    assert "narrow_stance" in reps[0]["faults"]
    assert "narrow_stance" not in reps[1]["faults"]
    assert [r["side"] for r in reps] == ["right", "right"]  # the right foot steps forward both times


def test_the_split_squat_is_counted_on_the_front_right_leg(score) -> None:
    report = score("lunge_split_squat_side_dumbbells.mp4")
    assert report["reps_by_side"]["left"] == 0


@pytest.mark.parametrize("clip", [c["file"] for c in CLIPS if c["view"] == "front"])
def test_front_view_clips_of_side_view_exercises_count_and_are_told_to_turn_sideways_once(score, clip) -> None:
    report = score(clip)
    label = next(c for c in CLIPS if c["file"] == clip)
    assert report["reps"] in label["reps_accept"]
    prompts = [c for c in report["cues"] if c["code"] == "wrong_view"]
    assert [p["text"] for p in prompts] == ["Turn sideways to the camera"]


@pytest.mark.parametrize("clip", [c["file"] for c in CLIPS if c["view"] == "side"])
def test_side_view_clips_in_the_right_position_get_no_camera_prompt(score, clip) -> None:
    codes = {c["code"] for c in score(clip)["cues"]}
    assert not codes & {"wrong_view", "wrong_position"}


def test_short_holds_of_the_stretches_are_reported_against_the_prescription(score) -> None:
    clips = ("hamstring_stretch_supine_alternating_side_home.mp4", "knee_to_chest_alternating_supine_side_home.mp4")
    for clip in clips:
        reps = score(clip)["rep_details"]
        assert all("hold_short" in r["faults"] and 0.3 < r["hold_s"] < 20.0 for r in reps), clip
