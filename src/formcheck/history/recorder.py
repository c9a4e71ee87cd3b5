"""Writing the history as the set happens: a session, its sets, each rep as it completes.

A :class:`SetRecorder` is fed the checker's events (from the live loop, a routine, or a
scored recording) and commits each finished rep — with its measures and faults — and each
pain stop in its own transaction, so a crash or power cut loses at most the rep in
progress. :meth:`SetRecorder.end` fills in the set's summary from the final report.
"""

from __future__ import annotations

import json
import math
import sqlite3
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck import __version__
from formcheck.checkers.events import Event, EventKind, RepResult
from formcheck.exercises.config import ExerciseConfig
from formcheck.history.db import connect, transaction, utc_now

#: Patient name used when neither --patient nor a profile name is given.
DEFAULT_PATIENT = "me"


def _num(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """Who and what a session is: stored once per session."""

    patient: str = DEFAULT_PATIENT
    mode: str = "live"  # 'live' | 'score' | 'routine'
    routine: str | None = None
    profile: str | None = None
    notes: str = ""


class HistoryRecorder:
    """One session in the history database; :meth:`begin_set` for each exercise set.

    ``clock`` returns the UTC ISO-8601 time to store (injected by tests).
    """

    def __init__(self, db_path: Path | str, info: SessionInfo, clock: Callable[[], str] = utc_now) -> None:
        self.conn = connect(db_path)
        self.clock = clock
        self.info = info
        with transaction(self.conn) as c:
            c.execute("INSERT OR IGNORE INTO patient(name, created_utc) VALUES (?, ?)", (info.patient, clock()))
            pid = c.execute("SELECT id FROM patient WHERE name = ?", (info.patient,)).fetchone()[0]
            cur = c.execute(
                "INSERT INTO session(patient_id, started_utc, mode, routine, profile, notes, tool_version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (pid, clock(), info.mode, info.routine, info.profile, info.notes, __version__),
            )
        self.session_id = int(cur.lastrowid)

    def begin_set(self, cfg: ExerciseConfig, source: str, model: str) -> SetRecorder:
        thresholds = {k: t.value for k, t in sorted(cfg.thresholds.items())}
        with transaction(self.conn) as c:
            cur = c.execute(
                "INSERT INTO exercise_set(session_id, exercise, source, model, started_utc, target_reps, "
                "thresholds_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self.session_id, cfg.name, source, model, self.clock(), cfg.target_reps, json.dumps(thresholds)),
            )
        return SetRecorder(self, int(cur.lastrowid), cfg.name)

    def close(self) -> None:
        with transaction(self.conn) as c:
            c.execute("UPDATE session SET ended_utc = ? WHERE id = ?", (self.clock(), self.session_id))
        self.conn.close()

    def __enter__(self) -> HistoryRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SetRecorder:
    """One exercise set: feed it the checker's events with :meth:`on_events`."""

    def __init__(self, session: HistoryRecorder, set_id: int, exercise: str) -> None:
        self.session = session
        self.set_id = set_id
        self.exercise = exercise
        self.reps_stored = 0
        self.pain_stops = 0
        self.failed: str | None = None

    def on_events(self, events: Iterable[Event]) -> None:
        """Store the reps and pain stops among ``events``. A write that fails (disk full, a
        damaged file) is said once on stderr and stops the history for this set; the set
        itself goes on — what is being measured must not be lost because of the history."""
        if self.failed is not None:
            return
        try:
            for e in events:
                if e.kind is EventKind.REP and e.rep is not None:
                    self.add_rep(e.rep)
                elif e.kind is EventKind.STOP and e.code == "pain_stop":
                    self.add_pain_stop(e.t_s)
        except sqlite3.Error as err:
            self.failed = str(err)
            print(f"formcheck: history not saved from here on ({err})", file=sys.stderr)

    def add_rep(self, r: RepResult) -> None:
        conn, now = self.session.conn, self.session.clock()
        with transaction(conn) as c:
            cur = c.execute(
                "INSERT INTO rep(set_id, idx, side, start_s, end_s, unit, peak, hold_s, in_target_s, max_speed_per_s, "
                "max_return_speed_per_s, extra_peaks_json, ok, finished, recorded_utc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self.set_id, r.index, r.side, r.start_s, r.end_s, r.unit, _num(r.peak), r.hold_s, r.in_target_s,
                    _num(r.max_speed_per_s), _num(r.max_return_speed_per_s),
                    json.dumps({k: _num(v) for k, v in r.extra_peaks.items()}), int(r.ok), int(r.finished), now,
                ),
            )  # fmt: skip
            c.executemany(
                "INSERT OR IGNORE INTO rep_fault(rep_id, code) VALUES (?, ?)", [(cur.lastrowid, f) for f in r.faults]
            )
            c.execute(
                "UPDATE exercise_set SET reps = reps + 1, reps_ok = reps_ok + ? WHERE id = ?", (int(r.ok), self.set_id)
            )
        self.reps_stored += 1

    def add_pain_stop(self, t_s: float) -> None:
        with transaction(self.session.conn) as c:
            c.execute(
                "INSERT INTO pain_stop(set_id, exercise, t_s, at_utc) VALUES (?, ?, ?, ?)",
                (self.set_id, self.exercise, t_s, self.session.clock()),
            )
        self.pain_stops += 1

    def end(self, report: Mapping[str, Any]) -> None:
        """The set is over: its duration, measurable share, and how it ended."""
        if self.failed is not None:
            return
        stopped = report.get("stopped")
        ended_by = (report.get("live") or {}).get("ended_by")  # live: done, next, quit, source_end, ...
        if stopped:
            reason = str(stopped.get("reason") or "stopped")
        elif ended_by and report.get("complete", True):
            reason = str(ended_by)
        elif not report.get("complete", True):
            reason = str(report.get("error") or "incomplete")
        else:
            reason = "done"
        with transaction(self.session.conn) as c:
            c.execute(
                "UPDATE exercise_set SET ended_utc = ?, duration_s = ?, measurable_fraction = ?, complete = ?, "
                "end_reason = ? WHERE id = ?",
                (
                    self.session.clock(), report.get("duration_s"), report.get("measurable_fraction"),
                    int(bool(report.get("complete", True))), reason, self.set_id,
                ),
            )  # fmt: skip


