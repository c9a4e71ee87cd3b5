"""Keep MediaPipe's native log lines out of formcheck's own output.

The native library writes INFO/WARNING lines straight to file descriptor 2 at start-up and
now and then while running ("Feedback manager requires a model with a single signature…",
"Using NORM_RECT without IMAGE_DIMENSIONS…"); GLOG_minloglevel does not silence them and
users mistake them for errors. :func:`filter_native_logs` points fd 2 at a pipe, drops the
known noise and passes everything else through unchanged; Python's own ``sys.stderr``
(progress bars, error messages) keeps writing to the real terminal directly.
Set ``FORMCHECK_NATIVE_LOGS=1`` to see everything.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator

_NOISE = re.compile(
    rb"^(W|I)\d{4} .*\] |"  # glog-style lines from the native code
    rb"^INFO: Created TensorFlow Lite|"
    rb"^WARNING: (All log messages before absl::InitializeLog|Logging before InitGoogle)|"
    rb"^QFontDatabase: Cannot find font directory|^Note that Qt no longer ships fonts"  # OpenCV's Qt
)


def is_noise(line: bytes) -> bool:
    return bool(_NOISE.match(line))


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

    def pump() -> None:
        buf = b""
        with os.fdopen(r, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                buf += chunk
                *lines, buf = buf.split(b"\n")
                out = b"".join(line + b"\n" for line in lines if not is_noise(line))
                if out:
                    os.write(real, out)
        if buf and not is_noise(buf):
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
