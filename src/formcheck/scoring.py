"""Offline scoring of recorded videos: source → pose → analysis → sinks.

One video in one process is a three-stage pipeline: decoding runs on its own thread one
bounded queue ahead of inference, and with ``video_out`` drawing and encoding run on a
third thread one bounded queue behind it, so decoding, inference and encoding overlap
(OpenCV and MediaPipe release the GIL). Frames are streamed, never all held. If anything
fails midway the checker is closed and what was measured is still reported (with
``complete: false``) and the trace is kept.

With ``ScoreOptions.jobs`` above 1, :mod:`formcheck.batch` scores long videos in chunks
and many videos at once, in worker processes. The pose landmarker restarts at fixed
points of every video (:func:`segment_starts`), whether it is scored in one pass or in
chunks, so a video's trace, and so its report, depends only on the video and the model,
never on the number of jobs or the machine.
"""

from __future__ import annotations

import math
import queue
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.analysis import Analyzer, analyze_trace
from formcheck.checkers.rep_checker import RepChecker
from formcheck.config import ExerciseConfig
from formcheck.errors import FormcheckError, IncompleteInputError, VideoError
from formcheck.pose.frame import PoseTrace, TraceBuilder, TraceMeta
from formcheck.report import build_report
from formcheck.smoothing import SmoothingConfig
from formcheck.sources.video import VideoFileSource, VideoInfo, use_one_opencv_thread
from formcheck.trace import CacheTicket


@dataclass(slots=True)
class ScoreOptions:
    model: str = "full"  # lite | full | heavy | path to a .task file
    model_dir: Path | None = None
    num_poses: int = 1
    video_out: Path | None = None
    progress: bool = True
    use_cache: bool = True
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    #: Processes for pose inference: 1 scores in this process; None uses every core
    #: (``formcheck score`` defaults to every core). Any value gives the same report.
    jobs: int | None = 1


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


def _decode_ahead(source: VideoFileSource, depth: int = 2) -> Iterator[tuple[float, np.ndarray]]:
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
    from formcheck.pose.estimator import PoseEstimator
    from formcheck.pose.models import resolve_model

    video = Path(video)
    use_one_opencv_thread()
    source = VideoFileSource(
        video, start_s=max(0.0, start_s - PRIME_S) if start_s > 0 else 0.0, end_s=end_s, threads=DECODE_THREADS
    )
    info = source.info
    restarts = [g for g in segment_starts(info) if start_s < g < end_s]
    meta = TraceMeta(str(video), model_id(opts.model), info.fps, info.width, info.height)
    expected = expected_frames(info, start_s, end_s)
    builder = TraceBuilder(meta, capacity=max(16, expected + 8))
    run = InferenceRun(builder.build(), info)
    bar = None
    try:
        model_path = resolve_model(opts.model, opts.model_dir, progress=opts.progress)
    except BaseException:
        source.close()
        raise
    try:
        if progress is None:
            bar = _progress(max(expected, 0), video.name, opts.progress)
            progress = bar.update
        with PoseEstimator(model_path, num_poses=opts.num_poses) as est:
            for t, frame in _decode_ahead(source):
                if stop is not None and stop.is_set():
                    raise KeyboardInterrupt
                if t < start_s:
                    est.observe(frame, t)
                    continue
                if run.first_key is None:
                    run.first_key = frame_key(t, frame)
                if restarts and t >= restarts[0]:
                    while restarts and t >= restarts[0]:
                        restarts.pop(0)
                    est.restart()
                pose = est.detect(frame, t)
                builder.append(pose)
                if on_frame is not None:
                    on_frame(t, frame, pose)
                progress(1)
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
    return run


