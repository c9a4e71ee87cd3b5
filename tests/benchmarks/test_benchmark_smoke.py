"""The benchmark script runs on a fresh checkout: a quick run on one short clip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.real, pytest.mark.bench]

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


def test_quick_benchmark_prints_the_table_and_writes_every_figure(samples_dir, models_dir, tmp_path):
    out = tmp_path / "results.json"
    env = {**os.environ, "FORMCHECK_MODEL_DIR": str(models_dir), "FORMCHECK_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, str(SCRIPT), "--quick", "--videos", str(samples_dir), "--out", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "score / baseline" in proc.stdout and "targets" in proc.stdout
    res = json.loads(out.read_text())
    lite = res["models"]["lite"]
    for key in ("score_vs_baseline", "score_vs_naive", "baseline_ms_per_frame", "naive_fps", "score_fps"):
        assert lite[key]["median"] > 0, key
    assert lite["parallel_equals_sequential"] is True
    assert lite["analysis"]["update_pct_of_inference"] > 0
    assert lite["overlay_720p"]["overlay_ms_median"] > 0
    assert lite["memory_score"]["peak_tree_rss_mb"]["max"] > 50
    assert lite["live"]["frames_shown"] > 0 and lite["live"]["latency_ms_median"] >= lite["live"]["inference_ms_median"]
    assert res["agreement"]["clips"] and res["agreement"]["clips"][0]["lite"] is not None
    assert "rss_series_every_10s" in res["soak"]
    assert lite["memory_score"]["peak_tree_pss_mb"]["max"] > 50  # from the untimed memory run
    assert res["decode_cpu_ms_per_frame"]["median"] > 0
    assert res["targets"]
    # The table of an earlier run, reprinted without measuring anything.
    table = [sys.executable, str(SCRIPT), "--table", str(out)]
    again = subprocess.run(table, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "score / baseline" in again.stdout and "decode" in again.stdout


def test_history_benchmark_finds_skipping_exact_only_without_mediapipes_filter(samples_dir, models_dir, tmp_path):
    """With MediaPipe's own landmark filter off (num_poses=2) the frames inferred when every
    other frame is skipped are exactly those of every-frame inference; with it on they move."""
    script = SCRIPT.parent / "bench_history.py"
    out = tmp_path / "history.json"
    clip = samples_dir / "squat_side_stock_livingroom.mp4"
    env = {**os.environ, "FORMCHECK_MODEL_DIR": str(models_dir)}
    cmd = [sys.executable, str(script), str(clip), "--seconds", "2", "--model", "lite", "--steps", "2"]
    cmd += ["--out", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {r["num_poses"]: r for r in json.loads(out.read_text())}
    assert rows[1]["frames"] > 20 and rows[2]["frames"] == rows[1]["frames"]
    assert rows[2]["img_med"] == rows[2]["img_p95"] == rows[2]["knee_p95_deg"] == 0.0
    assert rows[1]["img_p95"] > 0.0
    assert "| squat_side_stock_livingroom | 2 | 2 |" in proc.stdout
