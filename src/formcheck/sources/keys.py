"""Keys pressed in the terminal, for a live session without a window (or beside one).

When stdin is a terminal it is put in cbreak mode (keys arrive one at a time, unechoed;
Ctrl-C still interrupts) and a daemon thread reads them into a queue the frame loop polls
without ever waiting. The terminal's settings are restored on :meth:`close`, also after an
error. When stdin is not a terminal (a pipe, a service, a test), nothing is read: a script
feeding stdin must not stop a set by accident.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import sys
import threading
from typing import Any


class TerminalKeys:
    """Non-blocking key presses from a terminal; :meth:`poll` returns a key code or None."""

    def __init__(self, fd: int | None = None) -> None:
        self._q: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._fd: int | None = None
        self._saved: list[Any] | None = None
        self._thread: threading.Thread | None = None
        if fd is None:
            try:
                fd = sys.stdin.fileno()
            except (AttributeError, OSError, ValueError):
                return
        if not os.isatty(fd):
            return
        try:
            import termios
            import tty
        except ImportError:  # not a POSIX terminal
            return
        try:
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        except termios.error:
            self._saved = None
            return
        self._fd = fd
        self._thread = threading.Thread(target=self._read, name="formcheck-keys", daemon=True)
        self._thread.start()

    @property
    def active(self) -> bool:
        """True when keys are being read (stdin is a terminal)."""
        return self._fd is not None

    def _read(self) -> None:
        fd = self._fd
        assert fd is not None
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(fd, 32)
            except OSError:
                return
            if not data:
                return
            for b in data:
                self._q.put(b)

    def poll(self) -> int | None:
        try:
            return self._q.get_nowait()
        except queue.Empty:
            return None

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        if self._fd is not None and self._saved is not None:
            import termios

            with contextlib.suppress(termios.error):
                termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
        self._fd = None

    def __enter__(self) -> TerminalKeys:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
