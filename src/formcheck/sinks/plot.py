"""The tuning plot: an exercise's signal over a recording as a BGR image (OpenCV drawing),
with the thresholds as horizontal lines and the counted reps as shaded spans (green = as
prescribed, red = faulty). Drawing decides nothing: everything comes from the session
(:class:`formcheck.programs.tuning.TunerSession`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import cv2
import numpy as np

from formcheck.checkers.events import RepResult
from formcheck.programs.tuning import TunerSession, _fmt

Color = tuple[int, int, int]

# BGR, matching the overlay's palette.
BG: Color = (28, 28, 28)
PANEL: Color = (40, 40, 40)
GRID: Color = (62, 62, 62)
AXIS_TEXT: Color = (170, 170, 170)
WHITE: Color = (255, 255, 255)
GREY: Color = (150, 150, 150)
GREEN: Color = (90, 210, 60)
RED: Color = (60, 60, 225)
AMBER: Color = (0, 170, 255)
YELLOW: Color = (40, 230, 255)
CYAN: Color = (230, 200, 60)
MAGENTA: Color = (220, 120, 230)
SIDE_COLORS: dict[str | None, Color] = {None: YELLOW, "left": YELLOW, "right": CYAN}
THRESHOLD_COLORS: dict[str, Color] = {
    "start": (0, 140, 255),  # orange
    "end": (255, 160, 90),  # light blue
    "target_min": GREEN,
    "target_max": (80, 80, 255),  # light red
}
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_AA = cv2.LINE_AA

#: Recordings longer than this are plotted as a window of this many seconds around the playhead.
PLOT_WINDOW_S = 150.0




# --------------------------------------------------------------------------- plot


def _text(img: np.ndarray, s: str, x: int, y: int, scale: float, color: Color, thick: int = 1) -> int:
    cv2.putText(img, s, (x, y), _FONT, scale, color, thick, _AA)
    return cv2.getTextSize(s, _FONT, scale, thick)[0][0]


def _nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def _dashed_hline(img: np.ndarray, y: int, x0: int, x1: int, color: Color, thick: int = 1, dash: int = 10) -> None:
    for x in range(x0, x1, 2 * dash):
        cv2.line(img, (x, y), (min(x + dash, x1), y), color, thick, _AA)


@dataclass(slots=True)
class PlotData:
    """What the plot shows: the signal per side, the thresholds on its axis, the reps."""

    t_s: np.ndarray
    signals: dict[str | None, np.ndarray]
    unit: str
    label: str
    thresholds: list[tuple[str, float, Color]]
    reps: list[RepResult]
    extra: tuple[str, np.ndarray, float] | None = None  # (label, measure, its threshold) of a focused rule
    hold_s: float | None = None
    texts: Mapping[str, str] = field(default_factory=dict)


def plot_data(session: TunerSession) -> PlotData:
    cfg = session.cfg
    rec = session.recording
    u = cfg.rep.unit
    sides = cfg.rep.sides or (None,)
    signals = {s: rec.series(cfg.rep.signal_for(s)) for s in sides}
    th = []
    for role in ("start", "end", "target_min", "target_max"):
        v = cfg.value(f"{role}_{u}")
        if v is not None:
            th.append((role.replace("_", " "), float(v), THRESHOLD_COLORS[role]))
    extra = None
    if session.focus is not None:
        for rule in cfg.rules:
            if session.focus in (rule.above, rule.below):
                limit = float(cfg.value(session.focus))  # type: ignore[arg-type]
                extra = (_rule_label(rule.measure), _rule_series(session, rule.measure), limit)
                break
    label = cfg.rep.signal.replace("_{side}", "").removesuffix(f"_{u}").replace("_", " ")
    return PlotData(
        rec.t_s, signals, u, label, th, session.results, extra, cfg.value("hold_s"), cfg.texts
    )


def _rule_label(template: str) -> str:
    return template.replace("{side}", "(rep's side)").replace("{other}", "(other side)").replace("_", " ")


def _rule_series(session: TunerSession, template: str) -> np.ndarray:
    """A posture rule's measure over time. Per-side rules (``{side}``/``{other}``) follow
    each rep's side during that rep and are blank between reps."""
    rec, t = session.recording, session.recording.t_s
    if "{side}" not in template and "{other}" not in template:
        return rec.series(template)
    out = np.full(len(t), np.nan)
    for r in session.results:
        if r.side is None:
            continue
        other = "right" if r.side == "left" else "left"
        sel = (t >= r.start_s) & (t <= r.end_s)
        out[sel] = rec.series(template.format(side=r.side, other=other))[sel]
    return out


