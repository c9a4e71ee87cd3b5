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


class _ScriptedSource:
    """A live source whose frames arrive at scripted capture times (an injected clock): the
    frames between them count as dropped, as a camera's do when inference falls behind."""

    def __init__(self, frames: list[np.ndarray], times_s: list[float], fps: float) -> None:
        from formcheck.sources.video import VideoInfo

        h, w = frames[0].shape[:2]
        self.info = VideoInfo("scripted", w, h, fps, 0, live=True)
        self._items = list(zip(times_s, frames, strict=True))
        self.dropped = round((times_s[-1] - times_s[0]) * fps) + 1 - len(frames)

    def __iter__(self):
        yield from self._items

    def close(self) -> None:
        pass


def test_live_recording_lasts_as_long_as_the_session_whatever_was_dropped(
    samples_dir, models_dir, tmp_path, monkeypatch
):
    import cv2

    cap = cv2.VideoCapture(str(samples_dir / BRIDGE))
    frames = [cap.read()[1] for _ in range(6)]
    cap.release()
    times = [100.0, 100.1, 100.5, 101.0, 101.9, 102.0]  # 2.0 s shown as 6 frames: the rest dropped
    monkeypatch.setattr(
        "formcheck.sources.video.open_live_source", lambda spec, loop=False: _ScriptedSource(frames, times, 10.0)
    )
    opts = LiveOptions(source="scripted", model="lite", model_dir=models_dir, window=False,
                       record=tmp_path / "rec.mp4")  # fmt: skip
    report, stats, trace = run_live(get_exercise("bridge"), opts)
    assert stats.frames == 6 and report["live"]["frames_dropped"] == 15
    rec = cv2.VideoCapture(str(tmp_path / "rec.mp4"))
    n, fps = int(rec.get(cv2.CAP_PROP_FRAME_COUNT)), rec.get(cv2.CAP_PROP_FPS)
    rec.release()
    assert fps == pytest.approx(10.0) and n == 21  # 0.0 .. 2.0 s at 10 fps: plays 2.1 s, not 0.6 s
    assert np.allclose(trace.t_s, np.asarray(times) - times[0])
