"""Routine files: the built-in programs from the seeds, and validation like exercise files."""

from __future__ import annotations

import pytest

from formcheck.cli.routine import resolve_sources
from formcheck.errors import ConfigError
from formcheck.exercises.config import builtin_exercises
from formcheck.exercises.profiles import load_profile
from formcheck.routines.model import builtin_routine_files, load_routine

EX = builtin_exercises()


def _write(tmp_path, text: str, name: str = "r.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


MINIMAL = '[routine]\nname = "mine"\n\n[[step]]\nexercise = "wall_squat"\n'


def test_builtin_routines_are_the_seed_programs():
    assert set(builtin_routine_files()) == {"basic", "intermediate", "advanced", "seed_program"}
    basic = load_routine("basic", EX)
    assert [s.exercise for s in basic.steps] == [
        "ankle_pump", "heel_slide", "abdominal_brace", "straight_leg_raise", "wall_squat", "heel_raise",
    ]  # fmt: skip
    doses = {s.exercise: (s.reps, s.cfg.value("hold_s")) for s in basic.steps}
    assert doses["wall_squat"] == (10, 5.0)  # "hold ... five seconds ... ten times"
    assert doses["abdominal_brace"] == (10, 5.0)
    assert doses["straight_leg_raise"] == (10, 5.0)
    inter = {s.exercise: (s.reps, s.cfg.value("hold_s")) for s in load_routine("intermediate", EX).steps}
    assert inter["hamstring_stretch"] == (5, 20.0)  # "20 seconds ... five times"
    adv = [s.exercise for s in load_routine("advanced", EX).steps]
    assert adv[:2] == ["hip_flexor_stretch", "piriformis_stretch"]


def test_seed_program_takes_about_thirty_minutes():
    minutes = load_routine("seed_program", EX).estimated_s() / 60
    assert 25 <= minutes <= 35


def test_step_dose_sets_the_checker_target_and_hold(tmp_path):
    r = load_routine(_write(tmp_path, MINIMAL + "reps = 6\nhold_s = 8\nsets = 2\nrest_s = 45\n"), EX)
    (s,) = r.steps
    assert (s.cfg.target_reps, s.cfg.value("hold_s"), s.sets, s.rest_s) == (6, 8.0, 2, 45.0)
    assert s.dose_text() == "6 reps, hold 8 s, 2 sets"


def test_per_side_dose_needs_every_prescribed_side(tmp_path):
    r = load_routine(_write(tmp_path, '[routine]\nname = "x"\n[[step]]\nexercise = "straight_leg_raise"\nreps = 3\n'
                            '[[step]]\nexercise = "knee_to_chest"\nreps = 2\nsides = "left"\n'), EX)  # fmt: skip
    both, left = r.steps
    assert not both.dose_met(5, {"left": 5, "right": 2})
    assert both.dose_met(6, {"left": 3, "right": 3})
    assert left.dose_met(2, {"left": 2, "right": 0})
    assert both.dose_text() == "3 reps per side, hold 5 s"
    assert left.dose_text() == "2 reps (left side), hold 20 s"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("rep = 10\n", "[[step]] #1 (wall_squat): unknown key 'rep'"),
        ('reps = "ten"\n', "reps = 'ten' must be a whole number"),
        ("reps = 0\n", "reps = 0 is out of range"),
        ("rest_s = inf\n", "rest_s = inf is out of range"),
        ('sides = "left"\n', "wall_squat is not done one side at a time"),
        ("set = { max_trunk_lean_deg = 500 }\n", "max_trunk_lean_deg"),
        ("set = { no_such_threshold = 5 }\n", "no_such_threshold"),
    ],
)
def test_bad_step_values_name_the_file_step_and_key(tmp_path, extra, message):
    path = _write(tmp_path, MINIMAL + extra)
    with pytest.raises(ConfigError) as e:
        load_routine(path, EX)
    assert str(path) in str(e.value) and message in str(e.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[routine]\nname = "x"\nlength = 3\n[[step]]\nexercise = "squat"\n', "[routine]: unknown key 'length'"),
        ('[routine]\nname = "x y"\n[[step]]\nexercise = "squat"\n', "must be letters, digits"),
        ('[routine]\nname = "x"\n', "needs at least one [[step]]"),
        ('[routine]\nname = "x"\n[[step]]\nexercise = "jumping_jack"\n', "'jumping_jack' is unknown"),
        ('[routine]\nname = "x"\n[[step]]\nexercise = "ankle_pump"\nhold_s = 5\n', "ankle_pump has no hold"),
        ('[routine]\nname = "x"\n[[stepp]]\nexercise = "squat"\n', "unknown key 'stepp'"),
        ("[routine\n", "not valid TOML"),
    ],
)
def test_bad_routine_files_are_one_clear_error(tmp_path, text, message):
    with pytest.raises(ConfigError, match=None) as e:
        load_routine(_write(tmp_path, text), EX)
    assert message in str(e.value)


def test_unknown_routine_name_lists_the_builtin_ones():
    with pytest.raises(ConfigError, match="built in: advanced, basic, intermediate, seed_program"):
        load_routine("nonexistent", EX)


def test_profiles_routine_then_command_line_then_step(tmp_path):
    _write(tmp_path, '[profile]\nname = "Ann"\n[wall_squat]\nhold_s = 7\ntarget_max_deg = 60\n', "ann.toml")
    path = _write(tmp_path, '[routine]\nname = "x"\nprofile = "ann.toml"\n[[step]]\nexercise = "wall_squat"\n'
                            '[[step]]\nexercise = "wall_squat"\nhold_s = 9\n')  # fmt: skip
    r = load_routine(path, EX)
    assert r.profile == tmp_path / "ann.toml"
    assert [s.cfg.value("hold_s") for s in r.steps] == [7.0, 9.0]  # the step's dose wins
    cli = load_profile(_write(tmp_path, "[wall_squat]\ntarget_max_deg = 65\n", "cli.toml"), EX)
    r2 = load_routine(path, EX, cli)
    assert r2.steps[0].cfg.value("target_max_deg") == 65.0 and r2.steps[0].cfg.value("hold_s") == 7.0


def test_sources_one_for_all_one_per_step_or_mapped():
    steps = ["squat", "bridge", "squat"]
    assert resolve_sources([], steps) == ["0", "0", "0"]
    assert resolve_sources(["a.mp4"], steps) == ["a.mp4"] * 3
    assert resolve_sources(["a.mp4", "b.mp4", "c.mp4"], steps) == ["a.mp4", "b.mp4", "c.mp4"]
    assert resolve_sources(["squat=s.mp4", "b.mp4"], steps) == ["s.mp4", "b.mp4", "s.mp4"]
    assert resolve_sources(["2=b.mp4", "rtsp://cam/x?user=a"], steps) == ["rtsp://cam/x?user=a", "b.mp4",
                                                                          "rtsp://cam/x?user=a"]  # fmt: skip
    with pytest.raises(ConfigError, match="given 2 times for 3 steps"):
        resolve_sources(["a.mp4", "b.mp4"], steps)
    with pytest.raises(ConfigError, match="neither a step number"):
        resolve_sources(["lunge=l.mp4"], steps)


def test_a_missing_source_file_is_refused_before_the_routine_starts(tmp_path, capsys):
    from formcheck.cli import main

    db = tmp_path / "h.db"
    assert main(["routine", "basic", "--no-window", "--db", str(db), "--source", "0",
                 "--source", "heel_slide=/nonexistent/clip.mp4"]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "/nonexistent/clip.mp4: no such video file" in err
    assert not db.exists()  # nothing was started, nothing stored
