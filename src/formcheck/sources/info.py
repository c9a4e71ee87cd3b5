"""What every frame source is and reports: no OpenCV here, so light modules can name them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What a source reports about itself. ``frames`` is an estimate (0 = unknown/live)."""

    source: str
    width: int
    height: int
    fps: float
    frames: int
    live: bool

    @property
    def aspect(self) -> float:
        return self.width / self.height if self.height else 1.0

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps if self.fps > 0 and self.frames > 0 else 0.0


class FrameSource(Protocol):
    """Yields ``(t_s, frame_bgr)`` in stream order; ``close`` releases it."""

    info: VideoInfo

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]: ...

    def close(self) -> None: ...
