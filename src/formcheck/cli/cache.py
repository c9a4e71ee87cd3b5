"""``formcheck cache [info|clear]``: where the trace cache is, how big, and emptying it."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cache",
        help="show or clear the trace cache (pose traces of videos already scored)",
        description="The trace cache keeps the pose trace of every video scored, so scoring it again skips "
        "pose inference. It holds at most FORMCHECK_CACHE_MAX_SIZE (default 2G), dropping the least "
        "recently used; FORMCHECK_CACHE_DIR moves it, FORMCHECK_NO_CACHE=1 turns it off.",
    )
    p.add_argument("action", nargs="?", choices=("info", "clear"), default="info", help="info (default) or clear")
    p.set_defaults(func=run)


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def run(args: argparse.Namespace) -> int:
    from formcheck.formats.trace import TraceCache

    cache = TraceCache()
    if args.action == "clear":
        n = cache.clear()
        print(f"removed {n} cached trace{'s' if n != 1 else ''} from {cache.root}")
        return 0
    info = cache.info()
    state = "" if cache.enabled() else " (turned off by FORMCHECK_NO_CACHE)"
    print(f"trace cache: {info.root}{state}")
    print(f"  {info.entries} trace{'s' if info.entries != 1 else ''}, {_size(info.size_bytes)} of "
          f"at most {_size(info.max_bytes)}; {info.hashed_files} video hashes remembered")  # fmt: skip
    return 0
