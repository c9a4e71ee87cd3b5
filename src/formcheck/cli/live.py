"""``formcheck live -e EXERCISE``: the webcam window with the overlay."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from formcheck.cli.common import (
    add_exercise_options,
    add_model_options,
    add_report_options,
    exercise_from_args,
    output_options,
    pose_spec_from_args,
    stdout_options,
    to_stdout,
    write_requested,
)
from formcheck.cli.finishing import ended_by_signal, exit_code, write_or_say
from formcheck.interrupts import deferred
from formcheck.outputs import check_outputs
from formcheck.report import summary_text


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "live",
        help="exercise in front of the webcam with a live overlay",
        description="Live checking from a webcam, stream or video file. Keys: q/Esc quit, space pause, "
        "r reset, p 'it hurts - stop' (ends the set and records it).",
    )
    add_exercise_options(p)
    add_model_options(p, default="lite")
    p.add_argument(
        "--source",
        default="0",
        help="camera index, stream URL, video file, or a pose trace .npz/.csv (replayed: no model) (default: 0)",
    )
    p.add_argument("--record", type=Path, metavar="PATH", help="also write the annotated video here")
    p.add_argument("--no-window", action="store_true", help="no window: print cues and reps to the terminal")
    p.add_argument("--debug", action="store_true", help="show fps, latency and dropped frames")
    add_report_options(p)
    p.add_argument("--trace-out", type=Path, metavar="PATH", help="save the pose trace at the end (.npz)")
    p.add_argument("--max-seconds", type=float, default=None, help="stop after this many seconds")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from formcheck.cli.score import check_video_suffix, command_inputs
    from formcheck.live import LiveOptions, run_live

    cfg = exercise_from_args(args)
    source_file = [Path(args.source)] if not args.source.isdigit() and "://" not in args.source else []
    check_outputs(
        {**output_options(args), "--trace-out": args.trace_out, "--record": args.record},
        inputs=command_inputs(args, source_file),
        allow_stdout=stdout_options(),
    )
    check_video_suffix(args.record, "--record")
    opts = LiveOptions(
        source=args.source,
        pose=pose_spec_from_args(args),
        window=not args.no_window,
        record=args.record,
        debug=args.debug,
        max_seconds=args.max_seconds,
        keep_trace=args.trace_out is not None,  # else memory stays flat however long the session
        signals=args.signals,
    )
    report, _stats, trace = run_live(cfg, opts)
    with deferred():  # a signal now is recorded, not raised: the outputs are written whole
        ended_by_signal(report)
        outputs_ok = True
        if report.get("video_out_error"):
            print(f"formcheck: {report['video_out_error']}", file=sys.stderr)
            outputs_ok = False
        if args.trace_out:
            from formcheck.trace import save_trace

            outputs_ok &= write_or_say(save_trace, trace, args.trace_out)
        outputs_ok &= write_requested(args, [report])
        if not to_stdout(args):
            print(summary_text(report))
    interrupted = "ended_by" in report
    return exit_code(
        interrupted=interrupted,
        incomplete=not report["complete"] and not interrupted and bool(report.get("frames"))
        and not report.get("nothing_measurable"),  # nothing measurable is exit 1, not an input cut short
        outputs_ok=outputs_ok,
        failed=not report["complete"],
    )
