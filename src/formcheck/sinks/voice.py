"""Spoken cues for a person who cannot read the screen (lying on the floor, facing the ceiling).

Offline text to speech through ``espeak-ng`` run as a subprocess (a Debian package; no
network, no Python binding to keep up). :class:`VoiceCues` never blocks the frame loop: the
loop only puts short texts in a small queue; a worker thread speaks them one at a time.
What a person cannot follow is dropped rather than queued:

- a cue is said at most once per ``min_interval_s`` (per cue code; counts have their own);
- a text that waited longer than ``max_age_s`` (the person has moved on) is dropped unsaid;
- when the queue is full the oldest waiting text is dropped for the new one.

Said: each rep's count ("3"), hold countdowns ("hold" when a hold starts, the last three
seconds "3", "2", "1"), cues as they appear ("Rise slowly"), and a pain stop with the
seeds' advice. Off by default (``--voice``).
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from formcheck.checkers.events import Event, EventKind
from formcheck.errors import FormcheckError

__all__ = ["EspeakSpeaker", "Speaker", "VoiceCues", "find_espeak"]

#: Words per minute: a little slower than espeak's default 175, for a person exercising.
WORDS_PER_MINUTE = 150


class Speaker(Protocol):
    def speak(self, text: str) -> None:
        """Say ``text`` and return when it has been said (runs on the worker thread)."""


def find_espeak() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


class EspeakSpeaker:
    """Speaks through espeak-ng; :meth:`to_wav` synthesises to a file instead (tests, no sound card)."""

    def __init__(self, exe: str | None = None, voice: str = "en", wpm: int = WORDS_PER_MINUTE) -> None:
        exe = exe or find_espeak()
        if exe is None:
            raise FormcheckError("--voice needs espeak-ng (Debian/Ubuntu: apt-get install espeak-ng)")
        self.exe, self.voice, self.wpm = exe, voice, wpm

    def _cmd(self, text: str, *extra: str) -> list[str]:
        # "--" ends the options: a text starting with "-" is still text.
        return [self.exe, "-v", self.voice, "-s", str(self.wpm), *extra, "--", text]

    def speak(self, text: str) -> None:
        subprocess.run(self._cmd(text), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False)

    def to_wav(self, text: str, path: Path) -> None:
        proc = subprocess.run(self._cmd(text, "-w", str(path)), capture_output=True, text=True, timeout=30)
        if proc.returncode != 0:
            raise FormcheckError(f"espeak-ng could not synthesise to {path}: {proc.stderr.strip()}")


class VoiceCues:
    """A speaking worker fed from the frame loop without ever waiting for it.

    Args:
        speaker: what speaks (espeak-ng; a recorder in tests).
        clock: monotonic seconds (injected by tests).
        min_interval_s: the same cue is not said again sooner than this.
        max_age_s: a text that waited longer than this is dropped unsaid.
        queue_size: texts waiting at most (the oldest is dropped for a new one).
    """

    def __init__(
        self,
        speaker: Speaker,
        clock: Callable[[], float] = time.monotonic,
        min_interval_s: float = 6.0,
        max_age_s: float = 2.5,
        queue_size: int = 3,
    ) -> None:
        self.speaker = speaker
        self.clock = clock
        self.min_interval_s = min_interval_s
        self.max_age_s = max_age_s
        self._q: queue.Queue[tuple[float, str] | None] = queue.Queue(maxsize=queue_size)
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self.hold_target_s: float | None = None
        self.said: list[str] = []  # what was spoken, in order (for the report and tests)
        self.dropped = 0
        self._thread = threading.Thread(target=self._work, name="formcheck-voice", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, **kw) -> VoiceCues:
        """Cues spoken through espeak-ng (a clear error when it is not installed)."""
        return cls(EspeakSpeaker(), **kw)

    # ------------------------------------------------------------------ frame-loop side
    def say(self, text: str, key: str | None = None, min_interval_s: float | None = None) -> bool:
        """Queue ``text``; never waits. ``key`` rate-limits repeats (default: the text itself).
        Returns False when it was dropped as too soon."""
        now = self.clock()
        key = key or text
        gap = self.min_interval_s if min_interval_s is None else min_interval_s
        last = self._last.get(key)
        if last is not None and now - last < gap:
            return False
        self._last[key] = now
        item = (now, text)
        with self._lock:
            while True:
                try:
                    self._q.put_nowait(item)
                    return True
                except queue.Full:
                    try:
                        self._q.get_nowait()  # the oldest waiting text is the stalest
                        self.dropped += 1
                    except queue.Empty:
                        pass

    def set_exercise(self, hold_target_s: float | None) -> None:
        """The hold to count down in the next set (None: no hold)."""
        self.hold_target_s = hold_target_s

    def on_events(self, events: Sequence[Event]) -> None:
        """Speak what a person needs from a frame's checker events."""
        for e in events:
            if e.kind is EventKind.REP and e.rep is not None:
                self.say(str(e.rep.index), key="count", min_interval_s=0.0)
            elif e.kind is EventKind.HOLD and e.value is not None:
                self._hold(int(e.value))
            elif e.kind is EventKind.CUE_ON and e.text:
                self.say(e.text, key=f"cue:{e.code}")
            elif e.kind is EventKind.STOP:
                from formcheck.programs.live import PAIN_ADVICE

                self.say(f"Stopped. {PAIN_ADVICE}" if e.code == "pain_stop" else "Stopped.", key="stop")

    def _hold(self, held_s: int) -> None:
        target = self.hold_target_s
        if held_s == 1:
            self.say("Hold", key="hold", min_interval_s=0.0)
        if target:
            left = round(target) - held_s
            if left in (3, 2, 1):
                self.say(str(left), key="hold", min_interval_s=0.0)
            elif left == 10 and target > 12:
                self.say("10 seconds", key="hold", min_interval_s=0.0)

    # ------------------------------------------------------------------ worker side
    def _work(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            t, text = item
            if self.clock() - t > self.max_age_s:
                self.dropped += 1  # the moment has passed: a late count misleads more than none
                continue
            try:
                self.speaker.speak(text)
            except (OSError, subprocess.SubprocessError):
                self.dropped += 1
                continue
            self.said.append(text)

    def close(self, timeout_s: float = 5.0) -> None:
        """Let what is queued be said (up to ``timeout_s``), then stop the worker."""
        try:
            self._q.put(None, timeout=timeout_s)
        except queue.Full:
            return
        self._thread.join(timeout_s)
