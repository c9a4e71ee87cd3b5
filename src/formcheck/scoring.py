"""Offline scoring of recorded videos: source → pose → analysis → sinks.

Decoding runs on its own thread, one bounded queue ahead of inference, so the two overlap
(OpenCV and MediaPipe both release the GIL). Frames are streamed, never all held. If
anything fails midway the checker is closed and what was measured is still reported (with
``complete: false``) and the trace is kept.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.analysis import Analyzer, analyze_trace
from formcheck.checkers.rep_checker import RepChecker
from formcheck.config import ExerciseConfig
from formcheck.errors import FormcheckError
from formcheck.pose.frame import PoseTrace, TraceBuilder, TraceMeta
from formcheck.report import build_report
from formcheck.smoothing import SmoothingConfig
from formcheck.sources.video import VideoFileSource, VideoInfo


@dataclass(slots=True)
class ScoreOptions:
    model: str = "full"  # lite | full | heavy | path to a .task file
    model_dir: Path | None = None
    num_poses: int = 1
    video_out: Path | None = None
    progress: bool = True
    use_cache: bool = True
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)


@dataclass(slots=True)
class ScoreResult:
    report: dict[str, Any]
    trace: PoseTrace
    checker: RepChecker
    inference_ran: bool


_END = object()


def _decode_ahead(source: VideoFileSource, depth: int = 4) -> Iterator[tuple[float, np.ndarray]]:
    """Yields the source's frames, decoded on a background thread ``depth`` frames ahead."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_END)
        except BaseException as e:  # hand decoder errors to the consumer
            q.put(e)

    th = threading.Thread(target=work, name="formcheck-decode", daemon=True)
    th.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        th.join(timeout=5.0)


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total or None, desc=desc, unit="frame", disable=not enabled, leave=False, dynamic_ncols=True)


def model_id(model: str) -> str:
    """A model's identity for reports and the trace cache: its name, or a custom file's hash."""
    if model in ("lite", "full", "heavy"):
        return model
    from formcheck.trace import file_sha256

    path = Path(model)
    return f"{path.name}:{file_sha256(path)[:16]}" if path.is_file() else path.name


def infer_trace(
    video: Path,
    opts: ScoreOptions,
    on_frame=None,
    start_s: float = 0.0,
    end_s: float = float("inf"),
) -> tuple[PoseTrace, VideoInfo, BaseException | None]:
    """Pose inference over a video (or a time range of it) → trace.

    ``on_frame(t_s, frame_bgr, pose)`` is called for each frame (for live analysis and
    drawing). An exception midway is returned, not raised, with the partial trace.
    """
    from formcheck.pose.estimator import PoseEstimator
    from formcheck.pose.models import resolve_model

    source = VideoFileSource(video, start_s=start_s, end_s=end_s)
    info = source.info
    meta = TraceMeta(str(video), model_id(opts.model), info.fps, info.width, info.height)
    builder = TraceBuilder(meta, capacity=max(16, info.frames + 8))
    error: BaseException | None = None
    model_path = resolve_model(opts.model, opts.model_dir, progress=opts.progress)
    try:
        with PoseEstimator(model_path, num_poses=opts.num_poses) as est, _progress(
            info.frames, Path(video).name, opts.progress
        ) as bar:
            for t, frame in _decode_ahead(source):
                pose = est.detect(frame, t)
                builder.append(pose)
                if on_frame is not None:
                    on_frame(t, frame, pose)
                bar.update(1)
    except (FormcheckError, OSError, RuntimeError, ValueError, KeyboardInterrupt) as e:
        error = e
    finally:
        source.close()
    return builder.build(), info, error


def score_video(video: str | Path, cfg: ExerciseConfig, opts: ScoreOptions | None = None) -> ScoreResult:
    """Score one recorded video: count and check the reps of ``cfg``'s exercise.

    Inference is skipped when the trace cache already holds this video with this model.
    With ``opts.video_out`` an annotated copy is written.
    """
    opts = opts or ScoreOptions()
    video = Path(video)
    VideoFileSource(video).close()  # fail early on a missing/corrupt file, before hashing or loading a model
    cache = _cache(opts)
    cache_extra = f"poses={opts.num_poses}"
    mid = model_id(opts.model)
    trace = cache.get(video, mid, cache_extra) if cache is not None and opts.video_out is None else None
    if trace is not None:
        checker = analyze_trace(trace, cfg, opts.smoothing)
        report = build_report(checker, source=str(video), model=mid, duration_s=_duration(trace))
        report["inference"] = "cached"
        return ScoreResult(report, trace, checker, inference_ran=False)

    analyzer: Analyzer | None = None
    sink = annotator = None
    if opts.video_out is not None:
        from formcheck.sinks.overlay import Annotator
        from formcheck.sinks.video import VideoSink

    def on_frame(t: float, frame: np.ndarray, pose) -> None:
        nonlocal analyzer, sink, annotator
        if analyzer is None:
            h, w = frame.shape[:2]
            analyzer = Analyzer(cfg, w / h, opts.smoothing)
            if opts.video_out is not None:
                annotator = Annotator.for_exercise(cfg, (w, h))
                sink = VideoSink(opts.video_out, _fps_guess(video), (w, h)).__enter__()
        out = analyzer.update(pose)
        if sink is not None and annotator is not None:
            sink.write(annotator.annotate(frame, out.pose, analyzer.checker.state()))

    try:
        trace, _info, error = infer_trace(video, opts, on_frame if opts.video_out is not None else None)
    finally:
        if sink is not None:
            sink.__exit__(None, None, None)
    # The analysis of record runs over the trace: identical to rescoring it later.
    checker = analyze_trace(trace, cfg, opts.smoothing)
    complete = error is None
    report = build_report(
        checker,
        source=str(video),
        model=mid,
        duration_s=_duration(trace),
        complete=complete,
        error=None if complete else _describe(error),
    )
    report["inference"] = "ran"
    if complete and cache is not None and len(trace):
        cache.put(video, mid, trace, cache_extra)
    result = ScoreResult(report, trace, checker, inference_ran=True)
    if isinstance(error, KeyboardInterrupt):
        result.report["error"] = "interrupted by the user"
    return result


def _duration(trace: PoseTrace) -> float:
    if len(trace) < 2:
        return 0.0
    dt = float(np.median(np.diff(trace.t_s)))
    return float(trace.t_s[-1] - trace.t_s[0]) + dt


def _fps_guess(video: Path) -> float:
    src = VideoFileSource(video)
    fps = src.info.fps or 30.0
    src.close()
    return fps


def _describe(e: BaseException | None) -> str:
    if e is None:
        return ""
    if isinstance(e, KeyboardInterrupt):
        return "interrupted by the user"
    return str(e) or type(e).__name__


def _cache(opts: ScoreOptions):
    if not opts.use_cache:
        return None
    try:
        from formcheck.trace import TraceCache
    except ImportError:
        return None
    return TraceCache()
