"""A routine run end to end with video files standing in for the camera."""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
import sys
import time

import pytest

from formcheck.programs.live import PAIN_ADVICE
from formcheck.routines.runner import RoutineOptions, _Screen
from formcheck.sinks.cards import Card

SQUAT = "squat_front_20reps_onscreen_counter.mp4"  # 20 squats
BRIDGE = "bridge_side_physioplus.mp4"  # 3 s, one bridge

ROUTINE = """
[routine]
name = "two"
title = "Two steps"
prepare_s = 1

[[step]]
exercise = "squat"
reps = {squat_reps}
rest_s = 1

[[step]]
exercise = "bridge"
reps = 5
"""


def _run(tmp_path, samples_dir, models_dir, squat_reps: int, **kw) -> subprocess.Popen:
    (tmp_path / "two.toml").write_text(ROUTINE.format(squat_reps=squat_reps))
    env = {**os.environ, "FORMCHECK_MODEL_DIR": str(models_dir), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "formcheck", "routine", str(tmp_path / "two.toml"), "--no-window",
           "--source", f"squat={samples_dir / SQUAT}", "--source", f"2={samples_dir / BRIDGE}",
           "--db", str(tmp_path / "h.db"), "--json", str(tmp_path / "r.json"), "--patient", "Ann"]  # fmt: skip
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _in_order(text: str, *parts: str) -> None:
    at = -1
    for p in parts:
        i = text.find(p, at + 1)
        assert i > at, f"{p!r} missing or out of order in:\n{text}"
        at = i


@pytest.mark.real
def test_routine_runs_each_step_from_its_video_then_summarises(samples_dir, models_dir, tmp_path):
    proc = _run(tmp_path, samples_dir, models_dir, squat_reps=3)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    _in_order(out, "First: Squat", "side-on to the camera", "== Exercise 1 of 2: Squat - 3 reps ==",
              "rep 1:", "rep 2:", "rep 3:", "Rest - next: Glute bridge", "Lie on your back",
              "== Exercise 2 of 2: Glute bridge - 5 reps, hold 3 s ==", "== Routine done",
              "Squat: 3 reps, 3 as prescribed - dose met", "Glute bridge: ", "not met (5 reps, hold 3 s)")  # fmt: skip
    assert "rep 4:" not in out  # the squat set ended when its dose was met, mid-clip
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["routine"] == "two" and report["ended"] == "done" and report["sets_dose_met"] == 1
    squat, bridge = report["sets"]
    assert (squat["exercise"], squat["ended_by"], squat["dose_met"]) == ("squat", "done", True)
    assert squat["report"]["reps"] == 3
    assert (bridge["ended_by"], bridge["dose_met"]) == ("source_end", False)
    conn = sqlite3.connect(tmp_path / "h.db")
    assert conn.execute("SELECT mode, routine FROM session").fetchall() == [("routine", "two")]
    sets = conn.execute("SELECT exercise, reps, target_reps, end_reason FROM exercise_set ORDER BY id").fetchall()
    assert sets == [("squat", 3, 3, "done"), ("bridge", bridge["report"]["reps"], 5, "source_end")]


@pytest.mark.real
def test_pain_key_during_a_routine_stops_it_with_the_advice_and_stores_it(samples_dir, models_dir, tmp_path):
    master, slave = pty.openpty()
    proc = _run(tmp_path, samples_dir, models_dir, squat_reps=20, stdin=slave)
    os.close(slave)
    try:
        end = time.monotonic() + 300  # a hang guard, not a timing
        buf = ""
        while "rep 1:" not in buf and time.monotonic() < end:
            line = proc.stdout.readline()
            if not line:
                break
            buf += line
        assert "rep 1:" in buf, proc.stderr.read()
        os.write(master, b"p")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    out = buf + out
    assert proc.returncode == 0, err
    _in_order(out, "rep 1:", "Stopped because it hurts", "== Stopped: it hurts ==", PAIN_ADVICE,
              "Glute bridge: not done")  # fmt: skip
    conn = sqlite3.connect(tmp_path / "h.db")
    assert conn.execute("SELECT exercise FROM pain_stop").fetchall() == [("squat",)]
    assert conn.execute("SELECT count(*) FROM exercise_set").fetchone()[0] == 1  # the bridge never started
    assert json.loads((tmp_path / "r.json").read_text())["ended"] == "pain_stop"


class _Keys:
    def __init__(self, keys=()):
        self.keys = list(keys)

    def poll(self):
        return self.keys.pop(0) if self.keys else None


class _Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def sleep(self, s):
        self.t += s


def test_rest_countdown_lasts_its_time_on_the_stream_clock_and_space_skips(capsys):
    clock = _Clock()
    screen = _Screen(RoutineOptions(sources=["0"], window=False, clock=clock, sleep=clock.sleep), "w")
    card = Card("Rest - next: Wall squat", ["10 reps, hold 5 s."], total_s=30)
    assert screen.show(card, 30, _Keys()) == "done"
    assert clock.t == pytest.approx(30, abs=0.11)
    assert capsys.readouterr().out.startswith("Rest - next: Wall squat\n  10 reps, hold 5 s.")
    clock.t = 0.0
    assert screen.show(card, 30, _Keys([None, None, ord(" ")])) == "skip"
    assert clock.t == pytest.approx(0.2)
    assert screen.show(card, 30, _Keys([ord("q")])) == "quit"
    assert screen.show(card, 30, _Keys([ord("p")])) == "pain"
