"""The command line as a user meets it: exit codes, messages, the report contract."""

from __future__ import annotations

import json

import pytest

from formcheck.cli import main
from formcheck.exercises.config import builtin_exercises

SLR = "straight_leg_raise_supine_side_count_overlay.mp4"


def test_exercises_lists_every_exercise_with_advice_and_thresholds(capsys):
    assert main(["exercises"]) == 0
    out = capsys.readouterr().out
    for name, cfg in builtin_exercises().items():
        assert name in out
        assert cfg.advice[:30] in out
    assert "hold_s" in out and "[0..120]" in out


def test_unknown_exercise_names_the_valid_ones(capsys):
    assert main(["exercises", "wall_sqat"]) == 1
    err = capsys.readouterr().err
    assert "wall_sqat" in err and "wall_squat" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("hold_s=abc", "hold_s in --set: 'abc' is not a number; allowed: 0 to 120 s"),
        ("hold_s=500", "hold_s in --set: 500 is out of range; allowed: 0 to 120 s"),
        ("holds=5", "holds (--set): not a threshold of wall_squat; valid keys:"),
        ("hold_s", "expected KEY=VALUE"),
    ],
)
def test_bad_threshold_values_are_rejected_with_key_value_and_range(capsys, tmp_path, setting, expected):
    assert main(["score", str(tmp_path / "x.mp4"), "-e", "wall_squat", "--set", setting]) == 1
    assert expected in capsys.readouterr().err


def test_missing_video_is_one_clear_line(capsys, tmp_path):
    assert main(["score", str(tmp_path / "nope.mp4"), "-e", "wall_squat"]) == 1
    err = capsys.readouterr().err
    assert "nope.mp4: no such file" in err and "Traceback" not in err


@pytest.mark.real
def test_score_writes_the_json_contract_csv_and_trace(capsys, samples_dir, models_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "cache"))
    out_json, out_csv, out_trace = tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "t.npz"
    args = ["score", str(samples_dir / SLR), "-e", "straight_leg_raise", "--model", "lite"]
    args += ["--model-dir", str(models_dir), "--json", str(out_json), "--csv", str(out_csv)]
    code = main([*args, "--trace-out", str(out_trace), "--no-progress"])
    assert code == 0
    report = json.loads(out_json.read_text())
    for key in ("exercise", "source", "model", "duration_s", "frames", "measurable_frames", "reps",
                "reps_by_side", "rep_details", "cues"):  # fmt: skip
        assert key in report
    assert report["reps"] == 1 and report["reps_by_side"] == {"left": 1, "right": 0}
    rep = report["rep_details"][0]
    for key in ("index", "side", "start_s", "end_s", "peak_deg", "hold_s", "max_speed_deg_s", "faults", "ok"):
        assert key in rep
    assert out_csv.read_text().count("\n") == 2  # header + one rep
    from formcheck.formats.trace import load_trace

    assert len(load_trace(out_trace)) == report["frames"]
    assert "reps: 1" in capsys.readouterr().out
