"""``formcheck exercises``: the catalog, with thresholds and camera advice."""

from __future__ import annotations

import argparse
from pathlib import Path

from formcheck.cli.common import exercise_catalog
from formcheck.exercises.config import ExerciseConfig


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("exercises", help="list exercises with their thresholds and camera advice")
    p.add_argument("name", nargs="?", help="show only this exercise")
    p.add_argument("--exercises-file", action="append", type=Path, default=[], metavar="TOML")
    p.add_argument("--brief", action="store_true", help="one line per exercise")
    p.set_defaults(func=run)


def _shape(cfg: ExerciseConfig) -> str:
    """How a rep is counted, in a few words (the [rep] keys that are not the default)."""
    rp = cfg.rep
    words = ["paced holds" if rp.mode == "paced" else ("down and back" if rp.direction == "down" else "out and back")]
    if rp.relative:
        words.append("from the rest level")
    if rp.side_by:
        words.append(f"side by {rp.side_by}")
    if rp.alternate:
        words.append("alternating sides")
    if cfg.value("hold_s"):
        words.append(f"hold {cfg.value('hold_s'):g} s")
    return ", ".join(words)


def describe(cfg: ExerciseConfig) -> str:
    from formcheck.measures import visibility

    sides = " per side" if cfg.rep.per_side else ""
    prompts = [visibility.VIEW_TEXTS[cfg.view]] if cfg.view != "any" else []
    prompts += [visibility.POSITION_TEXTS[cfg.position]] if cfg.position != "any" else []
    lines = [
        f"{cfg.name} — {cfg.title}  [{cfg.source or 'user'}; {cfg.position}, best viewed from the {cfg.view}]",
        f"  {cfg.prescription}" if cfg.prescription else "",
        f"  camera: {cfg.advice}" if cfg.advice else "",
        f"  prompts when the camera or position is wrong: {' / '.join(prompts)}" if prompts else "",
        f"  note: {cfg.caveat}" if cfg.caveat else "",
        f"  counts: {cfg.rep.signal} ({cfg.rep.unit}){sides}, {_shape(cfg)}; target {cfg.target_reps}",
        "  faults: " + ", ".join(_faults(cfg)),
        "  thresholds (--set KEY=VALUE):",
    ]
    for t in sorted(cfg.thresholds.values(), key=lambda t: t.name):
        lines.append(f"    {t.name:<28} {t.value:>7g} {t.unit:<6} [{t.min:g}..{t.max:g}]  {t.help}")
    return "\n".join(line for line in lines if line)


def _faults(cfg: ExerciseConfig) -> list[str]:
    """The fault codes this exercise can report."""
    th, codes = cfg.thresholds, cfg.rep.codes
    u = cfg.rep.unit
    out = [codes["below_target"]] if f"target_min_{u}" in th else []
    out += [codes["above_target"]] if f"target_max_{u}" in th else []
    out += [codes["hold_short"]] if "hold_s" in th else []
    out += [codes["too_fast"]] if f"max_speed_{u}_s" in th else []
    out += [codes["return_too_fast"]] if f"max_return_speed_{u}_s" in th else []
    out += ["not_alternating"] if cfg.rep.alternate else []
    out += [r.code for r in cfg.rules]
    return list(dict.fromkeys(out)) or ["none"]


def run(args: argparse.Namespace) -> int:
    exercises = exercise_catalog(list(args.exercises_file))
    names = [args.name] if args.name else sorted(exercises)
    if args.name and args.name not in exercises:
        from formcheck.errors import ConfigError

        raise ConfigError(f"unknown exercise {args.name!r}; available: {', '.join(sorted(exercises))}")
    for i, name in enumerate(names):
        cfg = exercises[name]
        if args.brief:
            print(f"{name:<22} {cfg.position:<10} {cfg.view:<6} {cfg.title}")
        else:
            print(("\n" if i else "") + describe(cfg))
    return 0
