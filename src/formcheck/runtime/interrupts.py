"""SIGTERM and SIGHUP end a run the way Ctrl-C does, and the report says which one ended it.

A service manager stops a program with SIGTERM, a closed terminal sends SIGHUP; by default
Python dies on either at once, writing nothing. :func:`handle_signals` (installed by the
CLI around every command) turns the first of them into :class:`Terminated`, a
``KeyboardInterrupt``, so every path that already finishes cleanly on Ctrl-C (the report
marked ``complete: false``, the trace saved, the video finalized, worker processes told to
stop) does the same for them. Later SIGTERM/SIGHUP during that cleanup are ignored, so a
second one cannot cut the saving short (SIGKILL still ends the process); inside
:func:`deferred` (the CLI writing its outputs) any of them is only recorded, and inside
:func:`whole` (one frame into the video encoder) it is raised when the step is done. :func:`ended_by`
names the signal that ended the run, for the report's ``ended_by`` key.

SIGXFSZ (a file-size limit reached) is ignored, so writing past the limit is an ordinary
write error (EFBIG) that the output writers report, instead of killing the process.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["INTERRUPTED", "Terminated", "deferred", "ended_by", "handle_signals", "interruption_text", "whole"]

#: The error text of a run stopped by Ctrl-C (kept: reports and tests read it).
INTERRUPTED = "interrupted by the user"

_received: str | None = None
_deferring = False


class Terminated(KeyboardInterrupt):
    """The run was ended by a signal other than SIGINT (``signame``: "SIGTERM", "SIGHUP")."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame


def ended_by() -> str | None:
    """The first ending signal this process received ("SIGINT", "SIGTERM", "SIGHUP"), or None."""
    return _received


def interruption_text(exc: BaseException | None = None) -> str:
    """The report's ``error`` for a run cut short by Ctrl-C or a signal."""
    name = exc.signame if isinstance(exc, Terminated) else _received
    if name in (None, "SIGINT"):
        return INTERRUPTED
    return f"ended by {name}"


def _record(name: str) -> None:
    global _received
    if _received is None:
        _received = name


def _on_signal(signum: int, _frame: Any) -> None:
    name = signal.Signals(signum).name
    first = _received is None
    _record(name)
    if _deferring:
        return  # writing the outputs: finish them, then end
    if signum == signal.SIGINT:
        raise KeyboardInterrupt  # as Python does: every Ctrl-C interrupts
    if first:
        raise Terminated(name)
    # A second SIGTERM/SIGHUP while finishing: let the finishing complete.


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Within the block an ending signal is only recorded, not raised: the outputs of what
    was measured are written whole, and the command then ends as interrupted."""
    global _deferring
    old, _deferring = _deferring, True
    try:
        yield
    finally:
        _deferring = old


@contextlib.contextmanager
def whole() -> Iterator[None]:
    """A step that must not be cut in half (a frame going into the video encoder: its packets
    are returned by one call and written by the next, and an interruption between the two
    loses a frame already counted): an ending signal that arrives within the block is raised
    when the block is done, as it would have been raised at once. Within :func:`deferred`
    it stays recorded only. In other threads (the encoder thread of ``score``) it does nothing:
    signals are raised in the main thread only, and deferring them there from another
    thread would hold up the main thread's interruption and raise it in the wrong thread."""
    global _deferring
    if _deferring or threading.current_thread() is not threading.main_thread():
        yield
        return
    before = _received
    _deferring = True
    try:
        yield
    finally:
        _deferring = False
    if before is None and _received is not None:
        raise KeyboardInterrupt if _received == "SIGINT" else Terminated(_received)


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """Within the block (main thread only), SIGINT/SIGTERM/SIGHUP raise KeyboardInterrupt
    (:class:`Terminated` for the latter two) and are recorded for :func:`ended_by`."""
    global _received
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received = None
    wanted = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGHUP"):
        wanted.append(signal.SIGHUP)
    old: dict[int, Any] = {}
    for sig in wanted:
        if signal.getsignal(sig) is signal.SIG_IGN:
            continue  # ignored on purpose by whoever started us (nohup, `&`): keep it so
        old[sig] = signal.signal(sig, _on_signal)
    if hasattr(signal, "SIGXFSZ"):
        old[signal.SIGXFSZ] = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        _received = None  # the next run (tests call the CLI in one process) starts clean
