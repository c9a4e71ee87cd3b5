"""``formcheck score VIDEO... -e EXERCISE``: offline scoring with a report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from formcheck.batch import default_jobs
from formcheck.cli.common import (
    add_exercise_options,
    add_history_options,
    add_model_options,
    exercise_from_args,
    history_from_args,
)
from formcheck.report import summary_text, write_csv, write_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score",
        help="score recorded videos: count and check reps, write a report",
        description="Score recorded videos of one exercise. Prints a summary; writes JSON/CSV/trace/video on request.",
    )
    p.add_argument("videos", nargs="+", type=Path, metavar="VIDEO")
    add_exercise_options(p)
    add_history_options(p)
    add_model_options(p, default="full")
    p.add_argument("--json", dest="json_out", metavar="PATH", help="write the JSON report here ('-' = stdout)")
    p.add_argument("--csv", dest="csv_out", metavar="PATH", help="write one CSV row per rep here ('-' = stdout)")
    p.add_argument("--video-out", type=Path, metavar="PATH", help="write an annotated video (a folder for several)")
    p.add_argument("--trace-out", type=Path, metavar="PATH", help="save the pose trace (.npz; a folder for several)")
    p.add_argument("--no-cache", action="store_true", help="always run pose inference (ignore the trace cache)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
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


def _per_video(path: Path | None, video: Path, many: bool, suffix: str) -> Path | None:
    if path is None:
        return None
    if many or path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        return path / f"{video.stem}{suffix}"
    return path


def run(args: argparse.Namespace) -> int:
    from formcheck.scoring import ScoreOptions

    cfg = exercise_from_args(args)
    many = len(args.videos) > 1
    opts = [
        ScoreOptions(
            model=args.model,
            model_dir=args.model_dir,
            num_poses=args.people,
            video_out=_per_video(args.video_out, video, many, ".annotated.mp4"),
            progress=not args.no_progress,
            use_cache=not args.no_cache,
        )
        for video in args.videos
    ]
    quiet = args.json_out == "-" or args.csv_out == "-"
    reports: list[dict | None] = [None] * len(args.videos)
    trace_outs = [_per_video(args.trace_out, video, many, ".trace.npz") for video in args.videos]
    shown = 0
    history = history_from_args(args, "score")
    try:
        for i, report in _scores(args, cfg, opts, trace_outs):
            reports[i] = report
            if history is not None:  # each recording is stored as soon as it is scored
                history = _store(history, cfg, report)
            while shown < len(reports) and reports[shown] is not None:  # summaries in the order given
                if not quiet:
                    print(summary_text(reports[shown]))
                shown += 1
    finally:
        if history is not None:
            history.close()
    done = [r for r in reports if r is not None]
    failed = len(reports) - len(done) + sum(1 for r in done if not r["complete"])
    if not done:
        return 1
    if args.json_out:
        write_json(done if many else done[0], args.json_out)
    if args.csv_out:
        write_csv(done, args.csv_out)
    return 1 if failed else 0


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


def _scores(args: argparse.Namespace, cfg, opts, trace_outs) -> Iterator[tuple[int, dict]]:
    """(index, report) of each video as it is done: here (--jobs) or on Ray (--ray)."""
    if args.ray is not None:
        from formcheck.distributed import iter_scores_ray

        address = None if args.ray == "local" else args.ray
        yield from iter_scores_ray(args.videos, cfg, opts, address, trace_outs=trace_outs)
        return
    from formcheck.batch import iter_scores
    from formcheck.trace import save_trace

    for i, result in iter_scores(args.videos, cfg, opts, jobs=args.jobs or default_jobs()):
        if trace_outs[i] is not None:
            save_trace(result.trace, trace_outs[i])
        yield i, result.report
