"""Options shared by several sub-commands, and how they become an ExerciseConfig."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from formcheck.config import ExerciseConfig, available_exercises, parse_set_options, pick_exercise


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
    exercises = exercise_catalog(list(getattr(args, "exercises_file", [])))
    cfg = pick_exercise(args.exercise, exercises)
    if getattr(args, "profile", None) is not None:
        from formcheck.profiles import apply_profile, load_profile

        cfg = apply_profile(cfg, load_profile(args.profile, exercises))
    overrides = parse_set_options(args.set)
    return cfg.with_overrides(overrides) if overrides else cfg


def exercise_catalog(named_files: list[Path]) -> dict[str, ExerciseConfig]:
    """Every exercise: built-in, from the user exercise folder (a broken file there is
    skipped with a warning on stderr, so one bad file does not stop every command) and from
    the files named with --exercises-file (a broken one is an error)."""
    return available_exercises(named_files, user_files=user_exercise_files(), on_skip=_warn)


def _warn(message: str) -> None:
    print(f"formcheck: warning: {message}", file=sys.stderr)


def user_exercise_files() -> list[Path]:
    """Exercise TOML files in the user config folder (``<config>/formcheck/exercises/*.toml``)."""
    from platformdirs import user_config_dir

    folder = Path(user_config_dir("formcheck")) / "exercises"
    try:
        return sorted(p for p in folder.glob("*.toml") if p.is_file()) if folder.is_dir() else []
    except OSError as e:  # an unreadable folder is reported like a broken file in it
        _warn(f"{folder}: cannot list the user exercise folder ({e.strerror or e}); it was skipped")
        return []


_user_exercise_files = user_exercise_files  # the old private name


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
    from formcheck.history import HistoryRecorder, SessionInfo, default_db_path

    patient, notes = patient_from_args(args)
    profile = getattr(args, "profile", None)
    info = SessionInfo(
        patient=patient, mode=mode, routine=routine, profile=str(profile) if profile else None, notes=notes
    )
    return HistoryRecorder(args.db or default_db_path(), info)


def patient_from_args(args: argparse.Namespace) -> tuple[str, str]:
    """(patient name, notes): --patient, else the profile's name, else the default; the profile's notes."""
    from formcheck.history import DEFAULT_PATIENT

    name, notes = "", ""
    profile = getattr(args, "profile", None)
    if profile is not None:
        from formcheck.profiles import load_profile

        p = load_profile(profile, exercise_catalog(list(getattr(args, "exercises_file", []))))
        name, notes = p.name, p.notes
    return getattr(args, "patient", None) or name or DEFAULT_PATIENT, notes


def add_html_option(p: argparse.ArgumentParser, several: bool = False) -> None:
    more = " (a folder for several)" if several else ""
    p.add_argument("--html", dest="html_out", type=Path, default=None, metavar="PATH",
                   help=f"write a self-contained HTML report here{more}: plot, per-rep table, key frames")  # fmt: skip


def write_html_page(path: Path, report: dict, cfg: ExerciseConfig, trace, video: Path | None, args) -> None:
    """The recording's HTML page (see formcheck.pages.recording)."""
    from formcheck.outputs import write_text
    from formcheck.pages.recording import PageInfo, recording_page

    patient, notes = patient_from_args(args)
    video = video if video is not None and video.is_file() else None
    write_text(path, recording_page(report, cfg, trace, video, PageInfo(patient, notes)), what="--html")


def stamp_report(report: dict, args: argparse.Namespace) -> dict:
    """Who and when, on a report: the time it was made (UTC), the patient and the profile's
    notes, the profile file. (Model and tool version are already in it.)"""
    from formcheck.history.db import utc_now

    patient, notes = patient_from_args(args)
    profile = getattr(args, "profile", None)
    report.setdefault("generated_utc", utc_now())
    report.setdefault("patient", {"name": patient, "notes": notes, "profile": str(profile) if profile else None})
    return report
