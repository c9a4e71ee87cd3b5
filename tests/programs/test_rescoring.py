"""Re-scoring saved traces: the same numbers as the live path, bit for bit, and fast paths
that never run pose inference twice."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck import rescore_trace
from formcheck.analysis import Analyzer, analyze_trace, smooth_trace, trace_measures
from formcheck.exercises.config import get_exercise
from formcheck.formats.trace import export_csv, save_trace
from formcheck.measures.body import measure_index
from formcheck.pose.backend import BackendSpec
from formcheck.programs.rescoring import PreparedTrace
from formcheck.smoothing.batch import smooth_landmarks
from formcheck.smoothing.one_euro import LandmarkSmoother, OneEuroParams, SmoothingConfig
from formcheck_testing import synthetic

WALL = get_exercise("wall_squat")
SCORE_KEYS = {
    "exercise", "source", "model", "duration_s", "frames", "measurable_frames", "measurable_fraction", "reps",
    "reps_by_side", "reps_ok", "target_reps", "rep_details", "cues", "stopped", "complete", "error", "thresholds",
}  # fmt: skip


def _messy_trace(reps: int = 6, seed: int = 3):
    """Wall squats with everything a real trace has: noise, nobody in view, legs out of the
    picture, a person switch, a landmark lost for a while, a repeated timestamp."""
    trace = synthetic.wall_squat(
        reps=reps, noise_world_m=0.01, seed=seed, dropouts=[(20.0, 21.0)], out_of_frame=[(33.0, 35.0)]
    )
    n = len(trace)
    trace.identity_jump[n // 3] = True
    trace.image_xy[n // 2 : n // 2 + 40, 25] = np.nan
    trace.world_xyz[n // 2 + 100 : n // 2 + 103] = np.nan
    trace.t_s[n - 50] = trace.t_s[n - 51]
    return trace


def _frame_by_frame(trace, config=SmoothingConfig()):
    sm = LandmarkSmoother(config)
    frames = [sm(trace.frame(i)) for i in range(len(trace))]
    return np.stack([f.image_xy for f in frames]), np.stack([f.world_xyz for f in frames])


def _bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.ascontiguousarray(a, np.float64), np.ascontiguousarray(b, np.float64)
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


@pytest.mark.parametrize(
    ("chunk", "warmup"),
    [(None, None), (300, 40), (150, 5), (97, 300)],
    ids=["automatic", "short-warmup", "tiny-warmup", "warmup-longer-than-chunk"],
)
@pytest.mark.parametrize(
    "config",
    [SmoothingConfig(), SmoothingConfig(image=OneEuroParams(0.7, 3.0, 1.3), world=OneEuroParams(1.2, 0.5, 0.8))],
    ids=["default", "per-element-params"],
)
def test_chunked_smoothing_is_bit_identical_to_frame_by_frame(chunk, warmup, config):
    trace = _messy_trace()
    live_img, live_world = _frame_by_frame(trace, config)
    has_person = (trace.n_people > 0) & np.isfinite(trace.image_xy[:, 0, 0])
    img, world = smooth_landmarks(
        trace.t_s, trace.image_xy, trace.world_xyz, has_person, trace.identity_jump, config, chunk=chunk, warmup=warmup
    )
    assert _bits_equal(img, live_img)
    assert _bits_equal(world, live_world)


def test_smoothing_only_some_landmarks_gives_the_same_numbers_for_them():
    trace = _messy_trace(reps=3)
    live_img, live_world = _frame_by_frame(trace)
    lms = [11, 12, 23, 24, 25, 26, 27, 28]
    img, world = smooth_trace(trace, landmarks=np.array(lms))
    assert _bits_equal(img[:, lms], live_img[:, lms])
    assert _bits_equal(world[:, lms], live_world[:, lms])
    assert np.array_equal(img[:, 0], trace.image_xy[:, 0].astype(np.float64), equal_nan=True)  # the nose: as it was


def test_whole_trace_measures_are_bit_identical_to_the_live_analyzers():
    trace = _messy_trace(reps=3)
    live = Analyzer(WALL, trace.meta.aspect)
    rows = np.stack([live.update(f).measures.values for f in trace.frames()])
    used = [measure_index(m) for m in sorted(WALL.measures_used())]  # live computes only these
    assert _bits_equal(trace_measures(trace)[0][:, used], rows[:, used])


def test_whole_trace_analysis_equals_the_live_analyzer_on_a_long_session():
    trace = synthetic.concat([_messy_trace(reps=6, seed=s) for s in range(3)])
    assert len(trace) > 5000  # long enough to be smoothed in several chunks
    live = Analyzer(WALL, trace.meta.aspect)
    for f in trace.frames():
        live.update(f)
    live.finish()
    batch = analyze_trace(trace, WALL)
    assert batch.events == live.checker.events
    assert batch.results == live.checker.results
    assert (batch.frames, batch.measurable_frames) == (live.checker.frames, live.checker.measurable_frames)
    assert batch.reps >= 15


def test_rescore_trace_reads_npz_and_csv_and_gives_the_score_report(tmp_path):
    trace = synthetic.wall_squat(reps=3, hold_s=6.0, noise_world_m=0.005, seed=2)
    trace.meta.extra = {}
    save_trace(trace, tmp_path / "s.npz")
    export_csv(trace, tmp_path / "s.csv")
    strict = WALL.with_overrides({"hold_s": 8})
    reports = [rescore_trace(p, strict) for p in (tmp_path / "s.npz", tmp_path / "s.csv")]
    reports.append(rescore_trace(trace, strict))
    for r in reports:
        assert set(r) >= SCORE_KEYS
        assert r["inference"] == "none"
        assert r["reps"] == 3 and r["reps_ok"] == 0
        assert all("hold_short" in d["faults"] for d in r["rep_details"])
        assert r["thresholds"]["hold_s"] == 8
        assert r["rep_details"] == reports[0]["rep_details"]
    assert reports[0]["trace"] == str(tmp_path / "s.npz")
    # The default thresholds accept the same reps: only the thresholds changed.
    assert rescore_trace(tmp_path / "s.npz", WALL)["reps_ok"] == 3


def test_a_prepared_trace_rescores_with_new_thresholds_without_recomputing_measures():
    trace = synthetic.wall_squat(reps=4, depth_deg=50.0, seed=1)
    prepared = PreparedTrace.from_trace(trace)
    values_before = prepared.measures[0].copy()
    ok = prepared.report(WALL)
    deep = prepared.report(WALL.with_overrides({"target_max_deg": 48}))
    assert ok["reps_ok"] == 4
    assert deep["reps_ok"] == 0 and all("too_deep" in d["faults"] for d in deep["rep_details"])
    assert np.array_equal(prepared.measures[0], values_before, equal_nan=True)
    assert prepared.report(WALL) == ok
    assert trace_measures(trace)[0].shape == values_before.shape


@pytest.mark.real
def test_scoring_a_video_twice_runs_inference_once(samples_dir, models_dir, tmp_path, monkeypatch):
    from formcheck.programs.batch import score_video
    from formcheck.programs.scoring import ScoreOptions

    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FORMCHECK_NO_CACHE", raising=False)
    video = samples_dir / "straight_leg_raise_supine_side_count_overlay.mp4"
    cfg = get_exercise("straight_leg_raise")
    opts = ScoreOptions(pose=BackendSpec(model="lite", model_dir=models_dir), progress=False)
    first = score_video(video, cfg, opts)
    second = score_video(video, cfg, opts)
    assert first.report["inference"] == "ran" and first.inference_ran
    assert second.report["inference"] == "cached" and not second.inference_ran
    assert second.report["reps"] == first.report["reps"]
    assert second.report["rep_details"] == first.report["rep_details"]
    assert second.report["cues"] == first.report["cues"]
    assert list((tmp_path / "cache" / "traces").glob("*.npz"))
    # Re-scoring the cached trace with other thresholds gives the report score would give.
    stricter = cfg.with_overrides({"hold_s": 30})
    assert rescore_trace(second.trace, stricter)["rep_details"] == score_video(video, stricter, opts).report[
        "rep_details"
    ]
