"""Preparing OpenCV's (Qt) HighGUI windows."""

from __future__ import annotations

import os
from pathlib import Path

_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/noto",
    "/Library/Fonts",
)


def use_system_fonts() -> None:
    """OpenCV's Qt build looks for fonts in its own (empty) folder: trackbar labels come out
    blank and Qt complains on stderr. Point it at the system's fonts when its folder has none.
    Must run before the first window opens."""
    cur = os.environ.get("QT_QPA_FONTDIR")
    if cur and Path(cur).is_dir() and any(Path(cur).glob("*.[to]tf")):
        return
    for d in _FONT_DIRS:
        p = Path(d)
        if p.is_dir() and any(p.glob("*.[to]tf")):
            os.environ["QT_QPA_FONTDIR"] = str(p)
            return
