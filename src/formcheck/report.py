"""The scoring report: a stable JSON contract, plus a per-rep CSV.

Keys (more may be added, none removed): exercise, source, model, duration_s, frames,
measurable_frames, reps, reps_by_side ({"left": n, "right": n} or null), rep_details
([{index, side, start_s, end_s, peak_deg, hold_s, max_speed_deg_s, faults, ok, ...}]),
cues ([{t_s, code, text}]). A run with no measurable frame at all is not a result:
``complete`` is false, ``error`` says why and ``nothing_measurable`` is true.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from formcheck import __version__
from formcheck.checkers.events import EventKind, RepResult
from formcheck.checkers.rep_checker import RepChecker
from formcheck.outputs import write_text


def _num(x: float, nd: int = 2) -> float | None:
    return round(float(x), nd) if x is not None and math.isfinite(x) else None


def rep_to_dict(r: RepResult) -> dict[str, Any]:
    u = r.unit
    d: dict[str, Any] = {
        "index": r.index,
        "side": r.side,
        "start_s": _num(r.start_s, 3),
        "end_s": _num(r.end_s, 3),
        "peak_deg": _num(r.peak) if u == "deg" else None,
        "hold_s": _num(r.hold_s),
        "max_speed_deg_s": _num(r.max_speed_per_s, 1) if u == "deg" else None,
        "faults": list(r.faults),
        "ok": r.ok,
        "peak": _num(r.peak),
        "unit": u,
        "in_target_s": _num(r.in_target_s),
        f"max_speed_{u}_s": _num(r.max_speed_per_s, 1),
        f"max_return_speed_{u}_s": _num(r.max_return_speed_per_s, 1),
        "finished": r.finished,
    }
    for name, v in r.extra_peaks.items():
        d[f"peak_{name.replace('_left', '').replace('_right', '')}"] = _num(v, 1)
    return d


def build_report(
    checker: RepChecker,
    *,
    source: str,
    model: str,
    duration_s: float | None = None,
    complete: bool = True,
    error: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report of a finished (or interrupted) checker run."""
    cfg = checker.cfg
    if duration_s is None:
        duration_s = (checker.t_last - checker.t_first) if checker.t_first is not None and checker.t_last else 0.0
    reps = [rep_to_dict(r) for r in checker.results]
    cues = [
        {"t_s": _num(e.t_s, 3), "code": e.code, "text": e.text, **({"side": e.side} if e.side else {})}
        for e in checker.events
        if e.kind is EventKind.CUE_ON
    ]
    report: dict[str, Any] = {
        "exercise": cfg.name,
        "source": source,
        "model": model,
        "duration_s": _num(duration_s, 3),
        "frames": checker.frames,
        "measurable_frames": checker.measurable_frames,
        "measurable_fraction": _num(checker.measurable_frames / checker.frames, 3) if checker.frames else 0.0,
        "reps": checker.reps,
        "reps_by_side": checker.reps_by_side,
        "reps_ok": sum(1 for r in checker.results if r.ok),
        "target_reps": cfg.target_reps,
        "rep_details": reps,
        "cues": cues,
        "stopped": {"t_s": _num(checker.stopped[0], 3), "reason": checker.stopped[1]} if checker.stopped else None,
        "complete": complete,
        "error": error,
        "thresholds": {k: t.value for k, t in sorted(cfg.thresholds.items())},
        "note": cfg.caveat or None,  # what the camera cannot see for this exercise
        "formcheck_version": __version__,
    }
    if complete and not checker.measurable_frames:
        # Not a normal success: a damaged model, nobody in view or the wrong camera view
        # all end here, and "0 reps" would read as the person's result.
        report["complete"] = False
        report["error"] = nothing_measurable_text(cfg.name, checker.frames)
        report["nothing_measurable"] = True
    if extra:
        report.update(extra)
    return report


def nothing_measurable_text(exercise: str, frames: int) -> str:
    """Why a report with no measurable frame is not a result (one sentence)."""
    if not frames:
        return "nothing was measured: the input has no frames"
    return (
        f"nothing was measurable: in none of the {frames} frames were the body parts {exercise} needs in view "
        "(check that the whole body is in the picture, the camera view, and the pose model)"
    )


def write_json(data: Any, dest: str | Path, what: str = "--json") -> None:
    """Write JSON to a path, or to stdout when dest is "-" (by :mod:`formcheck.outputs`'s
    rules: atomic replace, FIFOs and devices written through; OutputError on failure)."""
    write_text(dest, json.dumps(data, indent=2, ensure_ascii=False) + "\n", what=what)


CSV_COLUMNS = (
    "source", "exercise", "index", "side", "start_s", "end_s", "peak", "unit", "hold_s",
    "in_target_s", "max_speed_per_s", "max_return_speed_per_s", "faults", "ok", "finished",
)  # fmt: skip


def write_csv(reports: Sequence[dict[str, Any]], dest: str | Path, what: str = "--csv") -> None:
    """One row per rep of every report (faults joined with ';')."""
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for rep in reports:
        for r in rep["rep_details"]:
            u = r["unit"]
            w.writerow([
                rep["source"], rep["exercise"], r["index"], r["side"] or "", r["start_s"], r["end_s"], r["peak"], u,
                r["hold_s"], r["in_target_s"], r[f"max_speed_{u}_s"], r[f"max_return_speed_{u}_s"],
                ";".join(r["faults"]), r["ok"], r["finished"],
            ])  # fmt: skip
    write_text(dest, buf.getvalue(), what=what)


def summary_text(report: dict[str, Any]) -> str:
    """A short human summary for the terminal."""
    lines = [f"{report['source']}: {report['exercise']}"]
    meas = report["measurable_fraction"] or 0.0
    by_side = report["reps_by_side"]
    sides = f" (left {by_side['left']}, right {by_side['right']})" if by_side else ""
    lines.append(
        f"  reps: {report['reps']}{sides}, {report['reps_ok']} as prescribed; "
        f"{report['duration_s']:.1f} s, measurable {100 * meas:.0f}% of frames"
    )
    for r in report["rep_details"]:
        side = f" {r['side']}" if r["side"] else ""
        faults = ", ".join(r["faults"]) if r["faults"] else "ok"
        lines.append(
            f"  #{r['index']}{side} {r['start_s']:.1f}-{r['end_s']:.1f} s  peak {r['peak']:.0f} {r['unit']}  "
            f"hold {r['hold_s']:.1f} s  {faults}"
        )
    if report.get("stopped"):
        lines.append(f"  stopped at {report['stopped']['t_s']:.1f} s: {report['stopped']['reason']}")
    if report.get("nothing_measurable"):
        lines.append(f"  WARNING: {report['error']}")
    elif not report["complete"]:
        lines.append(f"  INCOMPLETE: {report['error']}")
    return "\n".join(lines)
