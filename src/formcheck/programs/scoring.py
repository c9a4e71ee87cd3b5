"""Offline scoring of recorded videos: source → pose → analysis → sinks (the machinery;
the entry point, :func:`formcheck.programs.batch.score_video`, is also ``formcheck.score_video``).

One video in one process is a three-stage pipeline: decoding runs on its own thread one
bounded queue ahead of inference, and with ``video_out`` drawing and encoding run on a
third thread one bounded queue behind it, so decoding, inference and encoding overlap
(OpenCV and MediaPipe release the GIL). Frames are streamed, never all held. If anything
fails midway the checker is closed and what was measured is still reported (with
``complete: false``) and the trace is kept.

With ``ScoreOptions.jobs`` above 1, :mod:`formcheck.programs.batch` scores long videos in chunks
and many videos at once, in worker processes. The pose landmarker restarts at fixed
points of every video (:func:`segment_starts`), whether it is scored in one pass or in
chunks, so a video's trace, and so its report, depends only on the video and the model,
never on the number of jobs or the machine.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.analysis import Analyzer, analyze_trace, trace_measures
from formcheck.checkers.rep_checker import RepChecker
from formcheck.errors import FormcheckError, IncompleteInputError, VideoError
from formcheck.exercises.config import ExerciseConfig
from formcheck.formats.report import SignalRecorder, SignalSeries, build_report, signal_series
from formcheck.formats.trace import CacheTicket
from formcheck.pose.adaptive import RateController, RatePolicy, Watch, fill_skipped, policy_key, record
from formcheck.pose.backend import BackendSpec, backend_model_id, open_backend
from formcheck.pose.continuity import Continuity
from formcheck.pose.frame import PoseFrame, PoseTrace, TraceBuilder, TraceMeta
from formcheck.smoothing.one_euro import SmoothingConfig
from formcheck.sources.video import VideoFileSource, VideoInfo, use_one_opencv_thread


@dataclass(slots=True)
class ScoreOptions:
    #: Which pose backend and model (default: MediaPipe's full model).
    pose: BackendSpec = field(default_factory=BackendSpec)
    video_out: Path | None = None
    progress: bool = True
    use_cache: bool = True
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    #: Processes for pose inference: 1 scores in this process; None uses every core
    #: (``formcheck score`` defaults to every core). Any value gives the same report.
    jobs: int | None = 1
    #: The report carries the exercise's per-frame signal series (report.SignalSeries).
    signals: bool = False
    #: Adaptive inference rate (formcheck.pose.adaptive, ``--adaptive-rate``); None (the
    #: default) infers every frame. Opt-in until its accuracy gate passes with real inference
    #: (docs/performance.md). An annotated video (``video_out``) always infers every frame.
    rate: RatePolicy | None = None
    #: What the adaptive rate follows: the exercise's measures and thresholds, set by
    #: :func:`for_exercise` (score_video and iter_scores call it). None: every frame.
    watch: Watch | None = None


def for_exercise(opts: ScoreOptions, cfg: ExerciseConfig) -> ScoreOptions:
    """``opts`` with the adaptive rate watching ``cfg``'s measures and thresholds."""
    if opts.rate is None or opts.watch is not None:
        return opts
    return replace(opts, watch=Watch.of(cfg))


def adaptive(opts: ScoreOptions) -> bool:
    """Whether scoring with ``opts`` infers at the adaptive rate (else every frame)."""
    return opts.rate is not None and opts.watch is not None and opts.video_out is None


@dataclass(slots=True)
class ScoreResult:
    report: dict[str, Any]
    trace: PoseTrace
    checker: RepChecker
    inference_ran: bool


_END = object()

#: The landmarker restarts at the start of each segment of a video (see segment_starts).
MIN_SEGMENT_S = 8.0
MAX_SEGMENTS = 32
#: A chunk starting mid-video first decodes this much before its start, for cut detection.
PRIME_S = 1.0
#: Bumped whenever the restart grid changes: part of the trace cache key.
SEGMENTING = "seg1"