class PlotView:
    """Draws :class:`PlotData` into a (height, width) BGR image; caches the static part and
    only draws the playhead per frame. Call :meth:`invalidate` when the data changes."""

    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = int(width), int(height)
        self._base: np.ndarray | None = None
        self._key: tuple | None = None
        self.left, self.right, self.top, self.bottom = 56, 150, 30, 34

    def invalidate(self) -> None:
        self._base = None

    def window(self, data: PlotData, t_now: float) -> tuple[float, float]:
        if len(data.t_s) == 0:
            return 0.0, 1.0
        t0, t1 = float(data.t_s[0]), float(data.t_s[-1])
        if t1 - t0 <= PLOT_WINDOW_S:
            return t0, max(t1, t0 + 1e-3)
        half = PLOT_WINDOW_S / 2
        a = min(max(t_now - half, t0), t1 - PLOT_WINDOW_S)
        a = t0 + math.floor((a - t0) / (PLOT_WINDOW_S / 4)) * (PLOT_WINDOW_S / 4)  # move in quarter steps
        return a, a + PLOT_WINDOW_S

    def render(self, data: PlotData, t_now: float | None = None, key: object = None) -> np.ndarray:
        tw = self.window(data, t_now if t_now is not None else float(data.t_s[0]) if len(data.t_s) else 0.0)
        k = (key, tw)
        if self._base is None or self._key != k or key is None:
            self._base = self._draw_base(data, tw)
            self._key = k
        img = self._base.copy()
        if t_now is not None:
            x = self._x(t_now, tw)
            if self.left <= x <= self.w - self.right:
                cv2.line(img, (x, self.top), (x, self.h - self.bottom), WHITE, 2, _AA)
                label = f"{t_now:.1f} s"
                lw = cv2.getTextSize(label, _FONT, 0.45, 1)[0][0]
                lx = min(max(x - lw // 2 - 4, 0), self.w - lw - 8)
                y1 = self.h - self.bottom
                cv2.rectangle(img, (lx, y1 + 4), (lx + lw + 8, y1 + 24), WHITE, -1)
                cv2.putText(img, label, (lx + 4, y1 + 19), _FONT, 0.45, BG, 1, _AA)
        return img

    def _x(self, t: float, tw: tuple[float, float]) -> int:
        a, b = tw
        return round(float(self.left + (t - a) / (b - a) * (self.w - self.left - self.right)))

    def _y(self, v: float, yr: tuple[float, float]) -> int:
        lo, hi = yr
        return round(float(self.h - self.bottom - (v - lo) / (hi - lo) * (self.h - self.top - self.bottom)))

    def _yrange(self, data: PlotData, sel: np.ndarray) -> tuple[float, float]:
        vals = [s[sel] for s in data.signals.values()]
        if data.extra is not None:
            vals.append(data.extra[1][sel])
        finite = np.concatenate([v[np.isfinite(v)] for v in vals]) if vals else np.zeros(0)
        pts = [v for _n, v, _c in data.thresholds]
        if data.extra is not None:
            pts.append(data.extra[2])
        lo = min([*pts, float(np.percentile(finite, 0.5))] if finite.size else pts or [0.0])
        hi = max([*pts, float(np.percentile(finite, 99.5))] if finite.size else pts or [1.0])
        pad = max(2.0, 0.08 * (hi - lo))
        return lo - pad, hi + pad

    def _draw_base(self, data: PlotData, tw: tuple[float, float]) -> np.ndarray:
        img = np.empty((self.h, self.w, 3), np.uint8)
        img[:] = BG
        x0, x1 = self.left, self.w - self.right
        y0, y1 = self.top, self.h - self.bottom
        t = data.t_s
        if len(t) == 0:
            _text(img, "empty recording", x0 + 10, (y0 + y1) // 2, 0.6, GREY)
            return img
        sel = (t >= tw[0] - 1.0) & (t <= tw[1] + 1.0)
        yr = self._yrange(data, sel)

        # The target band, faintly.
        lo_hi = [v for n, v, _c in data.thresholds if n in ("target min", "target max")]
        if len(lo_hi) == 2:
            ya, yb = sorted((self._y(lo_hi[0], yr), self._y(lo_hi[1], yr)))
            roi = img[max(ya, y0) : min(yb, y1), x0:x1]
            roi[:] = (0.85 * roi + 0.15 * np.array(GREEN)).astype(np.uint8)

        # Rep spans: shaded, with their number and verdict on top.
        for r in data.reps:
            if r.end_s < tw[0] or r.start_s > tw[1]:
                continue
            a, b = max(self._x(r.start_s, tw), x0), min(self._x(r.end_s, tw), x1)
            color = GREEN if r.ok else RED
            roi = img[y0:y1, a : max(b, a + 1)]
            roi[:] = (0.72 * roi + 0.28 * np.array(color)).astype(np.uint8)
            cv2.rectangle(img, (a, y0), (max(b, a + 1), y0 + 4), color, -1)
            side = f"{r.side[0].upper()} " if r.side else ""
            tag = f"{side}#{r.index}" + ("" if r.ok else f" {_short_fault(r.faults[0])}")
            if b - a > 30:
                _text(img, tag, a + 3, y0 + 18, 0.42, WHITE)
                if data.hold_s:
                    short = r.hold_s < data.hold_s - 1e-9
                    _text(img, f"hold {r.hold_s:.1f}/{_fmt(data.hold_s)} s", a + 3, y0 + 34, 0.4,
                          AMBER if short else AXIS_TEXT)  # fmt: skip

        # Grid and axes.
        for v in _nice_ticks(*yr, n=5):
            y = self._y(v, yr)
            if y0 <= y <= y1:
                cv2.line(img, (x0, y), (x1, y), GRID, 1)
                _text(img, f"{v:g}", 6, y + 4, 0.4, AXIS_TEXT)
        for tv in _nice_ticks(*tw, n=10):
            x = self._x(tv, tw)
            if x0 <= x <= x1:
                cv2.line(img, (x, y1), (x, y1 + 5), AXIS_TEXT, 1)
                _text(img, f"{tv:g}s", x - 10, y1 + 20, 0.4, AXIS_TEXT)
        cv2.rectangle(img, (x0, y0), (x1, y1), GRID, 1)

        # The signal(s), NaN = gap.
        ts = t[sel]
        xs = (x0 + (ts - tw[0]) / (tw[1] - tw[0]) * (x1 - x0)).astype(np.float64)
        if data.extra is not None:
            self._polyline(img, xs, data.extra[1][sel], yr, MAGENTA, 1)
        for side, s in data.signals.items():
            self._polyline(img, xs, s[sel], yr, SIDE_COLORS.get(side, YELLOW), 2)

        # Thresholds: dashed lines labelled at the right edge (labels pushed apart).
        labels = []
        for name, v, color in data.thresholds:
            y = self._y(v, yr)
            _dashed_hline(img, y, x0, x1, color, 2)
            labels.append([y, f"{name} {_fmt(v)}", color])
        if data.extra is not None:
            y = self._y(data.extra[2], yr)
            _dashed_hline(img, y, x0, x1, MAGENTA, 1, 6)
            labels.append([y, f"limit {_fmt(data.extra[2])}", MAGENTA])
        labels.sort(key=lambda item: item[0])
        for i in range(1, len(labels)):
            labels[i][0] = max(labels[i][0], labels[i - 1][0] + 15)
        for y, text, color in labels:
            _text(img, text, x1 + 8, int(y) + 5, 0.45, color)

        # Legend.
        x = x0 + 4
        for side in data.signals:
            name = f"{data.label} {side}" if side else data.label
            cv2.line(img, (x, 12), (x + 18, 12), SIDE_COLORS.get(side, YELLOW), 2, _AA)
            x += 24 + _text(img, f"{name} ({data.unit})", x + 22, 16, 0.42, AXIS_TEXT) + 10
        if data.extra is not None:
            cv2.line(img, (x, 12), (x + 18, 12), MAGENTA, 1, _AA)
            x += 24 + _text(img, data.extra[0], x + 22, 16, 0.42, AXIS_TEXT) + 10
        for color, text in ((GREEN, "rep as prescribed"), (RED, "faulty rep")):
            cv2.rectangle(img, (x, 6), (x + 14, 17), color, -1)
            x += 20 + _text(img, text, x + 20, 16, 0.42, AXIS_TEXT) + 10
        return img

    def _polyline(self, img: np.ndarray, xs: np.ndarray, v: np.ndarray, yr: tuple[float, float], color: Color,
                  thick: int) -> None:  # fmt: skip
        lo, hi = yr
        ys = self.h - self.bottom - (v - lo) / (hi - lo) * (self.h - self.top - self.bottom)
        ok = np.isfinite(ys)
        if not ok.any():
            return
        # Split into runs of finite values; thin long runs to ~2 points per pixel.
        edges = np.flatnonzero(np.diff(ok.astype(np.int8))) + 1
        bounds = np.concatenate([[0], edges, [ok.size]])
        polys = []
        for a, b in itertools.pairwise(bounds.tolist()):
            if not ok[a]:
                continue
            step = max(1, (b - a) // max(1, 2 * int(xs[b - 1] - xs[a] + 1)))
            idx = np.arange(a, b, step)
            pts = np.stack([xs[idx], np.clip(ys[idx], -10, self.h + 10)], axis=1)
            polys.append(np.round(pts * 16).astype(np.int32))
        cv2.polylines(img, polys, False, color, thick, _AA, 4)


def render_plot(session: TunerSession, width: int = 1280, height: int = 300, t_now: float | None = None) -> np.ndarray:
    """The signal plot of the session's current thresholds and reps, as a BGR image."""
    return PlotView(width, height).render(plot_data(session), t_now)


def _short_fault(code: str) -> str:
    return code.replace("_", " ")
