"""One recording as an HTML page: who and when, the result against the prescription, the
exercise's signal over time with its target band and each rep marked, a per-rep table and a
thumbnail of each rep's key frame with the skeleton."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.exercises.config import ExerciseConfig
from formcheck.pages.common import esc, figure, jpeg_uri, mpl, now_utc_text, page, png_uri
from formcheck.pose.frame import PoseTrace

__all__ = ["PageInfo", "recording_page"]


@dataclass(frozen=True, slots=True)
class PageInfo:
    """Who and when, for the page's header."""

    patient: str = ""
    notes: str = ""
    when: str = ""  # the recording's date and time (default: now)


def _signal_series(
    report: Mapping[str, Any], trace: PoseTrace, cfg: ExerciseConfig
) -> tuple[np.ndarray, dict[str | None, np.ndarray]]:
    """(t_s, the signal by side): the report's own signal series (``signals``, as the checker
    saw it); a report without one (written without ``--signals`` by an older formcheck or the
    Python API) has it measured from the trace."""
    sides = cfg.rep.sides or (None,)
    sig = report.get("signals")
    if sig is not None:

        def arr(v) -> np.ndarray:
            return np.array([np.nan if x is None else x for x in v], dtype=np.float64)

        names = {s: cfg.rep.signal_for(s) if s else cfg.rep.signal for s in sides}
        if all(n in sig["series"] for n in names.values()):
            return arr(sig["t_s"]), {s: arr(sig["series"][n]) for s, n in names.items()}
    from formcheck.analysis import trace_measures
    from formcheck.measures.body import measure_index

    values, _usable, _img = trace_measures(trace, only=cfg.measures_used(), height_cm=cfg.height_cm)
    return trace.t_s, {s: values[:, measure_index(cfg.rep.signal_for(s))] for s in sides}


def _plot(trace: PoseTrace, cfg: ExerciseConfig, report: Mapping[str, Any]) -> str:
    plt = mpl()
    u = cfg.rep.unit
    t_s, series = _signal_series(report, trace, cfg)
    fig, ax = plt.subplots(figsize=(11, 3.6))
    lo, hi = cfg.value(f"target_min_{u}"), cfg.value(f"target_max_{u}")
    if cfg.rep.relative:  # thresholds count from each rep's own starting level: no fixed line to draw
        lo = hi = None
    if lo is not None or hi is not None:
        # The target lies beyond target_min, up to target_max: upwards, or downwards for an exercise whose
        # signal falls during a rep (a bridge's hip flexion).
        finite = np.concatenate([v[np.isfinite(v)] for v in series.values()] + [np.array([lo or hi])])
        far = float(finite.min()) if cfg.rep.down else float(finite.max())
        near = lo if lo is not None else far
        limit = hi if hi is not None else far
        ax.axhspan(min(near, limit), max(near, limit), color="#2da44e", alpha=0.15, label="target")
    for role, style in (("start", "--"), ("end", ":")):
        v = None if cfg.rep.relative else cfg.value(f"{role}_{u}")
        if v is not None:
            ax.axhline(v, color="#555", linestyle=style, linewidth=1, label=f"{role} of a rep ({v:g} {u})")
    colors = {None: "#1f6feb", "left": "#1f6feb", "right": "#bf3989"}
    for side, v in series.items():
        ax.plot(t_s, v, color=colors.get(side, "#1f6feb"), linewidth=1.4, label=side or cfg.rep.signal)
    ymax = ax.get_ylim()[1]
    for r in report["rep_details"]:
        ok = r["ok"]
        ax.axvspan(r["start_s"], r["end_s"], color="#2da44e" if ok else "#cf222e", alpha=0.12)
        ax.text((r["start_s"] + r["end_s"]) / 2, ymax, f"#{r['index']}", ha="center", va="bottom", fontsize=8,
                color="#1a7f37" if ok else "#b42318")  # fmt: skip
    label = cfg.rep.signal.replace("_{side}", "").removesuffix(f"_{u}").replace("_", " ")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"{label} ({u})")
    # Below the axes: inside them the legend hid the signal wherever it ran high.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8, ncols=4, frameon=False)
    ax.grid(alpha=0.3)
    return png_uri(fig)


def _key_time(t_s: np.ndarray, cfg: ExerciseConfig, rep: Mapping[str, Any], series) -> float:
    """The rep's key frame: where its signal is furthest from where a rep ends."""
    sel = (t_s >= rep["start_s"]) & (t_s <= rep["end_s"])
    v = series.get(rep["side"], next(iter(series.values())))[sel]
    if not sel.any() or not np.isfinite(v).any():
        return (rep["start_s"] + rep["end_s"]) / 2
    end = cfg.value(f"end_{cfg.rep.unit}") or 0.0
    return float(t_s[sel][int(np.nanargmax(np.abs(v - end)))])