def record_report(recorder: HistoryRecorder, cfg: ExerciseConfig, report: Mapping[str, Any]) -> None:
    """Store a whole scored recording as one set (``score``: the reps arrive together)."""
    s = recorder.begin_set(cfg, str(report["source"]), str(report["model"]))
    for d in report["rep_details"]:
        s.add_rep(_rep_from_dict(d))
    if report.get("stopped") and report["stopped"].get("reason") == "pain_stop":
        s.add_pain_stop(float(report["stopped"]["t_s"]))
    s.end(report)


def _rep_from_dict(d: Mapping[str, Any]) -> RepResult:
    u = d["unit"]
    nan = float("nan")

    def f(key: str) -> float:
        v = d.get(key)
        return nan if v is None else float(v)

    extra = {k.removeprefix("peak_"): float(v) for k, v in d.items() if k.startswith("peak_") and k != "peak_deg"
             and v is not None}  # fmt: skip
    return RepResult(
        index=int(d["index"]), side=d["side"], start_s=f("start_s"), end_s=f("end_s"), unit=u, peak=f("peak"),
        hold_s=f("hold_s"), in_target_s=f("in_target_s"), max_speed_per_s=f(f"max_speed_{u}_s"),
        max_return_speed_per_s=f(f"max_return_speed_{u}_s"), faults=tuple(d["faults"]), extra_peaks=extra,
        finished=bool(d.get("finished", True)),
    )  # fmt: skip


__all__ = ["DEFAULT_PATIENT", "HistoryRecorder", "SessionInfo", "SetRecorder", "record_report"]
