"""The live loop on a video file played at real-time pace: what it measures about itself."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.exercises.config import get_exercise
from formcheck.pose.backend import BackendSpec
from formcheck.programs.live import LiveOptions, run_live

pytestmark = pytest.mark.real

BRIDGE = "bridge_side_physioplus.mp4"  # 3 s at 30 fps


def test_live_run_reports_latency_inference_and_dropped_frames(samples_dir, models_dir):
    opts = LiveOptions(
        source=str(samples_dir / BRIDGE),
        pose=BackendSpec(model="lite", model_dir=models_dir),
        window=False,
        keep_trace=False,
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
    opts = LiveOptions(source=str(samples_dir / BRIDGE), pose=BackendSpec(model="lite", model_dir=models_dir),
                       window=False, max_seconds=1.0)  # fmt: skip
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
    opts = LiveOptions(source="scripted", pose=BackendSpec(model="lite", model_dir=models_dir), window=False,
                       record=tmp_path / "rec.mp4")  # fmt: skip
    report, stats, trace = run_live(get_exercise("bridge"), opts)
    assert stats.frames == 6 and report["live"]["frames_dropped"] == 15
    rec = cv2.VideoCapture(str(tmp_path / "rec.mp4"))
    n, fps = int(rec.get(cv2.CAP_PROP_FRAME_COUNT)), rec.get(cv2.CAP_PROP_FPS)
    rec.release()
    assert fps == pytest.approx(10.0) and n == 21  # 0.0 .. 2.0 s at 10 fps: plays 2.1 s, not 0.6 s
    assert np.allclose(trace.t_s, np.asarray(times) - times[0])


# ------------------------------------------------------------ replaying a trace as if live (no model)
def _small_trace(tmp_path, name: str = "squat", **options):
    """A synthetic recording saved as a trace, its frame size made small (same aspect) so that
    drawing the replay costs little."""
    from formcheck.formats.trace import save_trace
    from formcheck_testing import synthetic

    trace = getattr(synthetic, name)(**options)
    trace.meta.width, trace.meta.height = 320, 180
    path = tmp_path / f"{name}.trace.npz"
    save_trace(trace, path)
    return trace, path


def test_live_replays_a_trace_with_no_model_and_reports_what_rescoring_does(tmp_path, monkeypatch):
    from formcheck.programs.rescoring import rescore_trace

    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(tmp_path / "no-models-here"))
    trace, path = _small_trace(tmp_path, reps=3)
    cfg = get_exercise("squat")
    report, stats, kept = run_live(cfg, LiveOptions(source=str(path), window=False, signals=True))
    expected = rescore_trace(path, cfg, signals=True)
    assert report["model"] == f"replay:{path.name}"
    assert stats.frames == len(trace) and stats.dropped == 0 and len(kept) == len(trace)
    assert report["reps"] == expected["reps"] == 3
    for key in ("rep_details", "cues", "signals", "measurable_frames"):
        assert report[key] == expected[key], key


def test_live_cli_writes_json_and_csv_of_a_replayed_trace(tmp_path, capsys):
    import csv
    import json

    from formcheck.cli import main

    _trace, path = _small_trace(tmp_path, reps=2)
    rc = main(["live", "-e", "squat", "--source", str(path), "--no-window",
               "--json", str(tmp_path / "r.json"), "--csv", str(tmp_path / "r.csv")])  # fmt: skip
    assert rc == 0
    assert json.loads((tmp_path / "r.json").read_text())["reps"] == 2
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert [r["index"] for r in rows] == ["1", "2"]
    assert "reps: 2" in capsys.readouterr().out