class _Renderer:
    """Draws the overlay and encodes the annotated video on its own thread, a bounded
    queue behind inference (the per-frame analysis for the drawing runs there too)."""

    def __init__(self, cfg: ExerciseConfig, opts: ScoreOptions, fps: float, depth: int = 4) -> None:
        self.cfg, self.opts, self.fps = cfg, opts, fps
        self._q: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="formcheck-encode", daemon=True)
        self._thread.start()

    def submit(self, t: float, frame: np.ndarray, pose) -> None:
        if self.error is not None:
            return  # the video failed; the scoring goes on without it
        self._q.put((t, frame, pose))

    def _work(self) -> None:
        from formcheck.sinks.overlay import Annotator
        from formcheck.sinks.video import VideoSink

        sink = annotator = analyzer = None
        try:
            while (item := self._q.get()) is not _END:
                if self.error is not None:
                    continue  # drain, so the producer never blocks
                _t, frame, pose = item
                if analyzer is None:
                    h, w = frame.shape[:2]
                    analyzer = Analyzer(self.cfg, w / h, self.opts.smoothing)
                    annotator = Annotator.for_exercise(self.cfg, (w, h))
                    sink = VideoSink(self.opts.video_out, self.fps, (w, h)).__enter__()
                out = analyzer.update(pose)
                sink.write(annotator.annotate(frame, out.pose, analyzer.checker.state()))
        except BaseException as e:
            self.error = e
            while self._q.get() is not _END:
                pass
        finally:
            if sink is not None:
                try:
                    sink.__exit__(None, None, None)
                except BaseException as e:  # e.g. the disk filled: reported, never a thread traceback
                    self.error = self.error or e

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
    return run


def note_video_error(result: ScoreResult, error: str | None) -> ScoreResult:
    """Record in the report that the annotated video could not be written (``video_out_error``)."""
    if error:
        result.report["video_out_error"] = error
    return result


def score_video(video: str | Path, cfg: ExerciseConfig, opts: ScoreOptions | None = None) -> ScoreResult:
    """Score one recorded video: count and check the reps of ``cfg``'s exercise.

    Inference is skipped when the trace cache already holds this video with this model.
    With ``opts.video_out`` an annotated copy is written. With ``opts.jobs`` other than 1
    a long video is scored in chunks in parallel processes (same report).
    """
    opts = opts or ScoreOptions()
    video = Path(video)
    check_video_path(video)
    ticket = cache_ticket(video, opts)  # the content hash before decoding: the cache key
    cached = cached_result(video, cfg, opts, ticket=ticket)
    if cached is not None:
        return cached
    VideoFileSource(video).close()  # fail early on a missing/corrupt file, before loading a model
    if opts.jobs != 1:
        from formcheck.batch import score_videos

        return score_videos([video], cfg, opts)[0]
    run = render_inference(video, cfg, opts) if opts.video_out is not None else run_inference(video, opts)
    return note_video_error(finish_score(video, cfg, opts, run.trace, run.error, ticket=ticket), run.video_error)


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
    return f"poses={opts.num_poses};{SEGMENTING}"


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
    return cache.get(video, model_id(opts.model), _cache_extra(opts), ticket=ticket)


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
    checker = analyze_trace(trace, cfg, opts.smoothing)
    report = build_report(checker, source=str(video), model=model_id(opts.model), duration_s=_duration(trace))
    report["inference"] = "cached"
    return ScoreResult(report, trace, checker, inference_ran=False)


def finish_score(
    video: Path,
    cfg: ExerciseConfig,
    opts: ScoreOptions,
    trace: PoseTrace,
    error: BaseException | str | None,
    ticket: CacheTicket | None = None,
) -> ScoreResult:
    """The report of a trace just inferred.

    The trace is cached when it is complete and ``ticket`` (:func:`cache_ticket`, taken
    before decoding) shows the file still holds the content it had then; a video that
    changed while it was scored gets ``complete: false`` (the trace may mix two files).
    """
    # The analysis of record runs over the trace: identical to rescoring it later.
    checker = analyze_trace(trace, cfg, opts.smoothing)
    cache = _cache(opts)
    if error is None and ticket is not None and cache is not None and not cache.unchanged(ticket):
        error = IncompleteInputError(f"{video.name} changed while it was being scored (the result may mix two files)")
    complete = error is None
    mid = model_id(opts.model)
    report = build_report(
        checker,
        source=str(video),
        model=mid,
        duration_s=_duration(trace),
        complete=complete,
        error=None if complete else _describe(error),
    )
    report["inference"] = "ran"
    if isinstance(error, IncompleteInputError):
        report["input_incomplete"] = True  # the CLI's exit code 4
    if complete and cache is not None and ticket is not None and len(trace):
        cache.put(video, mid, trace, _cache_extra(opts), ticket=ticket)
    return ScoreResult(report, trace, checker, inference_ran=True)


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
        from formcheck.interrupts import interruption_text

        return interruption_text(e)
    return str(e) or type(e).__name__


def _cache(opts: ScoreOptions):
    if not opts.use_cache:
        return None
    try:
        from formcheck.trace import TraceCache
    except ImportError:
        return None
    return TraceCache()
