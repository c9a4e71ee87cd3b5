"""``formcheck samples``: the labelled real clips; ``samples fetch`` puts them on this machine.

Why: so a new user can try formcheck on a real recording without a webcam
(``formcheck samples fetch NAME`` then ``formcheck score PATH -e EXERCISE``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from formcheck.sources.samples import SAMPLES_DIR_ENV, clips, fetch_samples, local_path, samples_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "samples",
        help="list the labelled sample clips; `samples fetch [NAME...]` fetches them",
        description=(
            "Lists real recordings with hand-counted reps that formcheck can be tried on. "
            f"`fetch` copies them from ${SAMPLES_DIR_ENV} when set, else downloads them from their "
            f"public source (verifying the sha256) into {samples_dir()}."
        ),
    )
    parser.set_defaults(func=_list)
    sub = parser.add_subparsers(dest="samples_command", metavar="fetch")
    fetch = sub.add_parser("fetch", help="fetch clips (all when no NAME is given)")
    fetch.add_argument("names", nargs="*", metavar="NAME", help="clip names, with or without .mp4")
    fetch.add_argument("--dir", type=Path, help=f"folder to put them in (default {samples_dir()})")
    fetch.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    fetch.set_defaults(func=_fetch)


def _list(args: argparse.Namespace) -> int:
    all_clips = clips()
    width = max(len(c.name) for c in all_clips)
    ex_width = max(len(c.exercise) for c in all_clips)
    view_width = max(len(c.view) for c in all_clips)
    for clip in all_clips:
        path = local_path(clip)
        where = str(path) if path else "not fetched"
        labels = f"{clip.exercise:<{ex_width}}  {clip.view:<{view_width}}  reps {clip.reps:>2}"
        print(f"{clip.name:<{width}}  {labels}  {where}")
    print(f"\nFetch with `formcheck samples fetch NAME` (into {samples_dir()}).")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    for path in fetch_samples(args.names or None, dest=args.dir, progress=not args.quiet):
        print(path)
    return 0
