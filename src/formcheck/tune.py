"""``formcheck tune``: replay a recording, move threshold sliders, see reps and faults change.

The measures of the recording are computed once; moving a slider re-runs only the rep
checker over the whole recording (milliseconds for a clip, well under a second for a
30-minute session) and redraws the plot of the exercise's signal with the thresholds as
horizontal lines and the counted reps as shaded spans (green = as prescribed, red = faulty).

The parts are usable without a window (and tested that way):

- :class:`Knob` — a threshold as an integer slider position (float range → int steps).
- :class:`TunerSession` — current thresholds, re-scoring, per-frame checker states for the
  replay, what changed, and the profile TOML that keeps it.
- :func:`render_plot` / :class:`PlotView` — the signal plot as a BGR image (OpenCV drawing).
- :func:`compose` — the whole window image: replayed frame with the overlay, a panel with
  the thresholds and results, the plot, and the key help.

:func:`run_tuner` is the window (OpenCV highgui with trackbars). Keys: space play/pause,
←/→ or a/d seek 2 s, ,/. one frame, n/p next/previous rep, Home start, r reset thresholds,
s save the profile, q or Esc quit. A ``script`` (see :class:`ScriptedKeys`) can drive it
without a person, for tests and demos.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from formcheck.checkers.events import CheckerState, RepResult
from formcheck.checkers.rep_checker import RepChecker
from formcheck.config import ExerciseConfig, Threshold
from formcheck.errors import ConfigError, FormcheckError
from formcheck.measures.body import measure_index
from formcheck.pose.backend import BackendSpec
from formcheck.pose.frame import PoseFrame
from formcheck.profiles import profile_toml, save_profile
from formcheck.rescoring import PreparedTrace

__all__ = [
    "Knob",
    "PlotView",
    "ScriptedKeys",
    "TunerSession",
    "compose",
    "default_profile_path",
    "knobs_for",
    "render_plot",
    "run_tuner",
    "tunable_thresholds",
]

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


# --------------------------------------------------------------------------- knobs


def tunable_thresholds(cfg: ExerciseConfig) -> list[str]:
    """The thresholds a person tunes first, in a sensible order: where a rep starts and
    ends, the target band, the hold, speed limits, then the posture rules' limits."""
    u = cfg.rep.unit
    names = [f"start_{u}", f"end_{u}", f"target_min_{u}", f"target_max_{u}", "hold_s"]
    names += [f"max_speed_{u}_s", f"max_return_speed_{u}_s"]
    for rule in cfg.rules:
        names.append(rule.above or rule.below or "")
    out: list[str] = []
    for n in names:
        if n and n in cfg.thresholds and n not in out:
            out.append(n)
    return out


def _nice_step(t: Threshold) -> float:
    unit = t.unit.strip().lower()
    if unit == "s":
        return 0.1
    if unit in ("deg", "deg/s", "cm", "cm/s", "%"):
        return 1.0 if t.max - t.min <= 2000 else 10.0
    span = t.max - t.min
    if span <= 0:
        return 1.0
    raw = span / 200.0
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


@dataclass(frozen=True, slots=True)
class Knob:
    """A threshold as an integer trackbar: position p ↔ value ``p · step``.

    Positions run from :attr:`pos_min` to :attr:`pos_max` (the threshold's allowed range),
    so for a 1-unit step the trackbar shows the value itself, and for 0.1 s steps tenths.
    """

    name: str
    lo: float
    hi: float
    step: float
    unit: str = ""

    @classmethod
    def for_threshold(cls, t: Threshold) -> Knob:
        """A knob over the threshold's allowed range — for durations and speeds, whose allowed
        ranges are far wider than useful, over a practical part of it (at least 3x the value)."""
        hi = t.max
        unit = t.unit.strip().lower()
        if unit == "s":
            hi = min(t.max, max(20.0, 3.0 * t.value))
        elif unit.endswith("/s"):
            hi = min(t.max, max(200.0, 3.0 * t.value))
        return cls(t.name, t.min, hi, _nice_step(t), t.unit)

    @property
    def pos_min(self) -> int:
        return math.ceil(self.lo / self.step - 1e-9)

    @property
    def pos_max(self) -> int:
        return max(self.pos_min + 1, math.floor(self.hi / self.step + 1e-9))

    def to_pos(self, value: float) -> int:
        return int(min(max(round(value / self.step), self.pos_min), self.pos_max))

    def to_value(self, pos: int) -> float:
        p = min(max(int(pos), self.pos_min), self.pos_max)
        digits = max(0, -math.floor(math.log10(self.step))) if self.step < 1 else 0
        return float(min(max(round(p * self.step, digits + 2), self.lo), self.hi))

    @property
    def label(self) -> str:
        """Trackbar name: the key, and the size of one step when it is not 1 unit."""
        step = f" x{self.step:g}" if self.step != 1 else ""
        return f"{self.name} ({self.unit}{step})" if self.unit else self.name


