"""The pose-backend seam: backends by name, a replay backend, and a new backend in one module
plus its registration (the recipe of docs/architecture.md, run here with a test-local backend)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.cli import main
from formcheck.errors import ConfigError
from formcheck.exercises.config import get_exercise
from formcheck.formats.trace import save_trace
from formcheck.pose.backend import (
    BackendFactory,
    BackendSpec,
    PoseBackend,
    backend_model_id,
    backend_names,
    get_backend,
    open_backend,
    register_backend,
    unregister_backend,
)
from formcheck.pose.frame import PoseFrame, PoseTrace
from formcheck.pose.replay import ReplayBackend, TraceFrameSource
from formcheck.programs.batch import score_video
from formcheck.programs.rescoring import rescore_trace
from formcheck.programs.scoring import ScoreOptions
from formcheck_testing import synthetic


def test_the_builtin_backends_are_registered_by_name():
    assert {"mediapipe", "replay"} <= set(backend_names())


def test_an_unknown_backend_is_a_config_error_naming_the_valid_ones():
    with pytest.raises(ConfigError, match=r"Unknown pose backend 'rtmpose': use one of .*mediapipe.*replay"):
        get_backend("rtmpose")


def test_the_cli_says_so_in_one_line(capsys, tmp_path):
    rc = main(["score", str(tmp_path / "v.mp4"), "-e", "squat", "--backend", "nope"])
    err = capsys.readouterr().err
    assert rc != 0 and "Unknown pose backend 'nope'" in err and "Traceback" not in err


def test_named_mediapipe_models_keep_their_names_as_ids_and_load_nothing():
    code = (
        "import sys; from formcheck.pose.backend import BackendSpec, backend_model_id;"
        "ids = [backend_model_id(BackendSpec(model=m)) for m in ('lite', 'full', 'heavy')];"
        "assert ids == ['lite', 'full', 'heavy'], ids;"
        "assert 'mediapipe' not in sys.modules and 'cv2' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_mediapipe_backend_is_a_pose_backend(models_dir):
    with open_backend(BackendSpec("mediapipe", "lite", models_dir), progress=False) as backend:
        assert isinstance(backend, PoseBackend)
        assert backend.model_id == "lite"
        pose = backend.detect(np.zeros((120, 160, 3), np.uint8), 0.0)
    assert pose.n_people == 0


def test_replay_answers_with_the_recorded_pose_at_the_asked_time():
    trace = synthetic.squat(reps=1)
    shifted = dataclasses.replace(trace, t_s=trace.t_s + 100.0)  # a trace need not start at 0
    backend = ReplayBackend(shifted)
    blank = np.zeros((4, 4, 3), np.uint8)
    for i in (0, 1, 2, 30, 31):
        pose = backend.detect(blank, float(trace.t_s[i]))
        assert pose.t_s == trace.t_s[i]
        np.testing.assert_array_equal(pose.image_xy, trace.image_xy[i])
    later = backend.detect(blank, float(trace.t_s[31]) + 0.01)  # between frames: the last recorded
    np.testing.assert_array_equal(later.image_xy, trace.image_xy[31])


def test_a_trace_frame_source_paces_by_an_injected_clock_and_drops_nothing():
    trace = synthetic.squat(reps=1)
    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    src = TraceFrameSource(trace, realtime=True, clock=lambda: now[0], sleep=sleep)
    times = [t for t, _ in src]
    assert times == trace.t_s.tolist()
    assert len(waits) == len(trace) - 1 and sum(waits) == pytest.approx(trace.t_s[-1] - trace.t_s[0])


# ------------------------------------------------------------ recipe: a new backend, one module + registration
class _ScriptedBackend:
    """A test-local backend: the poses of a synthetic recording at the frames' times
    (what an RTMPose or depth-camera backend would compute from the pixels; offline
    scoring may skip frames, so the pose goes by time, not by call)."""

    def __init__(self, trace: PoseTrace) -> None:
        self.trace = trace
        self.model_id = "scripted:v1"

    def detect(self, frame_bgr: np.ndarray, t_s: float) -> PoseFrame:
        since = self.trace.t_s - self.trace.t_s[0]
        i = int(np.searchsorted(since, t_s + 1e-3, side="right")) - 1
        return dataclasses.replace(self.trace.frame(min(max(i, 0), len(self.trace) - 1)), t_s=t_s)

    def restart(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _ScriptedBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _blank_video(path: Path, n: int, fps: float = 30.0) -> Path:
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 36))
    frame = np.full((36, 64, 3), 90, np.uint8)
    for _ in range(n):
        out.write(frame)
    out.release()
    return path


@pytest.fixture
def scripted_backend():
    trace = synthetic.squat(reps=3)
    register_backend(
        BackendFactory("scripted", lambda spec, progress: _ScriptedBackend(trace), lambda spec: "scripted:v1")
    )
    yield trace
    unregister_backend("scripted")


def test_a_registered_backend_scores_a_video_like_rescoring_its_poses(scripted_backend, tmp_path):
    trace = scripted_backend
    video = _blank_video(tmp_path / "blank.mp4", len(trace))
    cfg = get_exercise("squat")
    # every frame: the backend's poses exactly (the adaptive rate interpolates between them)
    opts = ScoreOptions(pose=BackendSpec("scripted", ""), progress=False, use_cache=False, rate=None)
    result = score_video(video, cfg, opts)
    assert result.report["model"] == "scripted:v1" and result.report["complete"]
    expected = rescore_trace(trace, cfg)
    assert result.report["reps"] == expected["reps"] == 3
    assert [r["peak"] for r in result.report["rep_details"]] == [r["peak"] for r in expected["rep_details"]]


def test_the_cli_runs_a_registered_backend_by_name(scripted_backend, tmp_path, capsys):
    video = _blank_video(tmp_path / "blank.mp4", len(scripted_backend))
    rc = main(["score", str(video), "-e", "squat", "--backend", "scripted", "--no-cache", "--no-progress", "-j", "1"])
    assert rc == 0
    assert "reps: 3" in capsys.readouterr().out


def test_the_replay_backend_scores_a_video_from_a_saved_trace(tmp_path):
    trace = synthetic.squat(reps=2)
    save_trace(trace, tmp_path / "s.npz")
    video = _blank_video(tmp_path / "blank.mp4", len(trace))
    spec = BackendSpec("replay", str(tmp_path / "s.npz"))
    assert backend_model_id(spec) == "replay:s.npz"
    result = score_video(video, get_exercise("squat"), ScoreOptions(pose=spec, progress=False, use_cache=False))
    assert result.report["reps"] == 2
