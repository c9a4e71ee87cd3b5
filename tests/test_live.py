"""The live loop on a video file played at real-time pace: what it measures about itself."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.config import get_exercise
from formcheck.live import LiveOptions, run_live

pytestmark = pytest.mark.real

BRIDGE = "bridge_side_physioplus.mp4"  # 3 s at 30 fps


def test_live_run_reports_latency_inference_and_dropped_frames(samples_dir, models_dir):
    opts = LiveOptions(
        source=str(samples_dir / BRIDGE), model="lite", model_dir=models_dir, window=False, keep_trace=False
    )
    report, stats, trace = run_live(get_exercise("bridge"), opts)
    assert report["complete"]
    assert stats.frames > 20
    assert len(stats.latency_ms) == len(stats.inference_ms) == stats.frames
    lat, inf = np.asarray(stats.latency_ms), np.asarray(stats.inference_ms)
    assert np.all(lat >= inf)  # capture → shown includes the inference of that frame
    assert np.median(lat) < np.median(inf) + 60.0  # and little else, even on a busy CI machine
    # Every camera frame was either shown or dropped for a newer one: nothing queued.
    assert stats.frames + stats.dropped == pytest.approx(91, abs=3)
    assert report["live"] == {"frames_shown": stats.frames, "frames_dropped": stats.dropped, "ended_by": "source_end"}
    assert len(trace) == 0  # not kept unless asked: memory stays flat in long sessions


def test_live_run_keeps_the_trace_when_asked(samples_dir, models_dir):
    opts = LiveOptions(source=str(samples_dir / BRIDGE), model="lite", model_dir=models_dir, window=False,
                       max_seconds=1.0)  # fmt: skip
    _report, stats, trace = run_live(get_exercise("bridge"), opts)
    assert len(trace) == stats.frames > 0
    assert np.all(np.diff(trace.t_s) > 0)
