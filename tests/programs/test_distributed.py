"""Batch scoring on Ray (the ray extra), against a local Ray instance started by the test."""

from __future__ import annotations

import json

import pytest

from formcheck.exercises.config import get_exercise
from formcheck.pose.backend import BackendSpec
from formcheck.programs.batch import score_video
from formcheck.programs.scoring import ScoreOptions

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "formcheck[ray]")')

pytestmark = [pytest.mark.ray, pytest.mark.real]

BRIDGE = "bridge_side_physioplus.mp4"  # 3 s, one rep
SQUAT = "squat_side_stock_livingroom.mp4"  # 14 s


@pytest.fixture(scope="module")
def local_ray(models_dir):
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"FORMCHECK_MODEL_DIR": str(models_dir)}})  # fmt: skip
    yield
    ray.shutdown()


def test_ray_reports_equal_the_local_ones(local_ray, samples_dir, models_dir, tmp_path):
    from formcheck.formats.trace import load_trace
    from formcheck.programs.distributed import score_many_ray

    cfg = get_exercise("bridge")
    opts = ScoreOptions(pose=BackendSpec(model="lite", model_dir=models_dir), progress=False, use_cache=False)
    clips = [samples_dir / BRIDGE, samples_dir / SQUAT]
    traces = [tmp_path / "bridge.npz", tmp_path / "squat.npz"]
    reports = score_many_ray(clips, cfg, opts, trace_outs=traces)
    local = [score_video(c, cfg, opts) for c in clips]
    assert reports == [r.report for r in local]  # same reports, in the order given
    assert reports[0]["reps"] == 1
    assert [len(load_trace(t)) for t in traces] == [len(r.trace) for r in local]


def test_score_command_on_ray(local_ray, samples_dir, models_dir, tmp_path, capsys):
    from formcheck.cli import main

    out = tmp_path / "r.json"
    args = ["score", str(samples_dir / BRIDGE), "-e", "bridge", "--model", "lite", "--model-dir", str(models_dir)]
    assert main([*args, "--no-cache", "--no-progress", "--ray", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["reps"] == 1
    assert "reps: 1" in capsys.readouterr().out
