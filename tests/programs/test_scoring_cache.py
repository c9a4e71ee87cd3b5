"""Scoring and the trace cache: only a video decoded whole, unchanged while it was scored,
is cached; a video cut short is reported as far as it decoded, never as complete."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from formcheck.errors import IncompleteInputError
from formcheck.exercises.config import get_exercise
from formcheck.formats.trace import TraceCache
from formcheck.pose.backend import BackendSpec
from formcheck.programs.batch import score_video
from formcheck.programs.scoring import ScoreOptions, cache_ticket, finish_score
from formcheck_testing import synthetic


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FORMCHECK_NO_CACHE", raising=False)
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "fc"))
    return tmp_path / "fc"


def _video(tmp_path: Path) -> Path:
    p = tmp_path / "v.mp4"
    p.write_bytes(os.urandom(50_000))
    return p


def test_a_video_changed_while_it_was_scored_is_incomplete_and_not_cached(tmp_path):
    video = _video(tmp_path)
    opts = ScoreOptions(progress=False)
    ticket = cache_ticket(video, opts)  # taken before decoding
    data = bytearray(video.read_bytes())
    data[10] ^= 1
    st = video.stat()
    video.write_bytes(bytes(data))  # rewritten in place meanwhile, size and mtime restored
    os.utime(video, ns=(st.st_atime_ns, st.st_mtime_ns))
    result = finish_score(video, get_exercise("wall_squat"), opts, synthetic.wall_squat(reps=2, seed=1), None, ticket)
    assert result.report["complete"] is False and result.report["input_incomplete"] is True
    assert "changed while it was being scored" in result.report["error"]
    assert TraceCache().info().entries == 0


def test_an_unchanged_video_is_cached_under_the_content_it_had(tmp_path):
    video = _video(tmp_path)
    opts = ScoreOptions(progress=False)
    ticket = cache_ticket(video, opts)
    trace = synthetic.wall_squat(reps=2, seed=1)
    result = finish_score(video, get_exercise("wall_squat"), opts, trace, None, ticket)
    assert result.report["complete"] is True and "input_incomplete" not in result.report
    assert TraceCache().info().entries == 1
    # Without a ticket (no content hash taken before decoding) nothing is cached.
    lite = ScoreOptions(progress=False, pose=BackendSpec(model="lite"))
    finish_score(video, get_exercise("wall_squat"), lite, trace, None)
    assert TraceCache().info().entries == 1


def test_an_incomplete_input_is_marked_for_the_exit_code_and_not_cached(tmp_path):
    video = _video(tmp_path)
    opts = ScoreOptions(progress=False)
    error = IncompleteInputError("v.mp4: decoding stopped at 4.0 s of 13.8 s (the file is truncated or corrupt)")
    result = finish_score(video, get_exercise("wall_squat"), opts, synthetic.wall_squat(reps=1, seed=1), error,
                          cache_ticket(video, opts))  # fmt: skip
    assert result.report["complete"] is False and result.report["input_incomplete"] is True
    assert result.report["error"].endswith("(the file is truncated or corrupt)")
    assert TraceCache().info().entries == 0


# ------------------------------------------------------------- with pose inference
@pytest.mark.real
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_video_cut_short_reports_what_decoded_and_where_it_stopped(models_dir, test_videos, jobs):
    """A 20 s clip (two segments: two chunks with jobs=2) cut at 40 % of its bytes."""
    cut = test_videos.cut(test_videos.mp4(frames=200, fps=10.0), 0.4)
    opts = ScoreOptions(pose=BackendSpec(model="lite", model_dir=models_dir), progress=False, jobs=jobs)
    result = score_video(cut, get_exercise("squat"), opts)
    report = result.report
    assert report["complete"] is False and report["input_incomplete"] is True
    assert "decoding stopped at" in report["error"] and "of 20.0 s" in report["error"]
    assert 20 < report["frames"] < 120 and len(result.trace) == report["frames"]
    assert TraceCache().info().entries == 0
    again = score_video(cut, get_exercise("squat"), opts)
    assert again.report["inference"] == "ran"  # never served from the cache as whole


@pytest.mark.real
def test_the_real_clip_cut_at_30_percent_is_incomplete(samples_dir, models_dir, test_videos):
    cut = test_videos.cut(samples_dir / "squat_side_stock_livingroom.mp4", 0.3)
    opts = ScoreOptions(pose=BackendSpec(model="lite", model_dir=models_dir), progress=False, jobs=1)
    report = score_video(cut, get_exercise("squat"), opts).report
    assert report["complete"] is False
    assert report["error"] == "cut.mp4: decoding stopped at 4.0 s of 13.8 s (the file is truncated or corrupt)"
    assert report["frames"] == 101
