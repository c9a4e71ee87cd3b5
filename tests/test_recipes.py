"""The recipes of docs/architecture.md, each run here: a new exercise of a known shape and a new
fault rule are one TOML file each, picked up by the Python API and the command line with no
code change. (A new writer: tests/sinks/test_writers.py; a new backend: tests/pose/test_backend.py.)"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from formcheck.cli import main
from formcheck.exercises.profiles import load_exercise
from formcheck.formats.trace import save_trace
from formcheck.programs.rescoring import rescore_trace
from formcheck_testing import synthetic

ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def _squat_toml() -> str:
    return (resources.files("formcheck.exercises") / "squat.toml").read_text(encoding="utf-8")


def test_a_new_exercise_of_a_known_shape_is_one_toml_file(tmp_path):
    text = _squat_toml().replace('name = "squat"', 'name = "deep_squat"', 1)
    text = text.replace("target_min_deg = { value = 60,", "target_min_deg = { value = 100,", 1)
    (tmp_path / "deep_squat.toml").write_text(text)
    cfg = load_exercise("deep_squat", files=[tmp_path / "deep_squat.toml"], user_folder=False)
    report = rescore_trace(synthetic.squat(reps=3, depth_deg=90.0), cfg)
    assert report["exercise"] == "deep_squat" and report["reps"] == 3
    assert all("too_shallow" in r["faults"] for r in report["rep_details"])  # 90° is short of 100°


def test_a_new_fault_rule_is_one_table_in_the_exercise_file(tmp_path):
    rule = (
        '\n[[rule]]\ncode = "knees_too_deep"\nmeasure = "knee_flex_deg"\nabove = "max_knee_deg"\n'
        'phase = "rep"\nmin_s = 0.2\ntext = "Not so deep"\n'
    )
    text = _squat_toml().replace('name = "squat"', 'name = "careful_squat"', 1)
    limit = 'max_knee_deg = { value = 80, min = 30, max = 160, unit = "deg", help = "knee flexion not to pass" }\n'
    text = text.replace("[thresholds]\n", "[thresholds]\n" + limit, 1)
    text = text.replace("\n[texts]", rule + "\n[texts]", 1)
    path = tmp_path / "careful_squat.toml"
    path.write_text(text)
    save_trace(synthetic.squat(reps=2, depth_deg=95.0), tmp_path / "s.npz")
    rc = main(["rescore", str(tmp_path / "s.npz"), "-e", "careful_squat", "--exercises-file", str(path),
               "--json", str(tmp_path / "r.json")])  # fmt: skip
    assert rc == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert [("knees_too_deep" in r["faults"]) for r in report["rep_details"]] == [True, True]
    shallow = rescore_trace(synthetic.squat(reps=2, depth_deg=70.0), load_exercise(
        "careful_squat", files=[path], user_folder=False))  # fmt: skip
    assert shallow["reps"] == 2 and not any("knees_too_deep" in r["faults"] for r in shallow["rep_details"])


def test_the_architecture_document_names_the_files_each_recipe_touches():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    for heading in ("How to add an exercise", "How to add a rule", "How to add a writer", "How to add a backend"):
        assert heading in text
    for path in ("src/formcheck/exercises/", "src/formcheck/sinks/writers.py", "src/formcheck/pose/backend.py",
                 "src/formcheck/pose/protocol.py", "docs/report.schema.json"):  # fmt: skip
        assert path in text
        assert (ARCHITECTURE.parents[1] / path).exists(), path
