"""``formcheck rescore``: the score report from saved traces, with --set and --profile."""

from __future__ import annotations

import csv
import json

import pytest

from formcheck import rescore_trace
from formcheck.cli import main
from formcheck.exercises.config import get_exercise
from formcheck.formats.trace import export_csv, save_trace
from formcheck_testing import synthetic


@pytest.fixture
def traces(tmp_path):
    trace = synthetic.wall_squat(reps=3, hold_s=6.0, noise_world_m=0.005, seed=2)
    trace.meta.extra = {}
    save_trace(trace, tmp_path / "monday.npz")
    export_csv(trace, tmp_path / "monday.csv")
    return tmp_path / "monday.npz", tmp_path / "monday.csv"


def test_rescore_prints_the_summary_and_how_fast(traces, capsys):
    npz, _csv = traces
    assert main(["rescore", str(npz), "-e", "wall_squat"]) == 0
    out = capsys.readouterr().out
    assert "reps: 3, 3 as prescribed" in out
    assert "re-scored 1231 frames" in out and "no pose inference" in out


def test_rescore_json_is_the_score_report_with_the_new_thresholds(traces, tmp_path):
    npz, _csv = traces
    out = tmp_path / "r.json"
    assert main(["rescore", str(npz), "-e", "wall_squat", "--set", "hold_s=8", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    expected = rescore_trace(npz, get_exercise("wall_squat").with_overrides({"hold_s": 8}))
    assert report["rep_details"] == expected["rep_details"]
    assert report["reps"] == 3 and report["reps_ok"] == 0
    assert report["thresholds"]["hold_s"] == 8 and report["inference"] == "none"


def test_rescore_json_to_stdout_is_only_json(traces, capsys):
    npz, csv_path = traces
    assert main(["rescore", str(npz), str(csv_path), "-e", "wall_squat", "--json", "-"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [r["trace"] for r in reports] == [str(npz), str(csv_path)]
    assert reports[0]["rep_details"] == reports[1]["rep_details"]


def test_rescore_with_a_profile_and_set_writes_the_csv(traces, tmp_path):
    npz, _csv = traces
    profile = tmp_path / "p.toml"
    profile.write_text("[wall_squat]\nhold_s = 8\ntarget_max_deg = 40\n", encoding="utf-8")
    out = tmp_path / "reps.csv"
    argv = ["rescore", str(npz), "-e", "wall_squat", "--profile", str(profile), "--set", "target_max_deg=60",
            "--csv", str(out)]  # fmt: skip
    assert main(argv) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 3
    assert all(r["faults"] == "hold_short" for r in rows)  # hold from the profile; too_deep undone by --set


def test_a_file_that_is_not_a_trace_is_an_error_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "x.npz"
    bad.write_bytes(b"not a zip")
    assert main(["rescore", str(bad), "-e", "wall_squat"]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "Traceback" not in err


def test_an_invalid_override_is_rejected_before_reading_anything(traces, capsys):
    npz, _csv = traces
    assert main(["rescore", str(npz), "-e", "wall_squat", "--set", "end_deg=30"]) == 1
    assert "end_deg = 30 must be below start_deg = 25" in capsys.readouterr().err
