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
        help="a threshold to search and its range (repeatable; default: the thresholds that decide whether a rep "
        "was right - target band, hold, speed limits, rule limits - never those that decide what a rep is)",
    )
    p.add_argument("--videos-dir", type=Path, default=None, help="folder of the clips (default: the labels' folder)")
    p.add_argument("--out", type=Path, default=None, metavar="PATH", help="write the fitted profile here")
    p.add_argument("--no-loo", action="store_true", help="skip the leave-one-out estimate")
    p.add_argument(
        "--group-by",
        metavar="FIELD",
        default=None,
        help='leave one group out instead of one clip: clips share a group by this label field (e.g. group = "s01")',
    )
    p.add_argument(
        "--per-group",
        metavar="K",
        type=int,
        default=None,
        help="also test per-group calibration: in each group fit on its first K correct and K incorrect clips, "
        "score the others (needs --group-by)",
    )
    p.add_argument(
        "--calibrate",
        action="store_true",
        help="per-patient calibration: the labels are one person's reps; also fit the thresholds the exercise "
        "marks as normal ranges (fit = false), which are not fitted across people",
    )
    p.add_argument("--name", default="", help="the profile's name (the patient), written into --out")
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


def _verdict_line(label: str, v) -> str:
    return f"  {label}: {v.describe()}" if v.n else f"  {label}: no per-rep right/wrong labels"


