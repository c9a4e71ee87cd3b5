"""Adaptive inference rate against every-frame scoring, on every labelled clip.

For each clip of ``labels.toml`` whose exercise is in the catalog, the every-frame report
(from a saved every-frame trace with ``--reference DIR``, re-scored with this code, or by
scoring the clip with ``--every-frame``) is compared with adaptive scoring of the same
clip: rep counts, per-rep peaks (limit 2°), holds (0.2 s), faults, and the share of frames
inferred. ``--simulate`` replaces the adaptive run by the policy replayed on the
every-frame trace (no inference: the landmarker's own tracking over skipped frames is then
not in the figures). ``--floor`` also scores every clip at every frame with one extra
landmarker restart 0.5 s in: how far MediaPipe's landmarks move when only its tracking
history changes, the floor any change in which frames it sees runs into.

    python benchmarks/bench_adaptive.py --reference /work/traces --out adaptive.json
    python benchmarks/bench_adaptive.py --reference /work/traces --simulate
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tomllib
from pathlib import Path

PEAK_DEG, HOLD_S = 2.0, 0.2


def compare(ref: dict, got: dict) -> dict:
    """Differences of ``got`` from ``ref`` (two score reports)."""
    out = {"reps": (ref["reps"], got["reps"]), "attempts": (len(ref["rep_details"]), len(got["rep_details"]))}
    dp = dh = 0.0
    faults_same = out["attempts"][0] == out["attempts"][1]
    for a, b in zip(ref["rep_details"], got["rep_details"], strict=False):
        if a.get("peak") is not None and b.get("peak") is not None:
            dp = max(dp, abs(a["peak"] - b["peak"]))
        if a.get("hold_s") is not None and b.get("hold_s") is not None:
            dh = max(dh, abs(a["hold_s"] - b["hold_s"]))
        faults_same &= sorted(a["faults"]) == sorted(b["faults"])
    out.update(peak_deg=round(dp, 2), hold_s=round(dh, 2), faults_same=faults_same)
    out["ok"] = bool(
        ref["reps"] == got["reps"] and out["attempts"][0] == out["attempts"][1] and dp <= PEAK_DEG
        and dh <= HOLD_S and faults_same
    )  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    samples = os.environ.get("FORMCHECK_SAMPLES_DIR", "../shared/sample_videos")
    ap.add_argument("--videos", type=Path, default=Path(samples), help="the labelled clips and labels.toml")
    ap.add_argument("--reference", type=Path, help="folder of every-frame traces <clip-stem>.npz (else: score them)")
    ap.add_argument("--model", default="full")
    ap.add_argument("--jobs", type=int, default=None, help="jobs for the adaptive runs (default: every core)")
    ap.add_argument("--simulate", action="store_true", help="replay the policy on every-frame traces (no inference)")
    ap.add_argument("--floor", action="store_true", help="also every frame with one extra restart at 0.5 s (jobs=1)")
    ap.add_argument("--clips", default="", help="comma-separated clip names (default: every labelled clip)")
    ap.add_argument("--policy", default="", help="RatePolicy fields to change, e.g. fast_deg_s=40,lead_s=0.3")
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = ap.parse_args(argv)

    from formcheck.exercises.config import builtin_exercises, get_exercise
    from formcheck.formats.trace import load_trace
    from formcheck.pose.adaptive import RatePolicy, inferred_mask, simulate
    from formcheck.pose.backend import BackendSpec
    from formcheck.programs import scoring
    from formcheck.programs.batch import score_video
    from formcheck.programs.rescoring import rescore_trace
    from formcheck.programs.scoring import ScoreOptions, restart_frames

    labels = tomllib.loads((args.videos / "labels.toml").read_text())["clip"]
    catalog = set(builtin_exercises())
    only = {c.strip() for c in args.clips.split(",") if c.strip()}
    pose = BackendSpec(model=args.model)
    fields = dict(kv.split("=", 1) for kv in args.policy.split(",") if kv.strip())
    policy = RatePolicy(**{k.strip(): float(v) for k, v in fields.items()})
    rows = []
    for clip in labels:
        name, exercise = clip["file"], clip.get("exercise")
        if exercise not in catalog or (only and name not in only):
            continue
        video = args.videos / name
        cfg = get_exercise(exercise)
        stem = Path(name).stem
        row: dict = {"clip": name, "exercise": exercise, "label": clip.get("reps")}
        if args.reference is not None and (args.reference / f"{stem}.npz").is_file():
            ref_trace = load_trace(args.reference / f"{stem}.npz")
            ref = rescore_trace(ref_trace, cfg)
            row["reference"] = "trace"
        else:
            t0 = time.perf_counter()
            res = score_video(video, cfg, ScoreOptions(pose=pose, progress=False, use_cache=False, rate=None,
                                                       jobs=args.jobs))  # fmt: skip
            row["every_frame_s"] = round(time.perf_counter() - t0, 2)
            ref_trace, ref = res.trace, res.report
            row["reference"] = "scored"
        if args.simulate:
            trace, mask = simulate(ref_trace, cfg, policy, restarts=restart_frames(ref_trace))
            got = rescore_trace(trace, cfg)
        else:
            t0 = time.perf_counter()
            res = score_video(video, cfg, ScoreOptions(pose=pose, progress=False, use_cache=False, jobs=args.jobs,
                                                       rate=policy))  # fmt: skip
            row["adaptive_s"] = round(time.perf_counter() - t0, 2)
            got, mask = res.report, inferred_mask(res.trace)
        row["frames"] = int(mask.size)
        row["inferred"] = round(float(mask.mean()), 3)
        row["adaptive"] = compare(ref, got)
        if args.floor:
            real = scoring.segment_starts
            scoring.segment_starts = lambda info, real=real: sorted({0.5, *real(info)})
            try:
                res = score_video(video, cfg, ScoreOptions(pose=pose, progress=False, use_cache=False, rate=None,
                                                           jobs=1))  # fmt: skip
            finally:
                scoring.segment_starts = real
            row["floor"] = compare(ref, res.report)
        rows.append(row)
        a = row["adaptive"]
        line = (f"{name[:46]:46s} {a['reps'][0]:>3}/{a['reps'][1]:<3} {row['inferred']:5.2f} {a['peak_deg']:6.2f}"
                f" {a['hold_s']:5.2f} {'same' if a['faults_same'] else 'DIFF':>6}"
                f" {'ok' if a['ok'] else 'NOT OK'}")  # fmt: skip
        if "floor" in row:
            f = row["floor"]
            same = "same" if f["faults_same"] else "DIFF"
            line += f"   | floor {f['reps'][1]:>3} {f['peak_deg']:6.2f} {f['hold_s']:5.2f} {same}"
        if not rows[1:]:
            print(f"{'clip':46s} {'reps':>7} {'infd':>5} {'dpeak':>6} {'dhold':>5} {'faults':>6}", flush=True)
        print(line, flush=True)
    total = sum(r["frames"] for r in rows)
    inferred = sum(r["frames"] * r["inferred"] for r in rows)
    ok = sum(r["adaptive"]["ok"] for r in rows)
    counts = sum(r["adaptive"]["reps"][0] == r["adaptive"]["reps"][1] for r in rows)
    print(f"{len(rows)} clips: same counts {counts}/{len(rows)}, within all limits {ok}/{len(rows)}; "
          f"{inferred / max(total, 1):.1%} of {total} frames inferred")  # fmt: skip
    if args.floor:
        fok = sum(r["floor"]["ok"] for r in rows)
        print(f"floor (every frame, one extra restart): within all limits {fok}/{len(rows)}")
    if args.out is not None:
        out = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "model": args.model, "simulate": args.simulate,
               "policy": policy.key(), "load_avg": os.getloadavg(), "rows": rows}  # fmt: skip
        args.out.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
