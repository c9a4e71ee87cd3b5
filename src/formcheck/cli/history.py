"""``formcheck history``: list the stored sessions, export them, delete a patient's data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from formcheck.errors import FormcheckError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "history",
        help="list, export or delete stored sessions",
        description="Every set, live or scored, is stored as it happens. `formcheck history` lists sessions; "
        "--csv exports one row per rep; `formcheck history delete --patient NAME` removes a patient's data. "
        "Dates are UTC: YYYY-MM-DD or YYYY-MM-DDTHH:MM.",
    )
    p.add_argument("action", nargs="?", choices=("list", "delete"), default="list", help="list (default) or delete")
    p.add_argument("--db", type=Path, default=None, metavar="PATH", help="history database (default: user data)")
    p.add_argument("--patient", default=None, metavar="NAME", help="only this patient's sessions")
    p.add_argument("--exercise", default=None, metavar="NAME", help="only sessions with this exercise")
    p.add_argument("--since", default=None, metavar="DATE", help="sessions started on or after DATE")
    p.add_argument("--until", default=None, metavar="DATE", help="sessions started on or before DATE")
    p.add_argument("--csv", dest="csv_out", default=None, metavar="PATH", help="export one row per rep ('-' = stdout)")
    p.add_argument("--yes", action="store_true", help="delete without asking")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from formcheck.history import connect, default_db_path

    path = args.db or default_db_path()
    if not path.exists():
        if args.action == "delete":
            raise FormcheckError(f"{path}: no history database here, nothing to delete")
        print(f"No sessions stored yet ({path}).")
        return 0
    conn = connect(path)
    try:
        if args.action == "delete":
            return _delete(conn, args)
        return _list(conn, args)
    finally:
        conn.close()


def _filters(args: argparse.Namespace):
    from formcheck.history import Filters
    from formcheck.history.query import parse_when

    try:
        since = parse_when(args.since) if args.since else None
        until = parse_when(args.until, end_of_day=True) if args.until else None
    except ValueError as e:
        raise FormcheckError(f"--since/--until: {e}") from None
    return Filters(patient=args.patient, exercise=args.exercise, since_utc=since, until_utc=until)


def _list(conn, args: argparse.Namespace) -> int:
    from formcheck.history import export_csv, list_sessions

    f = _filters(args)
    if args.csv_out:
        from formcheck.sinks.outputs import check_output, write_text

        check_output(args.csv_out, "--csv")
        write_text(args.csv_out, export_csv(conn, f), what="--csv")
        return 0
    rows = list_sessions(conn, f)
    if not rows:
        print("No sessions match.")
        return 0
    h = ("id", "started (UTC)", "patient", "mode", "sets", "reps", "pain")
    print(f"{h[0]:>4}  {h[1]:<19}  {h[2]:<14}  {h[3]:<7}  {h[4]:>4}  {h[5]:>9}  {h[6]:>4}  exercises")
    for r in rows:
        reps = f"{r.reps_ok}/{r.reps} ok"
        what = ", ".join(r.exercises) or "-"
        if r.routine:
            what = f"[{r.routine}] {what}"
        unfinished = "" if r.ended_utc else "  (ended abruptly)"
        print(
            f"{r.id:>4}  {r.started_utc[:19].replace('T', ' '):<19}  {r.patient[:14]:<14}  {r.mode:<7}  {r.sets:>4}  "
            f"{reps:>9}  {r.pain_stops:>4}  {what}{unfinished}"
        )
    return 0


def _delete(conn, args: argparse.Namespace) -> int:
    from formcheck.history import delete_patient
    from formcheck.history.query import count_patient_sessions

    if not args.patient:
        raise FormcheckError("history delete needs --patient NAME (whose data to remove)")
    n = count_patient_sessions(conn, args.patient)
    if n is None:
        raise FormcheckError(f"no patient named {args.patient!r} in the history")
    if not args.yes:
        if not sys.stdin.isatty():
            raise FormcheckError(f"refusing to delete {args.patient!r}'s {n} sessions without --yes (not a terminal)")
        answer = input(f"Delete all {n} sessions of {args.patient!r} (health data; cannot be undone)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.")
            return 1
    removed = delete_patient(conn, args.patient)
    print(f"Deleted {args.patient!r}: {removed} sessions and everything in them.")
    return 0
