"""``formcheck routine NAME|FILE``: a day's program, live, one exercise after another."""

from __future__ import annotations

import argparse
from pathlib import Path

from formcheck.cli.common import (
    add_history_options,
    add_model_options,
    exercise_catalog,
    history_from_args,
    pose_spec_from_args,
)
from formcheck.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "routine",
        help="run a routine (a day's program) live; --list shows them",
        description="Run a routine: each exercise in order with its dose, rests with a countdown, a summary at the "
        "end; every set is stored in the history. Keys: p 'it hurts - stop' (ends the routine), n next exercise, "
        "space pause (or skip a rest), q quit. A routine is a built-in name (see --list) or a TOML file.",
    )
    p.add_argument("routine", nargs="?", metavar="NAME|FILE", help="a built-in routine or a routine .toml file")
    p.add_argument("--list", action="store_true", help="list the built-in routines and exit")
    p.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="SRC",
        help="camera index, stream or video file: once for every step, once per step in order, or "
        "EXERCISE=SRC / STEP=SRC (repeatable; default: camera 0)",
    )
    p.add_argument("--profile", type=Path, default=None, metavar="TOML", help="a patient profile (wins over the "
                   "routine's own)")  # fmt: skip
    p.add_argument("--exercises-file", action="append", type=Path, default=[], metavar="TOML",
                   help="an extra exercise definition file (repeatable)")  # fmt: skip
    add_model_options(p, default="lite")
    add_history_options(p)
    p.add_argument("--no-window", action="store_true", help="no window: print cues and reps to the terminal")
    p.add_argument("--debug", action="store_true", help="show fps, latency and dropped frames")
    p.add_argument("--json", dest="json_out", metavar="PATH", help="write the routine's report (every set) here")
    p.add_argument("--voice", action="store_true", help="speak counts, hold countdowns and cues (espeak-ng)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from formcheck.routines.model import builtin_routine_files, load_routine

    exercises = exercise_catalog(list(args.exercises_file))
    if args.list:
        for name in sorted(builtin_routine_files()):
            r = load_routine(name, exercises)
            print(f"{name:<14} {r.title} - {len(r.steps)} exercises, about {round(r.estimated_s() / 60)} min")
            print(f"{'':<14} {', '.join(s.cfg.title for s in r.steps)}")
        return 0
    if not args.routine:
        raise ConfigError("name a routine (see `formcheck routine --list`) or give a routine .toml file")
    profile = None
    if args.profile is not None:
        from formcheck.exercises.profiles import load_profile

        profile = load_profile(args.profile, exercises)
    routine = load_routine(args.routine, exercises, profile)
    sources = resolve_sources(args.source, [s.exercise for s in routine.steps])
    for src in dict.fromkeys(sources):  # a missing clip is said before the routine starts, not half-way
        if not src.isdigit() and "://" not in src and not Path(src).is_file():
            raise ConfigError(f"--source {src}: no such video file (or camera index / stream URL)")
    if args.json_out:
        from formcheck.sinks.outputs import check_outputs

        check_outputs({"--json": args.json_out}, inputs=[s for s in sources if Path(s).is_file()])
    from formcheck.routines.runner import RoutineOptions, run_routine, summary_lines

    voice = None
    if args.voice:
        from formcheck.sinks.voice import VoiceCues

        voice = VoiceCues.start()
    opts = RoutineOptions(
        sources=sources, pose=pose_spec_from_args(args),
        window=not args.no_window, debug=args.debug,
        voice=voice,
    )  # fmt: skip
    history = history_from_args(args, "routine", routine=routine.name)
    try:
        result = run_routine(routine, opts, history)
    finally:
        if history is not None:
            history.close()
        if voice is not None:
            voice.close()
    if args.json_out:
        import json

        from formcheck.cli.common import stamp_report
        from formcheck.sinks.outputs import write_text

        data = stamp_report(result.to_dict(), args)
        write_text(args.json_out, json.dumps(data, indent=2, ensure_ascii=False) + "\n", what="--json")
    if not args.no_window:  # the window showed the summary; the terminal keeps a copy
        print("\n".join(summary_lines(result)))
    if result.ended == "interrupted":
        return 130
    return 0 if result.ended in ("done", "pain_stop") else 1


def resolve_sources(given: list[str], exercises: list[str]) -> list[str]:
    """One source per step from the --source options (see the option's help)."""
    n = len(exercises)
    mapped: dict[int, str] = {}
    plain: list[str] = []
    for item in given:
        key, sep, value = item.partition("=")
        if sep and key.isdigit() and 1 <= int(key) <= n:
            mapped[int(key) - 1] = value
        elif sep and key in exercises:
            for i, ex in enumerate(exercises):
                if ex == key:
                    mapped[i] = value
        elif sep and (key.isdigit() or key.isidentifier()) and "/" not in key:
            raise ConfigError(
                f"--source {item!r}: {key!r} is neither a step number (1..{n}) nor an exercise of this routine "
                f"({', '.join(dict.fromkeys(exercises))})"
            )
        else:
            plain.append(item)
    unmapped = [i for i in range(n) if i not in mapped]
    if len(plain) > 1 and len(plain) != len(unmapped):
        raise ConfigError(
            f"--source given {len(plain)} times for {len(unmapped)} steps: give one for every step, one per step "
            "in order, or EXERCISE=SRC"
        )
    out = []
    for i in range(n):
        if i in mapped:
            out.append(mapped[i])
        elif len(plain) > 1:
            out.append(plain[unmapped.index(i)])
        else:
            out.append(plain[0] if plain else "0")
    return out
