"""The live loop: camera (or a file played at real-time pace) → pose → analysis → window.

Always works on the newest frame (the capture thread drops what inference could not take),
so latency stays at about one inference and no queue builds up. Keys (in the window, or in
the terminal when there is none): q/Esc quit, space pause, r reset, p "it hurts, stop"
(ends the set, records a pain stop and shows the seeds' advice); a routine adds n (next).
:class:`LiveHooks` lets the history, a routine and voice cues follow the set as it happens.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formcheck.analysis import Analyzer, is_segmented, is_world_exact
from formcheck.checkers.events import CheckerState, Event, EventKind
from formcheck.errors import CameraError, FormcheckError
from formcheck.exercises.config import ExerciseConfig
from formcheck.formats.report import InputInfo, SignalRecorder, build_report
from formcheck.pose.backend import BackendSpec, open_backend
from formcheck.pose.continuity import Continuity
from formcheck.pose.frame import TraceBuilder, TraceMeta
from formcheck.sources.info import FrameSource

KEY_QUIT = {ord("q"), ord("Q"), 27}
KEY_PAUSE = ord(" ")
KEY_RESET = {ord("r"), ord("R")}
KEY_PAIN = {ord("p"), ord("P")}
KEY_NEXT = {ord("n"), ord("N")}

#: The seeds' advice, shown (and printed) when the person stops because it hurts.
PAIN_ADVICE = "Stop if it hurts - don't push through the pain. Tell your therapist."

KEYS_LEGEND = "p: it hurts - stop    space: pause    r: reset    q: quit"


@dataclass(slots=True)
class LiveHooks:
    """Seams for what follows a set as it happens (history, routines, voice cues).

    Attributes:
        on_events: called with every frame's checker events (reps, holds, cues, a pain stop)
            as they happen, and with the events of the set's end.
        done: ends the set when it returns True (e.g. a routine's dose is met).
        status: a line shown on screen above the keys legend (e.g. a routine's progress).
        next_key: "n" ends the set early (a routine moves on) and is shown in the legend.
    """

    on_events: Callable[[Sequence[Event]], None] | None = None
    done: Callable[[CheckerState], bool] | None = None
    status: Callable[[CheckerState], str] | None = None
    next_key: bool = False


@dataclass(slots=True)
class LiveOptions:
    source: str = "0"  # camera index, stream URL, video file, or a trace file (replayed, no model)
    #: Which pose backend and model (default: MediaPipe's lite model; a trace source replays).
    pose: BackendSpec = field(default_factory=lambda: BackendSpec(model="lite"))
    window: bool = True
    record: Path | None = None
    debug: bool = False
    max_seconds: float | None = None  # stop after this much stream time (tests, kiosks)
    keep_trace: bool = True  # False: memory stays flat however long the session (no trace returned)
    loop: bool = False  # a video file source plays over and over (demos, soak tests)
    signals: bool = False  # the report carries the exercise's per-frame signal (report.SignalSeries)
    hooks: LiveHooks = field(default_factory=LiveHooks)
    window_name: str | None = None  # default "formcheck - <exercise title>"; a routine keeps one window
    close_window: bool = True  # False: leave the window open for what comes next (a routine)


@dataclass(slots=True)
class LiveStats:
    """How the loop kept up. ``latency_ms``: per frame shown, capture time → frame shown
    (drawn, and on screen when there is a window); ``inference_ms``: pose inference of
    that frame; ``dropped``: camera frames skipped to stay on the newest one."""

    frames: int = 0
    dropped: int = 0
    latency_ms: array | None = None
    inference_ms: array | None = None


def _check_display() -> None:
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise FormcheckError("no display to open a window on; run with --no-window (reports still work)")


def run_live(cfg: ExerciseConfig, opts: LiveOptions) -> tuple[dict[str, Any], LiveStats, Any]:
    """Run a live session until the user quits, the source ends or ``max_seconds`` pass.

    Returns the report (same contract as ``score``), latency statistics and the trace.
    """
    import cv2

    from formcheck.sinks.overlay import Annotator, OverlayInfo
    from formcheck.sources.video import use_one_opencv_thread

    use_one_opencv_thread()
    if opts.window:
        _check_display()
    spec, src = _open_source(opts)
    try:
        backend = open_backend(spec)
    except BaseException:
        src.close()
        raise
    continuity = Continuity()
    captured = src.info.live  # frames stamped with capture time: latency is measurable
    w, h = src.info.width, src.info.height
    # A replayed trace keeps what it declares (exact 3-D, one repetition): the same chain as rescore.
    replayed = getattr(src, "trace", None)
    extra = replayed.meta.extra if replayed is not None else {}
    analyzer = Analyzer(cfg, w / h, world_exact=is_world_exact(extra), segmented=is_segmented(extra))
    annotator = Annotator.for_exercise(cfg, (w, h), debug=opts.debug)
    model = backend.model_id
    builder = TraceBuilder(TraceMeta(str(opts.source), model, src.info.fps, w, h))
    series = SignalRecorder(cfg) if opts.signals else None
    stats = LiveStats(latency_ms=array("d"), inference_ms=array("d"))
    latency: float | None = None  # the last frame's, shown on the next one
    win = opts.window_name or f"formcheck - {cfg.title}"
    hooks = opts.hooks
    legend = KEYS_LEGEND.replace("q: quit", "n: next    q: quit") if hooks.next_key else KEYS_LEGEND
    ended_by = "source_end"
    error: str | None = None
    recording: _Recording | None = None
    t0: float | None = None
    paused = False
    fps_ema = 0.0
    last_shown = time.monotonic()
    from formcheck.sources.keys import TerminalKeys

    keys = TerminalKeys()
    try:
        with contextlib.ExitStack() as stack:  # closed in reverse: sink, backend, source
            stack.callback(src.close)
            est = stack.enter_context(backend)
            sink = None
            if opts.record is not None:
                from formcheck.sinks.video import VideoSink

                recording = _Recording(VideoSink(opts.record, src.info.fps or 30.0, (w, h), realtime=True))
                sink = stack.enter_context(recording)
            if opts.window:
                from formcheck.sinks.window import use_system_fonts

                use_system_fonts()
                cv2.namedWindow(win, cv2.WINDOW_NORMAL)
                cv2.resizeWindow(win, *_window_size(w, h))
            for t_cap, frame in src:
                if t0 is None:
                    t0 = t_cap
                t_s = t_cap - t0
                if opts.max_seconds is not None and t_s > opts.max_seconds:
                    ended_by = "max_seconds"
                    break
                if paused:
                    info = OverlayInfo(paused=True, message="Paused - press space to continue", keys=legend)
                    shown = annotator.annotate(frame, None, analyzer.checker.state(), info)
                else:
                    t_inf = time.monotonic()
                    pose = continuity.mark(frame, est.detect(frame, t_s))
                    stats.inference_ms.append((time.monotonic() - t_inf) * 1000.0)
                    if opts.keep_trace:
                        builder.append(pose)
                    out = analyzer.update(pose)
                    if series is not None:
                        series.append(out.measures.t_s, out.measures.values)
                    if hooks.on_events is not None and out.events:
                        hooks.on_events(out.events)
                    _print_events(out.events, opts.window)
                    now = time.monotonic()
                    dt = now - last_shown
                    last_shown = now
                    fps_ema = 0.9 * fps_ema + 0.1 * (1.0 / dt) if fps_ema else 1.0 / max(dt, 1e-3)
                    state = analyzer.checker.state()
                    status = hooks.status(state) if hooks.status is not None else ""
                    info = OverlayInfo(fps=fps_ema, latency_ms=latency, dropped=src.dropped, keys=legend, status=status)
                    shown = annotator.annotate(frame, out.pose, state, info)
                stats.frames += 1
                if sink is not None:
                    sink.write(shown, t_s)  # at its real time: dropped frames do not shorten the video
                if opts.window:
                    cv2.imshow(win, shown)
                    key = cv2.waitKey(1) & 0xFF
                    if cv2.getWindowProperty(win, cv2.WND_PROP_VISIBLE) < 1:
                        key = 27
                if not paused and captured:
                    latency = (time.monotonic() - t_cap) * 1000.0  # capture → on screen (or drawn, no window)
                    stats.latency_ms.append(latency)
                tkey = keys.poll()
                key = tkey if tkey is not None else (key if opts.window else None)
                if key in KEY_QUIT:
                    ended_by = "quit"
                    break
                if key == KEY_PAUSE:
                    paused = not paused
                elif key in KEY_RESET:
                    analyzer.checker.reset()
                    analyzer.smoother.reset()
                elif key in KEY_PAIN:
                    ended_by = "pain_stop"
                    stop_events = analyzer.checker.stop(t_s)
                    if hooks.on_events is not None:
                        hooks.on_events(stop_events)
                    _print_events(stop_events, opts.window)
                    print(PAIN_ADVICE, file=sys.stderr if opts.window else sys.stdout, flush=True)
                    if opts.window:
                        info = OverlayInfo(message=PAIN_ADVICE)
                        shown = annotator.annotate(frame, None, analyzer.checker.state(), info)
                        cv2.imshow(win, shown)
                        cv2.waitKey(2500)
                    break
                elif hooks.next_key and key in KEY_NEXT:
                    ended_by = "next"
                    break
                if analyzer.checker.stopped:
                    ended_by = analyzer.checker.stopped[1]
                    break
                if hooks.done is not None and not paused and hooks.done(analyzer.checker.state()):
                    ended_by = "done"
                    break
    except CameraError as e:
        error = str(e)
        print(f"formcheck: {e}", file=sys.stderr)
    except KeyboardInterrupt as e:  # Ctrl-C, SIGTERM, SIGHUP: the session did not end as planned
        from formcheck.runtime.interrupts import interruption_text

        error = interruption_text(e)
        ended_by = "interrupted"
    finally:
        keys.close()
        stats.dropped = src.dropped
        if opts.window and opts.close_window:
            cv2.destroyAllWindows()
    end_events = analyzer.finish()
    if hooks.on_events is not None and end_events:
        hooks.on_events(end_events)
    report = build_report(
        analyzer.checker,
        source=str(opts.source),
        model=model,
        complete=error is None,
        error=error,
        extra={"live": {"frames_shown": stats.frames, "frames_dropped": stats.dropped, "ended_by": ended_by}},
        signals=series.build() if series is not None else None,
        input_info=InputInfo.from_extra(extra),
    )
    if recording is not None and recording.error is not None:
        report["video_out_error"] = recording.error
    return report, stats, builder.build()


class _Recording:
    """The ``--record`` video as a context: however the session ends (quit, camera lost,
    Ctrl-C), what was recorded is kept; a failure to finish the file (disk full) is kept in
    ``error`` and the session's report stands."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.error: str | None = None

    def __enter__(self) -> Any:
        return self.sink.__enter__()

    def __exit__(self, *exc: object) -> None:
        try:
            self.sink.__exit__(None, None, None)
        except FormcheckError as e:
            self.error = str(e)


def _open_source(opts: LiveOptions) -> tuple[BackendSpec, FrameSource]:
    """The frame source and the backend spec: a trace file is replayed (its poses, no
    model, every frame, at its own pace when a window shows it); anything else is a camera,
    stream or video file for ``opts.pose``."""
    from formcheck.programs.rescoring import is_trace_file

    if is_trace_file(opts.source):
        from formcheck.formats.trace import load_trace
        from formcheck.pose.replay import TraceFrameSource

        trace = load_trace(Path(opts.source))
        return BackendSpec("replay", str(opts.source)), TraceFrameSource(trace, realtime=opts.window)
    from formcheck.sources.video import open_live_source

    return opts.pose, open_live_source(opts.source, loop=opts.loop)


def _window_size(w: int, h: int) -> tuple[int, int]:
    scale = min(1.0, 1280 / w, 900 / h) if w and h else 1.0
    return max(320, int(w * scale)), max(240, int(h * scale))


def _print_events(events, quiet: bool) -> None:
    """Without a window, cues and reps go to the terminal."""
    if quiet:
        return
    for e in events:
        if e.kind is EventKind.REP and e.rep is not None:
            r = e.rep
            side = f" {r.side}" if r.side else ""
            faults = ", ".join(r.faults) if r.faults else "ok"
            print(f"[{e.t_s:7.1f} s] rep {r.index}{side}: peak {r.peak:.0f} {r.unit}, hold {r.hold_s:.1f} s, {faults}")
        elif e.kind is EventKind.CUE_ON or e.kind is EventKind.STOP:
            print(f"[{e.t_s:7.1f} s] {e.text}")
