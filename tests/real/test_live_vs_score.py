"""Live and score agree (issue 12 item 8): the same clip played at real-time pace through
``formcheck live --no-window`` and scored offline with the same model.

Live works on the newest frame, so on a loaded machine it skips frames; nothing here depends
on how many (no wall-clock assertion). What must hold whatever is skipped: the same count,
peaks within a few degrees, speeds on the frames' real timestamps (skipping frames can only
smooth a speed, never inflate it), and live's verdict is exactly what scoring its own frames
gives (one analysis chain).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck.formats.report import build_report
from formcheck.programs.rescoring import rescore_trace

pytestmark = pytest.mark.real

CLIP = "wall_squat_front_kneebrace_overlays.mp4"  # the example: one long hold, ~110° deep
PEAK_TOLERANCE_DEG = 6.0


def test_live_at_real_time_pace_agrees_with_score(
    tmp_path: Path, samples_dir: Path, models_dir: Path, real_trace
) -> None:
    cfg = builtin_exercises()["wall_squat"]
    live_json, live_trace = tmp_path / "live.json", tmp_path / "live.npz"
    env = dict(os.environ, FORMCHECK_MODEL_DIR=str(models_dir))
    run = subprocess.run(
        [sys.executable, "-m", "formcheck", "live", "-e", "wall_squat", "--source", str(samples_dir / CLIP),
         "--no-window", "--model", "full", "--json", str(live_json), "--trace-out", str(live_trace)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    live = json.loads(live_json.read_text(encoding="utf-8"))
    score = build_report(analyze_trace(real_trace(CLIP), cfg), source=CLIP, model="full")

    assert live["reps"] == score["reps"] == 1
    for lr, sr in zip(live["rep_details"], score["rep_details"], strict=True):
        assert abs(lr["peak"] - sr["peak"]) <= PEAK_TOLERANCE_DEG, (lr["peak"], sr["peak"])
        assert lr["max_speed_deg_s"] <= 1.2 * sr["max_speed_deg_s"], (lr["max_speed_deg_s"], sr["max_speed_deg_s"])
    # The clip plays from its first frame to its last, on the file's own clock.
    assert live["duration_s"] == pytest.approx(score["duration_s"], abs=0.5)

    # Live's verdict is what scoring the frames it saw gives: one analysis chain.
    again = rescore_trace(live_trace, cfg)
    assert again["reps"] == live["reps"]
    for a, b in zip(again["rep_details"], live["rep_details"], strict=True):
        assert (a["peak"], a["hold_s"], a["faults"]) == (b["peak"], b["hold_s"], b["faults"])
