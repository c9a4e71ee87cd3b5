"""Scoring on every core: chunks of one video and pools of many give the one-pass result."""

from __future__ import annotations

import itertools
import math
import threading
from pathlib import Path

import numpy as np
import pytest

from formcheck.exercises.config import get_exercise
from formcheck.formats.trace import traces_equal
from formcheck.pose.backend import BackendSpec
from formcheck.pose.frame import PoseFrame, PoseTrace, TraceMeta
from formcheck.pose.landmarks import Landmark as L
from formcheck.programs.batch import _assemble, _Part, _Video, plan_chunks, score_video, score_videos
from formcheck.programs.scoring import MIN_SEGMENT_S, ScoreOptions, run_inference, segment_starts
from formcheck.sources.video import VideoFileSource, VideoInfo

SLR = "straight_leg_raise_supine_side_count_overlay.mp4"  # 17.4 s, 640x360: two segments
GOBLET = "squat_goblet_front_timer_overlay.mp4"  # 12.2 s, 720p: one segment
BRIDGE = "bridge_side_physioplus.mp4"  # 3 s


def _info(seconds: float, fps: float = 30.0) -> VideoInfo:
    return VideoInfo("clip.mp4", 1280, 720, fps, round(seconds * fps), live=False)


@pytest.mark.parametrize(
    ("seconds", "segments"),
    [(5.0, 1), (15.9, 1), (16.0, 2), (43.0, 4), (63.9, 4), (64.0, 8), (600.0, 32), (7200.0, 32)],
)
def test_videos_are_cut_into_power_of_two_segments_of_at_least_8_s(seconds, segments):
    starts = segment_starts(_info(seconds))
    assert len(starts) + 1 == segments
    bounds = [0.0, *starts, _info(seconds).duration_s]
    lengths = np.diff(bounds)
    assert segments == 1 or np.all(lengths >= MIN_SEGMENT_S - 1e-9)
    assert np.allclose(lengths, lengths[0])  # equal, so chunks of whole segments balance


def test_unknown_length_is_one_segment():
    assert segment_starts(VideoInfo("x", 640, 480, 0.0, 0, live=False)) == []


@pytest.mark.parametrize(
    ("n_segments", "n_chunks", "expected_sizes"),
    [(4, 2, [2, 2]), (4, 4, [1, 1, 1, 1]), (4, 3, [1, 2, 1]), (4, 8, [1, 1, 1, 1]), (1, 4, [1]), (8, 1, [8])],
)
def test_chunks_are_contiguous_runs_of_whole_segments(n_segments, n_chunks, expected_sizes):
    starts = [10.0 * i for i in range(1, n_segments)]
    chunks = plan_chunks(starts, n_chunks)
    bounds = [0.0, *starts]
    assert [sum(1 for b in bounds if a <= b < end) for a, end in chunks] == expected_sizes
    assert chunks[0][0] == 0.0 and math.isinf(chunks[-1][1])
    for (_, end), (start, _) in itertools.pairwise(chunks):
        assert end == start and start in bounds  # every boundary is a segment start


# ------------------------------------------------------------------ assembling chunks
def _person(t: float, hip_x: float) -> PoseFrame:
    img = np.full((33, 2), 0.5)
    img[[L.LEFT_HIP, L.RIGHT_HIP], 0] = hip_x
    return PoseFrame(t, img, np.zeros((33, 3)), np.ones(33), np.ones(33))


def _part(ts, hip_x, first=None, nxt=None, error=None) -> _Part:
    trace = PoseTrace.from_frames([_person(t, hip_x) for t in ts], TraceMeta("v.mp4", "lite", 30, 1280, 720))
    return _Part(trace, error, first_key=first, next_key=nxt)


def test_chunks_are_joined_in_order_and_a_swap_at_the_boundary_is_flagged():
    video = _Video(Path("v.mp4"), ScoreOptions(), n_parts=2)
    video.parts[1] = _part([1.0, 1.1], hip_x=0.9, first=(1.0, 7))  # someone else, far to the right
    video.parts[0] = _part([0.8, 0.9], hip_x=0.2, nxt=(1.0, 7))
    trace, error, aligned = _assemble(video)
    assert aligned and error is None
    assert list(trace.t_s) == [0.8, 0.9, 1.0, 1.1]
    # The second chunk's landmarker could not compare with the frame before it: the join does.
    assert list(trace.identity_jump) == [False, False, True, False]


