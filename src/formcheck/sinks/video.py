"""Writes annotated frames to a video file, so a half-written file never looks finished.

Frames go to a unique temp file created exclusively in the target's folder
(``.<name>.XXXXXXXX.tmp<suffix>``, :class:`formcheck.sinks.outputs.PendingOutput`: never a
predictable name a planted symlink could redirect), which replaces the target atomically
when the sink closes. Before that the finished file is opened again and its frame count
checked: a file cut short by a full disk or a file-size limit (OpenCV's writer does not
report write errors) is removed and :class:`~formcheck.sinks.outputs.OutputError` says so, and an
old file at the path stays as it was. A crash of the whole process leaves only a hidden temp
file. An exception inside the ``with`` block is different: the frames written so far are
real, measured output a therapist may want, so the file is still put in place and a warning
says it stops early.

``write(frame, t_s)`` places frames at their real times (a live session drops frames it
cannot keep up with): the previous frame is repeated to fill the gap, so the video plays at
real speed however many frames were dropped.

``.mp4``, ``.m4v`` and ``.mov`` are written as H.264 (yuv420p, the index moved to the front
so a browser starts playing before the whole file has arrived) through PyAV, whose wheel
brings FFmpeg with libx264: a browser plays it and it is about a tenth of the size of
OpenCV's MPEG-4 Part 2. Should that encoder be missing at run time, OpenCV's mp4v writer
is used instead, with a one-line warning. ``.avi`` stays Motion JPEG through OpenCV.
"""

from __future__ import annotations

import logging
import os
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from formcheck.errors import VideoError
from formcheck.runtime.interrupts import whole
from formcheck.sinks.outputs import OutputError, PendingOutput

__all__ = ["FOURCC_BY_SUFFIX", "H264_SUFFIXES", "VideoSink", "h264_available"]

log = logging.getLogger(__name__)

#: Supported file extensions and OpenCV's codec for each (the writer used for ``.avi``, and
#: for the others only when H.264 is not available).
FOURCC_BY_SUFFIX: dict[str, str] = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG"}
#: Extensions written as H.264 through PyAV when its libx264 encoder is there.
H264_SUFFIXES = frozenset({".mp4", ".m4v", ".mov"})
#: x264's constant quality (lower is better; 23 is its default, visually clean for overlays).
H264_CRF = 23
#: x264's speed preset for a finished recording (``score --video-out``, encoded on its own
#: thread): on the 720p sample clip ~1/6 of mp4v's size for ~2x its CPU per frame.
H264_PRESET = "veryfast"
#: ... and for a live recording, encoded inside the camera loop (``realtime=True``): less CPU
#: per frame than mp4v, ~2/3 of its size (measured on the same clip).
H264_PRESET_REALTIME = "ultrafast"


