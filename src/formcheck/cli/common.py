"""Options shared by several sub-commands, and how they become an ExerciseConfig."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from formcheck.cli.finishing import write_or_say
from formcheck.exercises.config import ExerciseConfig, available_exercises, parse_set_options
from formcheck.exercises.config import user_exercise_files as config_user_exercise_files
from formcheck.formats.report import Report
from formcheck.pose.backend import DEFAULT_BACKEND, BackendSpec, get_backend
from formcheck.sinks.outputs import is_stdout
from formcheck.sinks.writers import ReportWriter, get_writer, registered_writers, write_report


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
        "--backend",
        default=DEFAULT_BACKEND,
        metavar="NAME",
        help=f"pose backend (default: {DEFAULT_BACKEND}; `replay` plays a trace file given as --model)",
    )
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


def pose_spec_from_args(args: argparse.Namespace) -> BackendSpec:
    """The pose backend the options name (an unknown backend is a ConfigError naming the valid ones)."""
    get_backend(args.backend)
    return BackendSpec(args.backend, args.model, args.model_dir, args.people)


def exercise_from_args(args: argparse.Namespace) -> ExerciseConfig:
    """The exercise with its overrides, lowest precedence first: package TOML, the user
    exercise folder, --exercises-file, then --profile, then --set (the Python API's
    :func:`formcheck.exercises.profiles.load_exercise`, with broken user files warned about on stderr)."""
    from formcheck.exercises.profiles import load_exercise

    return load_exercise(
        args.exercise,
        files=list(getattr(args, "exercises_file", [])),
        profile=getattr(args, "profile", None),
        overrides=parse_set_options(args.set),
        on_skip=_warn,
    )


def exercise_catalog(named_files: list[Path]) -> dict[str, ExerciseConfig]:
    """Every exercise: built-in, from the user exercise folder (a broken file there is
    skipped with a warning on stderr, so one bad file does not stop every command) and from
    the files named with --exercises-file (a broken one is an error)."""
    return available_exercises(named_files, user_files=user_exercise_files(), on_skip=_warn)


def _warn(message: str) -> None:
    print(f"formcheck: warning: {message}", file=sys.stderr)


def user_exercise_files() -> list[Path]:
    """Exercise TOML files in the user config folder (``<config>/formcheck/exercises/*.toml``)."""
    return config_user_exercise_files(on_skip=_warn)


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
        from formcheck.exercises.profiles import load_profile

        p = load_profile(profile, exercise_catalog(list(getattr(args, "exercises_file", []))))
        name, notes = p.name, p.notes
    return getattr(args, "patient", None) or name or DEFAULT_PATIENT, notes


def add_html_option(p: argparse.ArgumentParser, several: bool = False) -> None:
    more = " (a folder for several)" if several else ""
    p.add_argument("--html", dest="html_out", type=Path, default=None, metavar="PATH",
                   help=f"write a self-contained HTML report here{more}: plot, per-rep table, key frames")  # fmt: skip


def write_html_page(path: Path, report: dict, cfg: ExerciseConfig, trace, video: Path | None, args) -> None:
    """The recording's HTML page (see formcheck.pages.recording)."""
    from formcheck.pages.recording import PageInfo, recording_page
    from formcheck.sinks.outputs import write_text

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


# ---------------------------------------------------------------- report outputs (one option per writer)
def _dest(writer: ReportWriter) -> str:
    return writer.option.lstrip("-").replace("-", "_") + "_out"


def add_writer_options(p: argparse.ArgumentParser) -> None:
    """One output option per registered writer (``--json PATH``, ``--csv PATH``, ...)."""
    for w in registered_writers():
        p.add_argument(w.option, dest=_dest(w), metavar="PATH", help=w.help)


def requested_outputs(args: argparse.Namespace) -> dict[str, str]:
    """The writers the options ask for: ``{writer name: path}``."""
    out = {}
    for w in registered_writers():
        path = getattr(args, _dest(w), None)
        if path is not None:
            out[w.name] = str(path)
    return out


def output_options(args: argparse.Namespace) -> dict[str, str]:
    """The requested outputs by option (``{"--json": path}``), for up-front checks."""
    return {get_writer(name).option: path for name, path in requested_outputs(args).items()}


def stdout_options() -> tuple[str, ...]:
    """The writer options for which ``-`` means stdout (for :func:`formcheck.sinks.outputs.check_outputs`)."""
    return tuple(w.option for w in registered_writers() if w.allows_stdout)


def add_report_options(p: argparse.ArgumentParser) -> None:
    """The report options every command shares: one per writer, and ``--signals``."""
    add_writer_options(p)
    p.add_argument(
        "--signals",
        action="store_true",
        help="add the exercise's per-frame signal (t_s and values) to the report, e.g. for a plot",
    )


def write_requested(
    args: argparse.Namespace, reports: Sequence[Report | Mapping[str, Any]], single: bool | None = None
) -> bool:
    """Write every output the options ask for; a failure is printed as one line and the
    others are still written. Returns True when all were written."""
    ok = True
    for name, path in requested_outputs(args).items():
        ok &= write_or_say(write_report, name, reports, path, single=single)
    return ok


def to_stdout(args: argparse.Namespace) -> bool:
    """True when a writer writes to stdout (the summary then stays off it)."""
    return any(is_stdout(p) for p in requested_outputs(args).values())
