"""``formcheck fit LABELS.toml -e EXERCISE``: fit thresholds to labelled recordings."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from formcheck.cli.common import add_exercise_options, add_model_options, exercise_from_args, pose_spec_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit",
        help="fit thresholds to labelled recordings (rep counts, per-rep right/wrong), with leave-one-out",
        description=(
            "Searches the exercise's thresholds for the values that agree best with hand labels "
            "(labels.toml format: [[clip]] file, exercise, reps, reps_accept, reps_by_side, correct = [true, "
            "false, ...]). Videos are scored through the trace cache (pose inference at most once each); "
            "every candidate is re-scored from the traces. Prints agreement before/after, a leave-one-out "
            "estimate (fit on n-1 clips, test on the held-out one) and the profile it would write."
        ),
    )
    p.add_argument("labels", type=Path, metavar="LABELS.toml")
    add_exercise_options(p)
    add_model_options(p, default="full")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=LO:HI",
        help="a threshold to search and its range (repeatable; default: start, end, target_min, target_max, hold_s)",
    )
    p.add_argument("--videos-dir", type=Path, default=None, help="folder of the clips (default: the labels' folder)")
    p.add_argument("--out", type=Path, default=None, metavar="PATH", help="write the fitted profile here")
    p.add_argument("--no-loo", action="store_true", help="skip the leave-one-out estimate")
    p.add_argument("--no-progress", action="store_true", help="no progress bar while pose inference runs")
    p.set_defaults(func=run)


def _row(name: str, labels: str, before: str, after: str, w: int) -> str:
    return f"  {name:<{w}}  {labels:<22}  {before:<34}  {after}"


def _label_text(c) -> str:
    parts = [f"reps {'/'.join(map(str, c.reps_accept))}" if c.reps_accept else ""]
    if c.reps_by_side:
        parts.append("L{}/R{}".format(c.reps_by_side.get("left", 0), c.reps_by_side.get("right", 0)))
    if c.correct is not None:
        parts.append(f"{sum(c.correct)}/{len(c.correct)} right")
    return ", ".join(p for p in parts if p)


def run(args: argparse.Namespace) -> int:
    from formcheck.errors import ConfigError
    from formcheck.fit import (
        Evaluator,
        default_params,
        fit_thresholds,
        leave_one_out,
        load_labels,
        parse_param,
        prepare_clips,
    )
    from formcheck.profiles import profile_toml, save_profile
    from formcheck.tuning import _package_exercise

    cfg = exercise_from_args(args)
    clips = load_labels(args.labels, cfg.name, args.videos_dir)
    if not clips:
        raise ConfigError(f"{args.labels}: no clips labelled as {cfg.name}")
    from formcheck.cli.score import command_inputs
    from formcheck.outputs import check_outputs

    check_outputs({"--out": args.out}, inputs=command_inputs(args, [args.labels, *(c.path for c in clips)]))
    params = [parse_param(s, cfg) for s in args.param] or default_params(cfg)
    print(f"fit {cfg.name} to {len(clips)} labelled clip(s) from {args.labels}")
    print("  searching: " + ", ".join(f"{p.name} {p.lo:g}..{p.hi:g}" for p in params))
    prepared = prepare_clips(
        clips, cfg, pose_spec_from_args(args), progress=not args.no_progress, on_status=lambda s: print(f"  {s}")
    )
    t0 = time.perf_counter()
    ev = Evaluator(cfg, clips, prepared)
    package = _package_exercise(cfg)
    shipped = {p.name: package.value(p.name) for p in params if package.value(p.name) is not None}
    res = fit_thresholds(cfg, clips, prepared, params, evaluator=ev, defaults=shipped)
    w = max(4, *(len(c.name) for c in clips))
    print()
    print(_row("clip", "labels", "before (current thresholds)", "after (fitted on all clips)", w))
    for c, b, a in zip(clips, res.before, res.after, strict=True):
        print(_row(c.name, _label_text(c), f"{b.score:.2f}  {b.describe()}", f"{a.score:.2f}  {a.describe()}", w))
    print(f"  agreement: {res.before_mean:.2f} -> {res.after_mean:.2f} (fitted on all {len(clips)} clips)")
    if not args.no_loo and len(clips) > 1:
        loo = leave_one_out(cfg, clips, prepared, params, evaluator=ev, defaults=shipped)
        print()
        print(f"leave-one-out (fit on the other {len(clips) - 1}, score the held-out clip):")
        for c, (vals, b, a) in zip(clips, loo.folds, strict=True):
            changed = ", ".join(f"{k}={v:g}" for k, v in vals.items() if v != cfg.value(k)) or "no change"
            print(_row(c.name, _label_text(c), f"{b.score:.2f}  {b.describe()}", f"{a.score:.2f}  ({changed})", w))
        print(f"  leave-one-out agreement: {loo.before_mean:.2f} (current thresholds) -> {loo.after_mean:.2f} (fitted)")
    elif len(clips) == 1:
        print("  (one clip: no leave-one-out estimate; the fit above is likely to over-fit)")
    print(f"  {ev.evaluations} re-scorings in {time.perf_counter() - t0:.1f} s")
    print()
    changed = res.changed()
    if not changed:
        print("the current thresholds already agree best with the labels: nothing to change")
        return 0
    for k, v in changed.items():
        a, b = res.plateaus.get(k, (v, v))
        print(f"  {k}: {res.start[k]:g} -> {v:g}   (same agreement from {a:g} to {b:g})")
    values = {k: t.value for k, t in cfg.thresholds.items() if t.value != package.value(k)}
    values.update(changed)
    values = {k: v for k, v in values.items() if v != package.value(k)}
    if not values:
        print(f"the fitted values are {cfg.name}'s defaults: no profile needed (the starting overrides can go)")
        return 0
    comments = {cfg.name: {k: f"fitted to {args.labels.name}" for k in changed}}
    text = profile_toml({cfg.name: values}, comments=comments, exercises={cfg.name: package})
    print()
    if args.out:
        save_profile(args.out, text)
        print(f"profile written to {args.out}:")
    else:
        print("profile (write it with --out PATH):")
    sys.stdout.write(text)
    return 0