def knobs_for(cfg: ExerciseConfig, names: Iterable[str] | None = None) -> list[Knob]:
    return [Knob.for_threshold(cfg.thresholds[n]) for n in (names or tunable_thresholds(cfg))]


def _fmt(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "--"
    return f"{v:g}" if float(v).is_integer() else f"{v:.1f}"


# --------------------------------------------------------------------------- session


class TunerSession:
    """Thresholds being tuned over one prepared recording.

    Args:
        prepared: the recording, measures computed once.
        cfg: the starting thresholds (package values, then a profile, then --set).
        defaults: what "changed" is measured against, i.e. what a saved profile overrides
            (default: the package's exercise); a saved profile holds every value of ``cfg``'s
            exercise that differs from it.
        names: the thresholds offered as knobs (default :func:`tunable_thresholds`).
        record_states: keep the checker's state after every frame (for the replay overlay).
    """

    def __init__(
        self,
        prepared: PreparedTrace,
        cfg: ExerciseConfig,
        defaults: ExerciseConfig | None = None,
        names: Iterable[str] | None = None,
        record_states: bool = True,
    ) -> None:
        self.prepared = prepared
        self.start_cfg = cfg
        self.defaults = defaults if defaults is not None else _package_exercise(cfg)
        self.cfg = cfg
        self.knobs = knobs_for(cfg, names)
        self.values: dict[str, float] = {k.name: float(cfg.value(k.name)) for k in self.knobs}  # type: ignore[arg-type]
        self.error = ""
        self.record_states = record_states
        self.states: list[CheckerState] = []
        self.rescore_ms = 0.0
        self.version = 0  # bumped on every successful re-score (for redraw caching)
        self.focus: str | None = None  # the knob touched last
        self.checker: RepChecker = self._rescore(cfg)

    # -- thresholds
    def knob(self, name: str) -> Knob:
        for k in self.knobs:
            if k.name == name:
                return k
        raise KeyError(name)

    def set(self, name: str, value: float) -> bool:
        """Set one threshold and re-score. Returns False (and sets :attr:`error`, keeping the
        last valid result) when the combination is invalid, e.g. end at or above start."""
        if name not in self.values:
            raise ConfigError(f"{name}: not a tunable threshold here; tunable: {', '.join(self.values)}")
        self.values[name] = float(value)
        self.focus = name
        return self.apply()

    def set_many(self, values: Mapping[str, float]) -> bool:
        for k, v in values.items():
            if k not in self.values:
                raise ConfigError(f"{k}: not a tunable threshold here; tunable: {', '.join(self.values)}")
            self.values[k] = float(v)
        return self.apply()

    def apply(self) -> bool:
        try:
            cfg = self.start_cfg.with_overrides(self.values, origin="tuner")
        except ConfigError as e:
            self.error = _short_error(str(e))
            return False
        self.error = ""
        self.cfg = cfg
        self.checker = self._rescore(cfg)
        return True

    def reset(self) -> None:
        self.values = {k: float(self.start_cfg.value(k)) for k in self.values}  # type: ignore[arg-type]
        self.apply()

    def _rescore(self, cfg: ExerciseConfig) -> RepChecker:
        t0 = time.perf_counter()
        states: list[CheckerState] = []
        if self.record_states:
            checker = self.prepared.checker(cfg, on_frame=lambda _i, c: states.append(c.state()))
        else:
            checker = self.prepared.checker(cfg)
        self.rescore_ms = (time.perf_counter() - t0) * 1000.0
        self.states = states
        self.version += 1
        return checker

    # -- results
    @property
    def results(self) -> list[RepResult]:
        return list(self.checker.results)

    def state_at(self, i: int) -> CheckerState:
        if self.states:
            return self.states[min(max(i, 0), len(self.states) - 1)]
        return self.checker.state()

    def report(self) -> dict:
        return self.prepared.report(self.cfg, self.checker)

    # -- profile
    def changed(self) -> dict[str, float]:
        """Every threshold of the current (valid) configuration that differs from the defaults."""
        out = {}
        for name, t in self.cfg.thresholds.items():
            base = self.defaults.thresholds.get(name)
            if base is None or t.value != base.value:
                out[name] = t.value
        return out

    def profile_text(self, existing: str | None = None) -> str:
        """The profile TOML keeping the changes. ``existing`` (a profile's text) keeps its
        name, notes and other exercises' tables; this exercise's table is replaced."""
        name, notes, tables = "", "", {}
        if existing:
            import tomllib

            data = tomllib.loads(existing)
            meta = data.pop("profile", {})
            name, notes = str(meta.get("name", "")), str(meta.get("notes", ""))
            tables = {k: dict(v) for k, v in data.items() if isinstance(v, dict)}
        ex = self.cfg.name
        tables[ex] = self.changed()
        comments = {ex: {k: "tuned" for k, v in tables[ex].items() if v != self.start_cfg.value(k)}}
        return profile_toml(tables, name, notes, comments, {ex: self.defaults})

    def save(self, path: Path | str) -> Path:
        """Write the profile (merging into an existing profile file at ``path``)."""
        path = Path(path)
        existing = path.read_text(encoding="utf-8") if path.is_file() else None
        try:
            text = self.profile_text(existing)
        except Exception as e:  # an unreadable existing file: do not lose the user's tuning
            raise FormcheckError(f"{path}: cannot merge into this file ({e}); choose another --out") from None
        return save_profile(path, text)


def _package_exercise(cfg: ExerciseConfig) -> ExerciseConfig:
    from formcheck.config import builtin_exercises

    return builtin_exercises().get(cfg.name, cfg)


def _short_error(msg: str) -> str:
    return re.sub(r"\s*\((?:tuner|--set)\)", "", msg.replace(" in tuner", ""))


def default_profile_path(exercise: str) -> Path:
    return Path(f"{exercise}.profile.toml")


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
    values = session.prepared.measures[0]
    u = cfg.rep.unit
    sides = cfg.rep.sides or (None,)
    signals = {s: values[:, measure_index(cfg.rep.signal_for(s))] for s in sides}
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
        session.prepared.trace.t_s, signals, u, label, th, session.results, extra, cfg.value("hold_s"), cfg.texts
    )