def run(args: argparse.Namespace) -> int:
    from formcheck.errors import ConfigError
    from formcheck.exercises.profiles import profile_toml, save_profile
    from formcheck.programs.fit import (
        Evaluator,
        Verdicts,
        calibrate_per_group,
        default_params,
        fit_thresholds,
        group_of,
        leave_one_group_out,
        leave_one_out,
        load_labels,
        parse_param,
        prepare_clips,
    )
    from formcheck.programs.tuning import _package_exercise

    cfg = exercise_from_args(args)
    clips = load_labels(args.labels, cfg.name, args.videos_dir)
    if not clips:
        raise ConfigError(f"{args.labels}: no clips labelled as {cfg.name}")
    from formcheck.cli.score import command_inputs
    from formcheck.sinks.outputs import check_outputs

    check_outputs({"--out": args.out}, inputs=command_inputs(args, [args.labels, *(c.path for c in clips)]))
    if args.per_group is not None and (args.group_by is None or args.per_group < 1):
        raise ConfigError("--per-group K needs --group-by FIELD and K >= 1")
    if args.group_by is not None:
        for c in clips:
            group_of(c, args.group_by)  # every clip must name its group
    named = [parse_param(s, cfg) for s in args.param]
    params = named or default_params(cfg, calibrate=args.calibrate)
    if not params:
        raise ConfigError(f"{cfg.name} has no threshold that decides whether a rep was right; name some with --param")
    print(f"fit {cfg.name} to {len(clips)} labelled clip(s) from {args.labels}")
    print("  searching: " + ", ".join(f"{p.name} {p.lo:g}..{p.hi:g}" for p in params))
    many = len(clips) > 12
    prepared = prepare_clips(
        clips, cfg, pose_spec_from_args(args), progress=not args.no_progress,
        on_status=None if many else (lambda s: print(f"  {s}")),
    )  # fmt: skip
    if many:
        print(f"  {len(clips)} recordings read")
    t0 = time.perf_counter()
    ev = Evaluator(cfg, clips, prepared, params)
    res = fit_thresholds(cfg, clips, prepared, params, evaluator=ev)
    w = max(4, *(len(c.name) for c in clips))
    print()
    if not many:
        print(_row("clip", "labels", "before (current thresholds)", "after (fitted on all clips)", w))
        for c, b, a in zip(clips, res.before, res.after, strict=True):
            print(_row(c.name, _label_text(c), f"{b.score:.2f}  {b.describe()}", f"{a.score:.2f}  {a.describe()}", w))
    print(f"  agreement: {res.before_mean:.2f} -> {res.after_mean:.2f} (fitted on all {len(clips)} clips)")
    counted = sum(s.outcome.reps for s in res.after)
    labelled = sum(c.reps for c in clips if c.reps is not None)
    print(
        f"  reps counted: {counted} (labelled: {labelled}); count right in "
        f"{sum(1 for s in res.after if s.count_ok)}/{sum(1 for s in res.after if s.count_ok is not None)} clips"
    )
    print(_verdict_line("before", res.verdicts_before))
    print(_verdict_line("fitted on all clips", res.verdicts_after))
    if args.group_by is not None and not args.no_loo:
        logo = leave_one_group_out(cfg, clips, prepared, args.group_by, params, evaluator=ev)
        print()
        print(f"leave-one-group-out by {args.group_by} (fit on the other groups, score the held-out one):")
        for f in logo.folds:
            changed = ", ".join(f"{k}={v:g}" for k, v in f.values.items() if v != cfg.value(k)) or "no change"
            print(f"  {f.group:<8} {Verdicts.of(f.before).balanced_accuracy:.2f} -> "
                  f"{Verdicts.of(f.after).balanced_accuracy:.2f}  ({changed})")  # fmt: skip
        print(_verdict_line("held out, current thresholds", logo.before))
        print(_verdict_line("held out, fitted", logo.after))
        print(f"leave-one-group-out balanced accuracy: {logo.after.balanced_accuracy:.2f}")
    elif not args.no_loo and len(clips) > 1:
        loo = leave_one_out(cfg, clips, prepared, params, evaluator=ev)
        print()
        print(f"leave-one-out (fit on the other {len(clips) - 1}, score the held-out clip):")
        for c, (vals, b, a) in zip(clips, loo.folds, strict=True):
            changed = ", ".join(f"{k}={v:g}" for k, v in vals.items() if v != cfg.value(k)) or "no change"
            if not many:
                print(_row(c.name, _label_text(c), f"{b.score:.2f}  {b.describe()}", f"{a.score:.2f}  ({changed})", w))
        print(f"  leave-one-out agreement: {loo.before_mean:.2f} (current thresholds) -> {loo.after_mean:.2f} (fitted)")
        held = Verdicts.of(a for _v, _b, a in loo.folds)
        if held.n:
            print(f"leave-one-out balanced accuracy: {held.balanced_accuracy:.2f}")
    elif len(clips) == 1:
        print("  (one clip: no leave-one-out estimate; the fit above is likely to over-fit)")
    if args.per_group is not None:
        cal_params = named or default_params(cfg, calibrate=True)
        cal_ev = ev if cal_params == params else Evaluator(cfg, clips, prepared, cal_params)
        cal = calibrate_per_group(cfg, clips, prepared, args.group_by, args.per_group, cal_params, evaluator=cal_ev)
        print()
        print(f"per-{args.group_by} calibration (fit on {args.per_group} correct + {args.per_group} incorrect clips "
              f"of the {args.group_by}, score its others):")  # fmt: skip
        for f in cal.folds:
            print(f"  {f.group:<8} {Verdicts.of(f.before).balanced_accuracy:.2f} -> "
                  f"{Verdicts.of(f.after).balanced_accuracy:.2f}")  # fmt: skip
        print(f"per-group calibration balanced accuracy: {cal.after.balanced_accuracy:.2f}")
    print(f"  {ev.evaluations} re-scorings in {time.perf_counter() - t0:.1f} s")
    print()
    package = _package_exercise(cfg)
    changed = res.changed()
    for k, v in changed.items():
        a, b = res.plateaus.get(k, (v, v))
        print(f"  {k}: {res.start[k]:g} -> {v:g}   (same agreement from {a:g} to {b:g})")
    values = {k: t.value for k, t in cfg.thresholds.items() if t.value != package.value(k)}
    values.update(changed)
    values = {k: v for k, v in values.items() if v != package.value(k)}
    if not changed:
        print("the current thresholds already agree best with the labels: nothing to change")
    elif not values:
        print(f"the fitted values are {cfg.name}'s defaults: no override needed")
    comments = {cfg.name: {k: f"fitted to {args.labels.name}" for k in changed}}
    notes = f"fitted by formcheck fit to {args.labels.name}" + ("" if changed else " (nothing changed)")
    text = profile_toml({cfg.name: values}, name=args.name, notes=notes, comments=comments,
                        exercises={cfg.name: package}, height_cm=cfg.height_cm)  # fmt: skip
    print()
    if args.out:
        save_profile(args.out, text)
        same = "" if changed else " (nothing changed: the current thresholds)"
        print(f"profile written to {args.out}{same}:")
    else:
        print("profile (write it with --out PATH):")
    sys.stdout.write(text)
    return 0
