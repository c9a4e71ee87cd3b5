"""Frames of a video file by index, for replaying a recording back and forth (tuning)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from formcheck.errors import FormcheckError


class SeekableVideo:
    """Frames of a video by index (sequential reads, seeking when jumping)."""

    def __init__(self, path: Path) -> None:
        self.cap = cv2.VideoCapture(str(path))
        if not self.cap.isOpened():
            raise FormcheckError(f"{path}: cannot open the video for replay")
        self.pos = -1
        self.last: np.ndarray | None = None

    def get(self, i: int) -> np.ndarray | None:
        if i == self.pos and self.last is not None:
            return self.last.copy()
        if i != self.pos + 1:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, i)
        ok, frame = self.cap.read()
        if not ok:
            return None if self.last is None else self.last.copy()
        self.pos, self.last = i, frame
        return frame.copy()

    def close(self) -> None:
        self.cap.release()
