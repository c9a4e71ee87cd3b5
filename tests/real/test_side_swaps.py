"""Left/right kept consistent on the real sample clips (issue 12 item 4): the side keeper
undoes the estimator's swaps where the clips show them (the side-on split squat flips its legs
dozens of times) and changes no count, nor any side a rep is counted on."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

import formcheck.analysis as analysis
from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck.measures.body import MIN_VISIBILITY
from formcheck.pose.sides import LIMBS, count_swaps, trace_swaps

pytestmark = pytest.mark.real

_MANIFEST = Path(__file__).resolve().parents[2] / "sample_videos" / "labels.toml"
CLIPS: list[dict[str, Any]] = tomllib.loads(_MANIFEST.read_text(encoding="utf-8"))["clip"]
EXERCISES = builtin_exercises()
LEG = [limb.name for limb in LIMBS].index("leg")


@pytest.fixture(scope="module")
def swaps(real_trace) -> dict[str, Any]:
    """Per clip: the (T, limbs) frames the keeper swaps."""
    return {c["file"]: trace_swaps(real_trace(c["file"]), MIN_VISIBILITY)[0] for c in CLIPS}


def test_the_side_on_split_squat_has_its_leg_swaps_undone(swaps) -> None:
    legs = swaps["lunge_split_squat_side_dumbbells.mp4"][:, LEG]
    assert count_swaps(legs[:, None]) >= 20  # 32 measured: one- to few-frame flips of the legs
    assert legs.mean() < 0.25  # corrections, not a relabelled recording


def test_front_view_squats_are_left_as_the_estimator_labelled_them(swaps) -> None:
    for clip in ("squat_front_20reps_onscreen_counter.mp4", "squat_goblet_front_timer_overlay.mp4"):
        assert not swaps[clip].any(), clip


@pytest.mark.parametrize("clip", [c["file"] for c in CLIPS])
def test_keeping_sides_changes_no_count_and_no_rep_side(real_trace, monkeypatch, clip: str) -> None:
    label = next(c for c in CLIPS if c["file"] == clip)
    cfg = EXERCISES[label["exercise"]]
    trace = real_trace(clip)
    kept = analyze_trace(trace, cfg)
    monkeypatch.setattr(analysis, "keep_sides", lambda t, _v, state=None: (t, state))
    raw = analyze_trace(trace, cfg)
    assert (kept.reps, kept.reps_by_side) == (raw.reps, raw.reps_by_side)
    assert [r.side for r in kept.results] == [r.side for r in raw.results]
