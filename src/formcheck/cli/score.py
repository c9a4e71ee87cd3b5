"""``formcheck score VIDEO... -e EXERCISE``: offline scoring with a report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
from formcheck.programs.batch import default_jobs
from formcheck.runtime.interrupts import deferred, ended_by
from formcheck.sinks.outputs import OutputError, check_outputs


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score",
        help="score recorded videos: count and check reps, write a report",
        description="Score recorded videos of one exercise. Prints a summary; writes JSON/CSV/trace/video on request.",
    )
    p.add_argument("videos", nargs="+", type=Path, metavar="VIDEO")
    add_exercise_options(p)
    add_history_options(p)
    add_html_option(p, several=True)
    add_model_options(p, default="full")
    add_report_options(p)
    p.add_argument("--video-out", type=Path, metavar="PATH", help="write an annotated video (a folder for several)")
    p.add_argument("--trace-out", type=Path, metavar="PATH", help="save the pose trace (.npz; a folder for several)")
    p.add_argument("--no-cache", action="store_true", help="always run pose inference (ignore the trace cache)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--adaptive-rate",
        action="store_true",
        help="experimental: run pose inference at full rate only around movement, rep boundaries, threshold "
        "crossings and cuts, interpolating in between (faster; peaks and some counts can differ, see "
        "docs/performance.md)",
    )
    p.add_argument("--every-frame", action="store_true", help="run pose inference on every frame (the default)")
    p.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"pose inference processes: several videos at once, long videos in chunks (default: every core, "
        f"{default_jobs()} here); the report is the same for any N",
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="score on a Ray cluster (needs formcheck[ray]): ADDRESS of a running one ('auto', 'ray://host:10001'), "
        "or none to start Ray on this machine; videos and outputs must be at the same paths on every node",
    )
    p.set_defaults(func=run)


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} is too small: at least 1")
    return n


def command_inputs(args: argparse.Namespace, data: list[Path]) -> list[Path]:
    """Every file a command reads (data, exercise files, profile, a model given by path): no
    output may be one of them."""
    inputs = list(data) + list(getattr(args, "exercises_file", []) or [])
    if getattr(args, "profile", None) is not None:
        inputs.append(args.profile)
    model = getattr(args, "model", None)
    if model and model not in ("lite", "full", "heavy"):
        inputs.append(Path(model))
    return inputs


def check_video_suffix(path: Path | None, what: str) -> None:
    """An annotated video needs an extension with a codec and an existing folder (a typo is
    not silently created): refused before any work otherwise."""
    from formcheck.sinks.video import FOURCC_BY_SUFFIX

    if path is not None and path.suffix.lower() not in FOURCC_BY_SUFFIX:
        raise OutputError(
            f"Cannot write {what} {path}: unsupported extension {path.suffix or '(none)'!r}; "
            f"use one of {', '.join(FOURCC_BY_SUFFIX)}."
        )
    if path is not None and not path.parent.is_dir() and not path.is_symlink():
        raise OutputError(f"Cannot write {what} {path}: the folder {path.parent} does not exist.")


def _per_video(path: Path | None, video: Path, many: bool, suffix: str) -> Path | None:
    if path is None:
        return None
    if many or path.is_dir():
        return path / f"{video.stem}{suffix}"  # the folder is made once the outputs are checked
    return path


def run(args: argparse.Namespace) -> int:
    from formcheck.formats.trace import save_trace
    from formcheck.pose.adaptive import RatePolicy
    from formcheck.programs.scoring import ScoreOptions

    cfg = exercise_from_args(args)
    many = len(args.videos) > 1
    video_outs = [_per_video(args.video_out, video, many, ".annotated.mp4") for video in args.videos]
    trace_outs = [_per_video(args.trace_out, video, many, ".trace.npz") for video in args.videos]
    html_outs = [_per_video(args.html_out, video, many, ".html") for video in args.videos]
    outputs: dict[str, Path | str | None] = {**output_options(args)}
    for video, video_out, trace_out, html_out in zip(args.videos, video_outs, trace_outs, html_outs, strict=True):
        which = f" ({video.name})" if many else ""
        outputs[f"--video-out{which}"], outputs[f"--trace-out{which}"] = video_out, trace_out
        outputs[f"--html{which}"] = html_out
    check_outputs(outputs, inputs=command_inputs(args, args.videos), allow_stdout=stdout_options())
    for folder in {p.parent for p in (*video_outs, *trace_outs, *html_outs) if p is not None and many}:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"Cannot make the output folder {folder}: {e.strerror or e}.") from None
    if args.video_out is not None:
        check_video_suffix(video_outs[0], "--video-out")
    opts = [
        ScoreOptions(
            pose=pose_spec_from_args(args),
            video_out=video_out,
            progress=not args.no_progress,
            use_cache=not args.no_cache,
            signals=args.signals or args.html_out is not None,  # the HTML page plots the report's signal
            rate=RatePolicy() if args.adaptive_rate and not args.every_frame else None,
        )
        for video_out in video_outs
    ]
    quiet = to_stdout(args)
    reports: list[dict | None] = [None] * len(args.videos)
    outputs_ok = True
    shown = 0
    interrupted = False
    history = history_from_args(args, "score")
    try:
        for i, report, trace in _scores(args, cfg, opts):
            ended_by_signal(report)
            reports[i] = report
            stamp_report(report, args)
            if history is not None and report.get("frames"):  # stored as soon as scored (not an unreadable file)
                history = _store(history, cfg, report)
            for key in ("video_out_error", "trace_out_error"):
                if report.get(key):
                    print(f"formcheck: {report[key]}", file=sys.stderr)
                    outputs_ok = False
            if trace is not None and trace_outs[i] is not None:
                with deferred():
                    outputs_ok &= write_or_say(save_trace, trace, trace_outs[i])
            if html_outs[i] is not None:
                with deferred():
                    outputs_ok &= write_or_say(write_html_page, html_outs[i], report, cfg, trace, args.videos[i], args)
            if not args.signals:
                report.pop("signals", None)  # asked for by the page only
            while shown < len(reports) and reports[shown] is not None:  # summaries in the order given
                _show(reports[shown], quiet)
                shown += 1
    except KeyboardInterrupt:  # ended before the scheduler could collect what was measured
        interrupted = True
    finally:
        if history is not None:
            history.close()
    done = [r for r in reports if r is not None]
    interrupted = interrupted or (len(done) < len(reports) and ended_by() is not None)
    interrupted = interrupted or any("ended_by" in r for r in done)
    with deferred():  # a signal now is recorded, not raised: the outputs are written whole
        for r in reports[shown:]:
            if r is not None:
                _show(r, quiet)
        if not done:
            return exit_code(interrupted=interrupted, failed=True)
        outputs_ok &= write_requested(args, done, single=not many)
    unscored = len(reports) - len(done)
    bad = [r for r in done if not r["complete"]]
    partial = any(r.get("frames") and not r.get("nothing_measurable") for r in bad)
    return exit_code(
        interrupted=interrupted,
        incomplete=partial,
        outputs_ok=outputs_ok,
        failed=bool(unscored or bad),
    )


def _store(history, cfg, report: dict):
    """Store one scored recording; a failing history is said once and dropped, never the scores."""
    import sqlite3

    from formcheck.history import record_report

    try:
        record_report(history, cfg, report)
        return history
    except sqlite3.Error as e:
        print(f"formcheck: history not saved ({e})", file=sys.stderr)
        return None


def _show(report: dict[str, Any], quiet: bool) -> None:
    """A video's summary on stdout (unless stdout carries JSON/CSV); a video that could not
    be read at all (not a video, no video stream, unreadable) is one ``formcheck:`` line on
    stderr instead, not a summary of nothing."""
    if not report["complete"] and not report.get("frames") and report.get("error"):
        print(f"formcheck: {report['error']}", file=sys.stderr)
    elif not quiet:
        print(summary_text(report))


def _scores(args: argparse.Namespace, cfg, opts) -> Iterator[tuple[int, dict, Any]]:
    """(index, report, trace or None) of each video as it is done: here (--jobs) or on Ray (--ray)."""
    if args.ray is not None:
        from formcheck.programs.distributed import iter_scores_ray

        address = None if args.ray == "local" else args.ray
        trace_outs = [_per_video(args.trace_out, v, len(args.videos) > 1, ".trace.npz") for v in args.videos]
        for i, report in iter_scores_ray(args.videos, cfg, opts, address, trace_outs=trace_outs):
            yield i, report, None
        return
    from formcheck.programs.batch import iter_scores

    for i, result in iter_scores(args.videos, cfg, opts, jobs=args.jobs or default_jobs()):
        yield i, result.report, result.trace
