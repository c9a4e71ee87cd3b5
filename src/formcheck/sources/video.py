"""Reading frames: every source yields ``(t_s, frame_bgr)`` with time from the stream.

- Files: timestamps are the container's presentation times (``CAP_PROP_POS_MSEC`` of each
  decoded frame), not ``index / fps``, so variable-frame-rate phone videos keep true time.
- Cameras and network streams: read on their own thread that keeps only the newest frame,
  stamped with its capture time; the consumer never works through a backlog.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from formcheck.errors import CameraError, VideoError
from formcheck.sources.info import FrameSource, VideoInfo

__all__ = ["CameraSource", "FrameSource", "VideoFileSource", "VideoInfo", "open_live_source", "open_source"]


def use_one_opencv_thread() -> None:
    """Turn off OpenCV's own worker threads for this process.

    formcheck's per-frame OpenCV work (BGR→RGB, drawing) runs next to MediaPipe, which
    keeps a core busy, and offline scoring already runs one process per core. Spread over
    OpenCV's threads, converting a 720p frame cost ~0.9 ms of CPU instead of ~0.1 ms,
    mostly in threads waiting for each other: ~6 % of the lite model's inference.
    """
    cv2.setNumThreads(1)


def _is_url(spec: str) -> bool:
    return "://" in spec


def open_source(spec: str | int | Path) -> FrameSource:
    """A camera index (``0``), a URL (``rtsp://…``, ``http://…``) or a video file path."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return CameraSource(int(spec))
    if isinstance(spec, str) and _is_url(spec):
        return CameraSource(spec)
    return VideoFileSource(Path(spec))


def open_live_source(spec: str | int | Path, loop: bool = False) -> CameraSource:
    """For live use: cameras and streams as they are; a video file played at real-time pace
    as if it were a camera (frames it is too slow to take are dropped, like a webcam's),
    over and over with ``loop``."""
    if isinstance(spec, int) or (isinstance(spec, str) and (spec.isdigit() or _is_url(spec))):
        return CameraSource(int(spec) if str(spec).isdigit() else spec)
    probe = VideoFileSource(Path(spec))
    probe.close()
    return CameraSource(str(probe.path), paced_file=True, loop=loop)


#: Decoding may end this far short of the container's stated length without the video
#: being called incomplete: headers overstate a little (a 60 fps clip stated 607 frames and
#: held 600, 0.12 s).
END_SLACK_S = 0.5
END_SLACK_FRAMES = 3

#: Leading bytes of still-image and audio-only files, which OpenCV either opens as a
#: one-frame "video" or cannot open at all ("unknown format").
_STILL_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_AUDIO_MAGIC = (
    (b"ID3", "MP3"),
    (b"\xff\xfb", "MP3"),
    (b"\xff\xf3", "MP3"),
    (b"\xff\xf2", "MP3"),
    (b"fLaC", "FLAC"),
    (b"#!AMR", "AMR"),
)


def sniff_non_video(path: Path) -> str | None:
    """Why a file is plainly not a video (a still image, audio only), or None.

    Looks at the first bytes only (and, for MP4/MOV, at the tracks' handler types), so a
    real video is never turned away here; anything unknown is left to the decoder.
    """
    try:
        with Path(path).open("rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    for magic, name in _STILL_MAGIC:
        if head.startswith(magic):
            return f"not a video (a {name} still image)"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "not a video (a WebP image)"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "has no video stream (WAV audio)"
    if head[:4] == b"OggS" and b"theora" not in head.lower():
        return "has no video stream (Ogg audio)"
    for magic, name in _AUDIO_MAGIC:
        if head.startswith(magic):
            return f"has no video stream ({name} audio)"
    if head[4:8] == b"ftyp":
        handlers = _mp4_handlers(path)
        if handlers and b"vide" not in handlers and b"soun" in handlers:
            return "has no video stream (audio only)"
    return None


def _mp4_handlers(path: Path, limit: int = 64 << 20) -> set[bytes]:
    """Handler types (``vide``, ``soun``…) of an MP4/MOV file's tracks, read from the
    ``hdlr`` boxes inside ``moov`` (empty when none is found within ``limit`` bytes)."""
    try:
        with Path(path).open("rb") as f:
            data = f.read(limit)
    except OSError:
        return set()
    out = set()
    i = data.find(b"hdlr")
    while i >= 0 and i + 16 <= len(data):
        out.add(data[i + 12 : i + 16])
        i = data.find(b"hdlr", i + 4)
    return out


def _frame_count(cap: cv2.VideoCapture) -> int:
    """The container's frame count, 0 when it does not say (still images report INT64_MIN)."""
    n = cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0
    return int(n) if math.isfinite(n) and 0 < n < 1e12 else 0


def _has_second_frame(path: Path) -> bool:
    """Whether a file without a stated frame count decodes to more than one frame."""
    cap = cv2.VideoCapture(str(path))
    try:
        return bool(cap.read()[0] and cap.read()[0])
    finally:
        cap.release()


def _orientation_fix(cap: cv2.VideoCapture) -> int | None:
    """The cv2.rotate code that makes frames upright, when the backend does not do it itself.

    Phone videos are stored sideways with a rotation in the metadata. OpenCV's FFmpeg
    backend applies it (``CAP_PROP_ORIENTATION_AUTO``, on by default since 4.5); we ask for
    it explicitly, and if the backend cannot, rotate here, so a person is never scored lying
    on their side.
    """
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    meta = cap.get(cv2.CAP_PROP_ORIENTATION_META)
    if not math.isfinite(meta) or cap.get(cv2.CAP_PROP_ORIENTATION_AUTO):
        return None
    return {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}.get(
        round(meta) % 360
    )


class VideoFileSource:
    """Decodes a video file frame by frame (streamed: one frame in memory at a time).

    ``start_s``/``end_s`` restrict decoding to a time range (used to score chunks of a long
    video in parallel); frames are yielded when ``start_s <= t_s < end_s``. After the
    iteration stopped at ``end_s``, ``next_frame`` holds the first frame not yielded
    ``(t_s, frame)`` (the next chunk's first frame), else None.
    """

    def __init__(self, path: Path, start_s: float = 0.0, end_s: float = math.inf, threads: int = 0) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise VideoError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise VideoError(f"{self.path} is a folder, not a video file")
        # threads: decoder threads (0: OpenCV's choice, one per core). One thread decodes
        # 720p at ~500 fps with ~20 % less CPU than several: better when inference is the
        # bottleneck and every core is busy with it.
        kind = sniff_non_video(self.path)
        if kind is not None:
            raise VideoError(f"{self.path}: {kind}")
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, threads] if threads else [])
        if not cap.isOpened():
            raise VideoError(f"{self.path}: cannot open it as a video (unknown format, or a corrupt or truncated file)")
        self._rotate = _orientation_fix(cap)
        ok, first = cap.read()
        if not ok or first is None:
            cap.release()
            raise VideoError(f"{self.path}: contains no decodable video frames (corrupt or empty file)")
        first = self._upright(first)
        self._first: np.ndarray | None = first
        self._first_t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        self.info = VideoInfo(
            str(self.path),
            int(first.shape[1]),
            int(first.shape[0]),
            float(fps) if math.isfinite(fps) else 0.0,
            _frame_count(cap),
            live=False,
        )
        if self.info.frames == 1 or (self.info.frames <= 0 and not _has_second_frame(self.path)):
            cap.release()
            raise VideoError(f"{self.path}: not a video (a single still image)")
        self._cap = cap
        self.start_s, self.end_s = start_s, end_s
        self.decode_errors = 0
        #: Set when decoding ended well before the container's stated length (a truncated
        #: or corrupt file): ``(time of the last frame decoded, stated duration)`` in seconds.
        self.stopped_early: tuple[float, float] | None = None
        self.next_frame: tuple[float, np.ndarray] | None = None
        if start_s > 0:
            # Seek a little early: seeking lands on a key frame, we then decode forward.
            cap.set(cv2.CAP_PROP_POS_MSEC, max(0.0, (start_s - 1.0) * 1000.0))
            self._first = None

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        cap = self._cap
        last_t = -math.inf
        frame_dt = 1.0 / self.info.fps if self.info.fps > 0 else 1 / 30
        if self._first is not None:
            frame, t = self._first, self._first_t
            self._first = None
        else:
            ok, frame = cap.read()
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0 if ok else math.nan
            if not ok or frame is None:
                self._check_end(self.start_s - frame_dt)
                return
            frame = self._upright(frame)
        while True:
            if not math.isfinite(t) or t <= last_t:
                # Some containers report no/duplicate times for a frame: step one frame on.
                t = last_t + frame_dt
            if t >= self.end_s:
                self.next_frame = (t, frame)
                return
            if t >= self.start_s:
                yield t, frame
            last_t = t
            ok, frame = cap.read()
            if not ok or frame is None:
                self._check_end(last_t)
                return
            frame = self._upright(frame)
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0

    def _upright(self, frame: np.ndarray) -> np.ndarray:
        return frame if self._rotate is None else cv2.rotate(frame, self._rotate)

    def _check_end(self, last_t: float) -> None:
        """Decoding stopped: note it when the container says the video goes on well past
        that point (and past ``end_s``). A file cut short keeps its header's frame count
        and duration; the decoder just runs out of data."""
        stated = self.info.duration_s
        frame_dt = 1.0 / self.info.fps if self.info.fps > 0 else 1 / 30
        got_to = max(last_t, self.start_s - frame_dt) + frame_dt
        if stated <= 0 or min(stated, self.end_s) - got_to <= max(END_SLACK_S, END_SLACK_FRAMES * frame_dt):
            return
        # Variable-frame-rate files can state a duration (frames / fps) longer than they
        # play: the frame count must fall short too.
        reached = self._cap.get(cv2.CAP_PROP_POS_FRAMES)
        if math.isfinite(reached) and reached > 0 and self.info.frames - reached <= END_SLACK_FRAMES:
            return
        self.decode_errors += 1
        self.stopped_early = (max(last_t, 0.0), stated)

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> VideoFileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fresh_frame_deadline(now: float, frame_t: float, period: float) -> float | None:
    """The live sources' freshness rule: None when the newest frame (captured at ``frame_t``)
    is fresh enough to take at ``now``; else the time until which to wait for the next one.

    A frame over half an interval old is passed over: the next is due within half an
    interval (at ``frame_t + period``), so waiting up to ``frame_t + 1.5 * period`` gets a
    frame at most half an interval old, however the consumer's pace falls against the
    camera's. With no interval known yet (``period`` 0) every frame is taken.
    """
    if period <= 0 or now - frame_t <= period / 2:
        return None
    return frame_t + 1.5 * period


