"""The history as a person relies on it: `live` killed mid-set, and a pain stop from the terminal."""

from __future__ import annotations

import os
import pty
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from formcheck.programs.live import PAIN_ADVICE

pytestmark = pytest.mark.real

CLIP = "squat_front_20reps_onscreen_counter.mp4"  # 20 squats: plenty of reps before and after the kill
REP_LINE = re.compile(r"\] rep (\d+)")


def _live(samples_dir, models_dir, db, **kw) -> subprocess.Popen:
    env = {**os.environ, "FORMCHECK_MODEL_DIR": str(models_dir), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "formcheck", "live", "-e", "squat", "--no-window", "--source",
           str(samples_dir / CLIP), "--db", str(db), "--patient", "Ann"]  # fmt: skip
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _reps_printed(proc: subprocess.Popen, at_least: int, deadline_s: float = 240.0) -> list[int]:
    """Rep numbers the process printed, read until ``at_least`` of them (a hang guard, not a timing)."""
    seen: list[int] = []
    end = time.monotonic() + deadline_s
    while len(seen) < at_least and time.monotonic() < end:
        line = proc.stdout.readline()
        if not line:
            break
        if m := REP_LINE.search(line):
            seen.append(int(m.group(1)))
    return seen


def test_live_killed_mid_set_keeps_every_completed_rep(samples_dir, models_dir, tmp_path):
    db = tmp_path / "h.db"
    proc = _live(samples_dir, models_dir, db)
    try:
        printed = _reps_printed(proc, 3)
        assert len(printed) == 3, proc.stderr.read() if proc.poll() is not None else "no reps printed"
        os.kill(proc.pid, signal.SIGKILL)  # a crash or power cut: nothing runs after this
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = [r[0] for r in conn.execute("SELECT idx FROM rep ORDER BY idx")]
    # A rep is printed only after it is committed: every printed rep is stored, in order, none twice.
    assert stored[: len(printed)] == printed == [1, 2, 3]
    assert stored == list(range(1, len(stored) + 1))
    peaks = conn.execute("SELECT peak, hold_s, unit FROM rep").fetchall()
    assert all(p is not None and u == "deg" for p, _h, u in peaks)
    # The set was never ended: the history says so rather than inventing an end.
    assert conn.execute("SELECT ended_utc, reps FROM exercise_set").fetchone() == (None, len(stored))
    out = subprocess.run([sys.executable, "-m", "formcheck", "history", "--db", str(db)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "Ann" in out and "ended abruptly" in out


def test_pain_key_in_the_terminal_ends_the_set_and_is_stored(samples_dir, models_dir, tmp_path):
    db = tmp_path / "h.db"
    master, slave = pty.openpty()  # a terminal, as a person at a keyboard has
    proc = _live(samples_dir, models_dir, db, stdin=slave)
    os.close(slave)
    try:
        assert _reps_printed(proc, 1) == [1]
        os.write(master, b"p")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Stopped because it hurts" in out and PAIN_ADVICE in out
    conn = sqlite3.connect(db)
    (exercise, t_s, at_utc), = conn.execute("SELECT exercise, t_s, at_utc FROM pain_stop").fetchall()
    assert exercise == "squat" and t_s > 0 and at_utc.endswith("+00:00")
    assert conn.execute("SELECT end_reason, complete FROM exercise_set").fetchone() == ("pain_stop", 1)
    reps = conn.execute("SELECT count(*) FROM rep").fetchone()[0]
    assert 1 <= reps < 20  # ended early
