"""The ``replay`` pose backend: a saved or imported pose trace played back as if its poses
were being estimated live.

``formcheck live --source session.trace.npz`` runs the whole live loop (analysis, overlay,
window, report) on a recording's poses with no model and no camera: the frames are a plain
canvas of the recording's size (:class:`TraceFrameSource`) and the backend answers each with
the recorded pose at that time. Tests use it to drive the live loop without MediaPipe.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from formcheck.pose.frame import PoseFrame, PoseTrace
from formcheck.pose.protocol import BackendFactory, BackendSpec, PoseBackend
from formcheck.sources.info import VideoInfo

#: A replayed frame matches a requested time up to this much (float round-off of t - t0 + t0).
_TIME_TOLERANCE_S = 1e-6
#: Background of the canvas a replay is drawn on (BGR).
CANVAS_BGR = (48, 48, 48)


class ReplayBackend:
    """Answers ``detect(frame, t_s)`` with the trace's pose at ``t_s`` (the last recorded
    at or before it), timed as asked. Times are relative to the first call, so a trace
    starting at any time plays from its start. Frames are ignored."""

    def __init__(self, trace: PoseTrace, model_id: str | None = None) -> None:
        self.trace = trace
        self.model_id = model_id or f"replay:{trace.meta.model or 'trace'}"
        self._offset: float | None = None

    def detect(self, frame_bgr: np.ndarray, t_s: float) -> PoseFrame:
        if self._offset is None:
            self._offset = (float(self.trace.t_s[0]) if len(self.trace) else 0.0) - t_s
        i = int(np.searchsorted(self.trace.t_s, t_s + self._offset + _TIME_TOLERANCE_S, side="right")) - 1
        if i < 0:
            return PoseFrame.empty(t_s)
        return replace(self.trace.frame(i), t_s=t_s)

    def restart(self) -> None:
        self._offset = None

    def close(self) -> None:
        pass

    def __enter__(self) -> ReplayBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TraceFrameSource:
    """Frames for a replay: one canvas of the trace's frame size at each recorded time.

    With ``realtime`` the frames come at the recording's pace (a person watching the window
    sees the session as it happened); without, as fast as they are taken. No frame is ever
    dropped, so a replay sees exactly the recorded frames. ``clock``/``sleep`` are injectable.
    """

    def __init__(
        self,
        trace: PoseTrace,
        realtime: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        meta = trace.meta
        width, height = (meta.width, meta.height) if meta.width and meta.height else (1280, 720)
        self.trace = trace
        self.info = VideoInfo(meta.source or "trace", width, height, meta.fps or 30.0, len(trace), live=False)
        self.realtime = realtime
        self.dropped = 0
        self._clock, self._sleep = clock, sleep
        self._canvas = np.empty((height, width, 3), np.uint8)
        self._closed = False

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        start = self._clock()
        t0 = float(self.trace.t_s[0]) if len(self.trace) else 0.0
        for t in self.trace.t_s.tolist():
            if self._closed:
                return
            if self.realtime:
                wait = (t - t0) - (self._clock() - start)
                if wait > 0:
                    self._sleep(wait)
            self._canvas[...] = CANVAS_BGR  # drawing marks the canvas: a clean one each frame
            yield t, self._canvas

    def close(self) -> None:
        self._closed = True


def _trace_path(spec: BackendSpec) -> Path:
    return Path(spec.model)


def _open(spec: BackendSpec, progress: bool) -> PoseBackend:
    from formcheck.formats.trace import load_trace

    return ReplayBackend(load_trace(_trace_path(spec)), model_id(spec))


def model_id(spec: BackendSpec) -> str:
    return f"replay:{_trace_path(spec).name}"


FACTORY = BackendFactory("replay", _open, model_id)