def _rule_label(template: str) -> str:
    return template.replace("{side}", "(rep's side)").replace("{other}", "(other side)").replace("_", " ")


def _rule_series(session: TunerSession, template: str) -> np.ndarray:
    """A posture rule's measure over time. Per-side rules (``{side}``/``{other}``) follow
    each rep's side during that rep and are blank between reps."""
    values, t = session.prepared.measures[0], session.prepared.trace.t_s
    if "{side}" not in template and "{other}" not in template:
        return values[:, measure_index(template)]
    out = np.full(len(t), np.nan)
    for r in session.results:
        if r.side is None:
            continue
        other = "right" if r.side == "left" else "left"
        sel = (t >= r.start_s) & (t <= r.end_s)
        out[sel] = values[sel, measure_index(template.format(side=r.side, other=other))]
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


# --------------------------------------------------------------------------- window image


def skeleton_canvas(width: int, height: int) -> np.ndarray:
    """A dark canvas with a faint floor grid, for recordings without video (traces)."""
    img = np.empty((height, width, 3), np.uint8)
    img[:] = (48, 44, 40)
    step = max(40, min(width, height) // 12)
    for x in range(0, width, step):
        cv2.line(img, (x, 0), (x, height), (60, 56, 52), 1)
    for y in range(0, height, step):
        cv2.line(img, (0, y), (width, y), (60, 56, 52), 1)
    return img


def _fit(img: np.ndarray, w: int, h: int) -> np.ndarray:
    """``img`` scaled to fit (w, h), centred on a black background."""
    ih, iw = img.shape[:2]
    k = min(w / iw, h / ih)
    nw, nh = max(1, int(iw * k)), max(1, int(ih * k))
    out = np.zeros((h, w, 3), np.uint8)
    small = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    y, x = (h - nh) // 2, (w - nw) // 2
    out[y : y + nh, x : x + nw] = small
    return out


HELP = "space play/pause   <- -> or a/d seek 2 s   , . frame   n/p next/prev rep   r reset   s save   q quit"


def info_panel(session: TunerSession, width: int, height: int, t_now: float, message: str = "",
               save_path: Path | None = None) -> np.ndarray:  # fmt: skip
    """Thresholds (changed ones marked), the re-score's results and time, errors."""
    img = np.empty((height, width, 3), np.uint8)
    img[:] = PANEL
    x, y = 16, 34
    cfg = session.cfg
    _text(img, cfg.title, x, y, 0.8, WHITE, 2)
    y += 32
    rep = session.checker
    ok = sum(1 for r in rep.results if r.ok)
    by_side = rep.reps_by_side
    sides = f"  (L {by_side['left']}, R {by_side['right']})" if by_side else ""
    _text(img, f"reps {rep.reps}{sides}", x, y, 0.7, WHITE, 2)
    y += 26
    _text(img, f"{ok} as prescribed, {rep.reps - ok} faulty", x, y, 0.55, GREEN if ok == rep.reps else AMBER, 1)
    y += 22
    n = len(session.prepared)
    _text(img, f"re-scored {n:,} frames in {session.rescore_ms:.0f} ms", x, y, 0.45, AXIS_TEXT)
    y += 30
    _text(img, "thresholds  (* = changed)", x, y, 0.5, AXIS_TEXT)
    y += 8
    for k in session.knobs:
        y += 22
        v = session.values[k.name]
        base = session.defaults.value(k.name)
        changed = base is None or v != base
        color = YELLOW if k.name == session.focus else (WHITE if changed else GREY)
        mark = "*" if changed else " "
        _text(img, f"{mark} {k.name}", x, y, 0.5, color, 1)
        val = f"{_fmt(v)} {k.unit}"
        tw = cv2.getTextSize(val, _FONT, 0.5, 1)[0][0]
        _text(img, val, width - 16 - tw, y, 0.5, color, 1)
    y += 30
    if session.error:
        for line in _wrap(session.error, width - 32, 0.5):
            _text(img, line, x, y, 0.5, RED, 1)
            y += 20
    # Faults of the reps, most frequent first.
    faults: dict[str, int] = {}
    for r in rep.results:
        for f in r.faults:
            faults[f] = faults.get(f, 0) + 1
    if faults and y < height - 60:
        _text(img, "faults", x, y, 0.5, AXIS_TEXT)
        for code, cnt in sorted(faults.items(), key=lambda kv: -kv[1])[:5]:
            y += 20
            if y > height - 40:
                break
            _text(img, f"{cnt} x {cfg.text(code)}", x, y, 0.45, AMBER)
        y += 10
    if message:
        _text(img, message, x, height - 38, 0.5, GREEN, 1)
    if save_path is not None:
        _text(img, f"s saves {save_path.name}", x, height - 14, 0.45, AXIS_TEXT)
    return img


def _wrap(text: str, width: int, scale: float) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        cand = f"{cur} {w}".strip()
        if cv2.getTextSize(cand, _FONT, scale, 1)[0][0] > width and cur:
            lines.append(cur)
            cur = w
        else:
            cur = cand
    return [*lines, cur] if cur else lines


@dataclass(frozen=True, slots=True)
class Layout:
    width: int = 1280
    view_h: int = 480
    panel_w: int = 400
    plot_h: int = 300
    help_h: int = 28

    @property
    def height(self) -> int:
        return self.view_h + self.plot_h + self.help_h


def compose(
    view: np.ndarray,
    session: TunerSession,
    plot: np.ndarray,
    t_now: float,
    layout: Layout | None = None,
    message: str = "",
    save_path: Path | None = None,
    playing: bool = False,
) -> np.ndarray:
    """The whole window image: the replayed frame (already annotated) on the left, the info
    panel on the right, the plot below, the key help at the bottom."""
    lay = layout or Layout()
    img = np.zeros((lay.height, lay.width, 3), np.uint8)
    vw = lay.width - lay.panel_w
    img[: lay.view_h, :vw] = _fit(view, vw, lay.view_h)
    img[: lay.view_h, vw:] = info_panel(session, lay.panel_w, lay.view_h, t_now, message, save_path)
    img[lay.view_h : lay.view_h + lay.plot_h] = plot
    bar = img[lay.view_h + lay.plot_h :]
    bar[:] = (20, 20, 20)
    state = "playing" if playing else "paused"
    _text(bar, f"{state}   {HELP}", 12, 19, 0.48, AXIS_TEXT)
    return img


# --------------------------------------------------------------------------- the window

TRACKBAR_H = 20  # pixels a Qt trackbar row takes under the image
# waitKeyEx codes: X11 keysyms (Qt and GTK on Linux), Windows virtual keys, then letters.
KEY_LEFT = {65361, 2424832, ord("a"), ord("A")}
KEY_RIGHT = {65363, 2555904, ord("d"), ord("D")}
KEY_HOME = {65360, 2359296}
KEY_QUIT = {ord("q"), ord("Q"), 27}
KEY_NAMES = {
    "space": 32, "left": 65361, "right": 65363, "home": 65360, "esc": 27, "comma": ord(","), "period": ord("."),
}  # fmt: skip


class ScriptedKeys:
    """A scripted person at the keyboard: steps separated by spaces or ';'.

    - ``wait:SECONDS`` — let the window run (and play) that long;
    - ``key:K`` — press a key: a letter, ``space``, ``left``, ``right``, ``home``, ``esc``,
      ``comma``, ``period``;
    - ``set:NAME=VALUE`` — move the trackbar of threshold NAME to VALUE (its callback runs);
    - ``shot:PATH`` — save the window's image as a PNG.

    The window quits when the script ends. Real key presses are still read.
    """

    def __init__(self, script: str) -> None:
        self.steps = [s for s in re.split(r"[;\s]+", script.strip()) if s]
        for s in self.steps:
            kind, _, arg = s.partition(":")
            if kind not in ("wait", "key", "set", "shot") or not arg:
                raise FormcheckError(f"tune script: bad step {s!r}; use wait:S, key:K, set:NAME=VALUE or shot:PATH")
        self._until = 0.0

    def next(self, now: float) -> tuple[str, str] | None:
        """The next due action as (kind, argument), or None while waiting."""
        while self.steps and now >= self._until:
            kind, _, arg = self.steps.pop(0).partition(":")
            if kind == "wait":
                self._until = now + float(arg)
                continue
            if kind == "key":
                code = KEY_NAMES.get(arg.lower(), ord(arg[0]) if len(arg) == 1 else None)
                if code is None:
                    raise FormcheckError(f"tune script: unknown key {arg!r}")
                return "key", str(code)
            return kind, arg
        if not self.steps and now >= self._until:
            return "key", str(ord("q"))
        return None


class _VideoFrames:
    """Frames of a video by index (sequential reads, seeking when jumping)."""

    def __init__(self, path: Path) -> None:
        self.cap = cv2.VideoCapture(str(path))
        if not self.cap.isOpened():
            raise FormcheckError(f"{path}: cannot open the video for replay")
        self.pos = -1
        self.last: np.ndarray | None = None

    def get(self, i: int) -> np.ndarray | None:
        if i == self.pos and self.last is not None:
            return self.last.copy()
        if i != self.pos + 1:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, i)
        ok, frame = self.cap.read()
        if not ok:
            return None if self.last is None else self.last.copy()
        self.pos, self.last = i, frame
        return frame.copy()

    def close(self) -> None:
        self.cap.release()


