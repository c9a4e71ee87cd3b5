"""The tuning session: an exercise's thresholds as sliders over one recording.

:class:`Knob` turns a threshold into an integer slider position (float range → int steps);
:class:`TunerSession` holds the current thresholds, re-scores the recording when one moves
(only the rep checker runs again: the measures are computed once), keeps the per-frame
checker states for the replay, says what changed and writes the profile TOML that keeps it.
No window and no drawing here: :mod:`formcheck.sinks.plot` draws the plot and
:mod:`formcheck.programs.tune` is the window.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.analysis import WindowMeasures, is_segmented
from formcheck.checkers.events import CheckerState, RepResult
from formcheck.checkers.rep_checker import RepChecker
from formcheck.errors import ConfigError, FormcheckError
from formcheck.exercises.config import ExerciseConfig, Threshold
from formcheck.exercises.profiles import profile_toml, save_profile
from formcheck.formats.trace_windows import DEFAULT_WINDOW, windows_of
from formcheck.pose.backend import BackendSpec
from formcheck.pose.frame import PoseTrace, TraceMeta
from formcheck.pose.landmarks import N_LANDMARKS
from formcheck.pose.validate import check_trace
from formcheck.programs.rescoring import CheckerTrace, WindowRows, rescore_report, sized_windows
from formcheck.smoothing.one_euro import SmoothingConfig

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


# --------------------------------------------------------------------------- recording


@dataclass(slots=True)
class TuneRecording:
    """One recording as the tuner needs it, measured once, window by window.

    What the checker reads is a :class:`~formcheck.programs.rescoring.CheckerTrace` (the
    exercise's measures, people counts, why frames are not measurable); what the replay
    draws is the smoothed landmarks in float32 and which ones the measures could use. The
    trace itself is not kept and never held whole: a trace file is read
    :class:`~formcheck.formats.trace_windows.TraceWindows` at a time, so an hour costs about
    45 MB here (plus the per-frame checker states the replay shows), not the whole trace
    and every measure column in float64 (docs/performance.md, "Memory of rescore / tune / fit").

    Attributes:
        checked: what the checker reads.
        draw_xy: (T, 33, 2) float32 normalized image coordinates to draw, smoothed; NaN where
            a landmark was not measured.
        usable: (T, 33) bool landmarks the measures could use (drawn as "seen").
        meta: the trace's metadata (frame size, model, how it was recorded).
        source: what the report names as its source (the video or the trace file).
        trace_path: the trace file, when it was read from one.
    """

    checked: CheckerTrace
    draw_xy: np.ndarray
    usable: np.ndarray
    meta: TraceMeta
    source: str
    trace_path: str | None = None

    @classmethod
    def from_windows(
        cls,
        windows: Iterable[PoseTrace],
        meta: TraceMeta,
        cfg: ExerciseConfig,
        source: str,
        trace_path: str | None = None,
        smoothing: SmoothingConfig = SmoothingConfig(),
        frames: int | None = None,
    ) -> TuneRecording:
        """Measure consecutive windows of one trace; ``frames``: how many in all, when
        ``windows`` has no ``len``."""
        total = len(windows) if isinstance(windows, Sized) else frames
        xy = WindowRows(total, (N_LANDMARKS, 2), np.float32)
        usable = WindowRows(total, (N_LANDMARKS,), bool)

        def keep(_window: PoseTrace, wm: WindowMeasures) -> None:
            xy.add(wm.img)
            usable.add(wm.usable)

        checked = CheckerTrace.from_windows(
            windows, cfg, is_segmented(meta.extra), smoothing, source, source, on_window=keep, frames=total
        )  # fmt: skip
        return cls(checked, xy.array(), usable.array(), meta, source, trace_path)

    @classmethod
    def from_trace(
        cls, trace: PoseTrace, cfg: ExerciseConfig, source: str | None = None,
        smoothing: SmoothingConfig = SmoothingConfig(), window: int = DEFAULT_WINDOW,
    ) -> TuneRecording:  # fmt: skip
        """Of an in-memory trace (measured ``window`` frames at a time)."""
        src = source or trace.meta.source or "trace"
        check_trace(trace, src, full=False)
        return cls.from_windows(windows_of(trace, window), trace.meta, cfg, src, None, smoothing, len(trace))

    @classmethod
    def load(
        cls, path: str | Path, cfg: ExerciseConfig, smoothing: SmoothingConfig = SmoothingConfig(),
        window: int = DEFAULT_WINDOW,
    ) -> TuneRecording:  # fmt: skip
        """Of a trace file, read ``window`` frames at a time."""
        windows = sized_windows(path, window)
        return cls.from_windows(windows, windows.meta, cfg, str(path), str(path), smoothing)

    def __len__(self) -> int:
        return len(self.checked)

    @property
    def t_s(self) -> np.ndarray:
        return self.checked.t_s

    @property
    def n_people(self) -> np.ndarray:
        return self.checked.n_people

    @property
    def nbytes(self) -> int:
        return self.checked.nbytes + self.draw_xy.nbytes + self.usable.nbytes

    def series(self, measure: str) -> np.ndarray:
        """(T,) one measure the exercise reads (float64, as the checker saw it)."""
        return self.checked.series(measure)

    def checker(self, cfg: ExerciseConfig, on_frame: Callable[[int, RepChecker], None] | None = None) -> RepChecker:
        return self.checked.checker(cfg, on_frame)

    def report(self, cfg: ExerciseConfig, checker: RepChecker | None = None) -> dict[str, Any]:
        """The ``score`` report of ``cfg`` over the recording (as ``rescore`` writes it)."""
        checker = checker if checker is not None else self.checker(cfg)
        return rescore_report(checker, self.meta, self.t_s, self.source, self.trace_path)


# --------------------------------------------------------------------------- session


class TunerSession:
    """Thresholds being tuned over one recording.

    Args:
        recording: the recording, measured once.
        cfg: the starting thresholds (package values, then a profile, then --set).
        defaults: what "changed" is measured against, i.e. what a saved profile overrides
            (default: the package's exercise); a saved profile holds every value of ``cfg``'s
            exercise that differs from it.
        names: the thresholds offered as knobs (default :func:`tunable_thresholds`).
        record_states: keep the checker's state after every frame (for the replay overlay).
    """

    def __init__(
        self,
        recording: TuneRecording,
        cfg: ExerciseConfig,
        defaults: ExerciseConfig | None = None,
        names: Iterable[str] | None = None,
        record_states: bool = True,
    ) -> None:
        self.recording = recording
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
        self.states = []  # not two runs' states at once: ~80 MB each for 3 hours
        states: list[CheckerState] = []
        if self.record_states:
            checker = self.recording.checker(cfg, on_frame=lambda _i, c: states.append(c.state()))
        else:
            checker = self.recording.checker(cfg)
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
        return self.recording.report(self.cfg, self.checker)

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
        name, notes, tables, height = "", "", {}, self.cfg.height_cm
        if existing:
            import tomllib

            data = tomllib.loads(existing)
            meta = data.pop("profile", {})
            name, notes = str(meta.get("name", "")), str(meta.get("notes", ""))
            height = meta.get("height_cm", height)
            tables = {k: dict(v) for k, v in data.items() if isinstance(v, dict)}
        ex = self.cfg.name
        tables[ex] = self.changed()
        comments = {ex: {k: "tuned" for k, v in tables[ex].items() if v != self.start_cfg.value(k)}}
        return profile_toml(tables, name, notes, comments, {ex: self.defaults}, height)

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
    from formcheck.exercises.config import builtin_exercises

    return builtin_exercises().get(cfg.name, cfg)


def _short_error(msg: str) -> str:
    return re.sub(r"\s*\((?:tuner|--set)\)", "", msg.replace(" in tuner", ""))


def default_profile_path(exercise: str) -> Path:
    return Path(f"{exercise}.profile.toml")


def prepare_recording(
    path: Path,
    cfg: ExerciseConfig,
    pose: BackendSpec | None = None,
    progress: bool = True,
    on_status: Callable[[str], None] | None = None,
) -> tuple[TuneRecording, Path | None]:
    """A recording measured for tuning, and its video (None for a trace file). A trace file is
    read window by window; a video's pose comes from the trace cache, and inference runs only
    if it is not there yet (then cached)."""
    from formcheck.programs.rescoring import is_trace_file, trace_for_recording

    if is_trace_file(path):
        recording, how, video = TuneRecording.load(path, cfg), "trace", None
    else:
        trace, how = trace_for_recording(path, cfg, pose, progress)
        recording, video = TuneRecording.from_trace(trace, cfg, source=str(path)), Path(path)
    if on_status is not None:
        on_status({"trace": f"read {path}", "cached": f"{path}: pose from the trace cache (no inference)",
                   "ran": f"{path}: pose inference done (cached for next time)"}[how])  # fmt: skip
    return recording, video
