"""How a command finishes: every output written that can be, and the exit code saying what failed.

A command measures first and writes its outputs last. One output that cannot be written
(a full disk, a folder gone) must not cost the others, nor the summary on stdout: each
writer runs through :func:`write_or_say`, which prints the failure as one line and lets
the command go on; :func:`exit_code` then picks the documented code (docs/reliability.md).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from formcheck.errors import FormcheckError

__all__ = ["EXIT_INCOMPLETE", "EXIT_INTERRUPTED", "EXIT_OUTPUT", "ended_by_signal", "exit_code", "write_or_say"]

EXIT_OUTPUT = 3
EXIT_INCOMPLETE = 4
EXIT_INTERRUPTED = 130


def write_or_say(write: Callable[..., object], *args: Any, **kwargs: Any) -> bool:
    """Run one output writer; a failure is printed as one ``formcheck:`` line and False is
    returned, so the other outputs are still written."""
    try:
        write(*args, **kwargs)
    except FormcheckError as e:
        print(f"formcheck: {e}", file=sys.stderr)
        return False
    return True


def ended_by_signal(report: dict[str, Any]) -> None:
    """Mark an incomplete report with the signal that ended the run (``ended_by``), if one did."""
    from formcheck.runtime.interrupts import INTERRUPTED, ended_by, interruption_text

    name = ended_by()
    if name is None or report.get("complete", True):
        return
    report["ended_by"] = name
    if report.get("error") == INTERRUPTED:
        report["error"] = interruption_text()


def exit_code(*, interrupted: bool = False, outputs_ok: bool = True, incomplete: bool = False,
              failed: bool = False) -> int:  # fmt: skip
    """The highest applicable code: 130 interrupted, 4 an input incomplete, 3 an output not
    written, 1 an input that could not be scored at all, else 0."""
    if interrupted:
        from formcheck.runtime.interrupts import interruption_text

        print(f"formcheck: {interruption_text()}; what was measured until then is reported", file=sys.stderr)
        return EXIT_INTERRUPTED
    if incomplete:
        return EXIT_INCOMPLETE
    if not outputs_ok:
        return EXIT_OUTPUT
    return 1 if failed else 0

