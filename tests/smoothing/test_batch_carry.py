"""Batch smoothing going on from a carried state: windows smoothed one after another equal
the whole trace smoothed at once, bit for bit, whatever the window size, the chunking inside
a window, and what happens at the edge (a NaN, a jump, nobody in view, a repeated time)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from formcheck.pose.frame import PoseFrame
from formcheck.smoothing.batch import FlatCarry, smooth_landmarks, smooth_landmarks_window
from formcheck.smoothing.one_euro import LandmarkSmoother, OneEuroParams, SmoothingConfig

LMS = [11, 12, 23, 24, 25, 26, 27, 28]


def _walk(n: int = 3000, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.02, 0.05, n))
    img = 0.5 + np.cumsum(rng.normal(0, 0.003, (n, 33, 2)), axis=0)
    world = np.cumsum(rng.normal(0, 0.003, (n, 33, 3)), axis=0)
    img[rng.random((n, 33)) < 0.01] = np.nan
    person = rng.random(n) > 0.005
    jump = rng.random(n) < 0.003
    t[n // 2] = t[n // 2 - 1]  # a repeated timestamp: the filter starts afresh
    return t, img, world, person, jump


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, np.float64).view(np.int64)


def _in_windows(t, img, world, person, jump, edges, config=SmoothingConfig(), lms=None, **kw):
    bounds = [0, *edges, len(t)]
    carry, outs_i, outs_w = None, [], []
    for a, b in itertools.pairwise(bounds):
        i, w, carry = smooth_landmarks_window(
            t[a:b], img[a:b], world[a:b], person[a:b], jump[a:b], config, lms, carry, **kw
        )
        outs_i.append(i)
        outs_w.append(w)
    return np.concatenate(outs_i), np.concatenate(outs_w), carry


@pytest.mark.parametrize("window", [1, 5, 64, 999, 2999, 3000])
@pytest.mark.parametrize("lms", [None, LMS])
def test_windows_smoothed_in_turn_equal_the_whole_trace(window: int, lms) -> None:
    data = _walk()
    whole = smooth_landmarks(*data, landmarks=lms)
    edges = list(range(window, len(data[0]), window))
    got_i, got_w, _ = _in_windows(*data, edges, lms=lms)
    assert np.array_equal(_bits(got_i), _bits(whole[0])) and np.array_equal(_bits(got_w), _bits(whole[1]))


def test_windows_chunked_inside_equal_the_whole_trace() -> None:
    data = _walk(4000, seed=1)
    whole = smooth_landmarks(*data, landmarks=LMS)
    got_i, _, _ = _in_windows(*data, [1500, 3100], lms=LMS, chunk=300, warmup=60)
    assert np.array_equal(_bits(got_i), _bits(whole[0]))


@pytest.mark.parametrize("at", ["nan", "jump", "no_person", "after_no_person", "repeated_time"])
def test_a_window_edge_on_a_restart_changes_nothing(at: str) -> None:
    t, img, world, person, jump = _walk(800, seed=2)
    e = 400
    if at == "nan":
        img[e - 1, LMS] = np.nan
    elif at == "jump":
        jump[e] = True
    elif at == "no_person":
        person[e] = False
    elif at == "after_no_person":
        person[e - 1] = False
    else:
        t[e] = t[e - 1]
    whole = smooth_landmarks(t, img, world, person, jump, landmarks=LMS)
    got_i, got_w, _ = _in_windows(t, img, world, person, jump, [e], lms=LMS)
    assert np.array_equal(_bits(got_i), _bits(whole[0])) and np.array_equal(_bits(got_w), _bits(whole[1]))


def test_windows_equal_the_live_smoother_frame_by_frame() -> None:
    t, img, world, person, jump = _walk(600, seed=3)
    config = SmoothingConfig(image=OneEuroParams(0.5, 1.0, 1.0), world=OneEuroParams(2.0, 3.0, 0.7))
    live = LandmarkSmoother(config)
    rows = []
    for i in range(len(t)):
        f = PoseFrame(float(t[i]), img[i], world[i], np.ones(33), np.ones(33), int(person[i]), bool(jump[i]))
        rows.append(live(f).image_xy)
    person = person & np.isfinite(img[:, 0, 0])  # a frame has a person as PoseFrame.has_person says
    got_i, _, _ = _in_windows(t, img, world, person, jump, [150, 151, 420], config)
    assert np.array_equal(_bits(got_i), _bits(np.stack(rows)))


def test_the_carry_is_the_state_after_the_last_frame() -> None:
    t, img, world, person, jump = _walk(300, seed=4)
    person[:] = True
    out_i, _, carry = _in_windows(t, img, world, person, jump, [], lms=LMS)
    assert isinstance(carry, FlatCarry)
    assert carry.t_s == float(t[-1]) and carry.person
    assert carry.out.shape == carry.dx.shape == (5 * len(LMS),)
    assert np.array_equal(_bits(carry.out[: 2 * len(LMS)]), _bits(out_i[-1, LMS].reshape(-1)))


def test_no_smoothing_has_no_state_to_carry() -> None:
    data = _walk(50)
    _i, _w, carry = _in_windows(*data, [20], config=SmoothingConfig(enabled=False))
    assert carry is None
