"""Re-scoring: the checker over a saved pose trace, with any thresholds, without inference.

A 30-minute session re-scores in well under a second (``benchmarks/bench_rescore.py``):
smoothing runs in time chunks side by side (:mod:`formcheck.smoothing.batch`), measures are
vectorized over the frames, and only the rep checker steps frame by frame. A trace file is
re-scored window by window (:func:`rescore_file`: :mod:`formcheck.formats.trace_windows`
reads it, :func:`formcheck.analysis.analyze_windows` carries every stage's state across
windows), so memory is bounded by the window, not by the recording: a 3-hour session
re-scores in about the memory of a few minutes (docs/performance.md). Tuning and
fitting re-score the same recording many times: :class:`PreparedTrace` computes the
measures once (they depend on smoothing, not on thresholds) and re-runs only the checker.

Python API::

    from formcheck import get_exercise, rescore_trace
    report = rescore_trace("session.trace.npz", get_exercise("wall_squat").with_overrides({"hold_s": 8}))
    print(report["reps"], report["reps_ok"])

The report is the one ``formcheck score`` writes (same keys), with ``"inference": "none"``
and ``"trace"`` naming the trace file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.analysis import (
    ChainCarry,
    WindowInputs,
    WindowMeasures,
    analyze_trace,
    analyze_windows,
    is_segmented,
    required_landmarks,
    run_checker,
    window_inputs,
    window_measures,
)
from formcheck.checkers.rep_checker import RepChecker
from formcheck.errors import TraceError
from formcheck.exercises.config import ExerciseConfig
from formcheck.formats.report import (
    InputInfo,
    SignalSeries,
    build_report,
    signal_frame_step,
    signal_names,
    signal_series,
)
from formcheck.formats.trace_windows import DEFAULT_WINDOW, TraceWindows, windows_of
from formcheck.pose.backend import BackendSpec
from formcheck.pose.frame import PoseTrace, TraceMeta
from formcheck.pose.validate import check_trace
from formcheck.runtime.memory import release_free_memory
from formcheck.smoothing.one_euro import SmoothingConfig

__all__ = [
    "TRACE_SUFFIXES",
    "CheckerTrace",
    "PreparedTrace",
    "is_trace_file",
    "rescore_file",
    "rescore_trace",
    "trace_duration_s",
]

#: File name endings read as pose traces (anything else is taken for a video).
TRACE_SUFFIXES = (".npz", ".csv")


def is_trace_file(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in TRACE_SUFFIXES


def trace_duration_s(trace: PoseTrace) -> float:
    """Length of the recording: first to last timestamp plus one frame."""
    return _duration_s(trace.t_s)


def _duration_s(t_s: np.ndarray) -> float:
    if len(t_s) < 2:
        return 0.0
    return float(t_s[-1] - t_s[0]) + float(np.median(np.diff(t_s)))


@dataclass(slots=True)
class PreparedTrace:
    """A trace with its measures computed once, ready to be re-scored many times.

    Attributes:
        trace: the pose trace.
        measures: (values (T, M), usable (T, 33), image_xy (T, 33, 2)) from
            :func:`formcheck.analysis.trace_measures`.
        source: what the report names as its source (the video or the trace file).
        trace_path: the trace file, when it was read from one.
        other: (T,) bool frames of someone else's body (:mod:`formcheck.pose.identity`),
            found with the measures, so that re-scoring does not judge them again (None:
            judged at each re-score).
        height_cm: the person's height the measures were scaled by (None: the pose model's
            estimate of the legs).
    """

    trace: PoseTrace
    measures: tuple[np.ndarray, np.ndarray, np.ndarray]
    source: str
    trace_path: str | None = None
    other: np.ndarray | None = None
    height_cm: float | None = None

    @classmethod
    def from_trace(
        cls,
        trace: PoseTrace,
        smoothing: SmoothingConfig = SmoothingConfig(),
        source: str | None = None,
        trace_path: str | None = None,
        cfg: ExerciseConfig | None = None,
        height_cm: float | None = None,
    ) -> PreparedTrace:
        """Compute the measures of ``trace`` — only those ``cfg``'s exercise reads, when
        given (faster; the prepared trace then serves that exercise only). ``height_cm``: the
        person's height (default: ``cfg.height_cm``, from a profile), scaling floor heights."""
        only = cfg.measures_used() if cfg is not None else None
        if height_cm is None and cfg is not None:
            height_cm = cfg.height_cm
        check_trace(trace, trace_path or source or "PoseTrace")
        wm = window_measures(trace, ChainCarry(), smoothing, only=only, check=False, height_cm=height_cm)
        return cls(trace, wm.as_tuple(), source or trace.meta.source or "trace", trace_path, wm.other, height_cm)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        smoothing: SmoothingConfig = SmoothingConfig(),
        cfg: ExerciseConfig | None = None,
    ) -> PreparedTrace:
        """Read a trace file (native .npz, import .npz or .csv; see docs/trace-format.md)."""
        trace = _load_sized(path)
        return cls.from_trace(trace, smoothing, source=trace.meta.source or str(path), trace_path=str(path), cfg=cfg)

    def __len__(self) -> int:
        return len(self.trace)

    def checker(self, cfg: ExerciseConfig, on_frame: Callable[[int, RepChecker], None] | None = None) -> RepChecker:
        """The finished checker of ``cfg`` over the whole recording."""
        measures = self.measures if self.other is None else WindowMeasures(*self.measures, other=self.other)
        return analyze_trace(self.trace, cfg, measures=measures, on_frame=on_frame)

    def report(self, cfg: ExerciseConfig, checker: RepChecker | None = None, signals: bool = False) -> dict[str, Any]:
        """The ``score`` report of ``cfg`` over the recording (with its per-frame signal
        series when ``signals``)."""
        checker = checker if checker is not None else self.checker(cfg)
        series = signal_series(cfg, self.trace.t_s, self.measures[0]) if signals else None
        return rescore_report(checker, self.trace.meta, self.trace.t_s, self.source, self.trace_path, series)


