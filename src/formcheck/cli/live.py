"""``formcheck live -e EXERCISE``: the webcam window with the overlay."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from formcheck.cli.common import (
    add_exercise_options,
    add_history_options,
    add_html_option,
    add_model_options,
    add_report_options,
    exercise_from_args,
    history_from_args,
    output_options,
    pose_spec_from_args,
    stamp_report,
    stdout_options,
    to_stdout,
    write_html_page,
    write_requested,
)
from formcheck.cli.finishing import ended_by_signal, exit_code, write_or_say
from formcheck.formats.report import summary_text
from formcheck.runtime.interrupts import deferred
from formcheck.sinks.outputs import check_outputs


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "live",
        help="exercise in front of the webcam with a live overlay",
        description="Live checking from a webcam, stream or video file. Keys: q/Esc quit, space pause, "
        "r reset, p 'it hurts - stop' (ends the set and records it). Without a window, the same keys work "
        "in the terminal.",
    )
    add_exercise_options(p)
    add_history_options(p)
    add_html_option(p)
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
    p.add_argument("--voice", action="store_true", help="speak counts, hold countdowns and cues (espeak-ng)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from formcheck.cli.score import check_video_suffix, command_inputs
    from formcheck.programs.live import LiveHooks, LiveOptions, run_live

    cfg = exercise_from_args(args)
    source_file = [Path(args.source)] if not args.source.isdigit() and "://" not in args.source else []
    check_outputs(
        {**output_options(args), "--trace-out": args.trace_out, "--record": args.record, "--html": args.html_out},
        inputs=command_inputs(args, source_file),
        allow_stdout=stdout_options(),
    )
    check_video_suffix(args.record, "--record")
    history = history_from_args(args, "live")
    set_rec = history.begin_set(cfg, str(args.source), args.model) if history is not None else None
    voice = None
    if args.voice:
        from formcheck.sinks.voice import VoiceCues

        voice = VoiceCues.start()
        voice.set_exercise(cfg.value("hold_s"))
    listeners = [f for f in (set_rec.on_events if set_rec else None, voice.on_events if voice else None) if f]
    opts = LiveOptions(
        source=args.source,
        pose=pose_spec_from_args(args),
        window=not args.no_window,
        record=args.record,
        debug=args.debug,
        max_seconds=args.max_seconds,
        keep_trace=args.trace_out is not None or args.html_out is not None,  # else memory stays flat
        signals=args.signals or args.html_out is not None,  # the HTML page plots the report's signal
        hooks=LiveHooks(on_events=(lambda events: [f(events) for f in listeners]) if listeners else None),
    )
    try:
        report, _stats, trace = run_live(cfg, opts)
        if set_rec is not None:
            set_rec.end(report)
    finally:
        if history is not None:
            history.close()
        if voice is not None:
            voice.close()
    with deferred():  # a signal now is recorded, not raised: the outputs are written whole
        ended_by_signal(report)
        outputs_ok = True
        stamp_report(report, args)
        if report.get("video_out_error"):
            print(f"formcheck: {report['video_out_error']}", file=sys.stderr)
            outputs_ok = False
        if args.trace_out:
            from formcheck.formats.trace import save_trace

            outputs_ok &= write_or_say(save_trace, trace, args.trace_out)
        if args.html_out:
            video = args.record if args.record is not None else (source_file[0] if source_file else None)
            outputs_ok &= write_or_say(write_html_page, args.html_out, report, cfg, trace, video, args)
            if not args.signals:
                report.pop("signals", None)  # asked for by the page only
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
