"""A routine in a real window (Xvfb): the set shows its progress line and keys; the rest card counts down."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from .conftest import screenshot

pytestmark = pytest.mark.gui

ROUTINE = """
[routine]
name = "two"
title = "Two steps"
prepare_s = 2

[[step]]
exercise = "squat"
reps = 2
rest_s = 20

[[step]]
exercise = "bridge"
reps = 5
"""


def _near(img: np.ndarray, bgr: tuple[int, int, int], tol: int = 40) -> np.ndarray:
    return (np.abs(img.astype(int) - np.array(bgr)).max(axis=2) < tol)


def test_routine_window_shows_progress_keys_and_rest_countdown(xdisplay, models_dir, samples_dir, tmp_path):
    (tmp_path / "two.toml").write_text(ROUTINE)
    env = {**os.environ, "DISPLAY": xdisplay, "FORMCHECK_MODEL_DIR": str(models_dir)}
    cmd = [sys.executable, "-m", "formcheck", "routine", str(tmp_path / "two.toml"), "--db", str(tmp_path / "h.db"),
           "--source", str(samples_dir / "squat_front_20reps_onscreen_counter.mp4"),
           "--source", str(samples_dir / "bridge_side_physioplus.mp4")]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen_set = seen_rest = False
    try:
        end = time.monotonic() + 240  # a hang guard: we look until both have been seen
        i = 0
        while not (seen_set and seen_rest) and proc.poll() is None and time.monotonic() < end:
            i += 1
            shot = screenshot(xdisplay, tmp_path / f"shot{i}.png")
            h, w = shot.shape[:2]
            card_bg = _near(shot, (38, 32, 28), 6).mean()
            if card_bg > 0.3:  # a card: the rest countdown has a green ring and a yellow heading
                ring = _near(shot, (90, 210, 60)).sum()
                heading = _near(shot[: h // 4], (40, 230, 255)).sum()
                if ring > 2000 and heading > 2000 and i > 1:
                    seen_rest = seen_rest or seen_set  # the rest comes after the first set
            elif card_bg < 0.01:  # the live video: status line (yellow) and keys legend, top left
                status = _near(shot[: h // 3, : w // 2], (40, 230, 255), 30).sum()
                seen_set = seen_set or status > 300
            time.sleep(0.5)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert seen_set, "no routine progress line on the live video"
    assert seen_rest, "no rest countdown card after the first set"
    assert "Squat: 2 reps" in out and "dose met" in out
