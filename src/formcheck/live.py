"""The live loop: camera (or a file played at real-time pace) → pose → analysis → window.

Always works on the newest frame (the capture thread drops what inference could not take),
so latency stays at about one inference and no queue builds up. Keys: q/Esc quit,
space pause, r reset, p "it hurts, stop" (ends the set and records a pain stop).
"""

from __future__ import annotations

import os
import sys
import time
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.analysis import Analyzer
from formcheck.checkers.events import EventKind
from formcheck.config import ExerciseConfig
from formcheck.errors import CameraError, FormcheckError
from formcheck.pose.frame import TraceBuilder, TraceMeta
from formcheck.report import build_report

KEY_QUIT = {ord("q"), ord("Q"), 27}
KEY_PAUSE = ord(" ")
KEY_RESET = {ord("r"), ord("R")}
KEY_PAIN = {ord("p"), ord("P")}


@dataclass(slots=True)
class LiveOptions:
    source: str = "0"
    model: str = "lite"
    model_dir: Path | None = None
    num_poses: int = 1
    window: bool = True
    record: Path | None = None
    debug: bool = False
    max_seconds: float | None = None  # stop after this much stream time (tests, kiosks)
    keep_trace: bool = True  # False: memory stays flat however long the session (no trace returned)
    loop: bool = False  # a video file source plays over and over (demos, soak tests)


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

    from formcheck.pose.estimator import PoseEstimator
    from formcheck.pose.models import resolve_model
    from formcheck.sinks.overlay import Annotator, OverlayInfo
    from formcheck.sources.video import open_live_source, use_one_opencv_thread

    use_one_opencv_thread()
    if opts.window:
        _check_display()
    model_path = resolve_model(opts.model, opts.model_dir)
    src = open_live_source(opts.source, loop=opts.loop)
    w, h = src.info.width, src.info.height
    analyzer = Analyzer(cfg, w / h)
    annotator = Annotator.for_exercise(cfg, (w, h), debug=opts.debug)
    builder = TraceBuilder(TraceMeta(str(opts.source), opts.model, src.info.fps, w, h))
    stats = LiveStats(latency_ms=array("d"), inference_ms=array("d"))
    latency: float | None = None  # the last frame's, shown on the next one
    sink = None
    win = f"formcheck - {cfg.title}"
    error: str | None = None
    video_error: str | None = None
    t0: float | None = None
    paused = False
    fps_ema = 0.0
    last_shown = time.monotonic()
    try:
        if opts.record is not None:
            from formcheck.sinks.video import VideoSink

            sink = VideoSink(opts.record, src.info.fps or 30.0, (w, h), realtime=True).__enter__()
        if opts.window:
            from formcheck.sinks.window import use_system_fonts

            use_system_fonts()
            cv2.namedWindow(win, cv2.WINDOW_NORMAL)
            cv2.resizeWindow(win, *_window_size(w, h))
        with PoseEstimator(model_path, num_poses=opts.num_poses) as est:
            for t_cap, frame in src:
                if t0 is None:
                    t0 = t_cap
                t_s = t_cap - t0
                if opts.max_seconds is not None and t_s > opts.max_seconds:
                    break
                if paused:
                    info = OverlayInfo(paused=True, message="Paused - press space to continue")
                    shown = annotator.annotate(frame, None, analyzer.checker.state(), info)
                else:
                    t_inf = time.monotonic()
                    pose = est.detect(frame, t_s)
                    stats.inference_ms.append((time.monotonic() - t_inf) * 1000.0)
                    if opts.keep_trace:
                        builder.append(pose)
                    out = analyzer.update(pose)
                    _print_events(out.events, opts.window)
                    now = time.monotonic()
                    dt = now - last_shown
                    last_shown = now
                    fps_ema = 0.9 * fps_ema + 0.1 * (1.0 / dt) if fps_ema else 1.0 / max(dt, 1e-3)
                    info = OverlayInfo(fps=fps_ema, latency_ms=latency, dropped=src.dropped)
                    shown = annotator.annotate(frame, out.pose, analyzer.checker.state(), info)
                stats.frames += 1
                if sink is not None:
                    sink.write(shown, t_s)  # at its real time: dropped frames do not shorten the video
                if not opts.window:
                    if not paused:
                        latency = (time.monotonic() - t_cap) * 1000.0  # capture → drawn (no screen)
                        stats.latency_ms.append(latency)
                    if analyzer.checker.stopped:
                        break
                    continue
                cv2.imshow(win, shown)
                key = cv2.waitKey(1) & 0xFF
                if not paused:
                    latency = (time.monotonic() - t_cap) * 1000.0  # capture → on screen
                    stats.latency_ms.append(latency)
                if key in KEY_QUIT or cv2.getWindowProperty(win, cv2.WND_PROP_VISIBLE) < 1:
                    break
                if key == KEY_PAUSE:
                    paused = not paused
                elif key in KEY_RESET:
                    analyzer.checker.reset()
                    analyzer.smoother.reset()
                elif key in KEY_PAIN:
                    _print_events(analyzer.checker.stop(t_s), opts.window)
                    shown = annotator.annotate(frame, None, analyzer.checker.state(), OverlayInfo())
                    cv2.imshow(win, shown)
                    cv2.waitKey(1500)
                    break
    except CameraError as e:
        error = str(e)
        print(f"formcheck: {e}", file=sys.stderr)
    except KeyboardInterrupt as e:  # Ctrl-C, SIGTERM, SIGHUP: the session did not end as planned
        from formcheck.interrupts import interruption_text

        error = interruption_text(e)
    finally:
        stats.dropped = src.dropped
        src.close()
        if sink is not None:
            try:
                sink.__exit__(None, None, None)
            except FormcheckError as e:  # the recording failed (disk full): the session's report stands
                video_error = str(e)
        if opts.window:
            cv2.destroyAllWindows()
    analyzer.finish()
    report = build_report(
        analyzer.checker,
        source=str(opts.source),
        model=opts.model,
        complete=error is None,
        error=error,
        extra={"live": {"frames_shown": stats.frames, "frames_dropped": stats.dropped}},
    )
    if video_error is not None:
        report["video_out_error"] = video_error
    return report, stats, builder.build()


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