def run_tuner(
    session: TunerSession,
    video: Path | None = None,
    out: Path | None = None,
    script: str | None = None,
    layout: Layout | None = None,
) -> int:
    """Open the tuner window; returns 0 when the user quits. Saves on ``s`` to ``out``."""
    layout = layout or Layout()
    from formcheck.live import _check_display
    from formcheck.sinks.overlay import Annotator, OverlayInfo
    from formcheck.sinks.window import use_system_fonts

    _check_display()
    use_system_fonts()
    trace = session.prepared.trace
    n = len(trace)
    if n == 0:
        raise FormcheckError("the recording has no frames")
    out = out or default_profile_path(session.cfg.name)
    keys = ScriptedKeys(script) if script else None
    frames = _VideoFrames(video) if video is not None else None
    w = trace.meta.width or 1280
    h = trace.meta.height or 720
    if frames is None:  # a skeleton on a canvas the shape of the original frames, at most 1280 wide
        k = min(1.0, 1280 / w, 960 / h)
        w, h = int(w * k), int(h * k)
    usable, draw_xy = session.prepared.measures[1], session.prepared.measures[2]  # smoothed where usable
    annotator = Annotator.for_exercise(session.cfg, (w, h))
    plot = PlotView(layout.width, layout.plot_h)
    win = f"formcheck tune - {session.cfg.title}"
    pending: dict[str, int] = {}

    cv2.namedWindow(win, cv2.WINDOW_NORMAL | cv2.WINDOW_GUI_NORMAL | cv2.WINDOW_KEEPRATIO)
    for knob in session.knobs:
        cv2.createTrackbar(knob.label, win, 0, knob.pos_max, lambda pos, name=knob.name: pending.__setitem__(name, pos))
        cv2.setTrackbarMin(knob.label, win, knob.pos_min)
        cv2.setTrackbarPos(knob.label, win, knob.to_pos(session.values[knob.name]))
    pending.clear()  # creating trackbars may call back
    cv2.resizeWindow(win, layout.width, layout.height + TRACKBAR_H * len(session.knobs))

    i, playing = 0, False
    message, message_until = "", 0.0
    last_tick = time.monotonic()
    canvas = skeleton_canvas(w, h) if frames is None else None
    shown: np.ndarray | None = None
    try:
        while True:
            now = time.monotonic()
            # Playback at the recording's own pace.
            if playing:
                target_t = float(trace.t_s[i]) + (now - last_tick)
                j = int(np.searchsorted(trace.t_s, target_t, side="right")) - 1
                if j > i:
                    i = min(j, n - 1)
                    last_tick = now
                if i >= n - 1:
                    playing = False
            else:
                last_tick = now
            if pending:
                for name, pos in list(pending.items()):
                    session.values[name] = session.knob(name).to_value(pos)
                    session.focus = name
                pending.clear()
                session.apply()
            base = frames.get(i) if frames is not None else None
            if base is None:
                base = canvas.copy() if canvas is not None else skeleton_canvas(w, h)
            elif base.shape[1] != w or base.shape[0] != h:
                base = cv2.resize(base, (w, h))
            pose = PoseFrame(
                float(trace.t_s[i]), draw_xy[i], trace.world_xyz[i], trace.visibility[i], trace.presence[i],
                int(trace.n_people[i]), bool(trace.identity_jump[i]),
            )  # fmt: skip
            if message and now > message_until:
                message = ""
            info = OverlayInfo(message="")
            view = annotator.annotate(base, pose if pose.has_person else None, session.state_at(i), info,
                                      usable=usable[i])  # fmt: skip
            t_now = float(trace.t_s[i])
            plot_img = plot.render(plot_data(session), t_now, key=(session.version, session.focus))
            shown = compose(view, session, plot_img, t_now, layout, message, out, playing)
            cv2.imshow(win, shown)
            key = cv2.waitKeyEx(15)
            if key == -1 and keys is not None:
                action = keys.next(time.monotonic())
                if action is not None:
                    kind, arg = action
                    if kind == "key":
                        key = int(arg)
                    elif kind == "set":
                        name, _, val = arg.partition("=")
                        knob = session.knob(name)
                        cv2.setTrackbarPos(knob.label, win, knob.to_pos(float(val)))
                        if name not in pending:  # the backend did not call back: apply it ourselves
                            pending[name] = knob.to_pos(float(val))
                    elif kind == "shot":
                        Path(arg).parent.mkdir(parents=True, exist_ok=True)
                        cv2.imwrite(arg, shown)
            if key == -1:
                if cv2.getWindowProperty(win, cv2.WND_PROP_VISIBLE) < 1:
                    break
                continue
            k8 = key if key < 256 else -1  # special keys (arrows: 65361 = 0xFF51) are not letters
            if k8 in KEY_QUIT:
                break
            if k8 == 32:
                playing = not playing
                if playing and i >= n - 1:
                    i = 0
            elif key in KEY_LEFT:
                i = _seek(trace.t_s, i, -2.0)
            elif key in KEY_RIGHT:
                i = _seek(trace.t_s, i, 2.0)
            elif key in KEY_HOME:
                i = 0
            elif k8 == ord(","):
                i = max(0, i - 1)
            elif k8 == ord("."):
                i = min(n - 1, i + 1)
            elif k8 in (ord("n"), ord("p")):
                i = _jump_rep(trace.t_s, session.results, i, forward=k8 == ord("n"))
            elif k8 in (ord("r"), ord("R")):
                session.reset()
                for knob in session.knobs:
                    cv2.setTrackbarPos(knob.label, win, knob.to_pos(session.values[knob.name]))
                pending.clear()
                message, message_until = "thresholds reset", now + 2.5
            elif k8 in (ord("s"), ord("S")):
                try:
                    path = session.save(out)
                    message = f"saved {path}"
                except (FormcheckError, OSError) as e:
                    message = f"cannot save: {e}"
                message_until = now + 4.0
                print(f"formcheck: {message}")
    finally:
        if frames is not None:
            frames.close()
        cv2.destroyWindow(win)
        cv2.waitKey(1)
    return 0


