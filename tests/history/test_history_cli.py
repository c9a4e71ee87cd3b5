"""`formcheck history`: list with filters, CSV export, delete with confirmation; `score` stores its sets."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from formcheck.cli import main
from formcheck.exercises.config import get_exercise
from formcheck.history import HistoryRecorder, SessionInfo
from formcheck.history.db import DB_NAME
from formcheck.sources.keys import TerminalKeys

from .test_db import _history, _rep_event


def test_history_lists_sessions_and_filters(tmp_path, capsys):
    db = tmp_path / "h.db"
    _history(db)
    assert main(["history", "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 + 3 and "patient" in out[0]
    assert main(["history", "--db", str(db), "--patient", "Bob"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "Bob" in out[1] and "1/1 ok" in out[1]
    assert main(["history", "--db", str(db), "--since", "2026-12-02", "--exercise", "heel_slide"]) == 0
    assert "heel_slide" in capsys.readouterr().out
    assert main(["history", "--db", str(db), "--patient", "Nobody"]) == 0
    assert "No sessions match" in capsys.readouterr().out


def test_history_bad_date_is_one_line(tmp_path, capsys):
    db = tmp_path / "h.db"
    _history(db)
    assert main(["history", "--db", str(db), "--since", "last tuesday"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a date" in err


def test_history_csv_export_to_a_file(tmp_path):
    db = tmp_path / "h.db"
    _history(db)
    out = tmp_path / "export.csv"
    assert main(["history", "--db", str(db), "--exercise", "wall_squat", "--csv", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {r["exercise"] for r in rows} == {"wall_squat"} and len(rows) == 4


def test_history_delete_needs_yes_when_not_a_terminal(tmp_path, capsys, monkeypatch):
    db = tmp_path / "h.db"
    _history(db)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["history", "delete", "--db", str(db), "--patient", "Ann"]) == 1
    assert "without --yes" in capsys.readouterr().err
    assert main(["history", "delete", "--db", str(db), "--patient", "Ann", "--yes"]) == 0
    assert "2 sessions" in capsys.readouterr().out
    names = [r[0] for r in sqlite3.connect(db).execute("SELECT name FROM patient")]
    assert names == ["Bob"]
    assert main(["history", "delete", "--db", str(db), "--patient", "Ann", "--yes"]) == 1
    assert "no patient named 'Ann'" in capsys.readouterr().err


def test_history_delete_asks_at_a_terminal_and_no_keeps_the_data(tmp_path, capsys, monkeypatch):
    db = tmp_path / "h.db"
    _history(db)

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty("n\n"))
    assert main(["history", "delete", "--db", str(db), "--patient", "Ann"]) == 1
    assert "Nothing deleted" in capsys.readouterr().out
    assert sqlite3.connect(db).execute("SELECT count(*) FROM patient").fetchone()[0] == 2


def test_default_database_lives_in_the_user_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    rec = HistoryRecorder(tmp_path / "formcheck" / DB_NAME, SessionInfo(patient="Cy"))
    rec.begin_set(get_exercise("squat"), "0", "lite").on_events([_rep_event(1)])
    rec.close()
    assert main(["history"]) == 0
    assert "Cy" in capsys.readouterr().out


@pytest.mark.real
def test_score_stores_each_recording_unless_no_history(samples_dir, models_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(models_dir))
    clip = str(samples_dir / "glute_bridge_side_home.mp4")
    db = tmp_path / "h.db"
    assert main(["score", clip, "-e", "bridge", "--db", str(db), "--no-progress", "--patient", "Dee"]) == 0
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT mode FROM session").fetchall() == [("score",)]
    (reps, ended, reason), = conn.execute("SELECT reps, ended_utc IS NOT NULL, end_reason FROM exercise_set")
    assert reps == conn.execute("SELECT count(*) FROM rep").fetchone()[0] > 0 and ended and reason == "done"
    db2 = tmp_path / "none.db"
    assert main(["score", clip, "-e", "bridge", "--db", str(db2), "--no-progress", "--no-history"]) == 0
    assert not db2.exists()


def test_terminal_keys_read_nothing_when_stdin_is_not_a_terminal(tmp_path):
    with (tmp_path / "f").open("w+") as f, TerminalKeys(f.fileno()) as keys:
        assert not keys.active and keys.poll() is None


def test_terminal_keys_read_single_keys_from_a_terminal():
    import os
    import pty
    import time

    master, slave = pty.openpty()
    try:
        with TerminalKeys(slave) as keys:
            assert keys.active
            os.write(master, b"p")  # no Enter: cbreak mode delivers it at once
            end = time.monotonic() + 10
            key = None
            while key is None and time.monotonic() < end:
                key = keys.poll()
                time.sleep(0.01)
            assert key == ord("p")
    finally:
        os.close(master)
        os.close(slave)
