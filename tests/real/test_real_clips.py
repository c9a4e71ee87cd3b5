"""The whole exercise catalog on the real sample clips (labels in ../shared/sample_videos/labels.toml).

Every clip is scored with its labelled exercise. Inference uses the full model (the default
of ``formcheck score``, and the model of the core-clip tests, so each clip is inferred once
per session); the lite model's results are in docs/exercises.md. Set FORMCHECK_REAL_TRACES
to a folder of saved full-model traces (<clip stem>.npz) to run these without inference.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck.formats.report import build_report

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


#: Clips formcheck does not count right yet (issue 12): a seated straight-leg hug filmed from the
#: front whose raised leg the pose model draws bent (its knee lands on the hands) and a far,
#: small seated figure-4 whose crossed leg is hidden. Strict: fixing one makes its test fail here.
KNOWN_MISSES = {
    "seated_single_leg_hamstring_hug_front_home.mp4",
    "piriformis_seated_figure4_far.gif",
}
FIRST_SEVENTEEN = [c["file"] for c in CLIPS[:17]]


def _counted_right(report: dict[str, Any], label: dict[str, Any]) -> bool:
    by_side = label.get("reps_by_side")
    return report["reps"] in label["reps_accept"] and (by_side is None or report["reps_by_side"] == by_side)


@pytest.mark.parametrize(
    "clip",
    [
        pytest.param(c["file"], marks=pytest.mark.xfail(strict=True, reason="known miss, see KNOWN_MISSES"))
        if c["file"] in KNOWN_MISSES else c["file"]
        for c in CLIPS
    ],
)  # fmt: skip
def test_every_clip_counts_as_labelled(score, clip: str) -> None:
    label = next(c for c in CLIPS if c["file"] == clip)
    report = score(clip)
    assert report["reps"] in label["reps_accept"], (clip, report["reps"], label["reps_accept"])
    if "reps_by_side" in label:
        assert report["reps_by_side"] == label["reps_by_side"]


def test_the_catalog_bar_nine_of_the_first_ten_clips(score) -> None:
    hits = [score(clip)["reps"] in c["reps_accept"] for clip, c in zip(FIRST_TEN, CLIPS, strict=False)]
    assert sum(hits) >= 9, dict(zip(FIRST_TEN, hits, strict=True))


def test_the_seventeen_earlier_clips_all_count_right_and_26_of_all_28(score) -> None:
    # Issue 12's bar: 26 of 28, the 17 earlier ones all right.
    hits = {c["file"]: _counted_right(score(c["file"]), c) for c in CLIPS}
    assert all(hits[clip] for clip in FIRST_SEVENTEEN), hits
    assert len(CLIPS) == 28 and sum(hits.values()) >= 26, hits


def test_the_seated_stretch_facing_a_low_camera_is_one_hold_on_the_straight_leg(score) -> None:
    # One continuous deepening hold (labels: ~0.5-10.4 s) on the straight left leg; the right
    # knee is seen folded, so that side cannot count.
    reps = score("seated_hamstring_stretch_single_leg_stock.mp4")["rep_details"]
    assert [(r["side"], r["variant"]) for r in reps] == [("left", "seated")]


@pytest.mark.parametrize(
    ("clip", "variant"),
    [("cat_cow_seated_chair_side_home.mp4", "seated"), ("pelvic_tilt_quadruped_side_gym.mp4", "quadruped"),
     ("hamstring_stretch_long_sitting_side_askdrjo.mp4", "seated"), ("cat_cow_side_studio_text_overlay.mp4", None),
     ("pelvic_tilt_supine_side_home.mp4", None)],
)  # fmt: skip
def test_variants_are_recognised_from_the_posture(score, clip: str, variant: str | None) -> None:
    assert {r.get("variant") for r in score(clip)["rep_details"]} == {variant}


def test_the_bird_dog_whose_far_leg_is_hidden_at_rest_counts_its_one_rep(score) -> None:
    reps = score("bird_dog_side_white_studio.gif")["rep_details"]
    assert [r["side"] for r in reps] == ["left"]
    assert "hips_rotating" not in reps[0]["faults"]  # side-on: not judged


def test_the_hip_flexor_stretch_counts_the_three_forward_pushes(score) -> None:
    reps = score("hip_flexor_stretch_kneeling_dynamic_home.mp4")["rep_details"]
    # Pushes at ~6.8-7.4, 10.6-11.5 and 15-16 s (labels): each counted rep contains one.
    assert [any(r["start_s"] <= t <= r["end_s"] for r in reps) for t in (7.0, 11.0, 15.5)] == [True] * 3
    assert all("hold_short" in r["faults"] for r in reps)  # ~1 s of a prescribed 30 s


def test_the_long_sitting_hamstring_holds_are_the_two_counted_not_the_reach(score) -> None:
    reps = score("hamstring_stretch_long_sitting_side_askdrjo.mp4")["rep_details"]
    assert [r["side"] for r in reps] == ["right", "right"]  # the straight leg
    assert all(r["start_s"] > 24.0 for r in reps)  # the brief reach at ~22.5 s is not a stretch


def test_the_straight_leg_raise_is_measured_in_inches_above_the_floor(score) -> None:
    rep = score("straight_leg_raise_supine_side_count_overlay.mp4")["rep_details"][0]
    assert rep["unit"] == "cm" and 30.0 <= rep["peak"] <= 40.0  # visibly ~30-40 cm up (issue 12)
    assert rep["peak_in"] == pytest.approx(rep["peak"] / 2.54, abs=0.1)


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


@pytest.mark.parametrize("clip", [c["file"] for c in CLIPS if c["view"] == "front" and c["file"] not in KNOWN_MISSES])
def test_front_view_clips_get_the_camera_advice_of_their_exercise(score, clip) -> None:
    # Squats, lunges and wall squats accept a front view (their advice says so): no prompt
    # contradicts it. Side-view exercises seen from the front are told once, as advice.
    report = score(clip)
    label = next(c for c in CLIPS if c["file"] == clip)
    assert report["reps"] in label["reps_accept"]
    prompts = [c["text"] for c in report["cues"] if c["code"] == "wrong_view"]
    expected = [] if EXERCISES[label["exercise"]].view == "any" else ["Turn sideways to the camera"]
    assert prompts == expected


@pytest.mark.parametrize("clip", [c["file"] for c in CLIPS if c["view"] in ("side", "oblique")])
def test_side_and_oblique_clips_in_the_right_position_get_no_position_prompt(score, clip) -> None:
    codes = {c["code"] for c in score(clip)["cues"]}
    assert "wrong_position" not in codes
    label = next(c for c in CLIPS if c["file"] == clip)
    if label["view"] == "side":
        assert "wrong_view" not in codes


def test_short_holds_of_the_stretches_are_reported_against_the_prescription(score) -> None:
    clips = ("hamstring_stretch_supine_alternating_side_home.mp4", "knee_to_chest_alternating_supine_side_home.mp4")
    for clip in clips:
        reps = score(clip)["rep_details"]
        assert all("hold_short" in r["faults"] and 0.3 < r["hold_s"] < 20.0 for r in reps), clip
