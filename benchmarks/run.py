#!/usr/bin/env python3
"""formcheck's performance, measured against baselines run on the same machine, in the same run.

    python benchmarks/run.py [--videos DIR] [--models lite,full,heavy] [--repeats 3] [--quick] [--out results.json]

Every throughput figure is a ratio against two baselines measured in the same run, one
repeat after the other so that a busy machine slows all of them alike:

- **baseline**: the MediaPipe Tasks PoseLandmarker in VIDEO mode over the clip's frames,
  decoded (and converted to RGB) in advance, in one process: the single-stream limit of
  pose inference;
- **naive peer loop**: what typical open-source trainers do: read a frame, convert it,
  run the landmarker in IMAGE mode, draw the skeleton with OpenCV, repeat.

Against them: ``formcheck score`` (the API behind it, timed from the call to the report,
including starting worker processes and loading models) with every core, and in one
process. Also measured: the per-frame cost of smoothing + measures + checker and of the
overlay at 720p (as a share of the baseline's inference time per frame), peak memory of
scoring (whole process tree, sampled), rep-count agreement between the models on the
labelled clips, the live loop with a video file played at real-time pace as the camera
(latency from capture to frame shown, frames dropped), and memory growth over a long live
run. Each measurement runs in a fresh process. Methodology and results: docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_VIDEOS = REPO.parent / "shared" / "sample_videos"
DEFAULT_CLIP = "squat_front_20reps_onscreen_counter.mp4"  # 43 s, 1280x720, 29.97 fps, 20 reps
QUICK_CLIP = "bridge_side_physioplus.mp4"  # 3 s, 640x480
RESULT_TAG = "BENCH-RESULT "

TARGETS = {
    "score_vs_baseline": 1.7,
    "score_vs_naive": 2.0,
    "analysis_pct_of_inference": 1.0,
    "overlay_ms_720p": 1.5,
    "live_latency_over_inference_ms": 10.0,
    "score_peak_rss_mb": 600.0,
    "live_rss_growth_mb": 20.0,
}


# ====================================================================== children
# Each measurement runs in a fresh interpreter (`run.py --_child SPEC`), so imports, caches
# and memory of one never flatter or burden another. A child prints one result line.


def _ms_timestamps(cap, cv2) -> int:
    return round(cap.get(cv2.CAP_PROP_POS_MSEC))


def _landmarker(model: str, mode: str):
    from mediapipe.tasks.python import BaseOptions, vision

    from formcheck.pose.models import resolve_model

    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(resolve_model(model, download=False))),
        running_mode=getattr(vision.RunningMode, mode),
        num_poses=1,
        output_segmentation_masks=False,
    )
    return vision.PoseLandmarker.create_from_options(opts)


def _cpu_s(children: bool = False) -> float:
    """CPU seconds used by this process (or by its finished children)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child_baseline(spec: dict) -> dict:
    """VIDEO mode over frames decoded (to RGB) in advance; only the inference loop is timed."""
    import cv2
    import mediapipe as mp

    cap = cv2.VideoCapture(spec["clip"])
    frames, stamps, last = [], [], -1
    while len(frames) < spec["max_frames"]:
        ok, frame = cap.read()
        if not ok:
            break
        last = max(_ms_timestamps(cap, cv2), last + 1)
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        stamps.append(last)
    cap.release()
    with _landmarker(spec["model"], "VIDEO") as lm:
        t0, c0 = time.perf_counter(), _cpu_s()
        for rgb, ms in zip(frames, stamps, strict=True):
            lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), ms)
        dt, cpu = time.perf_counter() - t0, _cpu_s() - c0
    return {"frames": len(frames), "seconds": dt, "cpu_s": cpu}


def child_decode(spec: dict) -> dict:
    """Decoding as formcheck's score does it (one decoder thread), plus BGR→RGB: the part of
    score's per-frame work that the baseline leaves out (its frames are decoded in advance)."""
    import cv2
    import numpy as np

    from formcheck.programs.scoring import DECODE_THREADS
    from formcheck.sources.video import VideoFileSource, use_one_opencv_thread

    use_one_opencv_thread()
    n, rgb = 0, None
    t0, c0 = time.perf_counter(), _cpu_s()
    for _, frame in VideoFileSource(spec["clip"], threads=DECODE_THREADS):
        rgb = np.empty_like(frame) if rgb is None else rgb
        cv2.cvtColor(frame, cv2.COLOR_BGR2RGB, dst=rgb)
        n += 1
    return {"frames": n, "seconds": time.perf_counter() - t0, "cpu_s": _cpu_s() - c0}


def child_naive(spec: dict) -> dict:
    """The typical trainer loop: read, convert, IMAGE-mode detection, draw, repeat."""
    import cv2
    import mediapipe as mp

    from formcheck.pose.landmarks import SKELETON_EDGES

    cap = cv2.VideoCapture(spec["clip"])
    n = 0
    with _landmarker(spec["model"], "IMAGE") as lm:
        t0, c0 = time.perf_counter(), _cpu_s()
        while n < spec["max_frames"]:
            ok, frame = cap.read()
            if not ok:
                break
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            result = lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
            if result.pose_landmarks:
                h, w = frame.shape[:2]
                pts = [(int(p.x * w), int(p.y * h)) for p in result.pose_landmarks[0]]
                for a, b in SKELETON_EDGES:
                    cv2.line(frame, pts[a], pts[b], (255, 255, 255), 2)
                for pt in pts:
                    cv2.circle(frame, pt, 4, (0, 0, 255), -1)
            n += 1
        dt, cpu = time.perf_counter() - t0, _cpu_s() - c0
    cap.release()
    return {"frames": n, "seconds": dt, "cpu_s": cpu}


def _status_kb(key: str, pid: int | str = "self") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _trace_digest(trace) -> str:
    h = hashlib.sha256()
    for name in ("t_s", "image_xy", "world_xyz", "visibility", "presence", "n_people", "identity_jump"):
        h.update(getattr(trace, name).tobytes())
    return h.hexdigest()[:16]


