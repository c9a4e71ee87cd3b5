"""One Euro smoothing of landmarks: still points settle, gaps restart, batch equals live."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis import smooth_trace
from formcheck.pose.frame import PoseFrame
from formcheck.smoothing.one_euro import LandmarkSmoother, OneEuroParams, SmoothingConfig
from formcheck_testing.synthetic import heel_slide

FPS = 30.0


def _run(xs: np.ndarray, params: OneEuroParams = OneEuroParams(), fps: float = FPS) -> np.ndarray:
    """The live filter over image coordinates: ``xs`` (T, 66) or (T, 1) values per frame."""
    sm = LandmarkSmoother(SmoothingConfig(image=params))
    out = []
    for i, x in enumerate(xs):
        img = np.broadcast_to(np.asarray(x, np.float64).reshape(-1), (66,)).reshape(33, 2)
        f = PoseFrame(i / fps, img.copy(), np.zeros((33, 3)), np.ones(33), np.ones(33))
        out.append(sm(f).image_xy.reshape(-1)[: np.size(x)])
    return np.array(out)


def test_constant_input_passes_through_unchanged() -> None:
    xs = np.full((90, 66), 0.37)
    out = _run(xs)
    np.testing.assert_allclose(out, xs, rtol=0, atol=1e-12)  # a·x + (1−a)·x, up to rounding


def test_jitter_at_rest_is_reduced() -> None:
    rng = np.random.default_rng(0)
    xs = 0.5 + rng.normal(0.0, 0.005, size=(300, 66))
    out = _run(xs, OneEuroParams(min_cutoff_hz=1.0, beta=2.0))
    settled = out[30:]
    assert settled.std(axis=0).mean() < 0.35 * xs[30:].std(axis=0).mean()
    assert abs(settled.mean() - 0.5) < 1e-3  # no bias


def test_a_moving_point_is_followed_with_little_lag() -> None:
    t = np.arange(90) / FPS
    xs = (0.2 + 0.3 * t)[:, None]  # 0.3 image heights per second
    out = _run(xs, OneEuroParams(min_cutoff_hz=1.0, beta=2.0))
    assert abs(out[-1, 0] - xs[-1, 0]) < 0.02


def _still(t: float, img: np.ndarray) -> PoseFrame:
    return PoseFrame(t, img, np.zeros((33, 3)), np.ones(33), np.ones(33))


def test_nan_passes_through_and_restarts_only_that_element() -> None:
    sm = LandmarkSmoother()
    for i in range(30):
        sm(_still(i / FPS, np.full((33, 2), 1.0)))
    lost = np.full((33, 2), 1.0)
    lost[5, 0] = np.nan
    assert np.isnan(sm(_still(30 / FPS, lost)).image_xy[5, 0])
    out = sm(_still(31 / FPS, np.full((33, 2), 5.0))).image_xy
    assert out[5, 0] == 5.0  # restarted: not dragged from its old position
    assert 1.0 < out[5, 1] < 5.0  # still smoothed


def test_timestamps_that_do_not_increase_restart_the_filter() -> None:
    sm = LandmarkSmoother()
    sm(_still(1.0, np.zeros((33, 2))))
    sm(_still(1.1, np.zeros((33, 2))))
    assert np.all(sm(_still(1.1, np.full((33, 2), 3.0))).image_xy == 3.0)


def _frame(t: float, value: float, n_people: int = 1, jump: bool = False) -> PoseFrame:
    if n_people == 0:
        return PoseFrame.empty(t)
    return PoseFrame(t, np.full((33, 2), value), np.full((33, 3), value), np.ones(33), np.ones(33), n_people, jump)


def test_landmark_smoother_restarts_after_nobody_and_after_a_person_switch() -> None:
    sm = LandmarkSmoother()
    for i in range(10):
        sm(_frame(i / FPS, 0.2))
    assert not sm(_frame(10 / FPS, 0.0, n_people=0)).has_person
    assert np.all(sm(_frame(11 / FPS, 0.8)).image_xy == 0.8)
    sm(_frame(12 / FPS, 0.8))
    assert np.all(sm(_frame(13 / FPS, 0.3, jump=True)).world_xyz == 0.3)


def test_disabled_smoothing_returns_frames_as_they_are() -> None:
    f = _frame(0.0, 0.4)
    assert LandmarkSmoother(SmoothingConfig(enabled=False))(f) is f


@pytest.mark.parametrize(
    "config",
    [
        SmoothingConfig(),
        SmoothingConfig(image=OneEuroParams(0.7, 3.0, 1.3), world=OneEuroParams(1.2, 0.5, 0.8)),
        SmoothingConfig(enabled=False),
    ],
    ids=["default", "different-params", "disabled"],
)
def test_batch_over_a_trace_equals_frame_by_frame(config: SmoothingConfig) -> None:
    trace = heel_slide(reps=2, noise_world_m=0.01, seed=4, dropouts=[(5.0, 5.5)], out_of_frame=[(8.0, 9.0)])
    trace.identity_jump[200] = True
    trace.image_xy[100:104, 5] = np.nan  # one landmark lost for a few frames
    trace.t_s[300] = trace.t_s[299]  # a repeated timestamp
    sm = LandmarkSmoother(config)
    live = [sm(trace.frame(i)) for i in range(len(trace))]
    img, world = smooth_trace(trace, config)
    assert np.array_equal(img, np.stack([f.image_xy for f in live]), equal_nan=True)
    assert np.array_equal(world, np.stack([f.world_xyz for f in live]), equal_nan=True)


def test_batch_over_a_long_trace_equals_frame_by_frame() -> None:
    # Long enough for the batch path to split the trace into chunks stepped side by side.
    trace = heel_slide(reps=40, bend_speed=120.0, noise_world_m=0.01, seed=9, dropouts=[(100.0, 101.0)])
    assert len(trace) > 8000
    sm = LandmarkSmoother()
    live = [sm(trace.frame(i)) for i in range(len(trace))]
    img, world = smooth_trace(trace)
    assert np.array_equal(img, np.stack([f.image_xy for f in live]), equal_nan=True)
    assert np.array_equal(world, np.stack([f.world_xyz for f in live]), equal_nan=True)
