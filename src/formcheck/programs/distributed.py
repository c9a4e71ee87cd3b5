"""Scoring thousands of recordings on a Ray cluster (``pip install "formcheck[ray]"``).

Each video is one Ray task that scores it with :func:`formcheck.programs.batch.score_video` in
one process (one landmarker, one CPU) and returns its report, so Ray's scheduler spreads
the videos over every CPU of every node, retries tasks of lost nodes and streams the
results back. The reports are the ones ``formcheck score`` writes for the same videos.

The videos (and any ``video_out``/trace paths) must be readable and writable at the same
paths on every node (shared storage), and every node needs formcheck and the pose models
(``FORMCHECK_MODEL_DIR`` or the download cache). Started here without an address, Ray runs
a local instance on this machine: the same as ``formcheck score --jobs N``, with Ray's
overhead.

Example::

    from formcheck import get_exercise
    from formcheck.programs.distributed import score_many_ray
    reports = score_many_ray(paths, get_exercise("bridge"), address="auto")
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from formcheck.errors import FormcheckError, ModelError
from formcheck.exercises.config import ExerciseConfig
from formcheck.programs.scoring import ScoreOptions

__all__ = ["iter_scores_ray", "score_many_ray"]


def _ray():
    try:
        import ray
    except ImportError:
        raise FormcheckError(
            'Ray is not installed: install formcheck with the ray extra (pip install "formcheck[ray]")'
        ) from None
    return ray


def _score_one(video: str, cfg: ExerciseConfig, opts: ScoreOptions, trace_out: str | None) -> dict[str, Any]:
    """One Ray task: score one video in this worker process; a video that cannot be read
    gives a report with ``complete: false`` (a bad model fails the whole run)."""
    from formcheck.programs.batch import score_video
    from formcheck.programs.scoring import finish_score

    try:
        result = score_video(video, cfg, opts)
    except ModelError:
        raise
    except FormcheckError as e:
        from formcheck.programs.batch import _empty_trace

        result = finish_score(Path(video), cfg, opts, _empty_trace(Path(video), opts), str(e))
    if trace_out is not None and len(result.trace):
        from formcheck.formats.trace import save_trace

        try:
            save_trace(result.trace, trace_out)
        except FormcheckError as e:  # the report stands; the command says the trace was not written
            result.report["trace_out_error"] = str(e)
    return result.report


def iter_scores_ray(
    videos: Sequence[str | Path],
    cfg: ExerciseConfig,
    opts: ScoreOptions | Sequence[ScoreOptions] | None = None,
    address: str | None = None,
    *,
    trace_outs: Sequence[str | Path | None] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Score videos as Ray tasks; yields ``(index, report)`` as each finishes.

    Args:
        videos: paths readable by every node.
        opts: one ScoreOptions for all or one per video (``jobs`` is ignored: a task is
            one process). ``progress`` is ignored.
        address: a running cluster (``"auto"``, ``"ray://head:10001"``, ...); None uses
            the Ray instance already initialised in this process, else ``$RAY_ADDRESS``,
            else starts a local one.
        trace_outs: where each task saves its video's pose trace (None: not saved).
    """
    from formcheck.programs.scoring import check_video_path, options_per_video

    ray = _ray()
    paths = [str(Path(v)) for v in videos]
    for path in paths:
        check_video_path(Path(path))
    all_opts = options_per_video(opts, len(paths))
    outs = [None if t is None else str(t) for t in (trace_outs or [None] * len(paths))]
    if not ray.is_initialized():
        ray.init(address=address or os.environ.get("RAY_ADDRESS"), log_to_driver=False)
    task = ray.remote(num_cpus=1)(_score_one)
    refs = {
        task.remote(p, cfg, replace(o, jobs=1, progress=False), t): i
        for i, (p, o, t) in enumerate(zip(paths, all_opts, outs, strict=True))
    }
    pending = list(refs)
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield refs[ref], ray.get(ref)
    finally:
        for ref in pending:
            ray.cancel(ref)


def score_many_ray(
    videos: Sequence[str | Path],
    cfg: ExerciseConfig,
    opts: ScoreOptions | Sequence[ScoreOptions] | None = None,
    address: str | None = None,
    *,
    trace_outs: Sequence[str | Path | None] | None = None,
) -> list[dict[str, Any]]:
    """The reports of :func:`iter_scores_ray`, in the order of ``videos``."""
    out = dict(iter_scores_ray(videos, cfg, opts, address, trace_outs=trace_outs))
    return [out[i] for i in range(len(videos))]
