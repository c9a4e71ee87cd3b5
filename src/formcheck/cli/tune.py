"""``formcheck tune VIDEO|TRACE -e EXERCISE``: tune thresholds interactively on a recording."""

from __future__ import annotations

import argparse
from pathlib import Path

from formcheck.cli.common import add_exercise_options, add_model_options, exercise_from_args, pose_spec_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tune",
        help="replay a recording and tune thresholds with sliders; reps re-count instantly",
        description=(
            "Replays a video (its pose comes from the trace cache: inference runs at most once) or a pose "
            "trace (.npz/.csv, drawn as a skeleton) with the overlay, a plot of the exercise's signal with "
            "the thresholds and the counted reps, and a slider per threshold: moving one re-counts the "
            "whole recording at once. Keys: space play/pause, left/right or a/d seek 2 s, comma/period one "
            "frame, n/p next/previous rep, r reset, s save the profile (only the changed values), q quit."
        ),
    )
    p.add_argument("recording", type=Path, metavar="VIDEO|TRACE")
    add_exercise_options(p)
    add_model_options(p, default="full")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PATH",
        help="where `s` saves the profile (default: <exercise>.profile.toml; an existing profile is updated)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar while pose inference runs")
    p.add_argument("--script", default=None, help=argparse.SUPPRESS)  # tests: scripted keys (tune.ScriptedKeys)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from formcheck.cli.score import command_inputs
    from formcheck.programs.live import _check_display
    from formcheck.programs.tune import TunerSession, default_profile_path, prepare_recording, run_tuner
    from formcheck.sinks.outputs import check_outputs

    _check_display()
    cfg = exercise_from_args(args)
    # The profile is read back and merged on save, so it may be the --profile given; nothing else.
    inputs = [p for p in command_inputs(args, [args.recording]) if p != args.profile]
    check_outputs({"--out": args.out or default_profile_path(cfg.name)}, inputs=inputs)
    prepared, video = prepare_recording(
        args.recording, cfg, pose_spec_from_args(args), progress=not args.no_progress, on_status=print
    )
    session = TunerSession(prepared, cfg)
    out = args.out or default_profile_path(cfg.name)
    rc = run_tuner(session, video=video, out=out, script=args.script)
    changed = session.changed()
    if changed:
        print("thresholds now differing from the defaults: " + ", ".join(f"{k}={v:g}" for k, v in changed.items()))
    return rc
