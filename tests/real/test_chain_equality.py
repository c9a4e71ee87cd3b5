"""One analysis chain on real traces: live per-frame analysis equals whole-trace analysis on
every labelled clip (its exercise), and every catalog exercise on one real clip."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from formcheck.exercises.config import builtin_exercises

pytestmark = pytest.mark.real

_MANIFEST = Path(__file__).resolve().parents[2] / "sample_videos" / "labels.toml"
CLIPS: list[dict[str, Any]] = tomllib.loads(_MANIFEST.read_text(encoding="utf-8"))["clip"]
EXERCISES = builtin_exercises()


@pytest.mark.parametrize("clip", [c["file"] for c in CLIPS])
def test_live_and_whole_trace_analysis_agree_on_every_real_clip(real_trace, one_chain, clip: str) -> None:
    label = next(c for c in CLIPS if c["file"] == clip)
    one_chain(real_trace(clip), EXERCISES[label["exercise"]])


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_exercise_agrees_on_a_real_clip(real_trace, one_chain, name: str) -> None:
    one_chain(real_trace("wall_sit_front_studio_wahoo.mp4"), EXERCISES[name])
