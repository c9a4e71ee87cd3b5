"""The live source hands out fresh frames: a stale newest frame is passed over for the next.

The rule is checked on numbers (an injected "now", no clock); the source itself is checked by
order and counts, never by how fast this machine is.
"""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.sources.video import fresh_frame_deadline, open_live_source

SLR = "straight_leg_raise_supine_side_count_overlay.mp4"  # 30 fps
BRIDGE = "bridge_side_physioplus.mp4"  # 3 s
PERIOD = 1 / 30


@pytest.mark.parametrize("age_periods", [0.0, 0.25, 0.49])
def test_a_frame_at_most_half_an_interval_old_is_taken_at_once(age_periods):
    assert fresh_frame_deadline(10.0 + age_periods * PERIOD, 10.0, PERIOD) is None


@pytest.mark.parametrize("age_periods", [0.51, 0.9, 1.4])
def test_an_older_frame_waits_for_the_next_which_is_then_at_most_half_an_interval_old(age_periods):
    now = 10.0 + age_periods * PERIOD
    deadline = fresh_frame_deadline(now, 10.0, PERIOD)
    assert deadline == pytest.approx(10.0 + 1.5 * PERIOD)
    next_frame_t = 10.0 + PERIOD  # due one interval after the stale one
    assert now < deadline and next_frame_t <= deadline
    assert max(now, next_frame_t) - next_frame_t <= PERIOD / 2  # its age when taken


def test_with_no_interval_known_yet_every_frame_is_taken():
    assert fresh_frame_deadline(99.0, 0.0, 0.0) is None


def test_a_slow_consumer_gets_each_frame_once_in_order_and_the_others_are_dropped(samples_dir):
    import time

    src = open_live_source(str(samples_dir / SLR))
    taken = []
    try:
        for t, _frame in src:
            taken.append(t)
            if len(taken) == 12:
                break
            time.sleep(0.05)  # slower than the 30 fps "camera" (the pace, not a measurement)
    finally:
        src.close()
    assert np.all(np.diff(taken) > 0)  # never the same frame twice, never an older one
    assert src.dropped >= 1  # frames it was too slow for were passed over, not queued


def test_a_looping_file_plays_on_past_its_end(samples_dir):
    src = open_live_source(str(samples_dir / BRIDGE), loop=True)
    frames_in_clip = round(src.info.fps * 3.0) if src.info.fps else 90
    taken = []
    try:
        for t, _frame in src:
            taken.append(t)
            if len(taken) + src.dropped > frames_in_clip + 30:  # well past the clip's last frame
                break
    finally:
        src.close()
    assert len(taken) + src.dropped > frames_in_clip  # it did not stop at the end of the clip
    assert np.all(np.diff(taken) > 0)  # time runs on across the wrap-around