class WindowRows:
    """Rows kept window by window, as one (T, ...) array.

    Allocated once when the total is known (a trace file's or an in-memory trace's length):
    kept pieces then never sit on the heap between a window's temporaries, which otherwise
    pins those free blocks (glibc) and kept the resident memory of a 3-hour trace at 5-8x the
    data (docs/performance.md). Without a total, the pieces are joined at the end.
    """

    __slots__ = ("_dtype", "_out", "_parts", "_tail", "n")

    def __init__(self, total: int | None, tail: tuple[int, ...], dtype: np.dtype | type) -> None:
        self._tail, self._dtype = tail, np.dtype(dtype)
        self._out = np.empty((total, *tail), self._dtype) if total is not None else None
        self._parts: list[np.ndarray] = []
        self.n = 0

    def add(self, rows: np.ndarray) -> None:
        k = len(rows)
        if self._out is not None and self.n + k <= len(self._out):
            self._out[self.n : self.n + k] = rows
        else:  # no total, or more rows than it said: keep a copy, joined at the end
            if self._out is not None:
                self._parts, self._out = [self._out[: self.n]], None
            self._parts.append(np.array(rows, self._dtype))
        self.n += k

    def array(self) -> np.ndarray:
        if self._out is not None:
            return self._out if self.n == len(self._out) else self._out[: self.n].copy()
        return np.concatenate(self._parts) if self._parts else np.empty((0, *self._tail), self._dtype)


