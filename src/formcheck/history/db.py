"""The session-history database: an embedded SQLite file, schema versioned by migrations.

Done the boring way: one small schema with foreign keys, ``PRAGMA journal_mode=WAL`` (a
reader never blocks the writer; a crash loses at most the transaction in progress),
``synchronous=FULL`` (a committed rep survives a power cut), a ``busy_timeout`` so that two
formcheck processes writing at once wait for each other instead of failing, the schema
version in ``PRAGMA user_version`` with numbered migration functions applied in order, and
timestamps in UTC ISO-8601.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from formcheck.errors import FormcheckError

#: How long a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 30_000

DB_NAME = "history.sqlite3"


class HistoryError(FormcheckError):
    """The history database cannot be opened, is from a newer formcheck, or is damaged."""


def default_db_path() -> Path:
    """``<user data folder>/formcheck/history.sqlite3`` (e.g. ~/.local/share/formcheck on Linux)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("formcheck")) / DB_NAME


def utc_now() -> str:
    """Now, UTC, ISO-8601 with milliseconds and a ``Z``-free ``+00:00`` offset."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _run_script(c: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it COMMITs first, which would split a migration from its version bump.
    for stmt in script.split(";"):
        if stmt.strip():
            c.execute(stmt)


def _v1(c: sqlite3.Connection) -> None:
    _run_script(
        c,
        """
        CREATE TABLE patient (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            created_utc TEXT NOT NULL
        );
        CREATE TABLE session (
            id           INTEGER PRIMARY KEY,
            patient_id   INTEGER NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
            started_utc  TEXT NOT NULL,
            ended_utc    TEXT,
            mode         TEXT NOT NULL CHECK (mode IN ('live', 'score', 'routine')),
            routine      TEXT,
            profile      TEXT,              -- the profile file used, if any
            notes        TEXT NOT NULL DEFAULT '',
            tool_version TEXT NOT NULL
        );
        CREATE TABLE exercise_set (
            id                  INTEGER PRIMARY KEY,
            session_id          INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
            exercise            TEXT NOT NULL,
            source              TEXT NOT NULL,
            model               TEXT NOT NULL,
            started_utc         TEXT NOT NULL,
            ended_utc           TEXT,       -- NULL: the process ended before the set did
            target_reps         INTEGER NOT NULL,
            thresholds_json     TEXT NOT NULL,
            reps                INTEGER NOT NULL DEFAULT 0,
            reps_ok             INTEGER NOT NULL DEFAULT 0,
            duration_s          REAL,
            measurable_fraction REAL,
            complete            INTEGER,    -- 1/0 once ended
            end_reason          TEXT        -- 'done' | 'source_end' | 'next' | 'quit' | 'pain_stop' | error text
        );
        CREATE TABLE rep (
            id                     INTEGER PRIMARY KEY,
            set_id                 INTEGER NOT NULL REFERENCES exercise_set(id) ON DELETE CASCADE,
            idx                    INTEGER NOT NULL,
            side                   TEXT,
            start_s                REAL NOT NULL,
            end_s                  REAL NOT NULL,
            unit                   TEXT NOT NULL,
            peak                   REAL,
            hold_s                 REAL NOT NULL,
            in_target_s            REAL NOT NULL,
            max_speed_per_s        REAL,
            max_return_speed_per_s REAL,
            extra_peaks_json       TEXT NOT NULL DEFAULT '{}',
            ok                     INTEGER NOT NULL,
            finished               INTEGER NOT NULL,
            recorded_utc           TEXT NOT NULL,
            UNIQUE (set_id, idx)
        );
        CREATE TABLE rep_fault (
            rep_id INTEGER NOT NULL REFERENCES rep(id) ON DELETE CASCADE,
            code   TEXT NOT NULL,
            PRIMARY KEY (rep_id, code)
        );
        CREATE TABLE pain_stop (
            id       INTEGER PRIMARY KEY,
            set_id   INTEGER NOT NULL REFERENCES exercise_set(id) ON DELETE CASCADE,
            exercise TEXT NOT NULL,
            t_s      REAL NOT NULL,         -- seconds into the set
            at_utc   TEXT NOT NULL
        );
        CREATE INDEX session_patient ON session(patient_id, started_utc);
        CREATE INDEX set_session ON exercise_set(session_id);
        CREATE INDEX set_exercise ON exercise_set(exercise, started_utc);
        CREATE INDEX rep_set ON rep(set_id);
        CREATE INDEX pain_set ON pain_stop(set_id);
        """
    )


#: Migration n (1-based) takes the schema from version n-1 to n. Append only; never edit one
#: that has shipped.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1,)


Migration = Callable[[sqlite3.Connection], None]


def connect(path: Path | str, migrations: Sequence[Migration] = MIGRATIONS) -> sqlite3.Connection:
    """Open (creating it and its folder if needed) and migrate the history database."""
    path = Path(path)
    if path.is_dir():
        raise HistoryError(f"{path}: is a folder, not a history database")
    try:
        # Health data: a new database (and SQLite's -wal/-shm files, which copy its mode) is the
        # user's alone, in a folder only they can list when formcheck creates it.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        # Autocommit mode: transactions are explicit (see transaction()).
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as e:
        raise HistoryError(f"{path}: cannot open the history database ({e})") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise HistoryError(f"{path}: the history database cannot use write-ahead logging (journal mode {mode})")
        conn.execute("PRAGMA synchronous = FULL")
        migrate(conn, migrations, str(path))
    except sqlite3.DatabaseError as e:
        conn.close()
        raise HistoryError(f"{path}: not a usable history database ({e})") from None
    except BaseException:
        conn.close()
        raise
    conn.row_factory = sqlite3.Row
    return conn


def migrate(conn: sqlite3.Connection, migrations: Sequence[Callable[[sqlite3.Connection], None]], where: str) -> int:
    """Apply the migrations the database lacks, each in its own transaction together with
    its version bump (so a crash never leaves a half-migrated schema). Returns the version."""
    latest = len(migrations)
    while True:
        with transaction(conn):  # BEGIN IMMEDIATE: a second process waits, then re-reads the version
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > latest:
                raise HistoryError(
                    f"{where}: history schema version {version} is newer than this formcheck knows ({latest}); "
                    "upgrade formcheck"
                )
            if version == latest:
                return version
            migrations[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any error): takes the write lock at
    the start, so two processes never deadlock upgrading a read lock."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
