"""Adaptive inference rate: which frames are inferred, how the others are filled in, and
that scoring at the adaptive rate counts what every-frame scoring counts."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from formcheck.exercises.config import get_exercise
from formcheck.formats.trace import save_trace
from formcheck.pose.adaptive import (
    RateController,
    RatePolicy,
    Watch,
    fill_skipped,
    inferred_mask,
    schedule,
    simulate,
)
from formcheck.pose.backend import BackendSpec
from formcheck.pose.frame import PoseTrace
from formcheck.programs.batch import score_video
from formcheck.programs.rescoring import rescore_trace
from formcheck.programs.scoring import ScoreOptions, restart_frames
from formcheck_testing import synthetic


def _still(trace: PoseTrace) -> PoseTrace:
    """The trace's first pose held for its whole length (a body that does not move)."""
    n = len(trace)
    return PoseTrace(
        trace.t_s.copy(),
        np.repeat(trace.image_xy[:1], n, 0),
        np.repeat(trace.world_xyz[:1], n, 0),
        np.repeat(trace.visibility[:1], n, 0),
        np.repeat(trace.presence[:1], n, 0),
        trace.n_people.copy(),
        np.zeros(n, bool),
        trace.meta,
    )


def _controller(trace: PoseTrace, cfg_name: str = "squat", policy: RatePolicy | None = None) -> RateController:
    policy = policy or RatePolicy()
    return RateController(policy, Watch.of(get_exercise(cfg_name)), trace.meta.aspect, trace.meta.fps)


def test_a_still_body_is_inferred_at_the_reduced_rate():
    trace = _still(synthetic.squat(reps=1))
    mask = schedule(trace.t_s, trace.frame, _controller(trace))
    gaps = np.diff(trace.t_s[mask])
    # after the start (full rate until the speed is known), frames come max_gap_s apart
    assert gaps.max() == pytest.approx(RatePolicy().max_gap_s, abs=1.01 / trace.meta.fps)
    assert mask.mean() < 0.3
    assert mask[0] and mask[-1]  # the stream's first and last frames are always inferred


def test_a_rep_is_inferred_at_full_rate_where_it_crosses_the_thresholds():
    trace = synthetic.squat(reps=2)
    cfg = get_exercise("squat")
    mask = schedule(trace.t_s, trace.frame, _controller(trace))
    ctrl = _controller(trace)
    knee = np.array([ctrl.values(trace.frame(i))[0] for i in range(len(trace))])
    start = cfg.thresholds["start_deg"].value
    crossing = np.flatnonzero(np.diff(np.sign(knee - start)) != 0)
    assert crossing.size >= 4  # down and up, twice
    for i in crossing:  # both frames either side of each crossing were inferred
        assert mask[i] and mask[i + 1], i
    assert mask.mean() < 1.0


def test_the_frame_before_a_cut_and_before_a_restart_is_inferred():
    trace = _still(synthetic.squat(reps=1))
    n = len(trace)
    cuts = np.zeros(n, bool)
    cuts[100] = True
    restarts = np.zeros(n, bool)
    restarts[200] = True
    mask = schedule(trace.t_s, trace.frame, _controller(trace), cuts=cuts, restarts=restarts)
    assert mask[99] and mask[100] and mask[199] and mask[200]


def test_skipped_frames_are_interpolated_in_time_and_exact_for_linear_motion():
    trace = synthetic.squat(reps=1)
    n = len(trace)
    lin = np.linspace(0.0, 1.0, n, dtype=np.float32)
    trace.image_xy[:] = lin[:, None, None]
    mask = np.zeros(n, bool)
    mask[::7] = True
    mask[-1] = True
    truth = trace.image_xy.copy()
    trace.image_xy[~mask] = np.nan
    filled = fill_skipped(trace, mask)
    np.testing.assert_allclose(filled.image_xy, truth, atol=1e-6)
    assert not filled.identity_jump[~mask].any()


def test_an_interrupted_run_drops_the_frames_after_the_last_inferred_one():
    trace = synthetic.squat(reps=1)
    mask = np.zeros(len(trace), bool)
    mask[:10] = True
    assert len(fill_skipped(trace, mask)) == 10


@pytest.mark.parametrize("name,make", [("squat", synthetic.squat), ("wall_squat", synthetic.wall_squat)])
def test_the_policy_counts_what_every_frame_counts_on_synthetic_motion(name, make):
    trace = make(reps=3, noise_world_m=0.005, seed=3)
    cfg = get_exercise(name)
    sim, mask = simulate(trace, cfg, restarts=restart_frames(trace))
    ref, got = rescore_trace(trace, cfg), rescore_trace(sim, cfg)
    assert got["reps"] == ref["reps"] == 3
    assert mask.mean() < 1.0
    for a, b in zip(ref["rep_details"], got["rep_details"], strict=True):
        assert abs(a["peak"] - b["peak"]) <= 2.0
        assert sorted(a["faults"]) == sorted(b["faults"])


def _blank_video(path, n: int, fps: float = 30.0):
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 36))
    for _ in range(n):
        out.write(np.full((36, 64, 3), 90, np.uint8))
    out.release()
    return path


