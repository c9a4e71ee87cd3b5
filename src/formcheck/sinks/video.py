"""Writes annotated frames to a video file, so a half-written file never looks finished.

Frames go to ``<name>.partial<suffix>`` (e.g. ``out.partial.mp4``) and the file is renamed
to its real name when the sink closes. A crash of the whole process therefore leaves a
file whose name says it is incomplete. An exception inside the ``with`` block is
different: the frames written so far are real, measured output a therapist may want, so
the file is still renamed to its real name and a warning says it stops early.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from formcheck.errors import VideoError

__all__ = ["FOURCC_BY_SUFFIX", "VideoSink"]

log = logging.getLogger(__name__)

#: Codec used for each supported file extension (these work with OpenCV's bundled FFmpeg).
FOURCC_BY_SUFFIX: dict[str, str] = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG"}


class VideoSink:
    """A context manager writing BGR frames of one size to ``path``.

    Args:
        path: output file; its extension picks the codec (``.mp4`` → mp4v, ``.avi`` → MJPG).
        fps: frames per second of the output (a float: 29.97 stays 29.97).
        frame_size: (width, height) in pixels; every frame must have exactly this size,
            because OpenCV silently drops frames of any other size.

    Raises:
        VideoError: when the file cannot be opened for writing (missing folder,
            unsupported extension, no encoder).

    Example::

        with VideoSink("out.mp4", fps=30.0, frame_size=(1280, 720)) as sink:
            for frame in frames:
                sink.write(frame)
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, frame_size: tuple[int, int]) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in FOURCC_BY_SUFFIX:
            raise VideoError(
                f"Cannot write video {self.path}: unsupported extension {self.path.suffix or '(none)'!r}; "
                f"use one of {', '.join(FOURCC_BY_SUFFIX)}."
            )
        if not (fps > 0 and np.isfinite(fps)):
            raise VideoError(f"Cannot write video {self.path}: frame rate must be positive, got {fps!r}.")
        w, h = (int(v) for v in frame_size)
        if w <= 0 or h <= 0:
            raise VideoError(f"Cannot write video {self.path}: frame size must be positive, got {frame_size!r}.")
        self.fps = float(fps)
        self.frame_size = (w, h)
        self.partial_path = self.path.with_suffix(".partial" + self.path.suffix)
        self.frames_written = 0
        self._fourcc = FOURCC_BY_SUFFIX[suffix]
        self._writer: cv2.VideoWriter | None = None

    # ------------------------------------------------------------------ lifecycle
    def open(self) -> VideoSink:
        """Open the partial file for writing (``with`` does this for you)."""
        if self._writer is not None:
            return self
        folder = self.path.parent
        if not folder.is_dir():
            raise VideoError(f"Cannot write video {self.path}: the folder {folder} does not exist.")
        writer = cv2.VideoWriter(
            str(self.partial_path), cv2.VideoWriter.fourcc(*self._fourcc), self.fps, self.frame_size
        )
        if not writer.isOpened():
            writer.release()
            self.partial_path.unlink(missing_ok=True)
            raise VideoError(
                f"Cannot write video {self.path}: OpenCV could not open it for writing "
                f"with the {self._fourcc} codec (check that the folder is writable)."
            )
        self._writer = writer
        self.frames_written = 0
        return self

    def write(self, frame_bgr: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 BGR frame of the sink's size."""
        if self._writer is None:
            raise VideoError(f"Cannot write to {self.path}: the video sink is not open (use it in a `with`).")
        w, h = self.frame_size
        if frame_bgr.shape != (h, w, 3) or frame_bgr.dtype != np.uint8:
            raise ValueError(
                f"{self.path}: expected a ({h}, {w}, 3) uint8 BGR frame, got {frame_bgr.shape} {frame_bgr.dtype}"
            )
        self._writer.write(frame_bgr)
        self.frames_written += 1

    def close(self, interrupted: bool = False) -> Path | None:
        """Finish the file and give it its real name; returns that path.

        With no frames written there is nothing to keep: the partial file is removed and
        None is returned. ``interrupted`` only changes the warning: the frames written
        are kept either way.
        """
        writer, self._writer = self._writer, None
        if writer is None:
            return self.path if self.path.exists() else None
        writer.release()
        if self.frames_written == 0:
            self.partial_path.unlink(missing_ok=True)
            log.warning("No frames were written, so no video was saved to %s.", self.path)
            return None
        os.replace(self.partial_path, self.path)
        if interrupted:
            log.warning(
                "Stopped early: the annotated video %s holds only the first %d frames (%.1f s).",
                self.path, self.frames_written, self.frames_written / self.fps,
            )  # fmt: skip
        return self.path

    def __enter__(self) -> VideoSink:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        interrupted = exc is not None
        saved = self.close(interrupted=interrupted)
        if exc is not None and saved is not None:
            exc.add_note(f"The annotated video written so far ({self.frames_written} frames) was kept at {saved}.")
