"""``formcheck tune`` for real: the window under Xvfb, driven by a scripted person."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.exercises.profiles import load_profile
from formcheck.formats.trace import save_trace
from formcheck_testing import synthetic

from .conftest import screenshot

pytestmark = pytest.mark.gui


def _red(img: np.ndarray) -> np.ndarray:
    """Pixels of the faulty-rep shading (a red tint over the dark plot)."""
    b, g, r = (img[..., i].astype(int) for i in range(3))
    return (r > b + 25) & (r > g + 25) & (r < 140)


def test_tune_window_replays_retunes_and_saves_a_profile(xdisplay, tmp_path: Path):
    trace = synthetic.wall_squat(reps=3, hold_s=6.0, noise_world_m=0.005, seed=2)
    trace.meta.extra = {}
    save_trace(trace, tmp_path / "session.npz")
    profile = tmp_path / "smith.profile.toml"
    before, after = tmp_path / "before.png", tmp_path / "after.png"
    script = (
        f"wait:0.5 shot:{before} key:space wait:1.0 key:space key:right key:n "
        f"set:hold_s=8 wait:0.4 shot:{after} key:s wait:3"
    )
    env = {**os.environ, "DISPLAY": xdisplay}
    cmd = [sys.executable, "-m", "formcheck", "tune", str(tmp_path / "session.npz"), "-e", "wall_squat",
           "--out", str(profile), "--script", script]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not profile.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        time.sleep(1.0)
        screen = screenshot(xdisplay, tmp_path / "screen.png")
    finally:
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"saved {profile}" in out

    # The saved profile holds exactly the one changed value.
    assert load_profile(profile).for_exercise("wall_squat") == {"hold_s": 8.0}

    # Before: three reps as prescribed (no red); after hold_s = 8: three faulty reps in red.
    img_before, img_after = cv2.imread(str(before)), cv2.imread(str(after))
    assert img_before.shape == img_after.shape and img_before.shape[1] == 1280
    plot_rows = slice(img_after.shape[0] - 330, img_after.shape[0] - 30)
    assert _red(img_before[plot_rows]).sum() < 2_000
    red_cols = np.flatnonzero(_red(img_after[plot_rows]).sum(axis=0) > 50)
    assert red_cols.size > 300  # three wide red spans
    assert np.count_nonzero(np.diff(red_cols) > 20) >= 2

    # On the real screen: the window with its trackbars (light rows below the image).
    light_rows = np.flatnonzero((screen.min(axis=2) > 200).sum(axis=1) > 600)
    assert light_rows.size > 40, "no trackbars visible"


def test_tune_window_takes_real_key_presses(xdisplay, tmp_path: Path):
    """Arrow keys seek (they must not be mistaken for letters: Left is 0xFF51, 'Q' 0x51), s saves, q quits."""
    import shutil

    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed (apt-get install xdotool)")
    trace = synthetic.wall_squat(reps=2, seed=1)
    trace.meta.extra = {}
    save_trace(trace, tmp_path / "t.npz")
    profile = tmp_path / "out.toml"
    env = {**os.environ, "DISPLAY": xdisplay}
    cmd = [sys.executable, "-m", "formcheck", "tune", str(tmp_path / "t.npz"), "-e", "wall_squat",
           "--out", str(profile), "--script", "wait:60"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        win = ""
        deadline = time.monotonic() + 30
        while not win and time.monotonic() < deadline:
            time.sleep(0.5)
            found = subprocess.run(["xdotool", "search", "--name", "formcheck tune"], env=env, capture_output=True,
                                   text=True)  # fmt: skip
            win = found.stdout.split()[0] if found.stdout.split() else ""
        assert win, "the tune window did not appear"
        for key in ("Right", "Right", "Left", "s"):
            subprocess.run(["xdotool", "key", "--window", win, key], env=env, check=True)
            time.sleep(0.4)
        assert proc.poll() is None, "an arrow key closed the window"
        deadline = time.monotonic() + 10
        while not profile.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        subprocess.run(["xdotool", "key", "--window", win, "q"], env=env, check=True)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert f"saved {profile}" in out
    assert load_profile(profile).for_exercise("wall_squat") == {}  # nothing was changed