def test_scoring_at_the_adaptive_rate_counts_the_same_with_fewer_frames_inferred(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "cache"))
    trace = synthetic.squat(reps=3)
    save_trace(trace, tmp_path / "s.npz")
    video = _blank_video(tmp_path / "v.mp4", len(trace))
    cfg = get_exercise("squat")
    pose = BackendSpec("replay", str(tmp_path / "s.npz"))
    adaptive = score_video(video, cfg, ScoreOptions(pose=pose, progress=False, rate=RatePolicy()))
    every = score_video(video, cfg, ScoreOptions(pose=pose, progress=False, rate=None))
    assert adaptive.report["reps"] == every.report["reps"] >= 3
    for a, b in zip(adaptive.report["rep_details"], every.report["rep_details"], strict=True):
        assert abs(a["peak"] - b["peak"]) <= 2.0 and abs(a["hold_s"] - b["hold_s"]) <= 0.2
        assert a["faults"] == b["faults"]
    assert every.report["inference"] == "ran"  # another policy: not the adaptive run's cache entry
    mask = inferred_mask(adaptive.trace)
    assert 0.0 < mask.mean() < 1.0 and inferred_mask(every.trace).all()
    assert len(adaptive.trace) == len(every.trace)
    np.testing.assert_array_equal(adaptive.trace.t_s, every.trace.t_s)  # real timestamps, every frame
    assert adaptive.trace.meta.extra["rate"].startswith("ar1:")
    # the trace cache keeps the record of which frames were inferred
    again = score_video(video, cfg, ScoreOptions(pose=pose, progress=False, rate=RatePolicy()))
    assert again.report["inference"] == "cached"
    np.testing.assert_array_equal(inferred_mask(again.trace), mask)


def _crossings(x: np.ndarray, level: float) -> np.ndarray:
    """Indices i where ``x`` passes ``level`` between frames i and i + 1."""
    return np.flatnonzero(np.diff(np.sign(x - level)) != 0)


def test_the_rate_watches_the_signals_and_thresholds_of_every_variant():
    watch = Watch.of(get_exercise("hamstring_stretch"))  # the seated variant counts sit_hip_flex_{side}_deg
    assert {"sit_hip_flex_left_deg", "sit_hip_flex_right_deg"} <= set(watch.measures)
    seated = [r for r in watch.rests if watch.measures[r.col].startswith("sit_hip_flex")]
    assert len(seated) == 2 and all(r.relative for r in seated)
    th = get_exercise("hamstring_stretch").variants[0].thresholds
    assert seated[0].start == th["start_deg"].value and seated[0].end == th["end_deg"].value


def test_a_relative_signal_is_inferred_at_full_rate_where_it_crosses_its_thresholds_from_rest():
    # Pelvic tilts: hip flexion falls 8° from a rest level of 50°; the checker's thresholds
    # (start 4°, end 2°, target 6°) are distances from that rest, which the exercise file
    # cannot place: the controller measures the rest from the frames it inferred.
    trace = synthetic.pelvic_tilt(reps=2)
    cfg = get_exercise("pelvic_tilt")
    ctrl = _controller(trace, "pelvic_tilt", RatePolicy(rest_levels=True))
    mask = schedule(trace.t_s, trace.frame, ctrl)
    col = ctrl.watch.measures.index("hip_flex_deg")
    hip = np.array([ctrl.values(trace.frame(i))[col] for i in range(len(trace))])
    rest = float(np.nanmax(hip[: int(trace.meta.fps)]))
    for key in ("start_deg", "end_deg", "target_min_deg"):
        crossing = _crossings(hip, rest - cfg.thresholds[key].value)
        assert crossing.size == 4, key  # into and out of each of the two tilts
        if key == "end_deg":  # the checker reads it on the way back only (at rest: start)
            crossing = crossing[hip[crossing + 1] > hip[crossing]]
        for i in crossing:
            assert mask[i] and mask[i + 1], (key, i)
    at_rest = trace.t_s < 3.5  # lying still before the first tilt, 4° from its start threshold
    assert mask[at_rest].mean() < 0.4


def test_thresholds_in_other_units_than_degrees_are_placed_in_the_same_units_as_the_measures():
    # The straight leg raise's signal is in cm (scaled to degrees inside the controller).
    trace = synthetic.straight_leg_raise(reps=2)
    cfg = get_exercise("straight_leg_raise")
    ctrl = _controller(trace, "straight_leg_raise")
    mask = schedule(trace.t_s, trace.frame, ctrl)
    side = "left" if "ankle_height_left_cm" in ctrl.watch.measures else "right"
    col = ctrl.watch.measures.index(f"ankle_height_{side}_cm")
    h = np.array([ctrl.values(trace.frame(i))[col] for i in range(len(trace))])  # scaled: cm / 0.2
    crossing = _crossings(h * 0.2, cfg.thresholds["start_cm"].value)
    assert crossing.size >= 2
    for i in crossing:
        assert mask[i] and mask[i + 1], i


@pytest.mark.parametrize(
    "name,make",
    [("pelvic_tilt", synthetic.pelvic_tilt), ("heel_raise", synthetic.heel_raise)],
)
def test_the_policy_counts_what_every_frame_counts_on_rest_relative_signals(name, make):
    trace = make(reps=3, noise_world_m=0.003, seed=5)
    cfg = get_exercise(name)
    sim, mask = simulate(trace, cfg, RatePolicy(rest_levels=True), restarts=restart_frames(trace))
    ref, got = rescore_trace(trace, cfg), rescore_trace(sim, cfg)
    assert got["reps"] == ref["reps"] == 3
    assert mask.mean() < 1.0
    for a, b in zip(ref["rep_details"], got["rep_details"], strict=True):
        assert abs(a["peak"] - b["peak"]) <= 2.0
        assert abs(a["hold_s"] - b["hold_s"]) <= 0.2
        assert sorted(a["faults"]) == sorted(b["faults"])