def segment_starts(info: VideoInfo) -> list[float]:
    """Times (s) inside a video where the pose landmarker starts afresh.

    The video's duration is cut into 2**k equal segments, as many as keep each at least
    ``MIN_SEGMENT_S`` long (at most ``MAX_SEGMENTS``; videos under 16 s are one segment).
    MediaPipe's VIDEO mode carries tracking state from frame to frame and two runs that
    start at different frames never converge to the same landmarks; restarting at the
    same points in every run makes the landmarks after a restart depend only on the
    frames from there on. A chunk is then a run of whole segments, and chunks scored in
    parallel give exactly the trace of one pass, for any number of chunks. The cost is
    one landmarker start (~70-120 ms) and one person detection per segment.
    """
    duration = info.duration_s
    n = 1
    while 2 * n <= MAX_SEGMENTS and duration / (2 * n) >= MIN_SEGMENT_S:
        n *= 2
    return [duration * i / n for i in range(1, n)]


def restart_frames(trace: PoseTrace) -> np.ndarray:
    """(T,) bool: the frames of a video's trace where its landmarker restarted (the first
    frame at or after each of :func:`segment_starts`, the duration taken from the trace)."""
    from types import SimpleNamespace

    n = len(trace)
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    duration = float(trace.t_s[-1] - trace.t_s[0]) + float(np.median(np.diff(trace.t_s)))
    for g in segment_starts(SimpleNamespace(duration_s=duration)):  # type: ignore[arg-type]
        i = int(np.searchsorted(trace.t_s, trace.t_s[0] + g))
        if i < n:
            out[i] = True
    return out


def expected_frames(info: VideoInfo, start_s: float = 0.0, end_s: float = math.inf) -> int:
    """About how many frames a time range of a video holds (from the container's counts)."""
    if start_s <= 0 and math.isinf(end_s):
        return max(info.frames, 0)
    return max(0, round((min(end_s, info.duration_s) - max(start_s, 0.0)) * info.fps))


#: Decoder threads for offline scoring: one decodes 720p ~6x faster than the lite model
#: infers, with less CPU than several (which chunks scored in parallel need).
DECODE_THREADS = 1


def frame_key(t_s: float, frame: np.ndarray) -> tuple[float, int]:
    """A frame's identity, to check that adjacent chunks meet at the same frame."""
    return float(t_s), zlib.crc32(np.ascontiguousarray(frame).data)


class _DecodeAhead:
    """The source's frames, decoded on a background thread ``depth`` frames ahead. The
    thread starts at once (not at the first frame asked for), so decoding overlaps what the
    caller does first, e.g. loading the model. :meth:`close` stops it (iterating to the end,
    or leaving the loop, closes too)."""

    def __init__(self, source: VideoFileSource, depth: int = 2) -> None:
        self._q: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._source = source
        self._thread = threading.Thread(target=self._work, name="formcheck-decode", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        try:
            for item in self._source:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as e:  # hand decoder errors to the consumer
            self._put(e)

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        try:
            while True:
                item = self._q.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)


def _decode_ahead(source: VideoFileSource, depth: int = 2) -> _DecodeAhead:
    return _DecodeAhead(source, depth)


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total or None, desc=desc, unit="frame", disable=not enabled, leave=False, dynamic_ncols=True)


def infer_trace(
    video: Path,
    opts: ScoreOptions,
    on_frame=None,
    start_s: float = 0.0,
    end_s: float = float("inf"),
) -> tuple[PoseTrace, VideoInfo, BaseException | None]:
    """Pose inference over a video (or a time range of it) → trace.

    ``on_frame(t_s, frame_bgr, pose)`` is called for each frame (for live analysis and
    drawing). An exception midway is returned, not raised, with the partial trace. A range
    starting mid-video should start at one of :func:`segment_starts` to match one pass.
    """
    run = run_inference(video, opts, start_s, end_s, on_frame=on_frame)
    return run.trace, run.info, run.error


@dataclass(slots=True)
class InferenceRun:
    """Pose inference over a time range of a video: the trace and how the range ended.

    ``first_key``/``next_key`` identify the range's first frame and the first frame after
    it (:func:`frame_key`; None when there was none), so adjacent chunks can be checked to
    meet exactly.
    """

    trace: PoseTrace
    info: VideoInfo
    error: BaseException | None = None
    first_key: tuple[float, int] | None = None
    next_key: tuple[float, int] | None = None
    #: The finished analysis of the trace when it already ran frame by frame (while drawing
    #: the annotated video): the checker and the signal series (None unless asked for).
    analyzed: tuple[RepChecker, SignalSeries | None] | None = None
    #: Why the annotated video could not be written (scoring went on without it), or None.
    video_error: str | None = None