@dataclass(slots=True)
class CheckerTrace:
    """What the rep checker reads of a recording, measured once and kept compact, to be
    re-scored many times with other thresholds of one exercise (``formcheck fit``).

    :class:`PreparedTrace` keeps the trace and every measure column, the usable mask and the
    landmarks to draw (``formcheck fit`` peaked at 825 MB for an hour at 30 fps with it,
    2.3 GB for three; docs/performance.md). The checker reads far less: per frame the time,
    the measures the exercise reads (``ExerciseConfig.measures_used()``, 5-12 of the 63), the
    people count and, for the frames that are not measurable, why. That is what this keeps:
    ``8 + 8 k + 2`` bytes a frame (66 for wall squats: 21 MB for 3 hours), the measures in
    float64 exactly as computed, so re-scoring gives the same checker, bit for bit, as :meth:`PreparedTrace.checker`.
    It is built window by window (:meth:`from_windows`: a trace file is read
    :class:`~formcheck.formats.trace_windows.TraceWindows` at a time), so memory is bounded
    by the window, not by the recording. It serves the exercise it was built for, with any
    thresholds: :meth:`checker` refuses another one.

    Attributes:
        t_s: (T,) float64 timestamps.
        columns: (k,) the measure indices kept (``MEASURE_NAMES`` order).
        values: (T, k) float64 those measures.
        n_people: (T,) people counts.
        issue_at: (n,) frames that are not measurable (ascending), with ``issue_code``:
            (n,) each one's index into ``issue_names`` (the ``frame_issue`` codes).
        segmented: the trace is one repetition (``is_segmented``).
        source: what it was read from.
    """

    t_s: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    n_people: np.ndarray
    issue_at: np.ndarray
    issue_code: np.ndarray
    issue_names: tuple[str, ...]
    segmented: bool
    source: str
    _key: tuple[object, ...] = ()
    window: int = DEFAULT_WINDOW

    @staticmethod
    def _key_of(cfg: ExerciseConfig) -> tuple[object, ...]:
        """What decides the measures and the issues: equal for every threshold override."""
        return (cfg.name, cfg.measures_used(), tuple(required_landmarks(cfg).tolist()), cfg.height_cm)

    @classmethod
    def from_windows(
        cls,
        windows: Iterable[PoseTrace],
        cfg: ExerciseConfig,
        segmented: bool = False,
        smoothing: SmoothingConfig = SmoothingConfig(),
        source: str = "trace",
        where: str = "trace",
        on_window: Callable[[PoseTrace, WindowMeasures], None] | None = None,
        frames: int | None = None,
    ) -> CheckerTrace:
        """Measure consecutive windows of one trace (the chain's state carried across, as
        :func:`formcheck.analysis.analyze_windows` does) and keep what ``cfg``'s checker reads.
        ``on_window(window, measures)`` sees each window's chain output before it is dropped
        (the tuner keeps the landmarks it draws). ``frames``: how many there are in all, when
        ``windows`` does not say (``len``): the kept arrays are then allocated once."""
        from formcheck.measures.body import measure_index

        only = cfg.measures_used()
        columns = np.array(sorted(measure_index(n) for n in only), dtype=np.intp)
        required = required_landmarks(cfg)
        carry = ChainCarry()
        total = len(windows) if isinstance(windows, Sized) else frames
        t_s, values = WindowRows(total, (), np.float64), WindowRows(total, (columns.size,), np.float64)
        people: WindowRows | None = None
        at, codes = [], []
        names: dict[str, int] = {}
        for window in windows:
            first = carry.frames
            wm = window_measures(window, carry, smoothing, only=only, where=where, height_cm=cfg.height_cm)
            issues = window_inputs(window, required, wm).issues
            if on_window is not None:
                on_window(window, wm)
            if people is None:  # of the trace's own integer type
                people = WindowRows(total, (), window.n_people.dtype)
            t_s.add(window.t_s)
            values.add(wm.values[:, columns])
            people.add(window.n_people)
            for i, issue in enumerate(issues):
                if issue:
                    at.append(first + i)
                    codes.append(names.setdefault(issue, len(names)))
        release_free_memory()  # the windows' temporaries, freed but still resident
        return cls(
            t_s.array(),
            columns,
            values.array(),
            people.array() if people is not None else np.zeros(0, dtype=np.int16),
            np.array(at, dtype=np.int64),
            np.array(codes, dtype=np.uint8 if len(names) < 256 else np.int32),
            tuple(names),
            segmented,
            source,
            cls._key_of(cfg),
        )

    @classmethod
    def from_trace(
        cls, trace: PoseTrace, cfg: ExerciseConfig, smoothing: SmoothingConfig = SmoothingConfig(),
        source: str | None = None, window: int = DEFAULT_WINDOW,
    ) -> CheckerTrace:  # fmt: skip
        """Of an in-memory trace (measured ``window`` frames at a time)."""
        src = source or trace.meta.source or "trace"
        check_trace(trace, src, full=False)
        segmented = is_segmented(trace.meta.extra)
        return cls.from_windows(windows_of(trace, window), cfg, segmented, smoothing, src, src, frames=len(trace))

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], cfg: ExerciseConfig, smoothing: SmoothingConfig = SmoothingConfig(),
        window: int = DEFAULT_WINDOW,
    ) -> CheckerTrace:  # fmt: skip
        """Of a trace file, read ``window`` frames at a time (a native ``.npz`` streams)."""
        windows = sized_windows(path, window)
        return cls.from_windows(windows, cfg, is_segmented(windows.meta.extra), smoothing, str(path), str(path))

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def series(self, measure: str) -> np.ndarray:
        """(T,) float64 one measure the checker reads, by name; KeyError for one it does not."""
        from formcheck.measures.body import measure_index

        at = np.flatnonzero(self.columns == measure_index(measure))
        if at.size == 0:
            raise KeyError(f"{measure} is not among the measures {self._key[0]} reads")
        return self.values[:, int(at[0])]

    @property
    def nbytes(self) -> int:
        """Bytes its arrays hold."""
        arrays = (self.t_s, self.values, self.n_people, self.issue_at, self.issue_code)
        return sum(a.nbytes for a in arrays)

    def checker(self, cfg: ExerciseConfig, on_frame: Callable[[int, RepChecker], None] | None = None) -> RepChecker:
        """The finished checker of ``cfg`` (the exercise this was built for, any thresholds)
        over the whole recording: the one :meth:`PreparedTrace.checker` gives. ``on_frame(i,
        checker)`` is called after each frame (the tuner keeps the states it replays)."""
        if self._key_of(cfg) != self._key:
            raise ValueError(f"{self.source}: measured for {self._key[0]}, not for {cfg.name} as configured now")
        from formcheck.measures.body import MEASURE_NAMES

        checker = RepChecker(cfg, segmented=self.segmented)
        n, m = len(self), len(MEASURE_NAMES)
        cut = np.searchsorted(self.issue_at, np.arange(0, n + self.window, self.window))
        for w, a in enumerate(range(0, n, self.window)):
            b = min(n, a + self.window)
            values = np.full((b - a, m), np.nan)
            values[:, self.columns] = self.values[a:b]
            issues = [""] * (b - a)
            at, codes = self.issue_at[cut[w] : cut[w + 1]], self.issue_code[cut[w] : cut[w + 1]]
            for i, code in zip(at.tolist(), codes.tolist(), strict=True):
                issues[i - a] = self.issue_names[code]
            run_checker(checker, WindowInputs(self.t_s[a:b], values, self.n_people[a:b], issues), on_frame, a)
        checker.finish()
        return checker


