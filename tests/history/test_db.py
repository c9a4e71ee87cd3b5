"""The history database: schema, migrations, sessions/sets/reps written as they happen, queries."""

from __future__ import annotations

import csv
import io
import multiprocessing as mp
import sqlite3
from itertools import count
from pathlib import Path

import pytest

from formcheck.checkers.events import Event, EventKind, RepResult
from formcheck.exercises.config import get_exercise
from formcheck.history import (
    Filters,
    HistoryError,
    HistoryRecorder,
    SessionInfo,
    connect,
    delete_patient,
    export_csv,
    list_sessions,
)
from formcheck.history.db import MIGRATIONS
from formcheck.history.query import parse_when


def _clock(day: str = "2026-12-01"):
    n = count()
    return lambda: f"{day}T10:{next(n) % 60:02d}:00.000+00:00"


def _rep(i: int, faults: tuple[str, ...] = (), side: str | None = None) -> RepResult:
    return RepResult(i, side, 2.0 * i, 2.0 * i + 1.5, "deg", 44.0 + i, 5.1, 4.8, 60.0, 30.0, faults, {"hip_deg": 12.0})


def _rep_event(i: int, faults: tuple[str, ...] = ()) -> Event:
    return Event(2.0 * i + 1.5, EventKind.REP, "rep", rep=_rep(i, faults))


def test_new_database_is_wal_with_foreign_keys_and_current_schema_version(tmp_path):
    conn = connect(tmp_path / "sub" / "h.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"patient", "session", "exercise_set", "rep", "rep_fault", "pain_stop"} <= tables


def test_migrations_apply_in_order_once_and_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "h.db"
    connect(path).close()
    applied = []

    def v2(c: sqlite3.Connection) -> None:
        applied.append(2)
        c.execute("ALTER TABLE session ADD COLUMN device TEXT")

    conn = connect(path, (*MIGRATIONS, v2))
    assert applied == [2]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert "device" in {r[1] for r in conn.execute("PRAGMA table_info(session)")}
    conn.close()
    connect(path, (*MIGRATIONS, v2)).close()
    assert applied == [2]  # not again
    with pytest.raises(HistoryError, match="newer than this formcheck knows"):
        connect(path)  # a formcheck that knows only version 1


def test_a_failing_migration_leaves_the_schema_as_it_was(tmp_path):
    path = tmp_path / "h.db"
    connect(path).close()

    def broken(c: sqlite3.Connection) -> None:
        c.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("boom")

    with pytest.raises(HistoryError):
        connect(path, (*MIGRATIONS, broken))
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0


def test_not_a_database_is_one_clear_error(tmp_path):
    bad = tmp_path / "h.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(HistoryError, match="not a usable history database"):
        connect(bad)
    with pytest.raises(HistoryError, match="is a folder"):
        connect(tmp_path)


def test_each_rep_is_committed_when_it_completes(tmp_path):
    path = tmp_path / "h.db"
    cfg = get_exercise("wall_squat")
    rec = HistoryRecorder(path, SessionInfo(patient="Ann", profile="ann.toml"), clock=_clock())
    s = rec.begin_set(cfg, "0", "lite")
    s.on_events([_rep_event(1), Event(3.0, EventKind.HOLD, "hold", value=1.0)])
    # Another connection (another process would do the same) sees the rep already committed.
    other = sqlite3.connect(path)
    rows = other.execute("SELECT idx, peak, hold_s, ok, unit, extra_peaks_json FROM rep").fetchall()
    assert rows == [(1, 45.0, 5.1, 1, "deg", '{"hip_deg": 12.0}')]
    assert other.execute("SELECT reps, reps_ok, ended_utc FROM exercise_set").fetchone() == (1, 1, None)
    s.on_events([_rep_event(2, ("hold_short", "too_fast"))])
    faults = other.execute("SELECT code FROM rep_fault JOIN rep ON rep.id = rep_id WHERE idx = 2 ORDER BY code")
    assert [r[0] for r in faults] == ["hold_short", "too_fast"]
    s.on_events([Event(7.5, EventKind.STOP, "pain_stop", "Stopped because it hurts")])
    s.end({"duration_s": 7.5, "measurable_fraction": 0.9, "complete": True,
           "stopped": {"t_s": 7.5, "reason": "pain_stop"}})  # fmt: skip
    rec.close()
    row = other.execute("SELECT reps, reps_ok, end_reason, complete, target_reps, model FROM exercise_set").fetchone()
    assert row == (2, 1, "pain_stop", 1, 10, "lite")
    assert other.execute("SELECT exercise, t_s FROM pain_stop").fetchall() == [("wall_squat", 7.5)]
    thresholds = other.execute("SELECT thresholds_json FROM exercise_set").fetchone()[0]
    assert '"hold_s": 5.0' in thresholds
    assert other.execute("SELECT tool_version, profile FROM session").fetchone()[1] == "ann.toml"


def test_timestamps_are_utc_iso8601(tmp_path):
    rec = HistoryRecorder(tmp_path / "h.db", SessionInfo())
    rec.begin_set(get_exercise("squat"), "clip.mp4", "full").on_events([_rep_event(1)])
    rec.close()
    conn = sqlite3.connect(tmp_path / "h.db")
    for (ts,) in conn.execute("SELECT started_utc FROM session UNION ALL SELECT recorded_utc FROM rep"):
        assert ts.endswith("+00:00") and "T" in ts


def _writer(path: str, patient: str, n: int) -> None:
    rec = HistoryRecorder(path, SessionInfo(patient=patient))
    s = rec.begin_set(get_exercise("squat"), "clip.mp4", "lite")
    for i in range(1, n + 1):
        s.on_events([_rep_event(i)])
    s.end({"complete": True})
    rec.close()


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "h.db")
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, name, 40)) for name in ("Ann", "Bob")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    conn = connect(path)
    by_patient = dict(conn.execute(
        "SELECT p.name, count(r.id) FROM rep r JOIN exercise_set e ON e.id = r.set_id "
        "JOIN session s ON s.id = e.session_id JOIN patient p ON p.id = s.patient_id GROUP BY p.name"
    ).fetchall())  # fmt: skip
    assert by_patient == {"Ann": 40, "Bob": 40}
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _history(path: Path) -> None:
    specs = [("Ann", "2026-11-30", "wall_squat", 3), ("Ann", "2026-12-02", "heel_slide", 2),
             ("Bob", "2026-12-01", "wall_squat", 1)]  # fmt: skip
    for patient, day, exercise, reps in specs:
        rec = HistoryRecorder(path, SessionInfo(patient=patient), clock=_clock(day))
        s = rec.begin_set(get_exercise(exercise), "0", "lite")
        s.on_events([_rep_event(i, ("too_fast",) if i == 2 else ()) for i in range(1, reps + 1)])
        s.end({"complete": True})
        rec.close()