def run_inference(
    video: Path,
    opts: ScoreOptions,
    start_s: float = 0.0,
    end_s: float = math.inf,
    *,
    on_frame: Callable[[float, np.ndarray, Any], None] | None = None,
    progress: Callable[[int], None] | None = None,
    stop: Any = None,
) -> InferenceRun:
    """:func:`infer_trace` with the details chunked scoring needs.

    The landmarker restarts at each of :func:`segment_starts` inside the range. A range
    starting mid-video first decodes ``PRIME_S`` before it for cut detection. ``progress(n)``
    is told of frames done (default: a progress bar when ``opts.progress``); a set
    ``stop`` event ends the run as if interrupted.
    """
    video = Path(video)
    use_one_opencv_thread()
    source = VideoFileSource(
        video, start_s=max(0.0, start_s - PRIME_S) if start_s > 0 else 0.0, end_s=end_s, threads=DECODE_THREADS
    )
    info = source.info
    restarts = [g for g in segment_starts(info) if start_s < g < end_s]
    meta = TraceMeta(str(video), backend_model_id(opts.pose), info.fps, info.width, info.height)
    expected = expected_frames(info, start_s, end_s)
    builder = TraceBuilder(meta, capacity=max(16, expected + 8))
    run = InferenceRun(builder.build(), info)
    bar = None
    frames = _decode_ahead(source)  # decoding starts while the model loads
    try:
        backend = open_backend(opts.pose, progress=opts.progress)
    except BaseException:
        frames.close()
        source.close()
        raise
    continuity = Continuity()
    aspect = info.width / info.height if info.width > 0 and info.height > 0 else 1.0
    rate = RateController(opts.rate, opts.watch, aspect, info.fps) if adaptive(opts) and on_frame is None else None  # type: ignore[arg-type]
    inferred: list[bool] = []
    # The last frame skipped, inferred after all when a cut or a restart follows it, or the
    # stream ends (so interpolation never spans either): (index, t, frame, cut).
    pending: tuple[int, float, np.ndarray, bool] | None = None

    def infer(i: int, t: float, frame: np.ndarray, cut: bool) -> None:
        pose = continuity.mark_scanned(est.detect(frame, t), cut, aspect)
        if i == len(builder):
            builder.append(pose)
            inferred.append(True)
        else:
            builder.set(i, pose)
            inferred[i] = True
        if rate is not None:
            rate.inferred(pose)
        if on_frame is not None:
            on_frame(t, frame, pose)

    try:
        if progress is None:
            bar = _progress(max(expected, 0), video.name, opts.progress)
            progress = bar.update
        with backend as est:
            for t, frame in frames:
                if stop is not None and stop.is_set():
                    raise KeyboardInterrupt
                if t < start_s:
                    continuity.observe(frame, t)
                    continue
                if run.first_key is None:
                    run.first_key = frame_key(t, frame)
                cut = continuity.scan(frame, t)
                if restarts and t >= restarts[0]:
                    while restarts and t >= restarts[0]:
                        restarts.pop(0)
                    if pending is not None:
                        infer(*pending)
                        pending = None
                    est.restart()
                    if rate is not None:
                        rate.reset()
                if cut and pending is not None:
                    infer(*pending)
                pending = None
                i = len(builder)
                if rate is None or cut or rate.due(t):
                    infer(i, t, frame, cut)
                else:
                    builder.append(PoseFrame.empty(t))
                    inferred.append(False)
                    pending = (i, t, frame, cut)
                progress(1)
            if pending is not None:
                infer(*pending)
                pending = None
    except (FormcheckError, OSError, RuntimeError, ValueError, KeyboardInterrupt) as e:
        run.error = e
    finally:
        source.close()
        if bar is not None:
            bar.close()
    if run.error is None and source.stopped_early is not None:
        at_s, of_s = source.stopped_early
        run.error = IncompleteInputError(
            f"{video.name}: decoding stopped at {at_s:.1f} s of {of_s:.1f} s (the file is truncated or corrupt)"
        )
    if run.error is None and source.next_frame is not None:
        run.next_key = frame_key(*source.next_frame)
    run.trace = builder.build()
    if rate is not None:
        mask = np.array(inferred, dtype=bool)
        run.trace = fill_skipped(run.trace, mask)
        record(run.trace.meta, mask[: len(run.trace)], policy_key(opts.rate, opts.watch))
    return run


