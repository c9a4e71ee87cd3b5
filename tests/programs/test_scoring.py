"""Offline scoring: what is measured survives a failure midway; bad input fails early."""

from __future__ import annotations

import pytest

from formcheck.errors import VideoError
from formcheck.exercises.config import get_exercise
from formcheck.pose.backend import BackendSpec
from formcheck.pose.estimator import PoseEstimator
from formcheck.programs.batch import score_video
from formcheck.programs.scoring import ScoreOptions

pytestmark = pytest.mark.real

SLR = "straight_leg_raise_supine_side_count_overlay.mp4"


def test_a_failure_midway_keeps_what_was_measured(samples_dir, models_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path))
    real_detect = PoseEstimator.detect
    calls = {"n": 0}

    def flaky(self, frame, t_s):
        calls["n"] += 1
        if calls["n"] > 300:
            raise RuntimeError("the GPU fell off")
        return real_detect(self, frame, t_s)

    monkeypatch.setattr(PoseEstimator, "detect", flaky)
    # Every frame inferred, so that 300 detect calls are 300 frames.
    opts = ScoreOptions(pose=BackendSpec(model="lite", model_dir=models_dir), progress=False, rate=None)
    result = score_video(samples_dir / SLR, get_exercise("straight_leg_raise"), opts)
    assert result.report["complete"] is False
    assert "GPU fell off" in result.report["error"]
    assert result.report["frames"] == 300 and len(result.trace) == 300
    # 300 frames = 10 s: the leg is up since ~3.4 s, so the rep in progress is reported.
    assert result.report["reps"] == 1
    assert result.report["rep_details"][0]["finished"] is False
    # An incomplete trace is never cached as if it were the whole video.
    again = score_video(samples_dir / SLR, get_exercise("straight_leg_raise"), opts)
    assert again.report["inference"] == "ran"


def test_missing_video_fails_before_loading_a_model(tmp_path):
    opts = ScoreOptions(pose=BackendSpec(model=str(tmp_path / "no-model-needed.task")), progress=False)
    with pytest.raises(VideoError, match="no such file"):
        score_video(tmp_path / "missing.mp4", get_exercise("wall_squat"), opts)


def test_an_annotated_video_is_analysed_once_by_the_drawing_chain(tmp_path, monkeypatch):
    """With --video-out the frames are analysed one by one for the drawing; that analysis is
    the report's (the whole-trace chain does not run again) and equals rescoring the trace."""
    import cv2
    import numpy as np

    from formcheck.exercises.config import get_exercise
    from formcheck.formats.trace import save_trace
    from formcheck.programs import scoring
    from formcheck.programs.rescoring import rescore_trace
    from formcheck_testing import synthetic

    trace = synthetic.squat(reps=2)
    save_trace(trace, tmp_path / "s.npz")
    out = cv2.VideoWriter(str(tmp_path / "v.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (64, 36))
    for _ in range(len(trace)):
        out.write(np.full((36, 64, 3), 90, np.uint8))
    out.release()

    def no_second_chain(*args, **kwargs):
        raise AssertionError("the whole-trace analysis ran after the per-frame one")

    monkeypatch.setattr(scoring, "analyze_trace", no_second_chain)
    cfg = get_exercise("squat")
    opts = ScoreOptions(pose=BackendSpec("replay", str(tmp_path / "s.npz")), video_out=tmp_path / "a.mp4",
                        progress=False, use_cache=False, signals=True)  # fmt: skip
    report = score_video(tmp_path / "v.mp4", cfg, opts).report
    monkeypatch.undo()
    expected = rescore_trace(trace, cfg, signals=True)
    assert report["reps"] == 2 and (tmp_path / "a.mp4").stat().st_size > 0
    for key in ("rep_details", "cues", "measurable_frames", "signals"):
        assert report[key] == expected[key], key
