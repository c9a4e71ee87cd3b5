"""A run killed midway: SIGTERM ends `score` and `live` the way Ctrl-C does (the report says
``complete: false`` and what ended it, the trace loads, the video plays, nothing is left
running), and the pool's workers never outlive a parent killed with SIGKILL.

The runs are real (a real clip, the real model) in subprocesses. Nothing here depends on
speed: each test waits for a condition (progress shown, a video growing), with generous
time-outs that only bound a hang.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import pytest

from formcheck.formats.trace import load_trace

pytestmark = pytest.mark.real

LONG_CLIP = "pelvic_tilt_supine_side_home.mp4"  # 19 s: two segments, so --jobs 2 uses a worker process
LIVE_CLIP = "squat_front_20reps_onscreen_counter.mp4"  # 43 s played at real time: time to stop it midway
PATIENCE_S = 600.0  # only bounds a hang; a loaded machine is slow, never wrong


def _env(tmp_path: Path, models_dir: Path, workers: str = "threads") -> dict[str, str]:
    env = dict(os.environ)
    env.update(FORMCHECK_MODEL_DIR=str(models_dir), FORMCHECK_CACHE_DIR=str(tmp_path / "cache"))
    env["FORMCHECK_WORKERS"] = workers  # landmarkers on threads (default) or in worker processes
    return env


class _Run:
    """The CLI in a subprocess of its own session, its stderr collected as it comes."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "formcheck", *args],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        self.err = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        while chunk := self.proc.stderr.read1(4096):
            self.err += chunk

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + PATIENCE_S
        while not condition():
            assert self.proc.poll() is None, f"ended before {what}: {self.err.decode(errors='replace')[-2000:]}"
            assert time.monotonic() < deadline, f"never saw {what}"
            time.sleep(0.05)

    def finish(self) -> tuple[int, str, str]:
        # Only stdout here: communicate() would also read stderr, racing the reader thread
        # for its last lines (a line it took was lost to the test).
        assert self.proc.stdout is not None
        out = self.proc.stdout.read()
        self.proc.wait(timeout=PATIENCE_S)
        self._reader.join(timeout=PATIENCE_S)
        return self.proc.returncode, out.decode(), self.err.decode(errors="replace")


def _progress_shown(run: _Run) -> bool:
    """The progress bar counts frames done (``n/total``) and at least one is done."""
    return any(int(n) > 0 for n in re.findall(rb"\| *(\d+)/\d+ ", run.err))