class VideoSink:
    """A context manager writing BGR frames of one size to ``path``.

    Args:
        path: output file; its extension picks the codec (``.mp4``/``.m4v``/``.mov`` → H.264,
            ``.avi`` → Motion JPEG).
        fps: frames per second of the output (a float: 29.97 stays 29.97).
        frame_size: (width, height) in pixels; every frame must have exactly this size,
            because OpenCV silently drops frames of any other size.
        realtime: the frames come from a live loop that must keep up: H.264 is encoded
            with x264's fastest preset (a bigger file for less CPU per frame).

    Raises:
        VideoError: when the file cannot be opened for writing (missing folder,
            unsupported extension, no encoder).

    Example::

        with VideoSink("out.mp4", fps=30.0, frame_size=(1280, 720)) as sink:
            for frame in frames:
                sink.write(frame)
    """

    def __init__(
        self, path: str | os.PathLike[str], fps: float, frame_size: tuple[int, int], *, realtime: bool = False
    ) -> None:
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
        self.frames_written = 0
        #: Frames given to :meth:`write` that were not written (they came faster than ``fps``).
        self.frames_skipped = 0
        self._fourcc = FOURCC_BY_SUFFIX[suffix]
        self._h264 = suffix in H264_SUFFIXES
        self._preset = H264_PRESET_REALTIME if realtime else H264_PRESET
        #: The codec actually written ("h264", "mp4v" or "MJPG"), known once open.
        self.codec: str | None = None
        self._writer: _CvWriter | _AvWriter | None = None
        self._pending: PendingOutput | None = None
        self._t0: float | None = None
        self._last: np.ndarray | None = None

    @property
    def tmp_path(self) -> Path | None:
        """The temp file being written while the sink is open (None when closed)."""
        return self._pending.tmp_path if self._pending is not None else None

    # ------------------------------------------------------------------ lifecycle
    def open(self) -> VideoSink:
        """Open the temp file for writing (``with`` does this for you)."""
        if self._writer is not None:
            return self
        folder = self.path.parent
        if not folder.exists() and not self.path.is_symlink():
            existing = next((f for f in folder.parents if f.exists()), None)
            if existing is None or existing.is_dir():  # (under a file: PendingOutput says so)
                raise VideoError(f"Cannot write video {self.path}: the folder {folder} does not exist.")
        pending = PendingOutput(self.path, what="video", suffix=self.path.suffix)
        pending.release_fd()  # both writers open the temp file by name
        writer: _CvWriter | _AvWriter
        if self._h264 and h264_available():
            try:
                writer = _AvWriter(pending.tmp_path, self.fps, self.frame_size, self._preset)
            except Exception as e:  # av.FFmpegError and its OSError subclasses: a clear line
                pending.discard()
                raise VideoError(f"Cannot write video {self.path}: the H.264 encoder could not open it ({e})") from None
        else:
            if self._h264:
                log.warning(
                    "H.264 (PyAV with libx264) is not available, so %s is written as MPEG-4 Part 2 (larger, "
                    "and browsers do not play it); `pip install av` fixes it.", self.path,
                )  # fmt: skip
            writer = _CvWriter(pending.tmp_path, self._fourcc, self.fps, self.frame_size)
            if not writer.is_open:
                writer.close()
                pending.discard()
                raise VideoError(
                    f"Cannot write video {self.path}: OpenCV could not open it for writing "
                    f"with the {self._fourcc} codec (check that the folder is writable)."
                )
        self.codec = writer.codec
        self._writer, self._pending = writer, pending
        self.frames_written = self.frames_skipped = 0
        self._t0 = self._last = None
        return self

    def write(self, frame_bgr: np.ndarray, t_s: float | None = None) -> None:
        """Append one (H, W, 3) uint8 BGR frame of the sink's size.

        With ``t_s`` (seconds, any origin) the frame goes where its time falls on the
        ``fps`` grid counted from the first timed frame: the previous frame is repeated up
        to there (it was on screen meanwhile), and a frame whose slot is already taken is
        skipped. The video then lasts as long as the session, whatever was dropped.
        """
        if self._writer is None:
            raise VideoError(f"Cannot write to {self.path}: the video sink is not open (use it in a `with`).")
        w, h = self.frame_size
        if frame_bgr.shape != (h, w, 3) or frame_bgr.dtype != np.uint8:
            raise ValueError(
                f"{self.path}: expected a ({h}, {w}, 3) uint8 BGR frame, got {frame_bgr.shape} {frame_bgr.dtype}"
            )
        with whole():  # Ctrl-C or SIGTERM between encoding and writing would lose a counted frame
            if t_s is not None and np.isfinite(t_s):
                if self._t0 is None:
                    self._t0 = float(t_s)
                slot = round((float(t_s) - self._t0) * self.fps)
                if slot < self.frames_written:
                    self.frames_skipped += 1
                    return
                while self._last is not None and self.frames_written < slot:  # (repeats cost x264 little)
                    self._writer.write(self._last)
                    self.frames_written += 1
            self._writer.write(frame_bgr)
            self.frames_written += 1
            self._last = frame_bgr

    def close(self, interrupted: bool = False) -> Path | None:
        """Finish the file, check it and put it in place; returns that path.

        With no frames written there is nothing to keep: the temp file is removed and None
        is returned. ``interrupted`` only changes the warning: the frames written are kept
        either way. Raises OutputError (the old file at the path intact, the temp file
        removed) when the file came out short of the frames written or cannot be moved.
        """
        writer, self._writer = self._writer, None
        pending, self._pending = self._pending, None
        self._last = None
        if writer is None or pending is None:
            return self.path if self.path.exists() else None
        try:
            writer.close()
        except cv2.error as e:
            pending.discard()
            raise OutputError(f"Cannot write video {self.path}: the encoder failed ({e}).") from None
        if writer.error is not None:
            readable = _frames_in(pending.tmp_path) if isinstance(writer.error, OSError) else 0
            pending.discard()
            if isinstance(writer.error, OSError):  # ENOSPC, EFBIG (a file-size limit)
                raise OutputError(_short_message(self.path, readable, self.frames_written))
            raise OutputError(f"Cannot write video {self.path}: the encoder failed ({writer.error}).")
        if self.frames_written == 0:
            pending.discard()
            log.warning("No frames were written, so no video was saved to %s.", self.path)
            return None
        readable = _frames_in(pending.tmp_path)
        # The container's count is derived from its duration for some rates (29.97: off by
        # one); a file cut short by a full disk has lost its index and opens with none.
        if abs(readable - self.frames_written) > max(2, self.frames_written // 100):
            pending.discard()
            raise OutputError(_short_message(self.path, readable, self.frames_written))
        pending.commit()
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
        try:
            saved = self.close(interrupted=interrupted)
        except OutputError as e:
            if exc is None:
                raise
            exc.add_note(str(e))  # the error in flight is the one to report
            return
        if exc is not None and saved is not None:
            exc.add_note(f"The annotated video written so far ({self.frames_written} frames) was kept at {saved}.")


def _short_message(path: Path, reached: int, written: int) -> str:
    return (
        f"Cannot write video {path} (the old file was left as it was): only {reached} of "
        f"{written} frames reached the disk (is it full, or a file size limit reached?)."
    )


_h264: bool | None = None


def h264_available() -> bool:
    """Whether PyAV and its libx264 encoder can be loaded (checked once)."""
    global _h264
    if _h264 is None:
        try:
            import av

            av.codec.Codec("libx264", "w")
            _h264 = True
        except Exception:  # ImportError, a broken wheel, or an FFmpeg built without libx264
            _h264 = False
    return _h264


class _CvWriter:
    """OpenCV's VideoWriter (mp4v or MJPG). It does not report write errors: the frame
    count of the finished file is what catches a short file."""

    error: Exception | None = None

    def __init__(self, path: Path, fourcc: str, fps: float, frame_size: tuple[int, int]) -> None:
        self.codec = fourcc
        self._w = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, frame_size)

    @property
    def is_open(self) -> bool:
        return bool(self._w.isOpened())

    def write(self, frame_bgr: np.ndarray) -> None:
        self._w.write(frame_bgr)

    def close(self) -> None:
        self._w.release()


