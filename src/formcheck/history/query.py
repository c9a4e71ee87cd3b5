"""Reading the history: sessions with filters, a per-rep CSV export, deleting a patient's data."""

from __future__ import annotations

import csv
import io
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from formcheck.history.db import transaction


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session as ``formcheck history`` lists it."""

    id: int
    patient: str
    started_utc: str
    ended_utc: str | None
    mode: str
    routine: str | None
    exercises: tuple[str, ...]
    sets: int
    reps: int
    reps_ok: int
    pain_stops: int
    tool_version: str


@dataclass(frozen=True, slots=True)
class Filters:
    patient: str | None = None
    exercise: str | None = None
    since_utc: str | None = None  # inclusive, ISO-8601 UTC
    until_utc: str | None = None  # exclusive


def parse_when(text: str, *, end_of_day: bool = False) -> str:
    """A user's date or date-time (read as UTC unless it has an offset) as an ISO-8601 UTC
    bound; a bare date as ``--until`` means the end of that day."""
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM)") from None
    if end_of_day and len(text.strip()) == 10:
        dt += timedelta(days=1)
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.isoformat(timespec="milliseconds")


def _where(f: Filters) -> tuple[str, list[object]]:
    clauses, args = [], []
    if f.patient is not None:
        clauses.append("p.name = ?")
        args.append(f.patient)
    if f.exercise is not None:
        clauses.append("EXISTS (SELECT 1 FROM exercise_set x WHERE x.session_id = s.id AND x.exercise = ?)")
        args.append(f.exercise)
    if f.since_utc is not None:
        clauses.append("s.started_utc >= ?")
        args.append(f.since_utc)
    if f.until_utc is not None:
        clauses.append("s.started_utc < ?")
        args.append(f.until_utc)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def list_sessions(conn: sqlite3.Connection, f: Filters = Filters()) -> list[SessionRow]:
    where, args = _where(f)
    rows = conn.execute(
        f"""SELECT s.id, p.name, s.started_utc, s.ended_utc, s.mode, s.routine, s.tool_version,
                   (SELECT group_concat(exercise, ',') FROM (SELECT DISTINCT exercise FROM exercise_set
                        WHERE session_id = s.id ORDER BY id)) AS exercises,
                   (SELECT count(*) FROM exercise_set WHERE session_id = s.id) AS sets,
                   (SELECT coalesce(sum(reps), 0) FROM exercise_set WHERE session_id = s.id) AS reps,
                   (SELECT coalesce(sum(reps_ok), 0) FROM exercise_set WHERE session_id = s.id) AS reps_ok,
                   (SELECT count(*) FROM pain_stop ps JOIN exercise_set e ON ps.set_id = e.id
                        WHERE e.session_id = s.id) AS pain_stops
            FROM session s JOIN patient p ON p.id = s.patient_id{where}
            ORDER BY s.started_utc, s.id""",
        args,
    ).fetchall()
    return [
        SessionRow(
            id=r[0], patient=r[1], started_utc=r[2], ended_utc=r[3], mode=r[4], routine=r[5], tool_version=r[6],
            exercises=tuple(r[7].split(",")) if r[7] else (), sets=r[8], reps=r[9], reps_ok=r[10], pain_stops=r[11],
        )
        for r in rows
    ]


CSV_COLUMNS = (
    "session_id", "patient", "session_started_utc", "mode", "routine", "tool_version", "set_id", "exercise",
    "source", "model", "set_started_utc", "set_ended_utc", "end_reason", "target_reps", "thresholds",
    "rep", "side", "start_s", "end_s", "peak", "unit", "hold_s", "in_target_s", "max_speed_per_s",
    "max_return_speed_per_s", "faults", "ok", "finished", "rep_recorded_utc", "pain_stop_t_s",
)  # fmt: skip


def export_csv(conn: sqlite3.Connection, f: Filters = Filters()) -> str:
    """One row per rep (a set without reps still gets one row, rep columns empty), with its
    session, patient, thresholds, model and tool version; pain stops in ``pain_stop_t_s``."""
    where, args = _where(f)
    if f.exercise is not None:  # only that exercise's sets, not the rest of the matching sessions
        where += " AND e.exercise = ?" if where else " WHERE e.exercise = ?"
        args.append(f.exercise)
    rows = conn.execute(
        f"""SELECT s.id, p.name, s.started_utc, s.mode, s.routine, s.tool_version, e.id, e.exercise, e.source,
                   e.model, e.started_utc, e.ended_utc, e.end_reason, e.target_reps, e.thresholds_json,
                   r.idx, r.side, r.start_s, r.end_s, r.peak, r.unit, r.hold_s, r.in_target_s, r.max_speed_per_s,
                   r.max_return_speed_per_s,
                   (SELECT group_concat(code, ';') FROM rep_fault WHERE rep_id = r.id),
                   r.ok, r.finished, r.recorded_utc,
                   (SELECT group_concat(t_s, ';') FROM pain_stop WHERE set_id = e.id)
            FROM session s JOIN patient p ON p.id = s.patient_id
                 JOIN exercise_set e ON e.session_id = s.id
                 LEFT JOIN rep r ON r.set_id = e.id{where}
            ORDER BY s.started_utc, s.id, e.id, r.idx""",
        args,
    ).fetchall()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def count_patient_sessions(conn: sqlite3.Connection, patient: str) -> int | None:
    """Sessions stored for ``patient``; None when the patient is not in the database."""
    row = conn.execute("SELECT id FROM patient WHERE name = ?", (patient,)).fetchone()
    if row is None:
        return None
    return conn.execute("SELECT count(*) FROM session WHERE patient_id = ?", (row[0],)).fetchone()[0]


def delete_patient(conn: sqlite3.Connection, patient: str) -> int:
    """Remove a patient and everything stored about them (sessions, sets, reps, faults, pain
    stops). Freed pages are overwritten (``secure_delete``) and the write-ahead log is
    truncated, so the data does not linger in the file. Returns the sessions removed."""
    conn.execute("PRAGMA secure_delete = ON")
    with transaction(conn) as c:
        n = c.execute(
            "SELECT count(*) FROM session s JOIN patient p ON p.id = s.patient_id WHERE p.name = ?", (patient,)
        ).fetchone()[0]
        c.execute("DELETE FROM patient WHERE name = ?", (patient,))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return int(n)
