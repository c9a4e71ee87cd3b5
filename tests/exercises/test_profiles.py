"""Patient profiles: loading, validation messages, precedence package < profile < --set."""

from __future__ import annotations

from pathlib import Path

import pytest

from formcheck.cli import build_parser, main
from formcheck.cli.common import exercise_from_args
from formcheck.errors import ConfigError
from formcheck.exercises.config import builtin_exercises, get_exercise
from formcheck.exercises.profiles import apply_profile, load_profile, profile_toml

SMITH = """
[profile]
name = "Mrs Smith"
notes = "post-op, week 3"

[wall_squat]
hold_s = 8
target_max_deg = 60

[straight_leg_raise]
target_min_cm = 25
"""


def _write(tmp_path: Path, text: str, name: str = "smith.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_a_profile_overrides_the_thresholds_of_each_exercise_it_names(tmp_path):
    prof = load_profile(_write(tmp_path, SMITH))
    assert prof.name == "Mrs Smith" and prof.notes == "post-op, week 3"
    ws = apply_profile(get_exercise("wall_squat"), prof)
    assert ws.value("hold_s") == 8 and ws.value("target_max_deg") == 60
    assert ws.value("target_min_deg") == get_exercise("wall_squat").value("target_min_deg")  # untouched
    assert apply_profile(get_exercise("straight_leg_raise"), prof).value("target_min_cm") == 25
    heel = get_exercise("heel_slide")
    assert apply_profile(heel, prof) is heel  # no table: unchanged


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[wall_sqat]\nhold_s = 8\n", ["[wall_sqat] is not an exercise", "wall_squat"]),
        ("[wall_squat]\nhold = 8\n", ["hold", "not a threshold of wall_squat", "valid keys"]),
        ("[wall_squat]\nhold_s = \"8\"\n", ["hold_s = '8' is not a number", "allowed: 0 to 120 s"]),
        ("[wall_squat]\nhold_s = true\n", ["hold_s = True is not a number"]),
        ("[wall_squat]\nhold_s = 500\n", ["hold_s", "500 is out of range", "allowed: 0 to 120 s"]),
        ("[wall_squat]\nend_deg = 40\n", ["end_deg = 40 must be below start_deg = 25"]),
        ("[wall_squat]\nhold_s = { value = 8 }\n", ["hold_s must be a number, not a table"]),
        ("[profile]\nnam = \"x\"\n", ["unknown key 'nam'", "name, notes"]),
        ("wall_squat = 3\n", ["wall_squat must be a table"]),
        ("[wall_squat\nhold_s = 8\n", ["not valid TOML"]),
    ],
    ids=[
        "unknown-exercise", "unknown-key", "string", "bool", "out-of-range", "end-above-start", "table",
        "profile-key", "not-a-table", "bad-toml",
    ],
)
def test_invalid_profiles_are_rejected_naming_the_file_key_value_and_range(tmp_path, body, expected):
    path = _write(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    msg = str(err.value)
    assert str(path) in msg
    for part in expected:
        assert part in msg


def test_a_missing_profile_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="no such profile file"):
        load_profile(tmp_path / "nope.toml")


def test_profile_toml_round_trips_and_documents_each_value(tmp_path):
    text = profile_toml(
        {"wall_squat": {"hold_s": 8.0, "target_max_deg": 57.5}},
        name='Mr "B"',
        exercises=builtin_exercises(),
    )
    assert "hold_s = 8  # s, allowed 0..120, default 5" in text
    prof = load_profile(_write(tmp_path, text))
    assert prof.name == 'Mr "B"'
    assert prof.for_exercise("wall_squat") == {"hold_s": 8.0, "target_max_deg": 57.5}


def _cfg(argv: list[str]):
    return exercise_from_args(build_parser().parse_args(argv))


def test_precedence_is_package_then_profile_then_set(tmp_path):
    path = str(_write(tmp_path, SMITH))
    base = ["rescore", "x.npz", "-e", "wall_squat"]
    assert _cfg(base).value("hold_s") == 5  # the package's value
    assert _cfg([*base, "--profile", path]).value("hold_s") == 8  # the profile's
    both = _cfg([*base, "--profile", path, "--set", "hold_s=9"])
    assert both.value("hold_s") == 9  # --set wins
    assert both.value("target_max_deg") == 60  # the rest of the profile still applies


@pytest.mark.parametrize(
    "argv", [["score", "v.mp4"], ["live"], ["rescore", "t.npz"], ["tune", "t.npz"], ["fit", "labels.toml"]]
)
def test_commands_that_take_an_exercise_take_a_profile(argv):
    args = build_parser().parse_args([*argv, "-e", "wall_squat", "--profile", "p.toml"])
    assert args.profile == Path("p.toml")


def test_a_bad_profile_stops_the_cli_with_the_message(tmp_path, capsys):
    path = _write(tmp_path, "[wall_squat]\nhold_s = -1\n")
    assert main(["rescore", str(tmp_path / "t.npz"), "-e", "wall_squat", "--profile", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "hold_s" in err and "-1" in err and "0 to 120 s" in err
    assert "Traceback" not in err