class _AvWriter:
    """H.264 (libx264, yuv420p) in an MP4/MOV container through PyAV, with ``+faststart``.

    Frame ``i`` gets pts ``i`` in a time base of 1/fps, so the file's timestamps are the
    sink's fps grid. yuv420p halves the chroma, so an odd width or height is padded by one
    repeated edge row/column. A write error (full disk, file-size limit) is remembered and
    later frames dropped: :meth:`VideoSink.close` reports it.
    """

    codec = "h264"

    def __init__(self, path: Path, fps: float, frame_size: tuple[int, int], preset: str) -> None:
        import av

        self._av = av
        #: The first encoding or write error (av.FFmpegError; its OSError subclasses carry errno).
        self.error: Exception | None = None
        self.frames_encoded = 0
        w, h = frame_size
        self._pad = ((0, h % 2), (0, w % 2), (0, 0))
        rate = Fraction(fps).limit_denominator(10_000)  # 29.97002997… → 30000/1001 exactly
        self._container = av.open(str(path), "w", options={"movflags": "+faststart"})
        try:
            stream = self._container.add_stream("libx264", rate=rate)
            stream.width, stream.height = w + w % 2, h + h % 2
            stream.pix_fmt = "yuv420p"
            stream.codec_context.time_base = 1 / rate
            stream.options = {"crf": str(H264_CRF), "preset": preset}
            # Tag the colours as converted (BT.601, limited range), so players do not guess.
            cc = stream.codec_context
            cc.color_range = 1  # AVCOL_RANGE_MPEG
            cc.colorspace = cc.color_primaries = cc.color_trc = 6  # SMPTE 170M (BT.601)
            self._stream = stream
        except Exception:
            self._container.close()
            raise

    def write(self, frame_bgr: np.ndarray) -> None:
        if self.error is not None:
            return
        if self._pad[0][1] or self._pad[1][1]:
            frame_bgr = np.pad(frame_bgr, self._pad, mode="edge")
        # OpenCV's BT.601 limited-range conversion: what swscale would do, at ~1/3 of its cost.
        yuv = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2YUV_I420)
        frame = self._av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = self.frames_encoded
        try:
            self._container.mux(self._stream.encode(frame))
        except self._av.FFmpegError as e:
            self.error = e
            return
        self.frames_encoded += 1

    def close(self) -> None:
        try:
            if self.error is None:
                self._container.mux(self._stream.encode(None))  # flush the encoder's look-ahead
        except self._av.FFmpegError as e:
            self.error = e
        try:
            self._container.close()  # writes the index, then moves it to the front (faststart)
        except self._av.FFmpegError as e:
            self.error = self.error or e


def _frames_in(path: Path) -> int:
    """Frames a finished video file holds by its container (0 if it cannot be opened).

    Read with PyAV when it is there: it keeps FFmpeg quiet, where OpenCV lets FFmpeg print
    "moov atom not found" to stderr next to formcheck's own one-line message.
    """
    if h264_available():
        import av

        try:
            with av.open(str(path)) as c:
                return max(0, int(c.streams.video[0].frames)) if c.streams.video else 0
        except av.FFmpegError:
            return 0
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            return 0
        return max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
    finally:
        cap.release()
