"""The therapist's page: per exercise over days and weeks, from the session history —
adherence (days practised, sets that met their dose), reps, range of motion (peak angle or
height), time held in the target band, faults, and every pain stop."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from formcheck.history.query import Filters, _where
from formcheck.pages.common import esc, figure, mpl, now_utc_text, page, png_uri

__all__ = ["ExerciseProgress", "progress_data", "progress_page"]


@dataclass(slots=True)
class DayStats:
    sets: int = 0
    sets_dose_met: int = 0
    reps: int = 0
    reps_ok: int = 0
    peaks: list[float] = field(default_factory=list)
    in_target_s: list[float] = field(default_factory=list)
    faults: int = 0
    pain_stops: int = 0


@dataclass(slots=True)
class ExerciseProgress:
    exercise: str
    unit: str
    days: dict[date, DayStats]
    pain_stops: list[tuple[str, float]]  # (UTC time, seconds into the set)
    fault_counts: dict[str, int]

    def adherence(self, first: date, last: date) -> tuple[int, int]:
        """(days practised, days in the period)."""
        return sum(1 for d in self.days if first <= d <= last), (last - first).days + 1


def progress_data(conn: sqlite3.Connection, f: Filters | None = None) -> dict[str, ExerciseProgress]:
    f = f or Filters()
    where, args = _where(f)
    if f.exercise is not None:
        where += " AND e.exercise = ?"
        args.append(f.exercise)
    sets = conn.execute(
        f"""SELECT e.id, e.exercise, substr(e.started_utc, 1, 10), e.reps, e.reps_ok, e.target_reps
            FROM session s JOIN patient p ON p.id = s.patient_id JOIN exercise_set e ON e.session_id = s.id{where}
            ORDER BY e.started_utc""",
        args,
    ).fetchall()
    out: dict[str, ExerciseProgress] = {}
    for set_id, exercise, day_text, reps, reps_ok, target in sets:
        ep = out.setdefault(exercise, ExerciseProgress(exercise, "", defaultdict(DayStats), [], defaultdict(int)))
        d = ep.days[date.fromisoformat(day_text)]
        d.sets += 1
        by_side = dict(conn.execute(
            "SELECT side, count(*) FROM rep WHERE set_id = ? AND side IS NOT NULL GROUP BY side", (set_id,)
        ).fetchall())  # fmt: skip
        # Per-side exercises are prescribed per side: the count is met when every side reached it.
        counted = min(by_side.get("left", 0), by_side.get("right", 0)) if by_side else reps
        d.sets_dose_met += int(counted >= target)
        d.reps += reps
        d.reps_ok += reps_ok
        for peak, in_t, unit in conn.execute("SELECT peak, in_target_s, unit FROM rep WHERE set_id = ?", (set_id,)):
            ep.unit = unit
            if peak is not None:
                d.peaks.append(peak)
            d.in_target_s.append(in_t)
        for (code,) in conn.execute(
            "SELECT code FROM rep_fault JOIN rep ON rep.id = rep_fault.rep_id WHERE rep.set_id = ?", (set_id,)
        ):
            d.faults += 1
            ep.fault_counts[code] += 1
        for at, t_s in conn.execute("SELECT at_utc, t_s FROM pain_stop WHERE set_id = ?", (set_id,)):
            d.pain_stops += 1
            ep.pain_stops.append((at, t_s))
    return out


def _plot(ep: ExerciseProgress, title: str) -> str:
    plt = mpl()
    days = sorted(ep.days)
    x = list(days)
    st = [ep.days[d] for d in days]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.0))
    ax = axes[0]
    ax.bar(x, [s.reps_ok for s in st], color="#2da44e", label="as prescribed")
    ax.bar(x, [s.reps - s.reps_ok for s in st], bottom=[s.reps_ok for s in st], color="#cf222e", alpha=0.7,
           label="with a fault")  # fmt: skip
    for d, s in zip(x, st, strict=True):
        if s.pain_stops:
            ax.annotate("pain", (d, s.reps), color="#b42318", fontsize=8, ha="center", va="bottom")
    ax.set_title("reps per day", fontsize=10)
    ax.legend(fontsize=7)
    ax = axes[1]
    means = [sum(s.peaks) / len(s.peaks) if s.peaks else float("nan") for s in st]
    best = [max(s.peaks) if s.peaks else float("nan") for s in st]
    ax.plot(x, means, "o-", color="#1f6feb", label="mean")
    ax.plot(x, best, "^--", color="#8250df", label="best", alpha=0.7)
    ax.set_title(f"range of motion: peak ({ep.unit})", fontsize=10)
    ax.legend(fontsize=7)
    ax = axes[2]
    ax.plot(x, [sum(s.in_target_s) / len(s.in_target_s) if s.in_target_s else float("nan") for s in st], "o-",
            color="#2da44e")  # fmt: skip
    ax.set_title("time in the target band per rep (s)", fontsize=10)
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        if len(x) == 1:
            ax.set_xlim(x[0] - timedelta(days=1), x[0] + timedelta(days=1))
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return png_uri(fig)


def progress_page(
    conn: sqlite3.Connection, f: Filters | None = None, titles: dict[str, str] | None = None, period: str = ""
) -> str:
    """The progress page of the sessions ``f`` selects; ``titles``: exercise name → title."""
    f = f or Filters()
    titles = titles or {}
    data = progress_data(conn, f)
    who = esc(f.patient) if f.patient else "every patient"
    meta = f'<div class="meta">{esc(period) or "all sessions"} &middot; generated {esc(now_utc_text())}</div>'
    body = [f"<h1>Progress - {who}</h1>", meta]
    if not data:
        body.append("<p>No sessions stored for this selection.</p>")
        return page(f"Progress - {f.patient or 'all'}", "\n".join(body))
    all_days = sorted({d for ep in data.values() for d in ep.days})
    first, last = all_days[0], all_days[-1]
    pains = [(at, ex, t) for ex, ep in data.items() for at, t in ep.pain_stops]
    if pains:
        rows = "".join(f"<tr><td>{esc(at[:16].replace('T', ' '))} UTC</td><td>{esc(titles.get(ex, ex))}</td>"
                       f"<td class=n>{t:.1f}</td></tr>" for at, ex, t in sorted(pains))  # fmt: skip
        body.append(f'<div class="alert"><b>{len(pains)} pain stop{"s" if len(pains) > 1 else ""}</b> in this '
                    "period.</div><table><tr><th>when</th><th>exercise</th><th>seconds into the set</th></tr>"
                    f"{rows}</table>")  # fmt: skip
    summary = []
    for ex, ep in sorted(data.items()):
        done, period_days = ep.adherence(first, last)
        sets = sum(s.sets for s in ep.days.values())
        met = sum(s.sets_dose_met for s in ep.days.values())
        reps = sum(s.reps for s in ep.days.values())
        ok = sum(s.reps_ok for s in ep.days.values())
        faults = ", ".join(f"{esc(c.replace('_', ' '))} x{n}" for c, n in sorted(ep.fault_counts.items(),
                                                                                key=lambda kv: -kv[1])[:4])  # fmt: skip
        summary.append(
            f"<tr><td>{esc(titles.get(ex, ex))}</td><td class=n>{done} of {period_days}</td><td class=n>{met} of "
            f"{sets}</td><td class=n>{reps}</td><td class=n>{ok}</td><td>{faults or '-'}</td>"
            f"<td class=n>{len(ep.pain_stops)}</td></tr>"
        )
    body.append("<h2>Adherence and results</h2><table><tr><th>exercise</th><th>days practised</th>"
                "<th>sets reaching the rep count</th><th>reps</th><th>as prescribed</th><th>most frequent faults</th>"
                "<th>pain stops</th></tr>" + "".join(summary) + "</table>")  # fmt: skip
    body.append("<h2>Per exercise</h2>")
    for ex, ep in sorted(data.items()):
        title = titles.get(ex, ex)
        body.append(figure(_plot(ep, title), f"{title} progress", f"{title}: per day"))
    return page(f"Progress - {f.patient or 'all'}", "\n".join(body))
