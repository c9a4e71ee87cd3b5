"""A user's own exercise, of a known shape, in their own TOML file: no package code touched.

The example file is the one in docs/exercises.md, read from there, so the documentation and
the test cannot drift apart.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from formcheck.analysis import analyze_trace
from formcheck.cli import main
from formcheck.errors import ConfigError
from formcheck.exercises.config import get_exercise
from formcheck_testing import synthetic

DOC = Path(__file__).resolve().parents[2] / "docs" / "exercises.md"


def _example_toml() -> str:
    text = DOC.read_text(encoding="utf-8")
    m = re.search(r"```toml\n(# my_march\.toml.*?)```", text, flags=re.S)
    assert m, "the example TOML is missing from docs/exercises.md"
    return m.group(1)


def _marching(sides: list[str], knee_up_deg: float = 80.0) -> synthetic.PoseTrace:
    """Standing, lifting each knee in turn (hip flexion to knee_up_deg, knee bent 90°)."""
    m = synthetic.Motion({f"{j}_{s}": 0.0 for j in ("hip_flex", "knee_flex") for s in ("left", "right")}).rest(2.0)
    for s in sides:
        synthetic.add_rep(
            m, {f"hip_flex_{s}": knee_up_deg, f"knee_flex_{s}": 90.0}, {f"hip_flex_{s}": 0.0, f"knee_flex_{s}": 0.0},
            out_s=0.8, hold_s=0.4, back_s=0.8, rest_s=0.5, side=s,
        )  # fmt: skip
    return synthetic.render_motion(m, None, "feet", synthetic.Capture(view="front"))


@pytest.fixture
def march_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_march.toml"
    path.write_text(_example_toml(), encoding="utf-8")
    return path


def test_the_documented_example_counts_alternating_lifts_and_flags_what_it_names(march_file: Path) -> None:
    cfg = get_exercise("standing_march", [march_file])
    c = analyze_trace(_marching(["left", "right", "left", "right"]), cfg)
    assert c.reps_by_side == {"left": 2, "right": 2}
    assert [r.faults for r in c.results] == [()] * 4
    low = analyze_trace(_marching(["left", "left"], knee_up_deg=50.0), cfg)
    assert [r.faults for r in low.results] == [("knee_low",), ("knee_low", "not_alternating")]


def test_the_user_file_is_listed_by_formcheck_exercises(march_file: Path, capsys) -> None:
    assert main(["exercises", "standing_march", "--exercises-file", str(march_file)]) == 0
    out = capsys.readouterr().out
    assert "standing_march — Standing march" in out
    assert "camera: Face the camera" in out
    assert "target_min_deg" in out


def test_a_file_in_the_user_config_folder_is_found_without_any_option(
    march_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    from platformdirs import user_config_dir

    folder = Path(user_config_dir("formcheck")) / "exercises"
    folder.mkdir(parents=True)
    (folder / "my_march.toml").write_text(march_file.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["exercises", "--brief"]) == 0
    assert "standing_march" in capsys.readouterr().out


def test_the_user_exercise_rescores_a_saved_trace_end_to_end(march_file: Path, tmp_path: Path, capsys) -> None:
    from formcheck.formats.trace import save_trace

    trace_path = tmp_path / "march.npz"
    trace = _marching(["left", "right", "left"])
    trace.meta.extra = {}  # the script's rep timings are for tests, not for the file
    save_trace(trace, trace_path)
    args = ["rescore", str(trace_path), "-e", "standing_march", "--exercises-file", str(march_file), "--json", "-"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["exercise"] == "standing_march"
    assert report["reps"] == 3
    assert report["reps_by_side"] == {"left": 2, "right": 1}


def test_a_typo_in_a_user_file_names_the_file_the_key_and_the_valid_keys(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(_example_toml().replace("alternate = true", "alternating = true"), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        get_exercise("standing_march", [bad])
    msg = str(e.value)
    assert "bad.toml" in msg and "alternating" in msg and "valid keys" in msg
