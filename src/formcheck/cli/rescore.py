"""``formcheck rescore TRACE... -e EXERCISE``: the ``score`` report from saved pose traces, instantly."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from formcheck.cli.common import (
    add_exercise_options,
    add_html_option,
    add_report_options,
    exercise_from_args,
    output_options,
    stamp_report,
    stdout_options,
    to_stdout,
    write_html_page,
    write_requested,
)
from formcheck.cli.finishing import exit_code, write_or_say
from formcheck.formats.report import summary_text
from formcheck.runtime.interrupts import deferred
from formcheck.sinks.outputs import check_outputs


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
    add_html_option(p, several=True)
    p.add_argument("--patient", default=None, metavar="NAME", help="the patient's name on the HTML report")
    add_report_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from formcheck.programs.rescoring import rescore_trace

    cfg = exercise_from_args(args)
    many = len(args.traces) > 1
    html_outs = [_html_path(args.html_out, t, many) for t in args.traces]
    check_outputs({**output_options(args),
                   **{f"--html ({t.name})": h for t, h in zip(args.traces, html_outs, strict=True)}},
                  inputs=args.traces, allow_stdout=stdout_options())  # fmt: skip
    if many and args.html_out is not None:
        from formcheck.sinks.outputs import OutputError

        try:
            args.html_out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"Cannot make the output folder {args.html_out}: {e.strerror or e}.") from None
    quiet = to_stdout(args)
    reports = []
    html_failed = False
    for path in args.traces:
        t0 = time.perf_counter()
        html_out = html_outs[len(reports)]
        report = rescore_trace(path, cfg, signals=args.signals or html_out is not None)  # the page plots the signal
        ms = (time.perf_counter() - t0) * 1000.0
        reports.append(report)
        stamp_report(report, args)
        if html_out is not None:
            from formcheck.formats.trace import load_trace

            trace = load_trace(path)
            video = Path(trace.meta.source) if trace.meta.source else None
            with deferred():
                ok_html = write_or_say(write_html_page, html_out, report, cfg, trace, video, args)
            html_failed = html_failed or not ok_html
            if not args.signals:
                report.pop("signals", None)  # asked for by the page only
        if not quiet:
            print(summary_text(report))
            print(f"  re-scored {report['frames']} frames of {path} in {ms:.0f} ms (no pose inference)")
    with deferred():  # a signal now is recorded, not raised: the outputs are written whole
        ok = write_requested(args, reports, single=len(args.traces) == 1) and not html_failed
    # A trace in which nothing was measurable is not a result (its summary says so).
    return exit_code(outputs_ok=ok, failed=any(not r["complete"] for r in reports))


def _html_path(html: Path | None, trace: Path, many: bool) -> Path | None:
    if html is None:
        return None
    if many or html.is_dir():  # the folder is made once the outputs are checked
        return html / f"{trace.name.removesuffix('.npz').removesuffix('.csv').removesuffix('.trace')}.html"
    return html
