"""Re-scoring speed: a 30-minute session (54,000 frames at 30 fps) from its pose trace.

Re-scoring must be effectively instant (DESIGN.md: a 30-minute session in well under a
second) so that tuning is interactive. This measures, on a synthetic session of wall squats:

- the whole re-score (``analyze_trace``: smoothing + measures + checker), and its parts;
- the checker alone over precomputed measures (what the tuner and ``fit`` re-run);
- the sequential, frame-by-frame smoothing it replaces (for comparison);

and, in the same run, one frame of pose inference with the lite model on a real sample
clip, so the result is also a ratio against a baseline measured on this machine now.

    FORMCHECK_MODEL_DIR=../shared/models FORMCHECK_SAMPLES_DIR=../shared/sample_videos \\
        python benchmarks/bench_rescore.py

Memory of a long recording as a user meets it (the whole ``formcheck rescore`` process,
which reads the trace file window by window): write the session to a trace file, then time
the command from the shell (``docs/performance.md``)::

    python benchmarks/bench_rescore.py --hours 3 --write /tmp/session-3h.npz
    /usr/bin/time -v formcheck rescore /tmp/session-3h.npz -e wall_squat --json /tmp/3h.json

and the same for ``formcheck fit`` (``--labels`` also writes a one-clip labels file naming
the trace; one threshold searched, 26 re-scorings of the whole session)::

    python benchmarks/bench_rescore.py --hours 3 --write /tmp/session-3h.npz --labels /tmp/labels-3h.toml
    /usr/bin/time -v formcheck fit /tmp/labels-3h.toml -e wall_squat --param hold_s=2:15 --no-progress
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

from formcheck.analysis import analyze_trace, smooth_trace, trace_measures
from formcheck.exercises.config import get_exercise
from formcheck.pose.frame import PoseTrace
from formcheck.smoothing.one_euro import LandmarkSmoother
from formcheck_testing import synthetic


def session_trace(frames: int, seed: int = 1) -> PoseTrace:
    """``frames`` frames of noisy wall squats at 30 fps (sets of 10, one after another)."""
    one = synthetic.wall_squat(reps=10, noise_world_m=0.01, seed=seed)
    one.meta.extra = {}
    whole = synthetic.concat([one] * (frames // len(one) + 1))
    cut = {name: getattr(whole, name)[:frames] for name in
           ("t_s", "image_xy", "world_xyz", "visibility", "presence", "n_people", "identity_jump")}  # fmt: skip
    return PoseTrace(**cut, meta=replace(whole.meta))


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def inference_ms_per_frame(model: str, video: Path, frames: int = 40, warmup: int = 5) -> float:
    """Median milliseconds of one ``detect`` call (VIDEO mode) on real frames."""
    from formcheck.pose.estimator import PoseEstimator
    from formcheck.pose.models import resolve_model
    from formcheck.sources.video import VideoFileSource

    src = VideoFileSource(video)
    decoded = []
    for t, frame in src:
        decoded.append((t, frame))
        if len(decoded) >= frames + warmup:
            break
    src.close()
    times = []
    with PoseEstimator(resolve_model(model, progress=False)) as est:
        for k, (t, frame) in enumerate(decoded):
            t0 = time.perf_counter()
            est.detect(frame, t)
            if k >= warmup:
                times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000.0


def _peak_rss_mb() -> float:
    """This process's peak resident memory so far (VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _frame_by_frame(trace) -> list:
    smoother = LandmarkSmoother()
    return [smoother(f) for f in trace.frames()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=54_000, help="frames in the session (default 54,000 = 30 min)")
    ap.add_argument("--hours", type=float, default=None, help="session length in hours instead of --frames (30 fps)")
    ap.add_argument("--once", action="store_true", help="only the first, cold re-score, with its time and peak memory")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement; the best is reported")
    ap.add_argument("--model", default="lite", help="pose model of the inference baseline (default lite)")
    ap.add_argument("--video", type=Path, default=None, help="clip for the inference baseline")
    ap.add_argument("--no-inference", action="store_true", help="skip the inference baseline")
    ap.add_argument("--write", type=Path, default=None, metavar="TRACE",
                    help="only write the session to this trace file (.npz) and stop: to time `formcheck rescore` "
                         "on it from the shell")  # fmt: skip
    ap.add_argument("--labels", type=Path, default=None, metavar="LABELS.toml",
                    help="with --write: also a one-clip labels file of it, for `formcheck fit`")  # fmt: skip
    args = ap.parse_args()
    if args.labels is not None and args.write is None:
        ap.error("--labels needs --write TRACE")

    cfg = get_exercise("wall_squat")
    if args.hours is not None:
        args.frames = round(args.hours * 3600 * 30)
    trace = session_trace(args.frames)
    n = len(trace)
    minutes = (trace.t_s[-1] - trace.t_s[0]) / 60
    print(f"session: {n:,} frames, {minutes:.1f} min of wall squats at {trace.meta.fps:g} fps")
    if args.write is not None:
        from formcheck.formats.trace import save_trace

        save_trace(trace, args.write)
        print(f"  written to {args.write} ({args.write.stat().st_size / 1e6:.0f} MB)")
        if args.labels is not None:
            from formcheck.programs.rescoring import rescore_file

            reps = rescore_file(args.write, cfg)["reps"]  # window by window
            args.labels.write_text(
                f'[[clip]]\nfile = "{args.write.resolve().as_posix()}"\nexercise = "wall_squat"\nreps = {reps}\n',
                encoding="utf-8",
            )
            print(f"  labels written to {args.labels} ({reps} reps)")
        return

    rss_trace = _peak_rss_mb()
    t_first, _ = best_of(lambda: analyze_trace(trace, cfg), 1)  # cold: what one `formcheck rescore` pays
    print(f"  first re-score: {t_first:.2f} s; peak RSS {_peak_rss_mb():.0f} MB "
          f"(before it, making the trace: {rss_trace:.0f} MB)")  # fmt: skip
    if args.once:
        return
    t_total, checker = best_of(lambda: analyze_trace(trace, cfg), args.repeat)
    t_smooth, _ = best_of(lambda: smooth_trace(trace), args.repeat)
    t_measures, measures = best_of(lambda: trace_measures(trace), args.repeat)
    t_checker, _ = best_of(lambda: analyze_trace(trace, cfg, measures=measures), args.repeat)
    t_seq, _ = best_of(lambda: _frame_by_frame(trace), 1)  # the live path: one LandmarkSmoother call a frame

    print(f"  reps counted: {checker.reps}")  # type: ignore[attr-defined]
    print(f"  re-score (smoothing + measures + checker): {t_total * 1000:7.0f} ms  = {n / t_total:>10,.0f} frames/s"
          f"  ({t_total / n * 1e6:.1f} us/frame)")  # fmt: skip
    print(f"    smoothing, all 33 landmarks (chunked): {t_smooth * 1000:7.0f} ms"
          f"   (sequential frame-by-frame smoothing: {t_seq * 1000:.0f} ms)")  # fmt: skip
    print(f"    smoothing + measures:                  {t_measures * 1000:7.0f} ms")
    print(f"    checker over precomputed measures:     {t_checker * 1000:7.0f} ms  = {n / t_checker:>10,.0f} frames/s"
          "  (what tuning and fitting re-run)")  # fmt: skip
    per_30min = t_total * 54_000 / n
    print(f"  a 30-minute session (54,000 frames) re-scores in {per_30min:.2f} s "
          f"(first, cold run: {t_first * 54_000 / n:.2f} s)")  # fmt: skip

    if args.no_inference:
        return
    video = args.video
    if video is None:
        folder = Path(os.environ.get("FORMCHECK_SAMPLES_DIR", "../shared/sample_videos"))
        video = folder / "straight_leg_raise_supine_side_count_overlay.mp4"
    if not video.is_file():
        print(f"  (no inference baseline: {video} not found; pass --video)")
        return
    inf_ms = inference_ms_per_frame(args.model, video)
    per_frame_ms = t_total / n * 1000
    print(f"baseline: pose inference ({args.model} model, {video.name}): {inf_ms:.1f} ms/frame")
    print(f"  re-scoring costs {per_frame_ms / inf_ms * 100:.3f} % of inference per frame "
          f"(ratio {per_frame_ms / inf_ms:.5f}); "
          f"the checker alone {t_checker / n * 1000 / inf_ms * 100:.3f} %")  # fmt: skip
    print(f"  re-scoring 30 minutes takes as long as inference on {per_30min * 1000 / inf_ms:.0f} frames "
          f"({per_30min * 1000 / inf_ms / 30:.1f} s of video); inferring it again would take "
          f"{54_000 * inf_ms / 1000 / 60:.1f} min")  # fmt: skip


if __name__ == "__main__":
    main()
