"""The live window, for real: ``formcheck live`` under Xvfb with a video file as the camera."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from .conftest import screenshot

pytestmark = pytest.mark.gui


def _empty_room_video(path: Path, seconds: float = 10.0, fps: float = 15.0) -> Path:
    """A room with nobody in it: the window must show the 'step into view' prompt."""
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (960, 540))
    rng = np.random.default_rng(0)
    base = np.full((540, 960, 3), (150, 160, 170), np.uint8)
    cv2.rectangle(base, (600, 200), (900, 540), (60, 80, 120), -1)  # a cupboard
    for _ in range(int(seconds * fps)):
        out.write(cv2.add(base, rng.integers(0, 6, base.shape, dtype=np.uint8)))
    out.release()
    return path


def _screenshot_once(display: str, path: Path, proc: subprocess.Popen, shows) -> np.ndarray:
    """A screenshot taken as soon as ``shows(img)`` holds, polling while ``proc`` runs
    (the last one taken when it ends first)."""
    shot = screenshot(display, path)
    while not shows(shot) and proc.poll() is None:
        time.sleep(0.25)  # a polling pace, not a measurement
        shot = screenshot(display, path)
    return shot


def _amber(img: np.ndarray) -> np.ndarray:
    b, g, r = (img[..., i].astype(int) for i in range(3))
    return (r > 220) & (g > 140) & (g < 200) & (b < 60)


def test_live_window_shows_counter_and_position_prompt(xdisplay, models_dir, tmp_path):
    video = _empty_room_video(tmp_path / "room.mp4")
    report = tmp_path / "live.json"
    env = {**os.environ, "DISPLAY": xdisplay, "FORMCHECK_MODEL_DIR": str(models_dir)}
    cmd = [sys.executable, "-m", "formcheck", "live", "-e", "wall_squat", "--source", str(video),
           "--debug", "--max-seconds", "8", "--json", str(report)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Look until the prompt is up (model load + >1 s without a person) or the session
        # ends: however slow this machine is, the window is judged once it shows the prompt.
        shot = _screenshot_once(xdisplay, tmp_path / "live.png", proc, lambda img: _amber(img).sum() > 20_000)
    finally:
        _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err  # nobody was ever measurable: not a normal success
    # The prompt band (amber) spans much of the window's width.
    amber = _amber(shot)
    assert amber.sum() > 20_000, "no position prompt visible in the window"
    rows = np.where(amber.sum(axis=1) > 300)[0]
    assert rows.size > 20
    # The rep counter panel (dark, with white digits) sits at the top right of the video.
    cols = np.where(amber.any(axis=0))[0]
    x1 = cols.max()
    top = shot[: rows.min(), x1 - 250 : x1]
    assert (top.max(axis=2) > 235).sum() > 500, "no white counter digits at the top right"
    assert (top.max(axis=2) < 90).sum() > 2000, "no dark counter panel at the top right"
    # The session's report says what the window said.
    data = json.loads(report.read_text())
    assert data["reps"] == 0 and not data["complete"] and data["nothing_measurable"]
    assert "nothing was measurable" in _out
    assert any(c["code"] == "not_measurable" and "Step into" in c["text"] for c in data["cues"])
    assert "Traceback" not in err
