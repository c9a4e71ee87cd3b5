"""``formcheck progress --html PATH``: the therapist's page, per exercise over days and weeks."""

from __future__ import annotations

import argparse
from pathlib import Path

from formcheck.errors import FormcheckError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "progress",
        help="a progress report from the session history (HTML, for the therapist)",
        description="Per exercise over days and weeks: days practised, sets with the full dose, reps, range of "
        "motion, time held in the target band, faults and pain stops, with plots. Dates are UTC.",
    )
    p.add_argument("--html", dest="html_out", type=Path, required=True, metavar="PATH", help="write the page here")
    p.add_argument("--db", type=Path, default=None, metavar="PATH", help="history database (default: user data)")
    p.add_argument("--patient", default=None, metavar="NAME", help="only this patient")
    p.add_argument("--exercise", default=None, metavar="NAME", help="only this exercise")
    p.add_argument("--since", default=None, metavar="DATE", help="from this date (YYYY-MM-DD)")
    p.add_argument("--until", default=None, metavar="DATE", help="up to and including this date")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from formcheck.cli.common import exercise_catalog
    from formcheck.cli.history import _filters
    from formcheck.history import connect, default_db_path
    from formcheck.pages.progress import progress_page
    from formcheck.sinks.outputs import check_output, write_text

    path = args.db or default_db_path()
    if not path.exists():
        raise FormcheckError(f"{path}: no history database yet (sessions are stored as they happen)")
    check_output(args.html_out, "--html", allow_stdout=False)
    f = _filters(args)
    titles = {name: cfg.title for name, cfg in exercise_catalog([]).items()}
    period = " to ".join(x for x in (args.since, args.until) if x)
    if args.since and not args.until:
        period = f"since {args.since}"
    elif args.until and not args.since:
        period = f"until {args.until}"
    conn = connect(path)
    try:
        html = progress_page(conn, f, titles, period)
    finally:
        conn.close()
    write_text(args.html_out, html, what="--html", allow_stdout=False)
    print(f"wrote {args.html_out}")
    return 0
