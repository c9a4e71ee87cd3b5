"""``formcheck exercises``: the catalog, with thresholds and camera advice."""

from __future__ import annotations

import argparse
from pathlib import Path

from formcheck.cli.common import _user_exercise_files
from formcheck.config import ExerciseConfig, available_exercises


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("exercises", help="list exercises with their thresholds and camera advice")
    p.add_argument("name", nargs="?", help="show only this exercise")
    p.add_argument("--exercises-file", action="append", type=Path, default=[], metavar="TOML")
    p.add_argument("--brief", action="store_true", help="one line per exercise")
    p.set_defaults(func=run)


def describe(cfg: ExerciseConfig) -> str:
    sides = " per side" if cfg.rep.per_side else ""
    lines = [
        f"{cfg.name} — {cfg.title}  [{cfg.source or 'user'}; {cfg.position}, best viewed from the {cfg.view}]",
        f"  {cfg.prescription}" if cfg.prescription else "",
        f"  camera: {cfg.advice}" if cfg.advice else "",
        f"  counts: {cfg.rep.signal} ({cfg.rep.unit}){sides}, target {cfg.target_reps}",
        "  thresholds (--set KEY=VALUE):",
    ]
    for t in sorted(cfg.thresholds.values(), key=lambda t: t.name):
        lines.append(f"    {t.name:<28} {t.value:>7g} {t.unit:<6} [{t.min:g}..{t.max:g}]  {t.help}")
    return "\n".join(line for line in lines if line)


def run(args: argparse.Namespace) -> int:
    exercises = available_exercises(_user_exercise_files() + list(args.exercises_file))
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
