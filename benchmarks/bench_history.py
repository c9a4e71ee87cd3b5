"""How much MediaPipe's own history moves its landmarks when frames are skipped.

In VIDEO mode with one person (``num_poses=1``) the pose landmarker carries state from
frame to frame: the crop it tracks and, only in that configuration, its own One Euro filter
on the landmarks and world landmarks (min cutoff 0.05 Hz, beta 80, MediaPipe's
``pose_landmarks_detector_graph.cc``) and a per-sample low-pass on visibility. With
``num_poses=2`` the filter is off and the detector runs on every frame (one person never
fills both slots), so each frame's landmarks depend only on that frame.

For each clip this decodes the first ``--seconds`` of video once and infers it at every
``step``-th frame (1, 2, 3) in both configurations, then compares each skipped run with the
every-frame run of the same configuration on the frames both inferred: image landmarks
(normalized units, mean over the 33) and knee and hip angles from the world landmarks
(degrees, the worse side). It also reports the CPU time per inferred frame. This is the
floor any adaptive inference rate runs into (docs/performance.md, "What skipping does to
MediaPipe").

    FORMCHECK_MODEL_DIR=../shared/models python benchmarks/bench_history.py \\
        ../shared/sample_videos/pelvic_tilt_supine_side_home.mp4 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from formcheck.measures.geometry import angle_at_deg
from formcheck.pose.estimator import PoseEstimator
from formcheck.pose.landmarks import Landmark as L
from formcheck.pose.models import resolve_model

_ANGLES = {
    "knee": ((L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE), (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE)),
    "hip": ((L.LEFT_SHOULDER, L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_SHOULDER, L.RIGHT_HIP, L.RIGHT_KNEE)),
}


@dataclass
class Run:
    """Landmarks of the frames one run inferred: frame index → (image_xy (33, 2), world_xyz (33, 3) m)."""

    poses: dict[int, tuple[np.ndarray, np.ndarray]]
    cpu_ms_per_frame: float


def decode(path: Path, seconds: float) -> tuple[list[np.ndarray], float]:
    """The first ``seconds`` of a video as BGR frames, and its frame rate."""
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames: list[np.ndarray] = []
    while len(frames) < seconds * fps:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    if not frames:
        raise SystemExit(f"{path}: no frames could be decoded")
    return frames, fps


def infer(model: Path, frames: list[np.ndarray], fps: float, num_poses: int, step: int) -> Run:
    est = PoseEstimator(model, num_poses=num_poses)
    poses: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    indices = range(0, len(frames), step)
    t0 = time.process_time()
    for i in indices:
        pose = est.detect(frames[i], i / fps)
        if pose.n_people:
            poses[i] = (pose.image_xy, pose.world_xyz)
    cpu = time.process_time() - t0
    est.close()
    return Run(poses, 1000.0 * cpu / len(indices))


def angles_deg(world_xyz: np.ndarray) -> dict[str, np.ndarray]:
    """Both sides' knee and hip angles, degrees: name → (2,)."""
    return {
        name: np.array([float(angle_at_deg(world_xyz[a], world_xyz[b], world_xyz[c])) for a, b, c in sides])
        for name, sides in _ANGLES.items()
    }


def compare(ref: Run, got: Run) -> dict[str, float]:
    """Median and 95th percentile of how far ``got`` is from ``ref`` on the frames both inferred."""
    common = sorted(set(ref.poses) & set(got.poses))
    img = np.array([np.abs(ref.poses[i][0] - got.poses[i][0]).mean() for i in common])
    out = {"frames": len(common), "img_med": float(np.median(img)), "img_p95": float(np.percentile(img, 95))}
    ref_deg = [angles_deg(ref.poses[i][1]) for i in common]
    got_deg = [angles_deg(got.poses[i][1]) for i in common]
    for name in _ANGLES:
        d = np.array([np.abs(r[name] - g[name]).max() for r, g in zip(ref_deg, got_deg, strict=True)])
        out[f"{name}_med_deg"] = float(np.median(d))
        out[f"{name}_p95_deg"] = float(np.percentile(d, 95))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("clips", type=Path, nargs="+")
    ap.add_argument("--seconds", type=float, default=20.0, help="how much of each clip (from its start)")
    ap.add_argument("--model", default="full")
    ap.add_argument("--steps", default="2,3", help="skip patterns compared with every frame")
    ap.add_argument("--out", type=Path, help="write the results as JSON")
    args = ap.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    model = resolve_model(args.model, download=False)
    steps = [int(s) for s in args.steps.split(",")]
    results = []
    print(
        "| clip | num_poses | every step-th | frames | image Δ med / p95 | knee Δ° med / p95 | hip Δ° med / p95 "
        "| CPU ms/frame |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for clip in args.clips:
        frames, fps = decode(clip, args.seconds)
        for num_poses in (1, 2):
            every = infer(model, frames, fps, num_poses, 1)
            print(f"| {clip.stem} | {num_poses} | 1 | {len(every.poses)} | — | — | — | {every.cpu_ms_per_frame:.1f} |")
            for step in steps:
                run = infer(model, frames, fps, num_poses, step)
                d = compare(every, run)
                cpu = {"cpu_ms_per_frame": run.cpu_ms_per_frame, "every_cpu_ms_per_frame": every.cpu_ms_per_frame}
                results.append({"clip": clip.name, "num_poses": num_poses, "step": step, **cpu, **d})
                print(
                    f"| {clip.stem} | {num_poses} | {step} | {d['frames']} | {d['img_med']:.4f} / {d['img_p95']:.4f} "
                    f"| {d['knee_med_deg']:.2f} / {d['knee_p95_deg']:.2f} "
                    f"| {d['hip_med_deg']:.2f} / {d['hip_p95_deg']:.2f} | {run.cpu_ms_per_frame:.1f} |",
                    flush=True,
                )
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
