"""``formcheck score VIDEO... -e EXERCISE``: offline scoring with a report."""

from __future__ import annotations

import argparse
from pathlib import Path

from formcheck.cli.common import add_exercise_options, add_model_options, exercise_from_args
from formcheck.report import summary_text, write_csv, write_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score",
        help="score recorded videos: count and check reps, write a report",
        description="Score recorded videos of one exercise. Prints a summary; writes JSON/CSV/trace/video on request.",
    )
    p.add_argument("videos", nargs="+", type=Path, metavar="VIDEO")
    add_exercise_options(p)
    add_model_options(p, default="full")
    p.add_argument("--json", dest="json_out", metavar="PATH", help="write the JSON report here ('-' = stdout)")
    p.add_argument("--csv", dest="csv_out", metavar="PATH", help="write one CSV row per rep here ('-' = stdout)")
    p.add_argument("--video-out", type=Path, metavar="PATH", help="write an annotated video (a folder for several)")
    p.add_argument("--trace-out", type=Path, metavar="PATH", help="save the pose trace (.npz; a folder for several)")
    p.add_argument("--no-cache", action="store_true", help="always run pose inference (ignore the trace cache)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _per_video(path: Path | None, video: Path, many: bool, suffix: str) -> Path | None:
    if path is None:
        return None
    if many or path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        return path / f"{video.stem}{suffix}"
    return path


def run(args: argparse.Namespace) -> int:
    from formcheck.scoring import ScoreOptions, score_video
    from formcheck.trace import save_trace

    cfg = exercise_from_args(args)
    many = len(args.videos) > 1
    reports = []
    failed = 0
    for video in args.videos:
        opts = ScoreOptions(
            model=args.model,
            model_dir=args.model_dir,
            num_poses=args.people,
            video_out=_per_video(args.video_out, video, many, ".annotated.mp4"),
            progress=not args.no_progress,
            use_cache=not args.no_cache,
        )
        result = score_video(video, cfg, opts)
        trace_path = _per_video(args.trace_out, video, many, ".trace.npz")
        if trace_path is not None:
            save_trace(result.trace, trace_path)
        reports.append(result.report)
        if not result.report["complete"]:
            failed += 1
        if args.json_out != "-" and args.csv_out != "-":
            print(summary_text(result.report))
    if args.json_out:
        write_json(reports if many else reports[0], args.json_out)
    if args.csv_out:
        write_csv(reports, args.csv_out)
    return 1 if failed else 0
