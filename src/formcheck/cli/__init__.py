"""The ``formcheck`` command line: a thin layer over the Python API.

Each sub-command lives in its own module exposing ``register(subparsers)``, which adds its
parser and sets ``func`` (called with the parsed args, returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from formcheck.errors import FormcheckError

#: Modules under formcheck.cli providing sub-commands, in help order.
COMMANDS = (
    "live", "routine", "score", "rescore", "tune", "fit", "importer", "history", "progress",
    "exercises", "samples", "models", "cache",
)  # fmt: skip


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every sub-command, or of ``only`` that one (its module alone is
    imported: a ``score`` run does not pay for importing ``live``, ``tune``, ``fit``...)."""
    parser = argparse.ArgumentParser(
        prog="formcheck",
        description="Checks back-pain relief exercises through a camera: reps, holds, speed and form.",
    )
    parser.add_argument(
        "--debug",
        dest="debug_native",
        action="store_true",
        help="show the native libraries' log lines (MediaPipe, OpenCV, FFmpeg), hidden by default",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        try:
            mod = importlib.import_module(f"formcheck.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"formcheck.cli.{name}":
                continue
            raise
        mod.register(sub)
    return parser


def _command(argv: list[str]) -> str | None:
    """The sub-command ``argv`` names, when its first word that is not an option is one."""
    for word in argv:
        if word == "--debug":
            continue
        return word if word in COMMANDS else None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(_command(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from formcheck.runtime.interrupts import handle_signals, interruption_text
    from formcheck.runtime.nativelog import filter_native_logs, show_native_logs

    if args.debug_native or getattr(args, "debug", False):  # `formcheck --debug …` or `live --debug`
        show_native_logs()
    try:
        with handle_signals(), filter_native_logs():
            try:
                return int(args.func(args) or 0)
            finally:
                _close_native()
    except FormcheckError as e:
        print(f"formcheck: {e}", file=sys.stderr)
        return int(getattr(e, "exit_code", 1))
    except KeyboardInterrupt as e:
        print(f"formcheck: {interruption_text(e)}", file=sys.stderr)
        return 130  # interrupted or terminated (docs/reliability.md)
    except BrokenPipeError:  # e.g. `formcheck samples | head`
        sys.stderr.close()
        return 0


def _close_native() -> None:
    """Close native objects an error path left open while the log filter still holds fd 2
    (their destructors log, and MediaPipe's finalizer fails noisily at interpreter exit)."""
    estimator = sys.modules.get("formcheck.pose.estimator")
    if estimator is not None:
        estimator.close_all()


if __name__ == "__main__":
    sys.exit(main())