def child_score(spec: dict) -> dict:
    """`formcheck score` through its API, timed from the call to the report."""
    import resource

    from formcheck.exercises.config import get_exercise
    from formcheck.pose.backend import BackendSpec
    from formcheck.programs.batch import score_videos
    from formcheck.programs.scoring import ScoreOptions

    cfg = get_exercise(spec["exercise"])
    opts = ScoreOptions(pose=BackendSpec(model=spec["model"]), use_cache=False, progress=False, jobs=spec["jobs"])
    if spec.get("adaptive"):
        from formcheck.pose.adaptive import RatePolicy

        opts.rate = RatePolicy()
    t0, c0 = time.perf_counter(), _cpu_s()
    [result] = score_videos([spec["clip"]], cfg, opts)
    dt, cpu = time.perf_counter() - t0, _cpu_s() - c0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    if spec.get("trace_out"):
        from formcheck.formats.trace import save_trace

        save_trace(result.trace, spec["trace_out"])
    report = result.report
    return {
        "frames": len(result.trace),
        "seconds": dt,
        "cpu_s": cpu + kids.ru_utime + kids.ru_stime,
        "reps": report["reps"],
        "complete": report["complete"],
        "rep_times": [(r["start_s"], r["end_s"]) for r in report["rep_details"]],
        "trace_digest": _trace_digest(result.trace),
        "report_digest": hashlib.sha256(
            json.dumps({k: v for k, v in report.items() if k != "inference"}, sort_keys=True).encode()
        ).hexdigest()[:16],
        "hwm_mb": _status_kb("VmHWM") / 1024,
        "children_max_hwm_mb": kids.ru_maxrss / 1024,
        "inferred": result.trace.meta.extra.get("inferred_frames", len(result.trace)),
    }


def child_micro(spec: dict) -> dict:
    """Per-frame cost of smoothing + measures + checker, and of drawing the overlay at 720p."""
    import cv2
    import numpy as np

    from formcheck.analysis import Analyzer, analyze_trace
    from formcheck.exercises.config import get_exercise
    from formcheck.formats.trace import load_trace
    from formcheck.sinks.overlay import Annotator, OverlayInfo

    trace = load_trace(spec["trace"])
    cfg = get_exercise(spec["exercise"])
    n = len(trace)
    frames = [trace.frame(i) for i in range(n)]
    # CPU time of this thread: what the work costs, whoever else is using the machine.
    per_frame, batch, per_frame_wall = [], [], []
    for _ in range(spec["repeats"]):
        an = Analyzer(cfg, trace.meta.aspect)
        t0, w0 = time.thread_time(), time.perf_counter()
        for f in frames:
            an.update(f)
        an.finish()
        per_frame.append((time.thread_time() - t0) / n)
        per_frame_wall.append((time.perf_counter() - w0) / n)
        t0 = time.thread_time()
        analyze_trace(trace, cfg)
        batch.append((time.thread_time() - t0) / n)

    # Overlay at 720p: real frames of the clip (resized if it is not 720p), with the real
    # smoothed skeleton and checker state of each frame, debug line on (the live worst case).
    cap = cv2.VideoCapture(spec["clip"])
    an = Analyzer(cfg, 1280 / 720)
    ann = Annotator.for_exercise(cfg, (1280, 720), debug=True)
    info = OverlayInfo(fps=29.9, latency_ms=41.0, dropped=12)
    times, walls = [], []
    for i in range(min(n, spec["overlay_frames"])):
        ok, frame = cap.read()
        if not ok:
            break
        if frame.shape[:2] != (720, 1280):
            frame = cv2.resize(frame, (1280, 720), interpolation=cv2.INTER_AREA)
        out = an.update(frames[i])
        state = an.checker.state()
        t0, w0 = time.thread_time(), time.perf_counter()
        ann.annotate(frame, out.pose, state, info)
        times.append(time.thread_time() - t0)
        walls.append(time.perf_counter() - w0)
    cap.release()
    ms, wall_ms = np.array(times) * 1000, np.array(walls) * 1000
    return {
        "frames": n,
        "update_us": [x * 1e6 for x in per_frame],
        "update_wall_us": [x * 1e6 for x in per_frame_wall],
        "batch_us": [x * 1e6 for x in batch],
        "overlay_frames": len(ms),
        "overlay_ms_median": float(np.median(ms)),
        "overlay_ms_p95": float(np.percentile(ms, 95)),
        "overlay_ms_max": float(ms.max()),
        "overlay_wall_ms_median": float(np.median(wall_ms)),
        "overlay_wall_ms_p95": float(np.percentile(wall_ms, 95)),
    }


