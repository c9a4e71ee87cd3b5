"""The live source hands out fresh frames: a stale newest frame is passed over for the next."""

from __future__ import annotations

import time

import numpy as np

from formcheck.sources.video import open_live_source

SLR = "straight_leg_raise_supine_side_count_overlay.mp4"  # 30 fps
BRIDGE = "bridge_side_physioplus.mp4"  # 3 s


def _ages(src, work_s: float, n: int) -> np.ndarray:
    """Age (s) of each frame when the consumer gets it, for a consumer busy work_s per frame."""
    ages = []
    try:
        for t, _frame in src:
            ages.append(time.monotonic() - t)
            if len(ages) == n:
                break
            time.sleep(work_s)
    finally:
        src.close()
    return np.array(ages[3:])  # the period estimate settles over the first frames


def test_a_slow_consumer_gets_frames_at_most_half_an_interval_old(samples_dir):
    period = 1 / 30
    # 50 ms of work per frame: slower than the 33 ms camera, out of step with it.
    fresh = _ages(open_live_source(str(samples_dir / SLR)), 0.05, 40)
    assert np.median(fresh) < period / 4
    assert np.percentile(fresh, 90) < period / 2 + 0.01


def test_a_looping_file_plays_on_past_its_end(samples_dir):
    src = open_live_source(str(samples_dir / BRIDGE), loop=True)
    taken = []
    try:
        for t, _frame in src:
            taken.append(t)
            if t - taken[0] > 4.0:  # longer than the 3 s clip
                break
    finally:
        src.close()
    assert taken[-1] - taken[0] > 4.0
    assert np.all(np.diff(taken) > 0)
    assert np.max(np.diff(taken)) < 0.2  # no stall at the wrap-around