class CameraSource:
    """A webcam or network stream read on its own thread, keeping only the newest frame.

    Iterating yields each new frame at most once, stamped with its capture time
    (``time.monotonic()`` at grab, seconds). ``dropped`` counts frames replaced before the
    consumer took them: the consumer always works on the newest frame, never a queue.
    A camera that stops delivering for ``timeout_s`` raises CameraError from the iterator.

    When the consumer is slower than the camera, the newest frame is on average half a
    frame interval old when it is taken. With ``fresh_wait`` (the default) a frame older
    than half an interval is passed over for the next one, due within half an interval:
    the frame shown is then at most half an interval old when work on it starts, at the
    cost of waiting ~1/8 of an interval per frame on average.
    """

    def __init__(
        self,
        spec: int | str,
        timeout_s: float = 5.0,
        width: int = 1280,
        height: int = 720,
        paced_file: bool = False,
        loop: bool = False,
        fresh_wait: bool = True,
    ) -> None:
        self.spec = spec
        self.paced_file = paced_file
        self.loop = loop and paced_file
        self.fresh_wait = fresh_wait
        self._period = 0.0  # seconds between captured frames (running estimate)
        self._eof = False
        cap = cv2.VideoCapture(spec)
        if isinstance(spec, int):
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if not cap.isOpened():
            what = f"camera {spec}" if isinstance(spec, int) else f"stream {spec}"
            raise CameraError(f"cannot open {what}: is it connected and not used by another program?")
        self._cap = cap
        self.timeout_s = timeout_s
        self._cond = threading.Condition()
        self._frame: np.ndarray | None = None
        self._t = 0.0
        self._seq = 0
        self._taken = 0
        self.dropped = 0
        self._error: str | None = None
        self._running = True
        ok, first = cap.read()
        if not ok or first is None:
            cap.release()
            raise CameraError(f"camera {spec} opened but delivers no frames")
        fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        self.info = VideoInfo(str(spec), int(first.shape[1]), int(first.shape[0]), float(fps), 0, live=True)
        self._publish(first, time.monotonic())
        self._thread = threading.Thread(target=self._reader, name="formcheck-camera", daemon=True)
        self._thread.start()

    def _publish(self, frame: np.ndarray, t: float) -> None:
        with self._cond:
            if self._seq > self._taken:
                self.dropped += 1
            if self._seq:
                dt = t - self._t
                if 0.0 < dt < 1.0:
                    self._period = dt if not self._period else 0.9 * self._period + 0.1 * dt
            self._frame, self._t = frame, t
            self._seq += 1
            self._cond.notify_all()

    def _reader(self) -> None:
        failures = 0
        t0 = time.monotonic()
        last_pos = 0.0
        while self._running:
            ok, frame = self._cap.read()
            if self.paced_file:
                if (not ok or frame is None) and self.loop and last_pos > 0:
                    # Play it again: the next pass starts one frame after this one ended.
                    self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    t0 += last_pos + (1.0 / self.info.fps if self.info.fps > 0 else 1 / 30)
                    last_pos = 0.0
                    ok, frame = self._cap.read()
                if not ok or frame is None:
                    with self._cond:
                        self._eof = True
                        self._cond.notify_all()
                    return
                last_pos = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                due = t0 + last_pos
                if due > time.monotonic():
                    time.sleep(due - time.monotonic())
            t = time.monotonic()
            if not ok or frame is None:
                failures += 1
                if failures > 50:
                    with self._cond:
                        self._error = "the camera stopped delivering frames (disconnected?)"
                        self._cond.notify_all()
                    return
                time.sleep(0.02)
                continue
            failures = 0
            self._publish(frame, t)

    def read_newest(self) -> tuple[float, np.ndarray]:
        """Blocks until a frame newer than the last one taken exists; returns it."""
        deadline = time.monotonic() + self.timeout_s
        with self._cond:
            while self._seq == self._taken and self._error is None and self._running and not self._eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CameraError(f"no frame from {self.spec} for {self.timeout_s:g} s (disconnected?)")
                self._cond.wait(left)
            period = self._period
            if self.fresh_wait and self._seq > self._taken:
                now = time.monotonic()
                wait_until = fresh_frame_deadline(now, self._t, period)
                if wait_until is not None:
                    seq = self._seq
                    while self._seq == seq and self._running and not self._eof and now < wait_until:
                        self._cond.wait(wait_until - now)
                        now = time.monotonic()
            if self._seq == self._taken:
                if self._eof:
                    raise StopIteration
                raise CameraError(self._error or "camera closed")
            self._taken = self._seq
            assert self._frame is not None
            return self._t, self._frame

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        while self._running:
            try:
                yield self.read_newest()
            except StopIteration:  # a paced file reached its end
                return

    def close(self) -> None:
        self._running = False
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        self._cap.release()

    def __enter__(self) -> CameraSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