def _growing(folder: Path, name: str) -> bool:
    """A video being written: its temp file already holds encoded frames (beyond the header)."""
    return any(p.stat().st_size > 64 * 1024 for p in folder.glob(f".{name}.*.tmp.mp4"))


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc: no psutil)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: set[int]) -> set[int]:
    deadline = time.monotonic() + 120.0
    while (left := {p for p in pids if alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def frames_readable(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


@pytest.fixture
def clips(samples_dir: Path) -> Path:
    for name in (LONG_CLIP, LIVE_CLIP):
        if not (samples_dir / name).is_file():
            pytest.skip(f"{name} is absent")
    return samples_dir


def test_score_with_workers_killed_by_sigterm_reports_what_it_measured_and_leaves_no_process(
    clips, models_dir, tmp_path
):
    args = ["score", str(clips / LONG_CLIP), "-e", "pelvic_tilt", "--model", "lite", "--jobs", "2"]
    env = _env(tmp_path, models_dir, workers="processes")
    run = _Run([*args, "--json", "r.json", "--trace-out", "t.npz"], tmp_path, env)
    run.wait_for(lambda: _progress_shown(run) and descendants(run.proc.pid), "progress with a worker process")
    workers = descendants(run.proc.pid)
    run.proc.send_signal(signal.SIGTERM)
    code, out, err = run.finish()
    assert code == 130, err
    assert "INCOMPLETE: ended by SIGTERM" in out and "Traceback" not in err, (out, err)
    assert "formcheck: ended by SIGTERM; what was measured until then is reported" in err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["complete"] is False and report["ended_by"] == "SIGTERM" and report["error"] == "ended by SIGTERM"
    trace = load_trace(tmp_path / "t.npz")
    assert len(trace) == report["frames"]
    assert not wait_gone(workers), "worker processes outlived the run"
    assert not list((tmp_path / "cache").glob("*.npz")), "an interrupted trace was cached as whole"


def test_score_with_landmarker_threads_killed_by_sigterm_reports_what_it_measured(clips, models_dir, tmp_path):
    args = ["score", str(clips / LONG_CLIP), "-e", "pelvic_tilt", "--model", "lite", "--jobs", "2"]
    run = _Run([*args, "--json", "r.json", "--trace-out", "t.npz"], tmp_path, _env(tmp_path, models_dir))
    run.wait_for(lambda: _progress_shown(run), "progress")
    assert not descendants(run.proc.pid)  # the landmarkers are threads: no worker process
    run.proc.send_signal(signal.SIGTERM)
    code, out, err = run.finish()
    assert code == 130, err
    assert "INCOMPLETE: ended by SIGTERM" in out and "Traceback" not in err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["complete"] is False and report["ended_by"] == "SIGTERM"
    assert len(load_trace(tmp_path / "t.npz")) == report["frames"]
    assert not list((tmp_path / "cache").glob("*.npz")), "an interrupted trace was cached as whole"


def test_score_with_a_video_killed_by_sigterm_leaves_a_playable_video(clips, models_dir, tmp_path):
    args = ["score", str(clips / LONG_CLIP), "-e", "pelvic_tilt", "--model", "lite", "--jobs", "1"]
    run = _Run([*args, "--json", "r.json", "--video-out", "v.mp4"], tmp_path, _env(tmp_path, models_dir))
    run.wait_for(lambda: _growing(tmp_path, "v.mp4"), "the annotated video growing")
    run.proc.send_signal(signal.SIGTERM)
    code, _out, err = run.finish()
    assert code == 130, err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["complete"] is False and report["ended_by"] == "SIGTERM"
    assert 1 <= frames_readable(tmp_path / "v.mp4") <= report["frames"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["r.json", "v.mp4"]  # no temp left


def test_workers_exit_when_the_parent_is_killed_with_sigkill(clips, models_dir, tmp_path):
    args = ["score", str(clips / LONG_CLIP), "-e", "pelvic_tilt", "--model", "lite", "--jobs", "2", "--no-cache"]
    run = _Run(args, tmp_path, _env(tmp_path, models_dir, workers="processes"))
    run.wait_for(lambda: _progress_shown(run) and descendants(run.proc.pid), "progress with a worker process")
    below = descendants(run.proc.pid)
    assert below
    run.proc.send_signal(signal.SIGKILL)
    run.finish()
    assert not wait_gone(below), "processes outlived a parent killed with SIGKILL"


def test_live_killed_by_sigterm_saves_report_trace_and_a_playable_recording(clips, models_dir, tmp_path):
    args = ["live", "-e", "squat", "--source", str(clips / LIVE_CLIP), "--no-window", "--model", "lite"]
    run = _Run([*args, "--record", "rec.mp4", "--trace-out", "t.npz", "--json", "r.json"], tmp_path,
               _env(tmp_path, models_dir))  # fmt: skip

    run.wait_for(lambda: _growing(tmp_path, "rec.mp4"), "the recording growing")
    run.proc.send_signal(signal.SIGTERM)
    code, out, err = run.finish()
    assert code == 130, err
    assert "INCOMPLETE: ended by SIGTERM" in out and "Traceback" not in err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["complete"] is False and report["ended_by"] == "SIGTERM"
    trace = load_trace(tmp_path / "t.npz")
    assert len(trace) == report["frames"] >= 1
    # Recorded at real time: one frame per 1/fps of the session, however many were dropped.
    # (The signal may fall between the last frame's analysis and its recording.)
    fps = cv2.VideoCapture(str(clips / LIVE_CLIP)).get(cv2.CAP_PROP_FPS)
    slots = [round(float(t - trace.t_s[0]) * fps) + 1 for t in trace.t_s[-2:]]
    lower = slots[0] if len(slots) == 2 else 1
    assert lower <= frames_readable(tmp_path / "rec.mp4") <= slots[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "rec.mp4", "t.npz"]
    assert not descendants(run.proc.pid)
