"""``formcheck models``: which pose models exist and where they are; ``models fetch`` downloads them.

Why: the first run of ``live`` or ``score`` downloads a model, which fails offline; this
lets a user see what is present and fetch models ahead of time (before going offline).
"""

from __future__ import annotations

import argparse

from formcheck.pose.models import MODEL_DIR_ENV, list_models, manifest, model_cache_dir, resolve_model


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list the pose models and where they are; `models fetch NAME` downloads one",
        description=(
            "Lists the MediaPipe pose models (lite is fastest, heavy most accurate) and where each is. "
            f"A model is looked up in the folder given to --model-dir (by commands that take it), then in "
            f"${MODEL_DIR_ENV}, then in {model_cache_dir()}, where a missing one is downloaded on first use."
        ),
    )
    parser.set_defaults(func=_list)
    sub = parser.add_subparsers(dest="models_command", metavar="fetch")
    fetch = sub.add_parser("fetch", help="download models now (verifying their sha256)")
    fetch.add_argument("names", nargs="+", metavar="NAME", choices=list(manifest()), help="lite, full and/or heavy")
    fetch.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    fetch.set_defaults(func=_fetch)


def _list(args: argparse.Namespace) -> int:
    rows = []
    for info in list_models():
        if info.path is None:
            where = f"not downloaded (formcheck models fetch {info.name})"
        elif info.verified:
            where = str(info.path)
        else:
            where = f"{info.path} — WRONG FILE (sha256 differs from the official model): remove or replace it"
        rows.append((info.name, f"{info.size_bytes / 1e6:.1f} MB", where))
    width = max(len(r[0]) for r in rows)
    for name, size, where in rows:
        print(f"{name:<{width}}  {size:>8}  {where}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    for name in dict.fromkeys(args.names):
        print(f"{name}: {resolve_model(name, progress=not args.quiet)}")
    return 0
