"""Keep native libraries' log lines out of formcheck's own output.

MediaPipe/TFLite, OpenCV and FFmpeg write INFO/WARNING lines straight to file descriptor 2
("Feedback manager requires a model with a single signature…", ``INFO: [accelerator_registry.cc:43]
DestroyAccelerator…`` when a landmarker closes, ``[ WARN:0@0.1] global cap_v4l.cpp…`` and
OpenCV's multi-line exception dumps when a camera cannot be opened, ``[h264 @ 0x…] …`` from
the decoder of a damaged file). GLOG_minloglevel does not silence them; users mistake them
for errors and they bury formcheck's own one-line message. :func:`filter_native_logs` points
fd 2 at a pipe, drops the known formats and passes everything else through unchanged;
Python's own ``sys.stderr`` (progress bars, error messages) keeps writing to the real
terminal directly. ``formcheck --debug`` (or ``FORMCHECK_NATIVE_LOGS=1``) shows everything.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator

_NOISE = re.compile(
    rb"^[WIE]\d{4} .*\] |"  # glog-style lines from the native code
    rb"^(INFO|WARNING|ERROR): \[[\w./+-]+\.(cc|cpp|h):\d+\] |"  # absl-style lines (TFLite, MediaPipe)
    rb"^INFO: Created TensorFlow Lite|"
    rb"^WARNING: (All log messages before absl::InitializeLog|Logging before InitGoogle)|"
    rb"^\[ ?(INFO|WARN|ERROR|DEBUG|VERB):\d+@\d+(\.\d+)?\] |"  # OpenCV's logger
    rb"^OpenCV\(\d[\w.-]*\) .*error: |"  # an OpenCV exception dumped by its logger
    rb"^\[[\w ,.:/-]+ @ 0x[0-9a-fA-F]+\] |"  # FFmpeg's av_log ("[h264 @ 0x55…] …")
    rb"^QFontDatabase: Cannot find font directory|^Note that Qt no longer ships fonts"  # OpenCV's Qt
)
#: Continuation lines of a multi-line dump (OpenCV's "> VIDEOIO/FFMPEG: …"), noise only
#: right after a noise line.
_CONTINUATION = re.compile(rb"^(> |\s*$)")


def is_noise(line: bytes) -> bool:
    """Whether one line, on its own, is a known native log format."""
    return bool(_NOISE.match(line))


class NoiseFilter:
    """Line by line: drops known native log lines and the continuation lines (``> …``,
    blank) that follow them; keeps everything else."""

    def __init__(self) -> None:
        self._in_noise = False

    def keep(self, line: bytes) -> bool:
        if _NOISE.match(line) or (self._in_noise and _CONTINUATION.match(line)):
            self._in_noise = True
            return False
        self._in_noise = False
        return True


def show_native_logs() -> None:
    """Let native log lines through from now on (``--debug``), here and in worker processes."""
    os.environ["FORMCHECK_NATIVE_LOGS"] = "1"


@contextlib.contextmanager
def filter_native_logs() -> Iterator[None]:
    if os.environ.get("FORMCHECK_NATIVE_LOGS"):
        yield
        return
    try:
        sys.stderr.flush()
        real = os.dup(2)
        r, w = os.pipe()
    except OSError:
        yield
        return
    old_stderr = sys.stderr
    py_err = os.fdopen(os.dup(real), "w", buffering=1, encoding=getattr(old_stderr, "encoding", None) or "utf-8",
                       errors="replace")
    os.dup2(w, 2)
    os.close(w)
    sys.stderr = py_err

    noise = NoiseFilter()

    def pump() -> None:
        buf = b""
        with os.fdopen(r, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                buf += chunk
                *lines, buf = buf.split(b"\n")
                out = b"".join(line + b"\n" for line in lines if noise.keep(line))
                if out:
                    os.write(real, out)
        if buf and noise.keep(buf):
            os.write(real, buf)

    th = threading.Thread(target=pump, name="formcheck-native-log", daemon=True)
    th.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(real, 2)  # closes the pipe's last write end: the pump drains and ends
        th.join(timeout=2.0)
        sys.stderr = old_stderr
        py_err.close()
        os.close(real)
