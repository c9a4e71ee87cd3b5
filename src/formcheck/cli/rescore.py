"""``formcheck rescore TRACE... -e EXERCISE``: the ``score`` report from saved pose traces, instantly."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from formcheck.cli.common import (
    add_exercise_options,
    add_report_options,
    exercise_from_args,
    output_options,
    stdout_options,
    to_stdout,
    write_requested,
)
from formcheck.cli.finishing import exit_code
from formcheck.interrupts import deferred
from formcheck.outputs import check_outputs
from formcheck.report import summary_text


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rescore",
        help="re-score saved pose traces with other thresholds (no pose inference: milliseconds)",
        description=(
            "Re-score pose traces (.npz written by `score --trace-out`/`live --trace-out`, or .csv; see "
            "docs/trace-format.md) with the exercise's thresholds, a --profile and --set overrides. "
            "Prints the same summary and writes the same JSON/CSV report as `score`."
        ),
    )
    p.add_argument("traces", nargs="+", type=Path, metavar="TRACE")
    add_exercise_options(p)
    add_report_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from formcheck.rescoring import rescore_trace

    cfg = exercise_from_args(args)
    check_outputs(output_options(args), inputs=args.traces, allow_stdout=stdout_options())
    quiet = to_stdout(args)
    reports = []
    for path in args.traces:
        t0 = time.perf_counter()
        report = rescore_trace(path, cfg, signals=args.signals)
        ms = (time.perf_counter() - t0) * 1000.0
        reports.append(report)
        if not quiet:
            print(summary_text(report))
            print(f"  re-scored {report['frames']} frames of {path} in {ms:.0f} ms (no pose inference)")
    with deferred():  # a signal now is recorded, not raised: the outputs are written whole
        ok = write_requested(args, reports, single=len(args.traces) == 1)
    # A trace in which nothing was measurable is not a result (its summary says so).
    return exit_code(outputs_ok=ok, failed=any(not r["complete"] for r in reports))
