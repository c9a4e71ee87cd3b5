"""Scoring on every core: long videos in chunks, many videos at once.

Pose inference is the cost, and one MediaPipe landmarker uses about one core. So the
work is cut into *tasks*, each a time range of one video scored by its own landmarker:

- many videos (at least as many as jobs): one task per video, largest first;
- fewer videos than jobs: each video is cut into chunks of whole segments (the segments
  at whose starts the landmarker restarts anyway, :func:`formcheck.programs.scoring.segment_starts`),
  so that the chunks' traces put end to end are exactly the trace of one pass;
- a video with an annotated copy (``video_out``) is one task: decoding, inference and
  encoding overlap inside it.

Tasks run in ``jobs - 1`` worker processes (spawned: MediaPipe is not fork-safe once
initialised) plus a thread of this process, so ``jobs`` landmarkers run at once. Each
task streams its frames (bounded queues) and returns only the pose trace (~1.2 kB a
frame). The analysis (smoothing, measures, checker) runs once per video, here, over the
whole trace: the checker never sees a chunk boundary. Adjacent chunks are checked to
meet at the same frame; should they not (a video that cannot be seeked exactly), that
video is scored again in one pass.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import math
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.errors import FormcheckError, IncompleteInputError, ModelError
from formcheck.exercises.config import ExerciseConfig
from formcheck.formats.trace import CacheTicket
from formcheck.pose.adaptive import inferred_mask, record
from formcheck.pose.backend import backend_model_id
from formcheck.pose.continuity import mark_joins
from formcheck.pose.frame import PoseTrace, TraceMeta
from formcheck.programs.scoring import (
    ScoreOptions,
    ScoreResult,
    cache_ticket,
    cached_result,
    cached_trace,
    check_video_path,
    expected_frames,
    finish_score,
    for_exercise,
    note_video_error,
    options_per_video,
    render_inference,
    run_inference,
    segment_starts,
)
from formcheck.sources.video import VideoFileSource

__all__ = ["default_jobs", "iter_scores", "plan_chunks", "score_video", "score_videos"]

log = logging.getLogger(__name__)

#: Chunks of a long video per landmarker (each a run of whole segments).
CHUNKS_PER_LANDMARKER = 2
#: Workers report progress at most this often (seconds).
_PROGRESS_EVERY_S = 0.25


def default_jobs() -> int:
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def plan_chunks(starts: Sequence[float], n_chunks: int, end_s: float = math.inf) -> list[tuple[float, float]]:
    """Split a video whose segments start at ``[0, *starts]`` into at most ``n_chunks``
    contiguous runs of whole segments, as even in segment count as possible."""
    bounds = [0.0, *starts]
    n_seg = len(bounds)
    k = max(1, min(n_chunks, n_seg))
    cuts = [round(i * n_seg / k) for i in range(k + 1)]
    return [(bounds[cuts[i]], bounds[cuts[i + 1]] if i + 1 < k else end_s) for i in range(k)]


@dataclass(frozen=True, slots=True)
class _Task:
    video_index: int
    part: int
    video: Path
    opts: ScoreOptions
    start_s: float = 0.0
    end_s: float = math.inf
    cfg: ExerciseConfig | None = None  # set: also render opts.video_out (whole video only)
    weight: float = 0.0  # expected cost, to start the biggest tasks first
    check_cache: bool = False  # look in the trace cache first (hashing the video there, not here)


@dataclass(slots=True)
class _Part:
    """What a task sends back: small and picklable (no exception objects, no frames)."""

    trace: PoseTrace
    error: str | None = None
    fatal: str | None = None  # a ModelError: stop everything
    cached: bool = False  # the trace came from the trace cache
    interrupted: bool = False
    first_key: tuple[float, int] | None = None
    next_key: tuple[float, int] | None = None
    analyzed: Any = None  # a rendering task's finished analysis (InferenceRun.analyzed)
    video_error: str | None = None  # the annotated video could not be written (the scoring stands)
    input_incomplete: bool = False  # the error is an IncompleteInputError (a truncated video)
    ticket: CacheTicket | None = None  # the video's content hash, when the task took it


def _empty_trace(video: Path, opts: ScoreOptions) -> PoseTrace:
    return PoseTrace.from_frames([], TraceMeta(str(video), backend_model_id(opts.pose)))


def _run_task(task: _Task, progress, stop) -> _Part:
    ticket = None
    try:
        if task.check_cache:
            ticket = cache_ticket(task.video, task.opts)
            if (trace := cached_trace(task.video, task.opts, ticket)) is not None:
                return _Part(trace, cached=True)
        if task.cfg is not None:
            run = render_inference(task.video, task.cfg, task.opts, progress=progress, stop=stop)
        else:
            run = run_inference(task.video, task.opts, task.start_s, task.end_s, progress=progress, stop=stop)
    except ModelError as e:
        return _Part(_empty_trace(task.video, task.opts), str(e), fatal=str(e))
    except (FormcheckError, OSError, RuntimeError, ValueError) as e:
        return _Part(_empty_trace(task.video, task.opts), str(e) or type(e).__name__)
    error = run.error
    return _Part(
        run.trace,
        None if error is None else ("interrupted by the user" if isinstance(error, KeyboardInterrupt) else str(error)),
        interrupted=isinstance(error, KeyboardInterrupt),
        first_key=run.first_key,
        next_key=run.next_key,
        analyzed=run.analyzed,
        video_error=run.video_error,
        input_incomplete=isinstance(error, IncompleteInputError),
        ticket=ticket,
    )


# ---------------------------------------------------------------- worker processes
_worker_progress: Any = None
_worker_stop: Any = None


def _worker_init(progress_q, stop, parent_pid: int) -> None:
    global _worker_progress, _worker_stop
    # The parent handles Ctrl-C, SIGTERM and SIGHUP (a terminal's hangup reaches the whole
    # process group) and tells us through `stop`, so what we measured is returned, not lost.
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, signal.SIG_IGN)
    _worker_progress, _worker_stop = progress_q, stop
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), name="formcheck-orphan-watch", daemon=True).start()


#: How often a worker checks that its parent is alive (seconds).
_PARENT_POLL_S = 0.25


def _exit_with_parent(parent_pid: int) -> None:
    """End this worker as soon as its parent is gone (killed with SIGKILL, crashed): a worker
    holds a model (~200 MB) and would otherwise wait forever for work. An orphan is adopted by
    init or a subreaper, so its parent pid changes; polling that works on any POSIX system and
    whichever thread created the worker (prctl's PDEATHSIG follows the creating thread)."""
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(_PARENT_POLL_S)


def _worker_run(task: _Task) -> _Part:
    pending = 0
    last = time.monotonic()

    def progress(n: int) -> None:
        nonlocal pending, last
        pending += n
        now = time.monotonic()
        if now - last >= _PROGRESS_EVERY_S:
            _worker_progress.put(pending)
            pending, last = 0, now

    try:
        return _run_task(task, progress, _worker_stop)
    finally:
        if pending:
            _worker_progress.put(pending)


# ---------------------------------------------------------------- the scheduler
@dataclass(slots=True)
class _Video:
    path: Path
    opts: ScoreOptions
    n_parts: int = 0
    parts: dict[int, _Part] = field(default_factory=dict)
    ticket: CacheTicket | None = None  # content hash before decoding (taken here or by its task)


#: Landmarkers run on threads of this process (MediaPipe releases the GIL while it infers):
#: no worker interpreters to start, libraries and buffers held once. ``FORMCHECK_WORKERS=
#: processes`` runs them in worker processes instead (plus a thread of this process).
def _use_processes() -> bool:
    return os.environ.get("FORMCHECK_WORKERS", "threads").strip().lower() == "processes"


class _Runner:
    """Runs tasks on ``jobs`` landmarkers: threads of this process (default), or worker
    processes plus a thread of this process."""

    def __init__(self, tasks: list[_Task], jobs: int, bar, frame_bar: bool) -> None:
        self._todo = deque(sorted(tasks, key=lambda t: -t.weight))  # biggest first: the last ones end together
        self._lock = threading.Lock()
        self._done: queue.Queue[tuple[_Task, _Part]] = queue.Queue()
        self._bar = bar if frame_bar else None  # a bar counting frames (else the caller counts videos)
        landmarkers = min(jobs, len(tasks))
        n_workers = landmarkers - 1 if _use_processes() else 0
        self._n_threads = 1 if n_workers > 0 else landmarkers
        self._ctx = multiprocessing.get_context("spawn")
        self._stop = self._ctx.Event() if n_workers > 0 else threading.Event()
        self._progress_q = self._ctx.Queue() if n_workers > 0 else None
        self._pool = (
            cf.ProcessPoolExecutor(
                n_workers, mp_context=self._ctx, initializer=_worker_init,
                initargs=(self._progress_q, self._stop, os.getpid()),
            )
            if n_workers > 0
            else None
        )
        self._n_workers = n_workers
        self._running: dict[cf.Future, _Task] = {}
        self._local_frames = 0
        self._threads: list[threading.Thread] = []

    def _take(self) -> _Task | None:
        with self._lock:
            return self._todo.popleft() if self._todo else None

    def _local_progress(self, n: int) -> None:
        with self._lock:
            self._local_frames += n

    def _local_loop(self) -> None:
        while not self._stop.is_set() and (task := self._take()) is not None:
            try:
                part = _run_task(task, self._local_progress, self._stop)
            except BaseException as e:  # never leave the scheduler waiting
                part = _Part(_empty_trace(task.video, task.opts), f"{type(e).__name__}: {e}")
            self._done.put((task, part))

    def _submit_more(self) -> None:
        while self._pool is not None and len(self._running) < self._n_workers and not self._stop.is_set():
            task = self._take()
            if task is None:
                return
            self._running[self._pool.submit(_worker_run, task)] = task

    def _pump_progress(self) -> None:
        n = 0
        if self._progress_q is not None:
            with contextlib.suppress(queue.Empty):
                while True:
                    n += self._progress_q.get_nowait()
        with self._lock:
            n, self._local_frames = n + self._local_frames, 0
        if n and self._bar is not None:
            self._bar.update(n)

    def results(self) -> Iterator[tuple[_Task, _Part]]:
        """Each task's part as it finishes. On Ctrl-C, running tasks return what they did
        so far (marked interrupted) and the tasks not started are dropped."""
        if self._n_workers == 0 and self._n_threads <= 1:
            # One landmarker: run here, in the calling thread (no extra threads, no pool).
            update = self._bar.update if self._bar is not None else self._local_progress
            while (task := self._take()) is not None:
                part = _run_task(task, update, self._stop)
                yield task, part
                if part.interrupted:
                    return
            return
        self._submit_more()
        self._threads = [
            threading.Thread(target=self._local_loop, name=f"formcheck-infer-{k}", daemon=True)
            for k in range(self._n_threads)
        ]
        for th in self._threads:
            th.start()
        while True:
            try:
                while self._running or any(th.is_alive() for th in self._threads) or not self._done.empty():
                    if self._running:
                        finished, _ = cf.wait(list(self._running), timeout=0.1, return_when=cf.FIRST_COMPLETED)
                    else:  # only this process's thread is left: sleep on its results
                        finished = set()
                        with contextlib.suppress(queue.Empty):
                            yield self._done.get(timeout=0.1)
                    self._pump_progress()
                    for fut in finished:
                        task = self._running.pop(fut)
                        try:
                            part = fut.result()
                        except Exception as e:  # a worker that died (out of memory, killed)
                            part = _Part(_empty_trace(task.video, task.opts), f"the worker process failed: {e}")
                        yield task, part
                    self._submit_more()
                    while True:
                        try:
                            yield self._done.get_nowait()
                        except queue.Empty:
                            break
                return
            except KeyboardInterrupt:
                # Workers ignore SIGINT: tell them, and this process's thread, to stop;
                # they return what they measured so far.
                self._stop.set()
                with self._lock:
                    self._todo.clear()

    def close(self) -> None:
        self._stop.set()
        for th in self._threads:
            th.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def leftovers(self) -> Iterator[tuple[_Task, _Part]]:
        """After :meth:`close`: the parts finished (or stopped midway) that :meth:`results`
        never handed out, because a signal ended the caller between two of them."""
        while True:
            try:
                yield self._done.get_nowait()
            except queue.Empty:
                break
        for fut, task in self._running.items():
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                yield task, fut.result()
        self._running.clear()
        if self._progress_q is not None:
            self._progress_q.close()
            self._progress_q.join_thread()


def _assemble(video: _Video) -> tuple[PoseTrace, BaseException | str | None, bool]:
    """The video's trace from its parts, in order. Returns (trace, error, aligned).

    Parts after the first failed or missing one are dropped (a trace has no holes).
    ``aligned`` is False when two adjacent parts do not meet at the same frame. The first
    frame of each part gets the jump check against the previous part's last frame, which
    its own landmarker could not make.
    """
    kept: list[_Part] = []
    error = None
    for i in range(video.n_parts):
        part = video.parts.get(i)
        if part is None:
            error = "interrupted by the user"
            break
        if kept and (len(part.trace) or part.error is None):
            prev_next = kept[-1].next_key
            if len(part.trace) == 0 and prev_next is None:
                continue  # the video ended before this chunk (the container overstated its length)
            if prev_next != part.first_key:
                return _empty_trace(video.path, video.opts), None, False
        kept.append(part)
        if part.error is not None:
            error = IncompleteInputError(part.error) if part.input_incomplete else part.error
            break
    traces = [p.trace for p in kept if len(p.trace)]
    if not traces:
        return _empty_trace(video.path, video.opts), error, True
    trace = _concat(traces)
    mark_joins(trace, np.cumsum([len(t) for t in traces])[:-1])
    return trace, error, True


def _concat(traces: list[PoseTrace]) -> PoseTrace:
    meta = traces[0].meta
    rate = meta.extra.get("rate") if meta.extra else None
    if rate is not None:  # which frames each chunk inferred, put end to end
        meta = replace(meta, extra=dict(meta.extra))
        record(meta, np.concatenate([inferred_mask(t) for t in traces]), rate)
    return PoseTrace(
        *(np.concatenate([getattr(t, name) for t in traces]) for name in _TRACE_ARRAYS),
        meta=meta,
    )


_TRACE_ARRAYS = ("t_s", "image_xy", "world_xyz", "visibility", "presence", "n_people", "identity_jump")


def _probe(path: Path) -> Any:
    src = VideoFileSource(path)
    src.close()
    return src.info


def _plan(videos: dict[int, _Video], cfg: ExerciseConfig, jobs: int) -> tuple[list[_Task], int, dict[int, str]]:
    """Tasks for the videos to infer; returns (tasks, expected frames or 0 if unknown,
    errors of videos that could not even be opened)."""
    tasks: list[_Task] = []
    errors: dict[int, str] = {}
    if len(videos) >= jobs:  # enough videos to keep every core busy: one task each
        for i, v in videos.items():
            render = cfg if v.opts.video_out is not None else None
            size = float(v.path.stat().st_size)
            tasks.append(_Task(i, 0, v.path, v.opts, cfg=render, weight=size, check_cache=True))
            v.n_parts = 1
        return tasks, 0, errors
    total = 0
    per_video = max(1, math.ceil(jobs / len(videos)))
    for i, v in videos.items():
        try:
            info = _probe(v.path)
        except FormcheckError as e:
            errors[i] = str(e)
            continue
        total += expected_frames(info)
        if v.opts.video_out is not None:
            tasks.append(_Task(i, 0, v.path, v.opts, cfg=cfg, weight=info.duration_s))
            v.n_parts = 1
            continue
        # Two chunks per landmarker where the video has the segments: the adaptive rate makes
        # chunks of equal length unequal in work, and whoever is free takes the next one.
        chunks = plan_chunks(segment_starts(info), CHUNKS_PER_LANDMARKER * per_video)
        for k, (a, b) in enumerate(chunks):
            weight = min(b, info.duration_s) - a
            tasks.append(_Task(i, k, v.path, v.opts, a, b, weight=weight))
        v.n_parts = len(chunks)
    return tasks, total, errors


def iter_scores(
    videos: Sequence[str | Path],
    cfg: ExerciseConfig,
    opts: ScoreOptions | Sequence[ScoreOptions] | None = None,
    jobs: int | None = None,
) -> Iterator[tuple[int, ScoreResult]]:
    """Score videos on ``jobs`` cores (default: ``opts.jobs``, None = every core); yields
    ``(index, result)`` as each video finishes, in no particular order.

    ``opts`` is one ScoreOptions for all videos or one per video (e.g. each its own
    ``video_out``). Results are the same as :func:`score_video` with
    ``jobs=1``. Missing files raise VideoError before any work starts; a file that cannot
    be decoded gives a report with ``complete: false``. A video's trace is held here only
    until the video is done: consume the results as they come for thousands of videos.
    """
    paths = [Path(v) for v in videos]
    all_opts = [for_exercise(o, cfg) for o in options_per_video(opts, len(paths))]
    if jobs is None:
        jobs = all_opts[0].jobs if all_opts else 1
    jobs = default_jobs() if jobs is None else max(1, int(jobs))
    for p in paths:
        check_video_path(p)
    # Few videos: look in the trace cache here (chunks are planned only for the others).
    # Many: each task looks, so hashing thousands of videos for the cache key is spread
    # over the workers instead of delaying the start.
    few = len(paths) < jobs
    to_infer: dict[int, _Video] = {}
    for i, (p, o) in enumerate(zip(paths, all_opts, strict=True)):
        ticket = cache_ticket(p, o) if few else None
        cached = cached_result(p, cfg, o, ticket=ticket) if few else None
        if cached is not None:
            yield i, cached
        else:
            to_infer[i] = _Video(p, replace(o, progress=False, jobs=1), ticket=ticket)
    if not to_infer:
        return
    tasks, total_frames, errors = _plan(to_infer, cfg, jobs)
    for i, msg in errors.items():
        v = to_infer.pop(i)
        yield i, finish_score(v.path, cfg, all_opts[i], _empty_trace(v.path, v.opts), msg)
    if not tasks:
        return
    show = any(o.progress for o in all_opts)
    from tqdm import tqdm

    if total_frames:
        bar = tqdm(total=total_frames, desc=_desc(to_infer), unit="frame", disable=not show, leave=False,
                   dynamic_ncols=True)  # fmt: skip
    else:
        bar = tqdm(total=len(to_infer), desc="videos", unit="video", disable=not show, leave=False, dynamic_ncols=True)
    runner = _Runner(tasks, jobs, bar, frame_bar=bool(total_frames))
    signalled = False
    try:
        for task, part in runner.results():
            if part.fatal is not None:
                raise ModelError(part.fatal)
            v = to_infer[task.video_index]
            if part.cached:
                del to_infer[task.video_index]
                if not total_frames:
                    bar.update(1)
                yield task.video_index, cached_result(v.path, cfg, all_opts[task.video_index], part.trace)
                continue
            v.parts[task.part] = part
            v.ticket = v.ticket or part.ticket
            if len(v.parts) < v.n_parts:
                continue
            trace, error, aligned = _assemble(v)
            if not aligned:
                log.warning("%s: chunks did not meet at the same frame; scoring it again in one pass", v.path)
                run = run_inference(v.path, v.opts)
                trace, error = run.trace, run.error
            del to_infer[task.video_index]
            if not total_frames:
                bar.update(1)
            analyzed = v.parts[0].analyzed if v.n_parts == 1 and aligned else None
            result = finish_score(v.path, cfg, all_opts[task.video_index], trace, error, v.ticket, analyzed=analyzed)
            yield task.video_index, note_video_error(result, _video_error(v))
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM landed here, between two results, not inside the runner (which
        # stops its tasks itself): stop them now and keep what they measured.
        signalled = True
    finally:
        runner.close()
        bar.close()
    if signalled:
        for task, part in runner.leftovers():
            if task.video_index in to_infer and not part.cached:
                to_infer[task.video_index].parts.setdefault(task.part, part)
    # Interrupted: report what was measured of the videos that had started.
    for i, v in sorted(to_infer.items()):
        if v.parts:
            trace, error, aligned = _assemble(v)
            if aligned:
                result = finish_score(v.path, cfg, all_opts[i], trace, error or "interrupted by the user")
                yield i, note_video_error(result, _video_error(v))


def _video_error(video: _Video) -> str | None:
    return next((p.video_error for p in video.parts.values() if p.video_error), None)


def _desc(videos: dict[int, _Video]) -> str:
    if len(videos) == 1:
        return next(iter(videos.values())).path.name
    return f"{len(videos)} videos"


def score_videos(
    videos: Sequence[str | Path],
    cfg: ExerciseConfig,
    opts: ScoreOptions | Sequence[ScoreOptions] | None = None,
    jobs: int | None = None,
) -> list[ScoreResult]:
    """:func:`iter_scores` collected in input order (holds every trace: for a few videos)."""
    out: dict[int, ScoreResult] = dict(iter_scores(videos, cfg, opts, jobs))
    return [out[i] for i in sorted(out)]


def score_video(video: str | Path, cfg: ExerciseConfig, opts: ScoreOptions | None = None) -> ScoreResult:
    """Score one recorded video: count and check the reps of ``cfg``'s exercise.

    Inference is skipped when the trace cache already holds this video with this model.
    With ``opts.video_out`` an annotated copy is written. With ``opts.jobs`` other than 1
    a long video is scored in chunks in parallel processes (same report).
    """
    opts = for_exercise(opts or ScoreOptions(), cfg)
    video = Path(video)
    check_video_path(video)
    ticket = cache_ticket(video, opts)  # the content hash before decoding: the cache key
    cached = cached_result(video, cfg, opts, ticket=ticket)
    if cached is not None:
        return cached
    VideoFileSource(video).close()  # fail early on a missing/corrupt file, before loading a model
    if opts.jobs != 1:
        return score_videos([video], cfg, opts)[0]
    run = render_inference(video, cfg, opts) if opts.video_out is not None else run_inference(video, opts)
    result = finish_score(video, cfg, opts, run.trace, run.error, ticket=ticket, analyzed=run.analyzed)
    return note_video_error(result, run.video_error)