class _Renderer:
    """Draws the overlay and encodes the annotated video on its own thread, a bounded
    queue behind inference (the per-frame analysis for the drawing runs there too)."""

    def __init__(self, cfg: ExerciseConfig, opts: ScoreOptions, fps: float, depth: int = 4) -> None:
        self.cfg, self.opts, self.fps = cfg, opts, fps
        self._q: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        #: After close(): the analysis of every frame drawn (see InferenceRun.analyzed).
        self.analyzed: tuple[RepChecker, SignalSeries | None] | None = None
        self._thread = threading.Thread(target=self._work, name="formcheck-encode", daemon=True)
        self._thread.start()

    def submit(self, t: float, frame: np.ndarray, pose) -> None:
        if self.error is not None:
            return  # the video failed; the scoring goes on without it
        self._q.put((t, frame, pose))

    def _work(self) -> None:
        from formcheck.sinks.overlay import Annotator
        from formcheck.sinks.video import VideoSink

        analyzer = None
        signals = SignalRecorder(self.cfg) if self.opts.signals else None
        ended = False  # the producer's end mark was taken from the queue
        try:
            with contextlib.ExitStack() as stack:  # the sink is closed (or discarded on an error) here
                sink = annotator = None
                while (item := self._q.get()) is not _END:
                    _t, frame, pose = item
                    if analyzer is None:
                        h, w = frame.shape[:2]
                        analyzer = Analyzer(self.cfg, w / h, self.opts.smoothing)
                        annotator = Annotator.for_exercise(self.cfg, (w, h))
                        sink = stack.enter_context(VideoSink(self.opts.video_out, self.fps, (w, h)))
                    out = analyzer.update(pose)
                    if signals is not None:
                        signals.append(out.measures.t_s, out.measures.values)
                    sink.write(annotator.annotate(frame, out.pose, analyzer.checker.state()))
                ended = True
        except BaseException as e:  # e.g. the disk filled: reported, never a thread traceback
            self.error = e
            while not ended and self._q.get() is not _END:
                pass  # drain, so the producer never blocks
            return
        if analyzer is not None:
            # The analysis of record: every frame of the trace went through it, so it is the
            # whole-trace analysis (tests/test_analysis.py), and need not run a second time.
            analyzer.finish()
            self.analyzed = (analyzer.checker, signals.build() if signals is not None else None)

    def close(self) -> None:
        self._q.put(_END)
        self._thread.join()


def render_inference(
    video: Path,
    cfg: ExerciseConfig,
    opts: ScoreOptions,
    *,
    progress: Callable[[int], None] | None = None,
    stop: Any = None,
) -> InferenceRun:
    """Inference over a whole video while writing the annotated copy to ``opts.video_out``."""
    assert opts.video_out is not None
    renderer = _Renderer(cfg, opts, _fps_guess(Path(video)))
    try:
        run = run_inference(video, opts, on_frame=renderer.submit, progress=progress, stop=stop)
    finally:
        renderer.close()
    if renderer.error is not None:  # the measurement stands; the video is reported as not written
        e = renderer.error
        run.video_error = str(e) if isinstance(e, FormcheckError) else f"Cannot write video {opts.video_out}: {e}."
    run.analyzed = renderer.analyzed  # None when the drawing failed: the trace is analysed instead
    return run


def note_video_error(result: ScoreResult, error: str | None) -> ScoreResult:
    """Record in the report that the annotated video could not be written (``video_out_error``)."""
    if error:
        result.report["video_out_error"] = error
    return result


def options_per_video(opts: ScoreOptions | Sequence[ScoreOptions] | None, n: int) -> list[ScoreOptions]:
    """One ScoreOptions for each of ``n`` videos, from one for all or one per video."""
    if opts is None or isinstance(opts, ScoreOptions):
        return [opts or ScoreOptions()] * n
    out = list(opts)
    if len(out) != n:
        raise ValueError(f"got {len(out)} ScoreOptions for {n} videos")
    return out


def check_video_path(video: Path) -> None:
    """A missing file or a folder is a clear error (decoding is checked later)."""
    if not video.exists():
        raise VideoError(f"{video}: no such file")
    if video.is_dir():
        raise VideoError(f"{video} is a folder, not a video file")


