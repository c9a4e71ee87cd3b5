"""Routines: a day's program as a TOML file — ordered exercises with their doses.

::

    [routine]
    name = "basic"                     # required; letters, digits, _ and -
    title = "Basic program"            # shown on screen
    description = "..."                # optional
    profile = "mrs_smith.toml"         # optional per-patient thresholds (relative to this file)
    prepare_s = 10                     # optional: time to get into position before each exercise

    [[step]]
    exercise = "wall_squat"            # a name from `formcheck exercises`
    reps = 10                          # per side for per-side exercises (default: the exercise's)
    hold_s = 5                         # optional: the hold, for exercises that have one
    sides = "both"                     # per-side exercises: "both" (default), "left" or "right"
    sets = 1                           # default 1
    rest_s = 30                        # rest after each set (default 30)
    note = "..."                       # optional, shown before the step
    set = { max_trunk_lean_deg = 25 }  # optional threshold overrides, like --set

Validated like exercise files: every key typed and range-checked, unknown keys and unknown
exercises rejected with the file and the key. Precedence of thresholds, lowest first: the
exercise file < the routine's profile < ``--profile`` < the step's ``set`` and ``hold_s``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from formcheck.errors import ConfigError
from formcheck.exercises.config import ExerciseConfig, read_toml

ROUTINE_KEYS = ("name", "title", "description", "profile", "prepare_s")
STEP_KEYS = ("exercise", "reps", "hold_s", "sides", "sets", "rest_s", "note", "set")
SIDES = ("both", "left", "right")

#: For the time estimate: seconds one repetition takes besides its hold (down, up, settle),
#: and getting into position for an exercise. Rough, stated, used only for `--list`.
REP_MOVE_S = 5.0
SETUP_S = 20.0

_SIDE_TEXT = {"both": " per side", "left": " (left side)", "right": " (right side)"}


@dataclass(frozen=True, slots=True)
class Step:
    """One exercise of a routine and its dose."""

    exercise: str
    reps: int
    hold_s: float | None
    sides: str
    sets: int
    rest_s: float
    note: str
    overrides: Mapping[str, float]
    cfg: ExerciseConfig  # with the step's dose and thresholds applied (target_reps = reps)

    @property
    def per_side(self) -> bool:
        return self.cfg.rep.per_side

    def dose_text(self) -> str:
        """E.g. "10 reps per side, hold 5 s, 2 sets"."""
        side = _SIDE_TEXT[self.sides] if self.per_side else ""
        parts = [f"{self.reps} reps{side}"]
        hold = self.cfg.value("hold_s")
        if hold:
            parts.append(f"hold {hold:g} s")
        if self.sets > 1:
            parts.append(f"{self.sets} sets")
        return ", ".join(parts)

    def dose_met(self, reps: int, reps_by_side: Mapping[str, int] | None) -> bool:
        """Whether a set with these counts gives the prescribed dose."""
        if self.per_side and reps_by_side is not None:
            sides = self.cfg.rep.sides if self.sides == "both" else (self.sides,)
            return all(reps_by_side.get(s, 0) >= self.reps for s in sides)
        return reps >= self.reps

    def estimated_s(self) -> float:
        hold = self.cfg.value("hold_s") or 0.0
        n_sides = 2 if self.per_side and self.sides == "both" else 1
        return SETUP_S + self.sets * (self.reps * n_sides * (REP_MOVE_S + hold)) + (self.sets - 1) * self.rest_s


@dataclass(frozen=True, slots=True)
class Routine:
    name: str
    title: str
    description: str
    steps: tuple[Step, ...]
    prepare_s: float
    profile: Path | None
    origin: str

    def estimated_s(self) -> float:
        """About how long the routine takes (moves, holds, rests between sets and steps)."""
        between = sum(s.rest_s for s in self.steps[:-1])
        return sum(s.estimated_s() for s in self.steps) + between


def _number(table: Mapping[str, Any], key: str, where: str, lo: float, hi: float, default: float | None,
            integer: bool = False) -> float | None:  # fmt: skip
    v = table.get(key, default)
    if v is None:
        return None
    ok_type = isinstance(v, int) if integer else isinstance(v, int | float)
    if isinstance(v, bool) or not ok_type:
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{where}: {key} = {v!r} must be {kind} ({lo:g}..{hi:g})")
    if not (math.isfinite(v) and lo <= v <= hi):
        raise ConfigError(f"{where}: {key} = {v!r} is out of range ({lo:g}..{hi:g})")
    return v


def _string(table: Mapping[str, Any], key: str, where: str, default: str = "") -> str:
    v = table.get(key, default)
    if not isinstance(v, str):
        raise ConfigError(f"{where}: {key} = {v!r} must be a string")
    return v


def _unknown(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r}; allowed: {', '.join(allowed)}")


def parse_routine(
    data: Mapping[str, Any],
    origin: str,
    exercises: Mapping[str, ExerciseConfig],
    profile_override: Any = None,
    base_dir: Path | None = None,
) -> Routine:
    """Validate a parsed routine document. ``profile_override``: a loaded
    :class:`~formcheck.exercises.profiles.Profile` given on the command line (wins over the routine's)."""
    from formcheck.exercises.profiles import apply_profile, load_profile

    _unknown(data, ("routine", "step"), origin)
    meta = data.get("routine")
    if not isinstance(meta, dict):
        raise ConfigError(f"{origin}: needs a [routine] table with at least name = \"...\"")
    where = f"{origin} [routine]"
    _unknown(meta, ROUTINE_KEYS, where)
    name = _string(meta, "name", where)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ConfigError(f"{where}: name = {name!r} must be letters, digits, '_' or '-'")
    profile_path: Path | None = None
    profile = None
    if "profile" in meta:
        profile_path = Path(_string(meta, "profile", where))
        if not profile_path.is_absolute() and base_dir is not None:
            profile_path = base_dir / profile_path
        profile = load_profile(profile_path, exercises)
    prepare_s = float(_number(meta, "prepare_s", where, 0, 600, 10.0))
    steps_data = data.get("step")
    if not isinstance(steps_data, list) or not steps_data or not all(isinstance(s, dict) for s in steps_data):
        raise ConfigError(f"{origin}: needs at least one [[step]] with exercise = \"...\"")
    steps = []
    for i, st in enumerate(steps_data):
        w = f"{origin} [[step]] #{i + 1}"
        if "exercise" not in st:
            raise ConfigError(f"{w}: needs exercise = \"...\" (see `formcheck exercises`)")
        ex_name = _string(st, "exercise", w)
        if ex_name not in exercises:
            raise ConfigError(f"{w}: exercise = {ex_name!r} is unknown; known: {', '.join(sorted(exercises))}")
        w = f"{w} ({ex_name})"
        _unknown(st, STEP_KEYS, w)
        cfg = exercises[ex_name]
        for p in (profile, profile_override):
            if p is not None:
                cfg = apply_profile(cfg, p)
        reps = int(_number(st, "reps", w, 1, 200, cfg.target_reps, integer=True))
        sets = int(_number(st, "sets", w, 1, 20, 1, integer=True))
        rest_s = float(_number(st, "rest_s", w, 0, 900, 30.0))
        hold_s = _number(st, "hold_s", w, 0, 3600, None)
        sides = _string(st, "sides", w, "both")
        if sides not in SIDES:
            raise ConfigError(f"{w}: sides = {sides!r} must be one of {', '.join(SIDES)}")
        if sides != "both" and not cfg.rep.per_side:
            raise ConfigError(f"{w}: sides = {sides!r}, but {ex_name} is not done one side at a time")
        overrides = st.get("set", {})
        if not isinstance(overrides, dict):
            raise ConfigError(f"{w}: set must be a table of thresholds, e.g. set = {{ hold_s = 8 }}")
        overrides = dict(overrides)
        if hold_s is not None:
            if "hold_s" not in cfg.thresholds:
                raise ConfigError(f"{w}: hold_s: {ex_name} has no hold")
            overrides["hold_s"] = hold_s
        if overrides:
            cfg = cfg.with_overrides(overrides, origin=w)
        cfg = dataclasses.replace(cfg, target_reps=reps)
        steps.append(Step(ex_name, reps, hold_s, sides, sets, rest_s, _string(st, "note", w), overrides, cfg))
    return Routine(
        name=name,
        title=_string(meta, "title", where, name),
        description=_string(meta, "description", where),
        steps=tuple(steps),
        prepare_s=prepare_s,
        profile=profile_path,
        origin=origin,
    )


def builtin_routine_files() -> dict[str, Path]:
    """Built-in routine name → its file, shipped in ``formcheck/routines/builtin``."""
    folder = resources.files("formcheck.routines") / "builtin"
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml")}


def load_routine(name_or_file: str | Path, exercises: Mapping[str, ExerciseConfig], profile: Any = None) -> Routine:
    """A built-in routine by name, or a routine file by path."""
    text = str(name_or_file)
    builtin = builtin_routine_files()
    if text in builtin and not Path(text).exists():
        path = builtin[text]
    elif text.endswith(".toml") or Path(text).exists():
        path = Path(text)
    else:
        raise ConfigError(f"unknown routine {text!r}; built in: {', '.join(sorted(builtin))} (or give a .toml file)")
    return parse_routine(read_toml(path, "routine file"), str(path), exercises, profile, path.parent)
