"""A private X display (Xvfb) for tests that open windows."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def xdisplay() -> Iterator[str]:
    """Starts ``Xvfb`` on a free display number and yields it (e.g. ``":93"``)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    for n in range(93, 120):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    display = f":{n}"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(50):
        if Path(f"/tmp/.X11-unix/X{n}").exists():
            break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.skip("Xvfb did not start")
    yield display
    proc.terminate()
    proc.wait(timeout=5)


def screenshot(display: str, path: Path) -> np.ndarray:
    """The whole X screen as a BGR image (via ImageMagick's ``import`` or ``xwd``)."""
    import cv2

    env = {**os.environ, "DISPLAY": display}
    if shutil.which("import"):
        subprocess.run(["import", "-window", "root", str(path)], env=env, check=True, timeout=20)
    elif shutil.which("xwd") and shutil.which("convert"):
        xwd = path.with_suffix(".xwd")
        subprocess.run(["xwd", "-root", "-silent", "-out", str(xwd)], env=env, check=True, timeout=20)
        subprocess.run(["convert", str(xwd), str(path)], check=True, timeout=20)
    else:
        pytest.skip("no screenshot tool (apt-get install imagemagick or x11-apps)")
    img = cv2.imread(str(path))
    assert img is not None, f"screenshot {path} unreadable"
    return img