def _seek(t_s: np.ndarray, i: int, dt: float) -> int:
    j = int(np.searchsorted(t_s, float(t_s[i]) + dt))
    return min(max(j, 0), len(t_s) - 1)


def _jump_rep(t_s: np.ndarray, reps: Sequence[RepResult], i: int, forward: bool) -> int:
    t = float(t_s[i])
    starts = [r.start_s for r in reps]
    if forward:
        nxt = [s for s in starts if s > t + 1e-6]
        target = nxt[0] if nxt else None
    else:
        prv = [s for s in starts if s < t - 0.5]
        target = prv[-1] if prv else None
    if target is None:
        return i
    return min(int(np.searchsorted(t_s, target)), len(t_s) - 1)


def prepare_recording(
    path: Path,
    cfg: ExerciseConfig,
    pose: BackendSpec | None = None,
    progress: bool = True,
    on_status: Callable[[str], None] | None = None,
) -> tuple[PreparedTrace, Path | None]:
    """A recording's prepared trace, and its video (None for a trace file). A video's pose
    comes from the trace cache; inference runs only if it is not there yet (then cached)."""
    from formcheck.rescoring import is_trace_file, trace_for_recording

    trace, how = trace_for_recording(path, cfg, pose, progress)
    if on_status is not None:
        on_status({"trace": f"read {path}", "cached": f"{path}: pose from the trace cache (no inference)",
                   "ran": f"{path}: pose inference done (cached for next time)"}[how])  # fmt: skip
    video = None if is_trace_file(path) else Path(path)
    return PreparedTrace.from_trace(trace, source=str(path), cfg=cfg), video
