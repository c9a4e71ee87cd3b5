"""Options shared by several sub-commands, and how they become an ExerciseConfig."""

from __future__ import annotations

import argparse
from pathlib import Path

from formcheck.config import ExerciseConfig, get_exercise, parse_set_options


def add_exercise_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-e", "--exercise", required=True, help="exercise name (see `formcheck exercises`)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a threshold, e.g. --set hold_s=8 (repeatable)",
    )
    p.add_argument(
        "--exercises-file",
        action="append",
        type=Path,
        default=[],
        metavar="TOML",
        help="an extra exercise definition file (repeatable)",
    )
    p.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="TOML",
        help="a patient/user profile overriding thresholds (see docs/tuning.md); --set overrides it in turn",
    )


def add_model_options(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--model",
        default=default,
        help=f"pose model: lite, full, heavy or a path to a .task file (default: {default})",
    )
    p.add_argument(
        "--model-dir",
        type=Path,
        default=None,
        help="folder holding pose_landmarker_*.task bundles (default: $FORMCHECK_MODEL_DIR, then the user cache)",
    )
    p.add_argument(
        "--people",
        type=int,
        choices=(1, 2),
        default=1,
        help="people to detect: 2 keeps following the same person when someone else walks in, at ~2x the cost",
    )


def exercise_from_args(args: argparse.Namespace) -> ExerciseConfig:
    """The exercise with its overrides, lowest precedence first: package TOML (or
    --exercises-file), then --profile, then --set."""
    files = _user_exercise_files() + list(args.exercises_file)
    cfg = get_exercise(args.exercise, files)
    if getattr(args, "profile", None) is not None:
        from formcheck.config import available_exercises
        from formcheck.profiles import apply_profile, load_profile

        cfg = apply_profile(cfg, load_profile(args.profile, available_exercises(files)))
    overrides = parse_set_options(args.set)
    return cfg.with_overrides(overrides) if overrides else cfg


def _user_exercise_files() -> list[Path]:
    """Exercise TOML files in the user config folder (``<config>/formcheck/exercises/*.toml``)."""
    from platformdirs import user_config_dir

    folder = Path(user_config_dir("formcheck")) / "exercises"
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []


def add_history_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        type=Path,
        default=None,
        metavar="PATH",
        help="session history database (default: history.sqlite3 in the user data folder)",
    )
    p.add_argument("--no-history", action="store_true", help="do not store this session in the history")
    p.add_argument(
        "--patient",
        default=None,
        metavar="NAME",
        help="whose session this is, in the history (default: the profile's name, else 'me')",
    )


def history_from_args(args: argparse.Namespace, mode: str, routine: str | None = None):
    """A :class:`~formcheck.history.HistoryRecorder` for this run, or None with --no-history."""
    if getattr(args, "no_history", False):
        return None
    from formcheck.history import DEFAULT_PATIENT, HistoryRecorder, SessionInfo, default_db_path

    name, notes = "", ""
    profile = getattr(args, "profile", None)
    if profile is not None:
        from formcheck.config import available_exercises
        from formcheck.profiles import load_profile

        files = _user_exercise_files() + list(getattr(args, "exercises_file", []))
        p = load_profile(profile, available_exercises(files))
        name, notes = p.name, p.notes
    patient = args.patient or name or DEFAULT_PATIENT
    info = SessionInfo(
        patient=patient, mode=mode, routine=routine, profile=str(profile) if profile else None, notes=notes
    )
    return HistoryRecorder(args.db or default_db_path(), info)