def test_sessions_are_listed_with_patient_exercise_and_date_filters(tmp_path):
    path = tmp_path / "h.db"
    _history(path)
    conn = connect(path)
    every = list_sessions(conn)
    assert [(r.patient, r.exercises, r.reps, r.reps_ok) for r in every] == [
        ("Ann", ("wall_squat",), 3, 2), ("Bob", ("wall_squat",), 1, 1), ("Ann", ("heel_slide",), 2, 1),
    ]  # fmt: skip
    assert [r.patient for r in list_sessions(conn, Filters(patient="Ann"))] == ["Ann", "Ann"]
    assert [r.patient for r in list_sessions(conn, Filters(exercise="wall_squat"))] == ["Ann", "Bob"]
    since = Filters(since_utc=parse_when("2026-12-01"))
    assert [r.exercises for r in list_sessions(conn, since)] == [("wall_squat",), ("heel_slide",)]
    until = Filters(until_utc=parse_when("2026-12-01", end_of_day=True))  # the whole day is included
    assert [r.patient for r in list_sessions(conn, until)] == ["Ann", "Bob"]


def test_csv_export_has_one_row_per_rep_with_its_faults(tmp_path):
    path = tmp_path / "h.db"
    _history(path)
    rows = list(csv.DictReader(io.StringIO(export_csv(connect(path), Filters(patient="Ann")))))
    assert [(r["patient"], r["exercise"], r["rep"]) for r in rows] == [
        ("Ann", "wall_squat", "1"), ("Ann", "wall_squat", "2"), ("Ann", "wall_squat", "3"),
        ("Ann", "heel_slide", "1"), ("Ann", "heel_slide", "2"),
    ]  # fmt: skip
    assert [r["faults"] for r in rows] == ["", "too_fast", "", "", "too_fast"]
    assert rows[0]["model"] == "lite" and rows[0]["tool_version"] and '"hold_s": 5.0' in rows[0]["thresholds"]


def test_deleting_a_patient_removes_all_their_rows_and_nobody_elses(tmp_path):
    path = tmp_path / "h.db"
    _history(path)
    conn = connect(path)
    assert delete_patient(conn, "Ann") == 2
    assert [r.patient for r in list_sessions(conn)] == ["Bob"]
    assert conn.execute("SELECT count(*) FROM rep").fetchone()[0] == 1  # Bob's one rep
    assert conn.execute("SELECT count(*) FROM rep_fault").fetchone()[0] == 0
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    assert b"Ann" not in path.read_bytes()  # secure_delete + checkpoint: not left in free pages


def test_a_new_database_is_private_to_its_user(tmp_path):
    import stat

    path = tmp_path / "new" / "h.db"
    rec = HistoryRecorder(path, SessionInfo())
    rec.begin_set(get_exercise("squat"), "0", "lite").on_events([_rep_event(1)])
    for p in (path, path.with_name("h.db-wal")):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    rec.close()
