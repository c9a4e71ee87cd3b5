"""The package's Python API: the example in formcheck/__init__.py runs as written, and the
exercise as configured (user folder, files, profile, overrides) is there for Python callers."""

from __future__ import annotations

import doctest
import inspect

import pytest

import formcheck
from formcheck.exercises.profiles import load_exercise
from formcheck.programs.batch import score_video
from formcheck.programs.scoring import ScoreOptions


def test_the_package_docstring_example_runs():
    results = doctest.testmod(formcheck, verbose=False, raise_on_error=False)
    assert results.attempted >= 3 and results.failed == 0


def test_every_name_the_package_exports_exists():
    for name in formcheck.__all__:
        assert getattr(formcheck, name) is not None
    assert formcheck.score_video is score_video and formcheck.ScoreOptions is ScoreOptions
    # the video example's call matches the function
    inspect.signature(score_video).bind("clip.mp4", load_exercise("wall_squat", user_folder=False), ScoreOptions())


def test_load_exercise_applies_the_user_folder_a_profile_and_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    folder = tmp_path / "config" / "formcheck" / "exercises"
    folder.mkdir(parents=True)
    base = (formcheck.exercises.config.resources.files("formcheck.exercises") / "wall_squat.toml").read_text()
    (folder / "mine.toml").write_text(base.replace('name = "wall_squat"', 'name = "my_wall_squat"', 1))
    profile = tmp_path / "p.toml"
    profile.write_text('[profile]\nname = "p"\n\n[my_wall_squat]\nhold_s = 7\n')
    assert load_exercise("my_wall_squat").name == "my_wall_squat"
    assert load_exercise("my_wall_squat", profile=profile).thresholds["hold_s"].value == 7
    assert load_exercise("my_wall_squat", profile=profile, overrides={"hold_s": 9}).thresholds["hold_s"].value == 9
    with pytest.raises(formcheck.errors.ConfigError, match="unknown exercise"):
        load_exercise("my_wall_squat", user_folder=False)