def _cache_extra(opts: ScoreOptions) -> str:
    rate = policy_key(opts.rate, opts.watch) if adaptive(opts) else policy_key(None, None)
    return f"poses={opts.pose.num_poses};{SEGMENTING};rate={rate}"


def cache_ticket(video: Path, opts: ScoreOptions) -> CacheTicket | None:
    """The video's content hash and file identity, taken before it is decoded (None when
    the cache is off). Its hash is the cache key; :func:`finish_score` stores the trace
    only if the file still holds that content after scoring."""
    cache = _cache(opts)
    if cache is None or not cache.enabled():
        return None
    return cache.ticket(video)


def cached_trace(video: Path, opts: ScoreOptions, ticket: CacheTicket | None = None) -> PoseTrace | None:
    """The video's trace from the trace cache, when it holds it (and no video is asked for)."""
    cache = _cache(opts)
    if cache is None or opts.video_out is not None:
        return None
    return cache.get(video, backend_model_id(opts.pose), _cache_extra(opts), ticket=ticket)


def cached_result(
    video: Path,
    cfg: ExerciseConfig,
    opts: ScoreOptions,
    trace: PoseTrace | None = None,
    ticket: CacheTicket | None = None,
) -> ScoreResult | None:
    """The result from the trace cache (or from ``trace``, found there already), or None."""
    trace = trace if trace is not None else cached_trace(video, opts, ticket)
    if trace is None:
        return None
    checker, signals = _analyze(trace, cfg, opts)
    report = build_report(
        checker, source=str(video), model=backend_model_id(opts.pose), duration_s=_duration(trace), signals=signals
    )
    report["inference"] = "cached"
    return ScoreResult(report, trace, checker, inference_ran=False)


def finish_score(
    video: Path,
    cfg: ExerciseConfig,
    opts: ScoreOptions,
    trace: PoseTrace,
    error: BaseException | str | None,
    ticket: CacheTicket | None = None,
    analyzed: tuple[RepChecker, SignalSeries | None] | None = None,
) -> ScoreResult:
    """The report of a trace just inferred.

    The trace is cached when it is complete and ``ticket`` (:func:`cache_ticket`, taken
    before decoding) shows the file still holds the content it had then; a video that
    changed while it was scored gets ``complete: false`` (the trace may mix two files).
    ``analyzed``: the checker (and signals) of the trace when its frames were already
    analysed one by one while drawing; else the analysis runs over the trace, identical to
    rescoring it later.
    """
    checker, signals = analyzed if analyzed is not None else _analyze(trace, cfg, opts)
    cache = _cache(opts)
    if error is None and ticket is not None and cache is not None and not cache.unchanged(ticket):
        error = IncompleteInputError(f"{video.name} changed while it was being scored (the result may mix two files)")
    complete = error is None
    mid = backend_model_id(opts.pose)
    report = build_report(
        checker,
        source=str(video),
        model=mid,
        duration_s=_duration(trace),
        complete=complete,
        error=None if complete else _describe(error),
        signals=signals,
    )
    report["inference"] = "ran"
    if isinstance(error, IncompleteInputError):
        report["input_incomplete"] = True  # the CLI's exit code 4
    if complete and cache is not None and ticket is not None and len(trace):
        cache.put(video, mid, trace, _cache_extra(opts), ticket=ticket)
    return ScoreResult(report, trace, checker, inference_ran=True)


def _analyze(trace: PoseTrace, cfg: ExerciseConfig, opts: ScoreOptions) -> tuple[RepChecker, SignalSeries | None]:
    """The finished checker over the trace, and the signal series when asked for."""
    measures = trace_measures(trace, opts.smoothing, only=cfg.measures_used(), height_cm=cfg.height_cm)
    checker = analyze_trace(trace, cfg, opts.smoothing, measures=measures)
    return checker, signal_series(cfg, trace.t_s, measures[0]) if opts.signals else None


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


def _describe(e: BaseException | str | None) -> str:
    if e is None:
        return ""
    if isinstance(e, str):
        return e
    if isinstance(e, KeyboardInterrupt):
        from formcheck.runtime.interrupts import interruption_text

        return interruption_text(e)
    return str(e) or type(e).__name__


def _cache(opts: ScoreOptions):
    if not opts.use_cache:
        return None
    try:
        from formcheck.formats.trace import TraceCache
    except ImportError:
        return None
    return TraceCache()