def child_live(spec: dict) -> dict:
    """The live loop with the clip played at real-time pace as the camera, no window."""
    import numpy as np

    from formcheck.exercises.config import get_exercise
    from formcheck.pose.backend import BackendSpec
    from formcheck.programs.live import LiveOptions, run_live

    opts = LiveOptions(
        source=spec["clip"],
        pose=BackendSpec(model=spec["model"]),
        window=False,
        max_seconds=spec["seconds"],
        keep_trace=False,
        loop=spec.get("loop", False),
    )
    devnull = open(os.devnull, "w")  # noqa: SIM115 - the loop prints reps and cues without a window
    real_stdout, sys.stdout = sys.stdout, devnull
    t0 = time.perf_counter()
    try:
        report, stats, _ = run_live(get_exercise(spec["exercise"]), opts)
    finally:
        sys.stdout = real_stdout
        devnull.close()
    wall = time.perf_counter() - t0
    lat = np.asarray(stats.latency_ms)
    inf = np.asarray(stats.inference_ms)
    third = max(1, len(lat) // 3)
    return {
        "wall_s": wall,
        "frames_shown": stats.frames,
        "dropped": stats.dropped,
        "camera_frames": stats.frames + stats.dropped,
        "latency_ms_median": float(np.median(lat)),
        "latency_ms_p95": float(np.percentile(lat, 95)),
        "latency_ms_max": float(lat.max()),
        "inference_ms_median": float(np.median(inf)),
        "latency_first_third_ms": float(np.median(lat[:third])),
        "latency_last_third_ms": float(np.median(lat[-third:])),
        "complete": report["complete"],
    }


def child_agree(spec: dict) -> dict:
    """Rep counts of one model on every labelled clip whose exercise is in the catalog."""
    from formcheck.exercises.config import get_exercise
    from formcheck.pose.backend import BackendSpec
    from formcheck.programs.batch import iter_scores
    from formcheck.programs.scoring import ScoreOptions

    out = {}
    by_exercise: dict[str, list[str]] = {}
    for clip, exercise in spec["clips"].items():
        by_exercise.setdefault(exercise, []).append(clip)
    opts = ScoreOptions(pose=BackendSpec(model=spec["model"]), use_cache=spec["cache"], progress=False)
    for exercise, clips in by_exercise.items():
        cfg = get_exercise(exercise)
        paths = [str(Path(spec["videos"]) / c) for c in clips]
        for i, result in iter_scores(paths, cfg, opts, jobs=spec["jobs"]):
            out[clips[i]] = result.report["reps"]
    return {"reps": out}


CHILDREN = {
    "baseline": child_baseline,
    "naive": child_naive,
    "decode": child_decode,
    "score": child_score,
    "micro": child_micro,
    "live": child_live,
    "agree": child_agree,
}


# ====================================================================== the parent
class TreeSampler:
    """Samples the resident memory of a process and its descendants (RSS and PSS, MB).

    PSS only when asked: reading ``smaps_rollup`` walks the process's page tables under
    its memory-map lock and slowed a timed 2-core score by ~5 %, so timed runs sample RSS
    only (``/proc/PID/status``, counters the kernel keeps) and PSS has a run of its own.
    """

    def __init__(self, pid: int, every_s: float = 0.1, series: bool = False, pss: bool = False) -> None:
        self.pid, self.every_s, self.pss = pid, every_s, pss
        self.peak_rss = self.peak_pss = 0.0
        self.series: list[tuple[float, float]] | None = [] if series else None
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _children(pid: int) -> list[int]:
        out: list[int] = []
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                out += [int(c) for c in (task / "children").read_text().split()]
        return out

    def _tree(self) -> list[int]:
        todo, seen = [self.pid], []
        while todo:
            p = todo.pop()
            seen.append(p)
            todo += self._children(p)
        return seen

    @staticmethod
    def _pss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = self._tree()
            rss = sum(_status_kb("VmRSS", p) for p in pids) / 1024
            pss = sum(self._pss_kb(p) for p in pids) / 1024 if self.pss else 0.0
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            if self.series is not None:
                self.series.append((time.monotonic() - self._t0, _status_kb("VmRSS", self.pid) / 1024))
            self._stop.wait(self.every_s)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _cpu_busy_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores, /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_for_idle(max_wait_s: float, busy_cores: float = 0.3) -> float:
    """Wait (at most max_wait_s) until other programs use under ``busy_cores`` cores, so a
    shared machine's other work does not land in a measurement. Returns the last reading."""
    deadline = time.monotonic() + max_wait_s
    while True:
        b0, t0 = _cpu_busy_s(), time.monotonic()
        time.sleep(1.0)
        busy = (_cpu_busy_s() - b0) / (time.monotonic() - t0)
        if busy < busy_cores or time.monotonic() >= deadline:
            return busy


def run_child(
    kind: str, spec: dict, *, sample: bool = False, pss: bool = False, series: bool = False, every_s: float = 0.1
) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", json.dumps({"kind": kind, **spec})]
    idle_wait = float(os.environ.get("_FORMCHECK_BENCH_IDLE_WAIT", "0"))
    busy_before = wait_for_idle(idle_wait) if idle_wait > 0 else None
    load0 = os.getloadavg()[0]
    busy0, ours0, wall0 = _cpu_busy_s(), _cpu_s(children=True), time.monotonic()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        sampler = TreeSampler(proc.pid, every_s, series, pss) if sample or series else None
        out, _ = proc.communicate()
        if sampler is not None:
            sampler.stop()
        lines = [ln for ln in out.splitlines() if ln.startswith(RESULT_TAG)]
        if proc.returncode != 0 or not lines:
            err.seek(0)
            tail = "\n".join(err.read().splitlines()[-15:])
            raise RuntimeError(f"benchmark step {kind} failed (exit {proc.returncode}):\n{tail}")
    result = json.loads(lines[-1][len(RESULT_TAG) :])
    result["load_avg_before"] = round(load0, 2)
    # Cores other programs kept busy meanwhile: the machine's busy CPU time minus ours.
    wall = time.monotonic() - wall0
    result["background_cores"] = max(0.0, (_cpu_busy_s() - busy0 - (_cpu_s(children=True) - ours0)) / wall)
    if busy_before is not None:
        result["background_cores_before"] = busy_before
    if sampler is not None:
        result["peak_tree_rss_mb"] = sampler.peak_rss
        if pss:
            result["peak_tree_pss_mb"] = sampler.peak_pss
        if series:
            result["rss_series"] = sampler.series
    return result


def run_shell(args: list[str], *, sample: bool = True) -> dict:
    """``formcheck ARGS`` as a user runs it: a fresh process from the shell, timed from
    its start to its exit (imports, hashing the video for the trace cache, model loading,
    inference, writing the JSON and the cached trace), with the peak resident memory of its
    process tree."""
    cmd = [sys.executable, "-m", "formcheck", *args]
    idle_wait = float(os.environ.get("_FORMCHECK_BENCH_IDLE_WAIT", "0"))
    if idle_wait > 0:
        wait_for_idle(idle_wait)
    busy0, ours0 = _cpu_busy_s(), _cpu_s(children=True)
    t0 = time.perf_counter()
    # As installed by pip (which compiles the modules): byte-code cached, whatever this shell says.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # A trace cache of its own, empty: the run hashes the video and stores its trace, as a
    # first `formcheck score` of a recording does.
    cache = tempfile.TemporaryDirectory(prefix="formcheck-bench-cache-")
    env["FORMCHECK_CACHE_DIR"] = cache.name
    with cache, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        sampler = TreeSampler(proc.pid, 0.05) if sample else None
        code = proc.wait()
        seconds = time.perf_counter() - t0
        if sampler is not None:
            sampler.stop()
        if code != 0:
            err.seek(0)
            raise RuntimeError(f"formcheck {' '.join(args)} failed (exit {code}):\n{err.read()[-2000:]}")
    ours = _cpu_s(children=True) - ours0
    return {
        "seconds": seconds,
        "cpu_s": ours,
        "peak_tree_rss_mb": sampler.peak_rss if sampler is not None else None,
        "background_cores": max(0.0, (_cpu_busy_s() - busy0 - ours) / seconds),
    }


def _short_clip(clip: Path, seconds: float, folder: Path) -> Path:
    """The first ``seconds`` of ``clip`` as a clip of its own (same size and rate)."""
    import cv2

    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    out_path = folder / f"{clip.stem}.first{seconds:g}s.mp4"
    out = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for _ in range(round(seconds * fps)):
        ok, frame = cap.read()
        if not ok:
            break
        out.write(frame)
    out.release()
    cap.release()
    return out_path


def whole(args: argparse.Namespace, clip: Path, exercise: str, jobs: int, tmp: Path) -> dict:
    """Adaptive-rate scoring in process and as a whole process, against the every-frame
    single-stream baseline measured in the same run (issue 15)."""
    short = _short_clip(clip, args.short_seconds, tmp)
    frames_long = _count_frames(clip)
    frames_short = _count_frames(short)
    out: dict[str, Any] = {"clip_frames": frames_long, "short_clip_frames": frames_short}
    # untimed: writes the byte-code cache a pip install would have written
    run_shell(["score", "-e", exercise, "--model", args.models[0], "--no-cache", "--no-progress", str(short)])
    for model in args.models:
        _log(f"== {model}: adaptive rate, in process and whole process ({args.repeats} repeats)")
        base = {"clip": str(clip), "model": model, "exercise": exercise}
        shell = ["score", "-e", exercise, "--model", model, "--no-progress", "-j", str(jobs), "--adaptive-rate"]
        runs: dict[str, list[dict]] = {k: [] for k in ("baseline", "score", "shell", "shell_short", "score_every",
                                                         "shell_every")}  # fmt: skip
        for r in range(args.repeats):
            runs["baseline"].append(run_child("baseline", {**base, "max_frames": args.baseline_frames}))
            runs["score"].append(run_child("score", {**base, "jobs": jobs, "adaptive": True}, sample=True))
            runs["shell"].append(run_shell([*shell, str(clip), "--json", str(tmp / "r.json")]))
            runs["shell_short"].append(run_shell([*shell, str(short), "--json", str(tmp / "s.json")]))
            if r == 0:
                runs["score_every"].append(run_child("score", {**base, "jobs": jobs}))
                runs["shell_every"].append(
                    run_shell([*shell[:-1], str(clip), "--json", str(tmp / "e.json")])
                )
            b = runs["baseline"][-1]
            ms = b["seconds"] / b["frames"] * 1000
            _log(
                f"   repeat {r + 1}: baseline {ms:.1f} ms/frame, score {runs['score'][-1]['seconds']:.1f} s in"
                f" process, {runs['shell'][-1]['seconds']:.1f} s whole process,"
                f" short clip {runs['shell_short'][-1]['seconds']:.2f} s"
            )
        per: list[dict] = []
        for r in range(args.repeats):
            ms = runs["baseline"][r]["seconds"] / runs["baseline"][r]["frames"]
            inf_long, inf_short = ms * frames_long, ms * frames_short
            per.append({
                "baseline_ms_per_frame": ms * 1000,
                "score_vs_baseline": inf_long / runs["score"][r]["seconds"],
                "shell_vs_baseline": inf_long / runs["shell"][r]["seconds"],
                "short_shell_over_inference": runs["shell_short"][r]["seconds"] / inf_short,
            })  # fmt: skip
        ms0 = runs["baseline"][0]["seconds"] / runs["baseline"][0]["frames"]
        summary = {k: stats([p[k] for p in per]) for k in per[0]}
        summary["every_frame_score_vs_baseline"] = ms0 * frames_long / runs["score_every"][0]["seconds"]
        summary["every_frame_shell_vs_baseline"] = ms0 * frames_long / runs["shell_every"][0]["seconds"]
        summary["inferred_share"] = runs["score"][0]["inferred"] / runs["score"][0]["frames"]
        summary["peak_rss_shell_mb"] = max(r["peak_tree_rss_mb"] for r in runs["shell"])
        summary["peak_rss_shell_every_mb"] = runs["shell_every"][0]["peak_tree_rss_mb"]
        summary["background_cores"] = [round(r["background_cores"], 2) for r in runs["shell"]]
        summary["same_report_counts"] = len({r["reps"] for r in runs["score"] + runs["score_every"]}) == 1
        out[model] = {"summary": summary, "runs": runs}
    return out


def _count_frames(clip: Path) -> int:
    import cv2

    cap = cv2.VideoCapture(str(clip))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


def print_whole(res: dict) -> None:
    w = res.get("whole")
    if not w:
        return
    print(f"\nadaptive rate (issue 15): {res['meta']['clip']} ({w['clip_frames']} frames) and its first "
          f"{w['short_clip_frames']} frames; median (min-max)")  # fmt: skip
    rows = [
        ("baseline inference ms/frame (every frame)", "baseline_ms_per_frame", "{:.2f}"),
        ("score in process / baseline", "score_vs_baseline", "{:.2f}"),
        ("score whole process / baseline", "shell_vs_baseline", "{:.2f}"),
        ("5 s clip whole process / its inference", "short_shell_over_inference", "{:.2f}"),
    ]
    models = [m for m in ("lite", "full", "heavy") if m in w]
    print(f"{'':48s}" + "".join(f"{m:>22s}" for m in models))
    for label, key, fmt in rows:
        cells = []
        for m in models:
            st = w[m]["summary"][key]
            cells.append(f"{fmt.format(st['median'])} ({fmt.format(st['min'])}-{fmt.format(st['max'])})")
        print(f"{label:48s}" + "".join(f"{c:>22s}" for c in cells))
    for label, key, fmt in (
        ("every-frame score in process / baseline", "every_frame_score_vs_baseline", "{:.2f}"),
        ("every-frame whole process / baseline", "every_frame_shell_vs_baseline", "{:.2f}"),
        ("share of frames inferred", "inferred_share", "{:.2f}"),
        ("peak RSS whole process MB (adaptive)", "peak_rss_shell_mb", "{:.0f}"),
        ("peak RSS whole process MB (every frame)", "peak_rss_shell_every_mb", "{:.0f}"),
        ("same rep count both ways", "same_report_counts", "{}"),
        ("other programs' cores (whole process)", "background_cores", "{}"),
    ):
        print(f"{label:48s}" + "".join(f"{fmt.format(w[m]['summary'][key]):>22s}" for m in models))


def stats(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": values,
    }


def _labels(videos: Path) -> list[dict]:
    path = videos / "labels.toml"
    if not path.is_file():
        return []
    with path.open("rb") as f:
        return tomllib.load(f).get("clip", [])


def _exercise_for(clip: str, labels: list[dict], catalog: set[str]) -> str:
    for c in labels:
        if c["file"] == clip and c["exercise"] in catalog:
            return c["exercise"]
    return "squat" if "squat" in catalog else sorted(catalog)[0]


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def measure(args: argparse.Namespace) -> dict:
    import cv2

    import formcheck
    from formcheck.exercises.config import builtin_exercises
    from formcheck.programs.batch import default_jobs

    videos = Path(args.videos).expanduser().resolve()
    clip_path = videos / args.clip
    if not clip_path.is_file():
        raise SystemExit(f"benchmark: {clip_path} not found (use --videos DIR and --clip NAME)")
    cap = cv2.VideoCapture(str(clip_path))
    width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps, n_frames = cap.get(cv2.CAP_PROP_FPS), int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    labels = _labels(videos)
    catalog = set(builtin_exercises())
    exercise = _exercise_for(args.clip, labels, catalog)
    jobs = args.jobs or default_jobs()
    frame_mb = width * height * 3 / 2**20
    max_frames = max(1, min(n_frames or 10**9, int(args.baseline_mb / frame_mb)))
    import mediapipe

    res: dict[str, Any] = {
        "meta": {
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "machine": {
                "cores": os.cpu_count(),
                "cores_usable": default_jobs(),
                "cpu": _cpu_name(),
                "python": platform.python_version(),
                "mediapipe": mediapipe.__version__,
                "opencv": cv2.__version__,
                "formcheck": formcheck.__version__,
            },
            "clip": args.clip,
            "clip_size": f"{width}x{height}",
            "clip_fps": round(fps, 3),
            "clip_frames": n_frames,
            "baseline_frames": max_frames,
            "exercise": exercise,
            "repeats": args.repeats,
            "jobs": jobs,
            "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        },
        "models": {},
    }
    tmp = Path(tempfile.mkdtemp(prefix="formcheck-bench-"))
    env_models = os.environ.get("FORMCHECK_MODEL_DIR")
    if not env_models and (REPO.parent / "shared" / "models").is_dir():
        os.environ["FORMCHECK_MODEL_DIR"] = str(REPO.parent / "shared" / "models")

    if "throughput" in args.only:
        dec = [run_child("decode", {"clip": str(clip_path)}) for _ in range(args.repeats)]
        res["decode_cpu_ms_per_frame"] = stats([r["cpu_s"] / r["frames"] * 1000 for r in dec])
    for model in args.models if "throughput" in args.only else []:
        _log(
            f"== {model}: throughput ({args.repeats} repeats of baseline, naive loop, score jobs={jobs}, score jobs=1)"
        )
        runs: dict[str, list[dict]] = {"baseline": [], "naive": [], "score": [], "score_seq": [], "memory": []}
        base = {"clip": str(clip_path), "model": model, "exercise": exercise}
        for r in range(args.repeats):
            runs["baseline"].append(run_child("baseline", {**base, "max_frames": max_frames}))
            runs["naive"].append(run_child("naive", {**base, "max_frames": 10**9}))
            trace_out = str(tmp / f"{model}.trace.npz") if r == 0 else None
            runs["score"].append(run_child("score", {**base, "jobs": jobs, "trace_out": trace_out}, sample=True))
            if r == 0 or not args.quick_seq:
                runs["score_seq"].append(run_child("score", {**base, "jobs": 1}, sample=True))
            if r == 0:  # untimed: PSS sampling slows what it measures
                runs["memory"] = [run_child("score", {**base, "jobs": jobs}, sample=True, pss=True)]
            last = runs["score"][-1]
            _log(
                f"   repeat {r + 1}: baseline {_fps(runs['baseline'][-1]):.1f} fps, naive {_fps(runs['naive'][-1]):.1f}"
                f" fps, score {_fps(last):.1f} fps (jobs={jobs}), score {_fps(runs['score_seq'][-1]):.1f} fps (jobs=1)"
            )
        m = summarize_model(runs, jobs)
        micro = run_child(
            "micro",
            {
                "trace": str(tmp / f"{model}.trace.npz"),
                "clip": str(clip_path),
                "exercise": exercise,
                "repeats": 3,
                "overlay_frames": args.overlay_frames,
            },
        )
        inf_ms = m["baseline_ms_per_frame"]["median"]
        m["analysis"] = {
            "update_us_per_frame": statistics.median(micro["update_us"]),
            "update_pct_of_inference": statistics.median(micro["update_us"]) / 1000 / inf_ms * 100,
            "batch_us_per_frame": statistics.median(micro["batch_us"]),
            "batch_pct_of_inference": statistics.median(micro["batch_us"]) / 1000 / inf_ms * 100,
        }
        m["overlay_720p"] = {k: v for k, v in micro.items() if k.startswith("overlay_")}
        m["analysis"]["update_wall_us_per_frame"] = statistics.median(micro["update_wall_us"])
        m["overlay_720p"]["pct_of_inference"] = micro["overlay_ms_median"] / inf_ms * 100
        if model in args.live_models and args.live_seconds > 0:
            _log(f"== {model}: live, {args.live_seconds:g} s of the clip played at real-time pace")
            m["live"] = run_child("live", {**base, "seconds": args.live_seconds}, sample=True)
        res["models"][model] = m

    if "whole" in args.only:
        res["whole"] = whole(args, clip_path, exercise, jobs, tmp)
    if args.agreement and "agreement" in args.only:
        res["agreement"] = agreement(args, videos, labels, catalog, jobs)
    if args.soak_seconds > 0 and "soak" in args.only:
        _log(f"== soak: live run of {args.soak_seconds:g} s (clip looped), model {args.soak_model}")
        res["soak"] = soak(args, clip_path, exercise)
    res["meta"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    res["targets"] = targets(res)
    return res


def _fps(run: dict) -> float:
    return run["frames"] / run["seconds"]


def summarize_model(runs: dict[str, list[dict]], jobs: int) -> dict:
    base_fps = [_fps(r) for r in runs["baseline"]]
    naive_fps = [_fps(r) for r in runs["naive"]]
    score_fps = [_fps(r) for r in runs["score"]]
    seq_fps = [_fps(r) for r in runs["score_seq"]]
    n_seq = len(seq_fps)
    digests = {(r["trace_digest"], r["report_digest"]) for r in runs["score"] + runs["score_seq"] + runs["memory"]}
    cpu = {
        k: statistics.median(r["cpu_s"] / r["frames"] * 1000 for r in runs[k])
        for k in ("baseline", "naive", "score", "score_seq")
    }
    return {
        "baseline_ms_per_frame": stats([1000 / f for f in base_fps]),
        "baseline_fps": stats(base_fps),
        "naive_fps": stats(naive_fps),
        "score_fps": stats(score_fps),
        "score_seq_fps": stats(seq_fps),
        "score_vs_baseline": stats([s / b for s, b in zip(score_fps, base_fps, strict=True)]),
        "score_vs_naive": stats([s / n for s, n in zip(score_fps, naive_fps, strict=True)]),
        "score_seq_vs_baseline": stats([s / b for s, b in zip(seq_fps, base_fps[:n_seq], strict=True)]),
        "naive_vs_baseline": stats([n / b for n, b in zip(naive_fps, base_fps, strict=True)]),
        "cpu_per_frame_ms": cpu,
        # The best score / baseline the cores allow, given the CPU formcheck spends per frame
        # (decoding included) against the baseline's (frames decoded in advance).
        "ceiling_vs_baseline": jobs * cpu["baseline"] / cpu["score"],
        "reps": runs["score"][0]["reps"],
        "parallel_equals_sequential": len(digests) == 1,
        "memory_score": {
            "peak_tree_rss_mb": stats([r["peak_tree_rss_mb"] for r in runs["score"] + runs["memory"]]),
            "peak_tree_pss_mb": stats([r["peak_tree_pss_mb"] for r in runs["memory"]]),
            "parent_hwm_mb": stats([r["hwm_mb"] for r in runs["score"]]),
            "worker_hwm_mb": stats([r["children_max_hwm_mb"] for r in runs["score"]]),
        },
        "memory_score_seq": {
            "peak_tree_rss_mb": stats([r["peak_tree_rss_mb"] for r in runs["score_seq"]]),
        },
        "load_avg": [r["load_avg_before"] for r in runs["score"]],
        "background_cores": {k: [round(r.get("background_cores", 0.0), 2) for r in runs[k]] for k in runs},
        "raw": runs,
    }


def agreement(args, videos: Path, labels: list[dict], catalog: set[str], jobs: int) -> dict:
    clips = {c["file"]: c["exercise"] for c in labels if c["exercise"] in catalog and (videos / c["file"]).is_file()}
    if args.quick:
        clips = {k: v for k, v in clips.items() if k == args.clip}
    rows = {c["file"]: c for c in labels if c["file"] in clips}
    per_model = {}
    for model in args.models:
        _log(f"== {model}: rep counts on {len(clips)} labelled clips")
        spec = {"clips": clips, "videos": str(videos), "model": model, "jobs": jobs, "cache": not args.no_cache}
        per_model[model] = run_child("agree", spec)["reps"]
    table = []
    for clip, lab in rows.items():
        table.append({
            "clip": clip,
            "exercise": lab["exercise"],
            "label": lab["reps"],
            "accept": lab.get("reps_accept", [lab["reps"]]),
            **{m: per_model[m].get(clip) for m in per_model},
        })  # fmt: skip
    summary = {}
    for m in per_model:
        ok = sum(1 for row in table if row[m] in row["accept"])
        summary[m] = {
            "within_accept": ok,
            "clips": len(table),
            "abs_error": sum(abs(row[m] - row["label"]) for row in table),
        }
    pairs = {}
    ms = list(per_model)
    for i, a in enumerate(ms):
        for b in ms[i + 1 :]:
            pairs[f"{a}={b}"] = sum(1 for row in table if row[a] == row[b])
    return {"clips": table, "summary": summary, "same_count_between_models": pairs}


def soak(args, clip: Path, exercise: str) -> dict:
    spec = {
        "clip": str(clip),
        "model": args.soak_model,
        "exercise": exercise,
        "seconds": args.soak_seconds,
        "loop": True,
    }
    r = run_child("live", spec, series=True, every_s=1.0)
    series = r.pop("rss_series")
    warm = min(60.0, args.soak_seconds / 3)  # imports, model load, first allocations
    after = [(t, m) for t, m in series if t >= warm]
    if len(after) >= 2:
        import numpy as np

        t, mb = np.array(after).T
        slope = float(np.polyfit(t, mb, 1)[0]) * 60
        r.update({
            "rss_after_warmup_mb": float(mb[0]),
            "rss_end_mb": float(mb[-1]),
            "rss_max_mb": float(mb.max()),
            "rss_growth_mb": float(mb[-1] - mb[0]),
            "rss_slope_mb_per_min": slope,
            "rss_growth_10min_extrapolated_mb": slope * 10,
            "warmup_s": warm,
        })  # fmt: skip
    r["rss_series_every_10s"] = [(round(t), round(m, 1)) for t, m in series[::10]]
    return r


def targets(res: dict) -> list[dict]:
    out = []

    def add(name, target, measured, met, note=""):
        out.append({"target": name, "limit": target, "measured": measured, "met": bool(met), "note": note})

    for model, m in res["models"].items():
        sb, sn = m["score_vs_baseline"], m["score_vs_naive"]
        add(f"{model}: score / baseline", f">= {TARGETS['score_vs_baseline']}", _spread(sb), sb["median"] >= 1.7)
        add(f"{model}: score / naive peer", f">= {TARGETS['score_vs_naive']}", _spread(sn), sn["median"] >= 2.0)
        add(
            f"{model}: parallel == sequential",
            "identical",
            m["parallel_equals_sequential"],
            m["parallel_equals_sequential"],
        )
        a = m["analysis"]["update_pct_of_inference"]
        add(f"{model}: smoothing+measures+checker per frame", "<= 1 % of inference", f"{a:.2f} %", a <= 1.0)
        mem = m["memory_score"]["peak_tree_rss_mb"]["max"]
        if res["meta"]["clip"] == DEFAULT_CLIP:
            add(
                f"{model}: peak RSS of score (43 s 720p clip)",
                "<= 600 MB",
                f"{mem:.0f} MB (sum over processes)",
                mem <= 600,
            )
        if "live" in m:
            lv = m["live"]
            over = lv["latency_ms_median"] - lv["inference_ms_median"]
            add(f"{model}: live latency median - inference", "<= 10 ms", f"{over:.1f} ms", over <= 10.0)
            growth = lv["latency_last_third_ms"] - lv["latency_first_third_ms"]
            add(
                f"{model}: live queue growth (last third - first third)",
                "none (<= 10 ms)",
                f"{growth:+.1f} ms",
                growth <= 10.0,
            )
    first = next(iter(res["models"].values()), None)
    if first:
        ov = first["overlay_720p"]["overlay_ms_median"]
        add(
            "overlay at 720p (median)",
            "<= 1.5 ms",
            f"{ov:.2f} ms (p95 {first['overlay_720p']['overlay_ms_p95']:.2f})",
            ov <= 1.5,
        )
    if "soak" in res and "rss_growth_mb" in res["soak"] and res["soak"]["wall_s"] >= 60:
        s = res["soak"]
        grow = max(s["rss_growth_mb"], s["rss_growth_10min_extrapolated_mb"])
        add(
            f"live RSS growth ({s['wall_s'] / 60:.1f} min run)",
            "<= 20 MB over 10 min",
            f"{s['rss_growth_mb']:+.1f} MB measured, {s['rss_growth_10min_extrapolated_mb']:+.1f} MB/10 min slope",
            grow <= 20.0,
        )
    return out


def _spread(s: dict) -> str:
    return f"{s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f})"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def print_table(res: dict) -> None:
    meta = res["meta"]
    decode_ms = res.get("decode_cpu_ms_per_frame", {}).get("median", float("nan"))
    mach = meta["machine"]
    print(
        f"\nformcheck {mach['formcheck']} on {mach['cpu']} ({mach['cores_usable']} cores), "
        f"MediaPipe {mach['mediapipe']}, OpenCV {mach['opencv']}\n"
        f"clip {meta['clip']} ({meta['clip_size']}, {meta['clip_frames']} frames), exercise {meta['exercise']}, "
        f"{meta['repeats']} repeats, score with jobs={meta['jobs']}; "
        f"load average {meta['load_avg_start'][0]:.1f} -> {meta['load_avg_end'][0]:.1f}\n"
        "figures: median (min-max) over repeats\n"
    )
    models = list(res["models"])
    rows = [] if not models else [
        ("baseline inference ms/frame", lambda m: _spread(m["baseline_ms_per_frame"])),
        ("naive peer loop fps", lambda m: _spread(m["naive_fps"])),
        (f"score fps (jobs={meta['jobs']})", lambda m: _spread(m["score_fps"])),
        ("score fps (jobs=1)", lambda m: _spread(m["score_seq_fps"])),
        ("score / baseline", lambda m: _spread(m["score_vs_baseline"])),
        ("score / naive peer", lambda m: _spread(m["score_vs_naive"])),
        ("score jobs=1 / baseline", lambda m: _spread(m["score_seq_vs_baseline"])),
        ("CPU ms/frame baseline / score",
         lambda m: f"{m['cpu_per_frame_ms']['baseline']:.1f} / {m['cpu_per_frame_ms']['score']:.1f}"),
        (f"{meta['jobs']}-core ceiling (CPU-bound)", lambda m: f"{m['ceiling_vs_baseline']:.2f}"),
        ("  of it: decode + BGR->RGB ms/frame", lambda m: f"{decode_ms:.1f}"),
        ("other programs' cores (score)",
         lambda m: "/".join(f"{x:.1f}" for x in m["background_cores"]["score"])),
        ("parallel == sequential", lambda m: "yes" if m["parallel_equals_sequential"] else "NO"),
        ("reps counted", lambda m: str(m["reps"])),
        ("analysis us/frame (% inf.)",
         lambda m: f"{m['analysis']['update_us_per_frame']:.0f} ({m['analysis']['update_pct_of_inference']:.2f} %)"),
        ("  batch re-score us/frame",
         lambda m: f"{m['analysis']['batch_us_per_frame']:.0f} ({m['analysis']['batch_pct_of_inference']:.2f} %)"),
        ("overlay 720p ms med/p95",
         lambda m: f"{m['overlay_720p']['overlay_ms_median']:.2f} / {m['overlay_720p']['overlay_ms_p95']:.2f}"),
        ("peak RSS score MB (PSS)",
         lambda m: f"{m['memory_score']['peak_tree_rss_mb']['max']:.0f} "
                   f"({m['memory_score']['peak_tree_pss_mb']['max']:.0f})"),
        ("peak RSS score jobs=1 MB",
         lambda m: f"{m['memory_score_seq']['peak_tree_rss_mb']['max']:.0f}"),
        ("live latency ms med/p95",
         lambda m: f"{m['live']['latency_ms_median']:.0f} / {m['live']['latency_ms_p95']:.0f}" if "live" in m else "-"),
        ("live inference ms median",
         lambda m: f"{m['live']['inference_ms_median']:.0f}" if "live" in m else "-"),
        ("live dropped / camera frames",
         lambda m: f"{m['live']['dropped']} / {m['live']['camera_frames']}" if "live" in m else "-"),
        ("live latency 1st/last third",
         lambda m: f"{m['live']['latency_first_third_ms']:.0f} / {m['live']['latency_last_third_ms']:.0f}"
         if "live" in m else "-"),
    ]  # fmt: skip
    w0 = max((len(r[0]) for r in rows), default=0) + 2
    w = 22
    if rows:
        print(" " * w0 + "".join(f"{m:>{w}}" for m in models))
    for name, fn in rows:
        print(f"{name:<{w0}}" + "".join(f"{fn(res['models'][m]):>{w}}" for m in models))
    if "agreement" in res:
        ag = res["agreement"]
        models = list(ag["summary"])
        print("\nrep counts on the labelled clips (label: accepted counts)")
        print(f"{'clip':<52}{'label':>10}" + "".join(f"{m:>7}" for m in models))
        for row in ag["clips"]:
            acc = ",".join(str(a) for a in row["accept"])
            cells = "".join(f"{row[m] if row[m] is not None else '-'!s:>6}{'*' if row[m] not in row['accept'] else ' '}"
                            for m in models)  # fmt: skip
            print(f"{row['clip'][:51]:<52}{acc:>10}{cells}")
        print(f"{'within the accepted counts':<62}" + "".join(
            f"{ag['summary'][m]['within_accept']:>3}/{ag['summary'][m]['clips']:<3}" for m in models))  # fmt: skip
        print("(* = outside the accepted counts)")
    if "soak" in res and "rss_growth_mb" in res["soak"]:
        s = res["soak"]
        print(
            f"\nlive soak: {s['wall_s'] / 60:.1f} min, {s['frames_shown']} frames shown, "
            f"RSS {s['rss_after_warmup_mb']:.0f} MB after {s['warmup_s']:.0f} s -> {s['rss_end_mb']:.0f} MB at the end "
            f"({s['rss_growth_mb']:+.1f} MB; slope {s['rss_slope_mb_per_min']:+.2f} MB/min)"
        )
    print("\ntargets")
    for t in res["targets"]:
        print(f"  [{'met' if t['met'] else 'NOT MET':>7}] {t['target']}: {t['measured']} (target {t['limit']})")
    print_whole(res)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--videos",
        type=Path,
        default=Path(os.environ.get("FORMCHECK_SAMPLES_DIR", DEFAULT_VIDEOS)),
        help="folder of sample clips with labels.toml (default: $FORMCHECK_SAMPLES_DIR or ../shared/sample_videos)",
    )
    p.add_argument("--clip", default=None, help=f"clip for throughput, memory and live (default: {DEFAULT_CLIP})")
    p.add_argument("--models", default="lite,full,heavy", help="comma-separated (default: lite,full,heavy)")
    p.add_argument("--repeats", type=int, default=3, help="repeats of each throughput measurement (default: 3)")
    p.add_argument("--jobs", type=int, default=None, help="jobs for formcheck score (default: every core)")
    p.add_argument("--live-models", default=None, help="models for the live measurement (default: all of --models)")
    p.add_argument("--live-seconds", type=float, default=30.0, help="length of each live measurement (default: 30)")
    p.add_argument(
        "--soak-seconds",
        type=float,
        default=120.0,
        help="length of the live run measuring memory growth (default: 120; the target is stated for 600)",
    )
    p.add_argument("--soak-model", default="lite", help="model for the soak run (default: lite)")
    p.add_argument("--no-agreement", dest="agreement", action="store_false", help="skip rep counts on labelled clips")
    p.add_argument("--no-cache", action="store_true", help="agreement: always run inference (ignore the trace cache)")
    p.add_argument(
        "--baseline-mb",
        type=float,
        default=4000.0,
        help="memory for the baseline's pre-decoded frames; caps the frames it runs on (default: 4000)",
    )
    p.add_argument("--overlay-frames", type=int, default=400, help="frames to time the overlay on (default: 400)")
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"a one-minute smoke run: lite, {QUICK_CLIP}, 1 repeat, short live and soak runs",
    )
    p.add_argument(
        "--out", type=Path, default=Path("benchmark-results.json"), help="JSON results (default: %(default)s)"
    )
    p.add_argument(
        "--wait-idle",
        type=float,
        default=60.0,
        metavar="S",
        help="before each measurement wait up to S seconds for other programs to leave the cores idle "
        "(shared machines; default: 60, 0 = never wait)",
    )
    p.add_argument(
        "--only",
        default="throughput,agreement,soak",
        help="sections to run (default: throughput,agreement,soak; throughput includes the per-frame costs and live;"
        " whole: adaptive rate in process and whole process, issue 15)",
    )
    p.add_argument("--short-seconds", type=float, default=5.0, help="whole: length of the short clip (default: 5)")
    p.add_argument(
        "--baseline-frames", type=int, default=400, help="whole: frames of the baseline per repeat (default: 400)"
    )
    p.add_argument("--table", type=Path, metavar="JSON", help="print the table of an earlier run's results and exit")
    p.add_argument("--_child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.table is not None:
        print_table(json.loads(args.table.read_text()))
        return 0
    if args._child:
        spec = json.loads(args._child)
        result = CHILDREN[spec.pop("kind")](spec)
        sys.stdout.write(RESULT_TAG + json.dumps(result) + "\n")
        return 0
    if args.quick:
        args.clip = args.clip or QUICK_CLIP
        if args.models == "lite,full,heavy":
            args.models = "lite"
        args.repeats = 1
        args.live_seconds = min(args.live_seconds, 2.0)
        args.soak_seconds = min(args.soak_seconds, 3.0)
        args.wait_idle = 0.0
    args.clip = args.clip or DEFAULT_CLIP
    args.only = {x.strip() for x in args.only.split(",")}
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    args.live_models = args.models if args.live_models is None else [m.strip() for m in args.live_models.split(",")]
    args.quick_seq = args.quick  # sequential score once per model in quick runs
    os.environ["_FORMCHECK_BENCH_IDLE_WAIT"] = str(args.wait_idle)
    res = measure(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n")
    print_table(res)
    print(f"\nresults written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
