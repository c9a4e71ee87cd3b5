"""Patient/user profiles: a TOML file overriding any exercise's thresholds.

A profile holds one table per exercise, with threshold values only (their ranges and units
come from the exercise's own file)::

    [profile]
    name = "Mrs Smith"          # optional; also: notes = "..."
    height_cm = 165             # optional: scales heights above the floor (the leg raise's lift)

    [wall_squat]
    hold_s = 8
    target_max_deg = 60

    [straight_leg_raise]
    target_min_cm = 25

Precedence, lowest first: the exercise's TOML shipped with the package (or an
``--exercises-file``) < the profile < ``--set KEY=VALUE``. The whole file is checked when it
is loaded, not only the table of the exercise in use: an unknown exercise table, an unknown
key, a value that is not a number or lies outside the threshold's allowed range raises
:class:`~formcheck.errors.ConfigError` naming the file, the key, the value and the allowed
range. ``formcheck tune`` and ``formcheck fit`` write profiles (:func:`profile_toml`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formcheck.errors import ConfigError
from formcheck.exercises.config import (
    ExerciseConfig,
    available_exercises,
    pick_exercise,
    read_toml,
    user_exercise_files,
)

#: Keys allowed in the ``[profile]`` table.
PROFILE_KEYS = ("name", "notes", "height_cm")
#: Allowed range of ``[profile] height_cm`` (a person's standing height).
HEIGHT_CM_RANGE = (50.0, 250.0)

__all__ = [
    "PROFILE_KEYS", "Profile", "apply_profile", "load_exercise", "load_profile", "parse_profile", "profile_toml",
    "save_profile",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Profile:
    """A parsed, validated profile.

    Attributes:
        overrides: exercise name → {threshold name: value}.
        name: who the profile is for ("" when not given).
        notes: free text ("" when not given).
        origin: where it came from (the file's path), used in error messages.
        height_cm: the person's standing height (None when not given): heights above the
            floor are scaled by the leg length it implies instead of the pose model's estimate.
    """

    overrides: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    name: str = ""
    notes: str = ""
    origin: str = "profile"
    height_cm: float | None = None

    def for_exercise(self, exercise: str) -> dict[str, float]:
        """The overrides of one exercise ({} when the profile has no table for it)."""
        return dict(self.overrides.get(exercise, {}))


def parse_profile(data: Mapping[str, Any], origin: str, exercises: Mapping[str, ExerciseConfig]) -> Profile:
    """Validate a parsed profile document against the known ``exercises``."""
    meta = data.get("profile", {})
    if not isinstance(meta, dict):
        raise ConfigError(f'{origin}: [profile] must be a table, e.g. name = "Mrs Smith"')
    for key, value in meta.items():
        if key not in PROFILE_KEYS:
            raise ConfigError(f"{origin} [profile]: unknown key {key!r}; allowed: {', '.join(PROFILE_KEYS)}")
        if key == "height_cm":
            lo, hi = HEIGHT_CM_RANGE
            number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            if not number or not lo <= value <= hi:
                raise ConfigError(
                    f"{origin} [profile]: height_cm = {value!r}; allowed: {lo:g} to {hi:g} cm (standing height)"
                )
        elif not isinstance(value, str):
            raise ConfigError(f"{origin} [profile]: {key} = {value!r} must be a string")
    overrides: dict[str, dict[str, float]] = {}
    for table, values in data.items():
        if table == "profile":
            continue
        if table not in exercises:
            raise ConfigError(
                f"{origin}: [{table}] is not an exercise; known exercises: {', '.join(sorted(exercises))}"
            )
        if not isinstance(values, dict):
            raise ConfigError(f"{origin}: {table} must be a table of thresholds, e.g. [{table}] then hold_s = 8")
        cfg = exercises[table]
        for key, value in values.items():
            where = f"{origin} [{table}]"
            if isinstance(value, dict):
                raise ConfigError(f"{where}: {key} must be a number, not a table (a profile gives values only)")
            if isinstance(value, bool) or not isinstance(value, int | float):
                t = cfg.thresholds.get(key)
                allowed = f"; allowed: {t.allowed()}" if t is not None else ""
                raise ConfigError(f"{where}: {key} = {value!r} is not a number{allowed}")
            if not math.isfinite(value):
                raise ConfigError(f"{where}: {key} = {value!r} is not a finite number")
        # Unknown keys, out-of-range values and inconsistent combinations (end >= start…).
        cfg.with_overrides(values, origin=f"{origin} [{table}]")
        overrides[table] = {k: float(v) for k, v in values.items()}
    height = meta.get("height_cm")
    return Profile(
        overrides, str(meta.get("name", "")), str(meta.get("notes", "")), origin,
        None if height is None else float(height),
    )  # fmt: skip


def load_profile(path: Path | str, exercises: Mapping[str, ExerciseConfig] | None = None) -> Profile:
    """Read and validate a profile file (against the built-in exercises by default)."""
    path = Path(path)
    data = read_toml(path, "profile file")
    return parse_profile(data, str(path), exercises if exercises is not None else available_exercises())


def load_exercise(
    name: str,
    *,
    files: Iterable[Path | str] = (),
    profile: Path | str | None = None,
    overrides: Mapping[str, Any] | None = None,
    user_folder: bool = True,
    on_skip: Callable[[str], None] | None = None,
) -> ExerciseConfig:
    """The exercise as the user configured it, lowest precedence first: the package's TOML,
    the user exercise folder (:func:`formcheck.exercises.config.user_exercise_files`; a broken file
    there is skipped through ``on_skip``), the exercise ``files`` given, the ``profile``,
    then ``overrides`` (``{"hold_s": 8}``). What the command line does with ``-e``,
    ``--exercises-file``, ``--profile`` and ``--set``."""
    user = user_exercise_files(on_skip) if user_folder else []
    exercises = available_exercises([Path(f) for f in files], user_files=user, on_skip=on_skip)
    cfg = pick_exercise(name, exercises)
    if profile is not None:
        cfg = apply_profile(cfg, load_profile(profile, exercises))
    return cfg.with_overrides(dict(overrides)) if overrides else cfg


def apply_profile(cfg: ExerciseConfig, profile: Profile) -> ExerciseConfig:
    """``cfg`` with the profile's values for its exercise and the person's height (unchanged
    when it has neither)."""
    values = profile.for_exercise(cfg.name)
    if profile.height_cm is not None:
        cfg = dataclasses.replace(cfg, height_cm=profile.height_cm)
    return cfg.with_overrides(values, origin=profile.origin) if values else cfg


def _num(v: float) -> str:
    """A TOML number: integers without a trailing .0, others with up to 4 decimals."""
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.4f}".rstrip("0").rstrip(".")


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def profile_toml(
    overrides: Mapping[str, Mapping[str, float]],
    name: str = "",
    notes: str = "",
    comments: Mapping[str, Mapping[str, str]] | None = None,
    exercises: Mapping[str, ExerciseConfig] | None = None,
    height_cm: float | None = None,
) -> str:
    """A profile document for ``overrides`` (exercise → {key: value}).

    With ``exercises`` each value gets a comment with its unit, allowed range and default;
    ``comments`` adds text per key (e.g. "was 5"); ``height_cm`` is the person's height.
    """
    lines: list[str] = []
    meta = [f"name = {_quote(name)}"] if name else []
    if notes:
        meta.append(f"notes = {_quote(notes)}")
    if height_cm is not None:
        meta.append(f"height_cm = {_num(height_cm)}")
    if meta:
        lines += ["[profile]", *meta, ""]
    for exercise, values in overrides.items():
        if not values:
            continue
        lines.append(f"[{exercise}]")
        cfg = exercises.get(exercise) if exercises else None
        for key, value in values.items():
            notes_for_key = []
            if cfg is not None and key in cfg.thresholds:
                t = cfg.thresholds[key]
                unit = f"{t.unit}, " if t.unit else ""
                notes_for_key.append(f"{unit}allowed {t.min:g}..{t.max:g}, default {t.value:g}")
            if comments and key in comments.get(exercise, {}):
                notes_for_key.append(comments[exercise][key])
            tail = f"  # {'; '.join(notes_for_key)}" if notes_for_key else ""
            lines.append(f"{key} = {_num(value)}{tail}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def save_profile(path: Path | str, text: str) -> Path:
    """Write a profile document atomically (creating folders); returns the path."""
    from formcheck.sinks.outputs import write_text

    path = Path(path)
    write_text(path, text, what="profile", allow_stdout=False)
    return path