def _load_sized(path: str | os.PathLike[str]) -> PoseTrace:
    """A trace file's trace; a frame size of 0 pixels is refused (image measures need the
    aspect ratio; an import that states no size gets an assumed one, see docs/trace-format.md)."""
    from formcheck.formats.trace import load_trace

    trace = load_trace(Path(path))
    _check_size(trace.meta, path)
    return trace


def sized_windows(path: str | os.PathLike[str], window: int = DEFAULT_WINDOW) -> TraceWindows:
    """A trace file as windows of ``window`` frames; a frame size of 0 pixels is refused."""
    windows = TraceWindows(path, window)
    _check_size(windows.meta, path)
    return windows


def _check_size(meta: TraceMeta, path: str | os.PathLike[str]) -> None:
    if meta.width <= 0 or meta.height <= 0:
        raise TraceError(
            f"Cannot load pose trace {path}: its frame size is {meta.width}x{meta.height} pixels; "
            "width and height must be above 0."
        )


def rescore_file(
    path: str | os.PathLike[str],
    cfg: ExerciseConfig,
    smoothing: SmoothingConfig = SmoothingConfig(),
    signals: bool = False,
    window: int = DEFAULT_WINDOW,
) -> dict[str, Any]:
    """:func:`rescore_trace` of a trace file, read and analysed ``window`` frames at a time:
    the same report, bit for bit, with memory bounded by the window (a native ``.npz``
    streams; other layouts are read whole first, see :mod:`formcheck.formats.trace_windows`)."""
    windows = sized_windows(path, window)
    series = _SeriesKeeper(cfg, len(windows)) if signals else None
    checker = analyze_windows(
        windows, cfg, smoothing, segmented=is_segmented(windows.meta.extra), where=str(path),
        on_window=series.keep if series is not None else None, ahead=True,
    )  # fmt: skip
    source = windows.meta.source or str(path)
    signal_rows = series.build() if series is not None else None
    return rescore_report(checker, windows.meta, windows.t_s, source, str(path), signal_rows)