def test_chunks_that_do_not_meet_at_the_same_frame_are_not_joined():
    video = _Video(Path("v.mp4"), ScoreOptions(), n_parts=2)
    video.parts[0] = _part([0.8, 0.9], 0.5, nxt=(1.0, 7))
    video.parts[1] = _part([1.0, 1.1], 0.5, first=(1.0, 8))  # same time, other pixels
    assert _assemble(video)[2] is False


def test_a_failed_chunk_keeps_what_came_before_it_and_nothing_after():
    video = _Video(Path("v.mp4"), ScoreOptions(), n_parts=3)
    video.parts[0] = _part([0.0, 0.1], 0.5, nxt=(0.2, 1))
    video.parts[1] = _part([0.2], 0.5, first=(0.2, 1), error="the GPU fell off")
    video.parts[2] = _part([0.4, 0.5], 0.5, first=(0.4, 3))
    trace, error, aligned = _assemble(video)
    assert aligned and error == "the GPU fell off"
    assert list(trace.t_s) == [0.0, 0.1, 0.2]


# ------------------------------------------------------------------ on real clips
def _opts(models_dir, **kw) -> ScoreOptions:
    pose = BackendSpec(model="lite", model_dir=models_dir)
    return ScoreOptions(**{"pose": pose, "progress": False, "use_cache": False, **kw})


@pytest.mark.real
def test_a_video_scored_in_parallel_chunks_is_the_one_pass_trace_and_report(samples_dir, models_dir):
    cfg = get_exercise("straight_leg_raise")
    one = score_video(samples_dir / SLR, cfg, _opts(models_dir, jobs=1))
    two = score_video(samples_dir / SLR, cfg, _opts(models_dir, jobs=2))
    assert len(segment_starts(VideoFileSource(samples_dir / SLR).info)) == 1  # two segments: two chunks
    assert traces_equal(one.trace, two.trace)  # bit for bit: chunking changes nothing
    assert one.report == two.report
    assert two.report["reps"] == 1 and two.report["complete"]


@pytest.mark.real
def test_at_the_adaptive_rate_parallel_chunks_infer_the_frames_of_one_pass(samples_dir, models_dir):
    from formcheck.pose.adaptive import RatePolicy, inferred_mask

    cfg = get_exercise("straight_leg_raise")
    one = score_video(samples_dir / SLR, cfg, _opts(models_dir, jobs=1, rate=RatePolicy()))
    two = score_video(samples_dir / SLR, cfg, _opts(models_dir, jobs=2, rate=RatePolicy()))
    assert traces_equal(one.trace, two.trace)
    assert (inferred_mask(one.trace) == inferred_mask(two.trace)).all() and inferred_mask(one.trace).mean() < 1
    assert one.report == two.report


@pytest.mark.real
def test_many_videos_in_a_process_pool_give_the_one_by_one_reports(samples_dir, models_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "cache"))  # the workers inherit it
    clips = [samples_dir / BRIDGE, samples_dir / GOBLET]
    cfg = get_exercise("squat")
    pooled = score_videos(clips, cfg, _opts(models_dir, use_cache=True), jobs=2)
    alone = [score_video(c, cfg, _opts(models_dir, jobs=1)) for c in clips]
    assert [r.report for r in pooled] == [r.report for r in alone]
    assert [r.report["source"] for r in pooled] == [str(c) for c in clips]  # input order
    # Scored again: the workers find the traces in the cache; the reports are the same.
    again = score_videos(clips, cfg, _opts(models_dir, use_cache=True), jobs=2)
    assert [r.report.pop("inference") for r in again] == ["cached", "cached"]
    assert [r.report for r in again] == [{k: v for k, v in r.report.items() if k != "inference"} for r in alone]


@pytest.mark.real
def test_stopping_midway_returns_the_frames_done(samples_dir, models_dir):
    stop = threading.Event()
    done = []

    def progress(n: int) -> None:
        done.append(n)
        if len(done) == 20:
            stop.set()

    run = run_inference(samples_dir / BRIDGE, _opts(models_dir), progress=progress, stop=stop)
    assert isinstance(run.error, KeyboardInterrupt)
    assert len(run.trace) == 20


def test_missing_videos_fail_before_any_work(tmp_path, samples_dir):
    from formcheck.errors import VideoError

    with pytest.raises(VideoError, match=r"nope\.mp4: no such file"):
        score_videos([samples_dir / BRIDGE, tmp_path / "nope.mp4"], get_exercise("bridge"), ScoreOptions(), jobs=2)