def _thumbnails(video: Path, trace: PoseTrace, cfg: ExerciseConfig, report: Mapping[str, Any]) -> list[str]:
    import cv2

    from formcheck.pose.landmarks import SKELETON_EDGES

    t_s, series = _signal_series(report, trace, cfg)
    cap = cv2.VideoCapture(str(video))
    out = []
    try:
        if not cap.isOpened():
            return []
        t0 = float(trace.t_s[0]) if len(trace) else 0.0
        for r in report["rep_details"]:
            t = _key_time(t_s, cfg, r, series)
            cap.set(cv2.CAP_PROP_POS_MSEC, max(0.0, t) * 1000.0)
            ok, frame = cap.read()
            if not ok:
                continue
            i = int(np.clip(np.searchsorted(trace.t_s, t), 0, len(trace) - 1))
            h, w = frame.shape[:2]
            xy = trace.image_xy[i] * (w, h)
            thick = max(3, max(w, h) // 200)
            for color, width in (((0, 0, 0), thick + 4), ((250, 235, 200), thick)):  # dark underlay, then the bone
                for a, b in SKELETON_EDGES:
                    if np.isfinite(xy[[a, b]]).all():
                        pa, pb = tuple(int(c) for c in xy[a]), tuple(int(c) for c in xy[b])
                        cv2.line(frame, pa, pb, color, width, cv2.LINE_AA)
            scale = 400 / max(w, h)
            thumb = cv2.resize(frame, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
            verdict = "ok" if r["ok"] else ", ".join(r["faults"])
            side = f" {r['side']}" if r["side"] else ""
            out.append(figure(jpeg_uri(thumb), f"rep {r['index']} key frame",
                              f"#{r['index']}{side} at {t - t0:.1f} s: {verdict}"))  # fmt: skip
    finally:
        cap.release()
    return out


def _num(v: Any, nd: int = 1) -> str:
    return "" if v is None else f"{v:.{nd}f}"


def recording_page(
    report: Mapping[str, Any],
    cfg: ExerciseConfig,
    trace: PoseTrace | None = None,
    video: Path | None = None,
    info: PageInfo = PageInfo(),
) -> str:
    """The page's HTML. ``trace`` draws the signal plot; ``video`` (the recording) the key frames."""
    u = report["rep_details"][0]["unit"] if report["rep_details"] else cfg.rep.unit
    by_side = report.get("reps_by_side")
    target = report.get("target_reps") or cfg.target_reps
    per = " per side" if by_side else ""
    reps_txt = f"{report['reps']}" + (f" (left {by_side['left']}, right {by_side['right']})" if by_side else "")
    met = (all(n >= target for n in by_side.values()) if by_side else report["reps"] >= target) and not report.get(
        "stopped"
    )
    who = esc(info.patient) if info.patient else "<i>no patient named</i>"
    body = [
        f"<h1>{esc(cfg.title)}</h1>",
        f'<div class="meta">Patient: <b>{who}</b> &middot; {esc(info.when or now_utc_text())} &middot; '
        f"source: {esc(report['source'])} &middot; model: {esc(report['model'])} &middot; "
        f"formcheck {esc(report.get('formcheck_version', ''))}</div>",
    ]
    if info.notes:
        body.append(f'<div class="meta">Notes: {esc(info.notes)}</div>')
    stopped = report.get("stopped")
    if stopped and stopped.get("reason") == "pain_stop":
        body.append(f'<div class="alert"><b>Stopped because it hurt</b> at {stopped["t_s"]:.1f} s. '
                    "Stop if it hurts; tell your therapist.</div>")  # fmt: skip
    if not report.get("complete", True):
        body.append(f'<div class="alert">This recording was not scored to its end: {esc(report.get("error"))}</div>')
    body.append(f"<h2>Against the prescription</h2><p>{esc(cfg.prescription)}</p>")
    cards = [
        (reps_txt, f"reps (target {target}{per})", "ok" if met else "warn"),
        (f"{report['reps_ok']}", "as prescribed", "ok" if report["reps_ok"] == report["reps"] else "warn"),
        (f"{100 * (report.get('measurable_fraction') or 0):.0f}%", "of frames measurable", ""),
        (f"{report.get('duration_s') or 0:.0f} s", "duration", ""),
    ]
    body.append('<div class="cards">' + "".join(
        f'<div class="card"><div class="v {cls}">{esc(v)}</div><div class="k">{esc(k)}</div></div>'
        for v, k, cls in cards) + "</div>")  # fmt: skip
    if report.get("note"):
        body.append(f'<p class="meta">{esc(report["note"])}</p>')
    if trace is not None and len(trace):
        body.append("<h2>Over time</h2>")
        body.append(figure(_plot(trace, cfg, report), f"{cfg.title} signal over time",
                           "The measured signal; shaded: each rep (green as prescribed, red with a fault); "
                           + ("its thresholds count from each rep's starting level, so no fixed band is drawn."
                              if cfg.rep.relative else "green band: the target.")))  # fmt: skip
    texts = cfg.texts
    rows = "".join(
        f"<tr><td class=n>{r['index']}</td><td>{esc(r['side'] or '')}</td><td class=n>{_num(r['start_s'])}</td>"
        f"<td class=n>{_num(r['end_s'])}</td><td class=n>{_num(r['peak'], 0)} {esc(u)}</td>"
        f"<td class=n>{_num(r['hold_s'])}</td><td class=n>{_num(r['in_target_s'])}</td>"
        f"<td class={'ok' if r['ok'] else 'bad'}>"
        f"{'as prescribed' if r['ok'] else esc('; '.join(texts.get(f, f.replace('_', ' ')) for f in r['faults']))}"
        f"</td></tr>"
        for r in report["rep_details"]
    )
    body.append(
        "<h2>Each rep</h2><table><tr><th>#</th><th>side</th><th>start (s)</th><th>end (s)</th><th>peak</th>"
        f"<th>hold (s)</th><th>in target (s)</th><th>verdict</th></tr>{rows or '<tr><td colspan=8>no reps</td></tr>'}"
        "</table>"
    )
    if video is not None and trace is not None and len(trace) and report["rep_details"]:
        thumbs = _thumbnails(video, trace, cfg, report)
        if thumbs:
            body.append('<h2>Key frames</h2><div class="thumbs">' + "".join(thumbs) + "</div>")
    title = f"{cfg.title} - {info.patient}" if info.patient else cfg.title
    return page(title, "\n".join(body))