def rescore_report(
    checker: RepChecker, meta: TraceMeta, t_s: np.ndarray, source: str, trace_path: str | None = None,
    signals: SignalSeries | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The ``score`` report of a finished re-score of a recording (``t_s``: all its times):
    ``"inference": "none"``, and ``"trace"`` naming the trace file when it was read from one."""
    report = build_report(
        checker, source=source, model=meta.model, duration_s=_duration_s(t_s), signals=signals,
        input_info=InputInfo.from_extra(meta.extra),
    )  # fmt: skip
    report["inference"] = "none"
    if trace_path is not None:
        report["trace"] = trace_path
    return report


class _SeriesKeeper:
    """The report's signal series collected window by window: every ``frame_step``-th frame
    of the recording (:func:`formcheck.formats.report.signal_frame_step`), as
    :func:`signal_series` keeps of the whole."""

    def __init__(self, cfg: ExerciseConfig, frames: int) -> None:
        from formcheck.measures.body import measure_index

        self.step = signal_frame_step(frames)
        self.names = signal_names(cfg)
        self.columns = [measure_index(n) for n in self.names]
        self.t: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []

    def keep(self, first: int, window: PoseTrace, measures: WindowMeasures) -> None:
        at = np.arange(-first % self.step, len(window), self.step)  # frames first + at are multiples of step
        self.t.append(window.t_s[at])
        self.rows.append(measures.values[np.ix_(at, self.columns)])

    def build(self) -> SignalSeries:
        t = np.concatenate(self.t) if self.t else np.zeros(0)
        rows = np.concatenate(self.rows) if self.rows else np.zeros((0, len(self.names)))
        return SignalSeries.from_arrays(t, {n: rows[:, i] for i, n in enumerate(self.names)}, frame_step=self.step)


def rescore_trace(
    trace_or_path: PoseTrace | PreparedTrace | str | os.PathLike[str],
    cfg: ExerciseConfig,
    smoothing: SmoothingConfig = SmoothingConfig(),
    signals: bool = False,
) -> dict[str, Any]:
    """Score a saved pose trace with ``cfg``'s thresholds: the same report as ``score``.

    ``trace_or_path`` is a trace file (.npz or .csv; read window by window, see
    :func:`rescore_file`), a :class:`PoseTrace` or a :class:`PreparedTrace` (whose measures
    are reused). No pose inference runs.
    """
    if isinstance(trace_or_path, PreparedTrace):
        prepared = trace_or_path
    elif isinstance(trace_or_path, PoseTrace):
        prepared = PreparedTrace.from_trace(trace_or_path, smoothing, cfg=cfg)
    else:
        return rescore_file(trace_or_path, cfg, smoothing, signals)
    return prepared.report(cfg, signals=signals)


def trace_for_recording(
    path: str | os.PathLike[str],
    cfg: ExerciseConfig,
    pose: BackendSpec | None = None,
    progress: bool = True,
) -> tuple[PoseTrace, str]:
    """The pose trace of a recording: read from a trace file, or for a video from the trace
    cache — running pose inference (once; the result is cached) when it is not there yet.

    ``pose`` names the backend and model for videos (default: MediaPipe's full model).
    Returns the trace and how it was obtained: "trace", "cached" or "ran".
    """
    if is_trace_file(path):
        return _load_sized(path), "trace"
    from formcheck.programs.batch import score_video
    from formcheck.programs.scoring import ScoreOptions

    result = score_video(Path(path), cfg, ScoreOptions(pose=pose or BackendSpec(), progress=progress))
    if not result.report["complete"] and not result.report.get("nothing_measurable"):  # the trace is whole
        from formcheck.errors import VideoError

        raise VideoError(f"{path}: pose inference did not finish ({result.report['error']})")
    return result.trace, "cached" if not result.inference_ran else "ran"
