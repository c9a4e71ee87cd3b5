"""Re-scoring: the checker over a saved pose trace, with any thresholds, without inference.

A 30-minute session re-scores in well under a second (``benchmarks/bench_rescore.py``):
smoothing runs in time chunks side by side (:mod:`formcheck.smoothing.batch`), measures are
vectorized over the whole trace, and only the rep checker steps frame by frame. Tuning and
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.analysis import analyze_trace, trace_measures
from formcheck.checkers.rep_checker import RepChecker
from formcheck.errors import TraceError
from formcheck.exercises.config import ExerciseConfig
from formcheck.formats.report import InputInfo, build_report, signal_series
from formcheck.pose.backend import BackendSpec
from formcheck.pose.frame import PoseTrace
from formcheck.pose.validate import check_trace
from formcheck.smoothing.one_euro import SmoothingConfig

__all__ = ["TRACE_SUFFIXES", "PreparedTrace", "is_trace_file", "rescore_trace", "trace_duration_s"]

#: File name endings read as pose traces (anything else is taken for a video).
TRACE_SUFFIXES = (".npz", ".csv")


def is_trace_file(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in TRACE_SUFFIXES


def trace_duration_s(trace: PoseTrace) -> float:
    """Length of the recording: first to last timestamp plus one frame."""
    if len(trace) < 2:
        return 0.0
    return float(trace.t_s[-1] - trace.t_s[0]) + float(np.median(np.diff(trace.t_s)))


@dataclass(slots=True)
class PreparedTrace:
    """A trace with its measures computed once, ready to be re-scored many times.

    Attributes:
        trace: the pose trace.
        measures: (values (T, M), usable (T, 33), image_xy (T, 33, 2)) from
            :func:`formcheck.analysis.trace_measures`.
        source: what the report names as its source (the video or the trace file).
        trace_path: the trace file, when it was read from one.
        height_cm: the person's height the measures were scaled by (None: the pose model's
            estimate of the legs).
    """

    trace: PoseTrace
    measures: tuple[np.ndarray, np.ndarray, np.ndarray]
    source: str
    trace_path: str | None = None
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
        measures = trace_measures(trace, smoothing, only=only, check=False, height_cm=height_cm)
        return cls(trace, measures, source or trace.meta.source or "trace", trace_path, height_cm)

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
        return analyze_trace(self.trace, cfg, measures=self.measures, on_frame=on_frame)

    def report(self, cfg: ExerciseConfig, checker: RepChecker | None = None, signals: bool = False) -> dict[str, Any]:
        """The ``score`` report of ``cfg`` over the recording (with its per-frame signal
        series when ``signals``)."""
        checker = checker if checker is not None else self.checker(cfg)
        report = build_report(
            checker,
            source=self.source,
            model=self.trace.meta.model,
            duration_s=trace_duration_s(self.trace),
            signals=signal_series(cfg, self.trace.t_s, self.measures[0]) if signals else None,
            input_info=InputInfo.from_extra(self.trace.meta.extra),
        )
        report["inference"] = "none"
        if self.trace_path is not None:
            report["trace"] = self.trace_path
        return report


def _load_sized(path: str | os.PathLike[str]) -> PoseTrace:
    """A trace file's trace; a frame size of 0 pixels is refused (image measures need the
    aspect ratio; an import that states no size gets an assumed one, see docs/trace-format.md)."""
    from formcheck.formats.trace import load_trace

    trace = load_trace(Path(path))
    if trace.meta.width <= 0 or trace.meta.height <= 0:
        raise TraceError(
            f"Cannot load pose trace {path}: its frame size is {trace.meta.width}x{trace.meta.height} pixels; "
            "width and height must be above 0."
        )
    return trace


def rescore_trace(
    trace_or_path: PoseTrace | PreparedTrace | str | os.PathLike[str],
    cfg: ExerciseConfig,
    smoothing: SmoothingConfig = SmoothingConfig(),
    signals: bool = False,
) -> dict[str, Any]:
    """Score a saved pose trace with ``cfg``'s thresholds: the same report as ``score``.

    ``trace_or_path`` is a trace file (.npz or .csv), a :class:`PoseTrace` or a
    :class:`PreparedTrace` (whose measures are reused). No pose inference runs.
    """
    if isinstance(trace_or_path, PreparedTrace):
        prepared = trace_or_path
    elif isinstance(trace_or_path, PoseTrace):
        prepared = PreparedTrace.from_trace(trace_or_path, smoothing, cfg=cfg)
    else:
        prepared = PreparedTrace.load(trace_or_path, smoothing, cfg=cfg)
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
