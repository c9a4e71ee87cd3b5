"""Running a routine live: each set through the one live loop, cards between them.

For every step: a card says what comes next and how to place the camera; the set runs in
:func:`formcheck.programs.live.run_live` (its status line says "get into position" until the person
is measurable in the right view and position, then the progress through the routine); the
set ends when the dose is met, on "n" (next), when the source ends (a video file standing in
for the camera), or on "p" (it hurts: the routine stops there, with the seeds' advice); a
rest card counts down between sets; a summary ends it. Every set goes to the history as it
happens when a recorder is given.
"""

from __future__ import annotations

import gc
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from formcheck.checkers.events import CheckerState, Event
from formcheck.measures import visibility
from formcheck.pose.protocol import BackendSpec
from formcheck.programs.live import (
    KEY_NEXT,
    KEY_PAIN,
    KEY_PAUSE,
    KEY_QUIT,
    PAIN_ADVICE,
    LiveHooks,
    LiveOptions,
    run_live,
)
from formcheck.routines.model import Routine, Step

#: Stream seconds the person must be measurable, in the right view and position, before the
#: set counts as started (a passing glimpse is not "in position").
IN_POSITION_S = 1.0

_VIEW_WORDS = {"side": "side on to the camera", "front": "facing the camera", "any": "whole body in view"}
_NOT_IN_POSITION = {visibility.WRONG_VIEW, visibility.WRONG_POSITION, "not_measurable"}

CARD_KEYS = "space: go on now    p: it hurts - stop    q: quit"


@dataclass(slots=True)
class RoutineOptions:
    """How to run a routine. ``sources``: one camera/stream/file per step (a video file
    stands in for the camera); ``clock``/``sleep`` drive the rest countdown (tests inject them)."""

    sources: Sequence[str]
    #: Which pose backend and model for every set (default: MediaPipe's lite model; a trace source replays).
    pose: BackendSpec = field(default_factory=lambda: BackendSpec(model="lite"))
    window: bool = True
    debug: bool = False
    voice: Any = None  # a formcheck.sinks.voice.VoiceCues: counts, holds, cues and announcements spoken
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    summary_s: float = 8.0  # how long the summary card stays up in the window


@dataclass(frozen=True, slots=True)
class SetOutcome:
    step: int  # 1-based
    set_no: int  # 1-based
    exercise: str
    title: str
    reps: int
    reps_by_side: dict[str, int] | None
    reps_ok: int
    prescribed: str
    dose_met: bool
    ended_by: str  # "done" | "next" | "source_end" | "pain_stop" | "quit" | "interrupted" | ...
    report: dict[str, Any] = field(repr=False)


@dataclass(slots=True)
class RoutineResult:
    routine: Routine
    sets: list[SetOutcome]
    ended: str  # "done" | "pain_stop" | "quit" | "interrupted"

    def to_dict(self) -> dict[str, Any]:
        r = self.routine
        return {
            "routine": r.name,
            "title": r.title,
            "ended": self.ended,
            "sets_prescribed": sum(s.sets for s in r.steps),
            "sets_done": len(self.sets),
            "sets_dose_met": sum(1 for s in self.sets if s.dose_met),
            "sets": [
                {"step": s.step, "set": s.set_no, "exercise": s.exercise, "prescribed": s.prescribed,
                 "dose_met": s.dose_met, "ended_by": s.ended_by, "report": s.report}
                for s in self.sets
            ],
        }


def summary_lines(result: RoutineResult) -> list[str]:
    """One line per set done, and what was not reached."""
    out = []
    for s in result.sets:
        by_side = f" (left {s.reps_by_side['left']}, right {s.reps_by_side['right']})" if s.reps_by_side else ""
        verdict = "dose met" if s.dose_met else f"not met ({s.prescribed})"
        if s.ended_by == "pain_stop":
            verdict = "stopped: it hurts"
        set_txt = f" set {s.set_no}" if _sets_of(result.routine, s.step) > 1 else ""
        reps = f"{s.reps} rep{'' if s.reps == 1 else 's'}"
        out.append(f"{s.title}{set_txt}: {reps}{by_side}, {s.reps_ok} as prescribed - {verdict}")
    done_steps = {s.step for s in result.sets}
    for i, st in enumerate(result.routine.steps, 1):
        if i not in done_steps:
            out.append(f"{st.cfg.title}: not done")
    return out


def _sets_of(r: Routine, step: int) -> int:
    return r.steps[step - 1].sets


class _Screen:
    """Cards in the live window, or their text in the terminal; waits with a countdown."""

    def __init__(self, opts: RoutineOptions, win: str) -> None:
        self.opts = opts
        self.win = win
        self.size = (1280, 720)
        self._printed = ""

    def show(self, card, seconds: float, keys, any_key: bool = False) -> str:
        """Show ``card`` for ``seconds`` (0: just once). Returns "done", "skip", "quit" or "pain";
        with ``any_key`` every key ends it ("skip")."""
        from formcheck.sinks.cards import draw_card

        o = self.opts
        text = "\n".join((card.heading, *(f"  {line}" for line in card.lines)))
        if not o.window and text != self._printed:
            print(text, flush=True)
            self._printed = text
        t0 = o.clock()
        while True:
            left = seconds - (o.clock() - t0)
            if o.window:
                import cv2

                shown = card if card.total_s is None else _with_countdown(card, max(0, math.ceil(left)))
                cv2.imshow(self.win, draw_card(shown, self.size))
                key = cv2.waitKey(100) & 0xFF
                if cv2.getWindowProperty(self.win, cv2.WND_PROP_VISIBLE) < 1:  # the window was closed
                    return "quit"
                tkey = keys.poll()
                key = tkey if tkey is not None else key
            else:
                key = keys.poll()
            if key in KEY_QUIT:
                return "quit"
            if key in KEY_PAIN:
                return "pain"
            if key == KEY_PAUSE or key in KEY_NEXT or (any_key and key is not None and key != 255):
                return "skip"
            if left <= 0:
                return "done"
            if not o.window:
                o.sleep(min(0.1, max(left, 0.0)))


def _with_countdown(card, n: int):
    from dataclasses import replace

    return replace(card, countdown_s=n)


def _camera_text(step: Step) -> str:
    cfg = step.cfg
    return cfg.advice or f"Place the camera {_VIEW_WORDS.get(cfg.view, '')}."


class _SetHooks:
    """The live loop's hooks for one set: in-position detection, progress line, dose check."""

    def __init__(self, routine: Routine, index: int, set_no: int, step: Step, on_events) -> None:
        self.step = step
        self.started_at: float | None = None
        self._in_pos_since: float | None = None
        n = len(routine.steps)
        nxt = routine.steps[index + 1].cfg.title if index + 1 < n else "finish"
        sets = f" - set {set_no} of {step.sets}" if step.sets > 1 else ""
        self.progress = f"{routine.title}: exercise {index + 1} of {n}{sets} - {step.dose_text()} - next: {nxt}"
        where = {"lying": "lying down", "all_fours": "on hands and knees"}.get(step.cfg.position, step.cfg.position)
        view = _VIEW_WORDS.get(step.cfg.view, "")
        self.get_ready = f"Get into position: {where}, {view}" if where != "any" else f"Get into position: {view}"
        self.on_events = on_events

    def _track(self, s: CheckerState) -> bool:
        if self.started_at is not None:
            return True
        ok = s.measurable and not any(code in _NOT_IN_POSITION for code, _ in s.cues)
        if not ok:
            self._in_pos_since = None
        elif self._in_pos_since is None:
            self._in_pos_since = s.t_s
        elif s.t_s - self._in_pos_since >= IN_POSITION_S:
            self.started_at = s.t_s
        return self.started_at is not None

    def status(self, s: CheckerState) -> str:
        return self.progress if self._track(s) else self.get_ready

    def done(self, s: CheckerState) -> bool:
        return self._track(s) and self.step.dose_met(s.reps, s.reps_by_side)

    def live_hooks(self) -> LiveHooks:
        return LiveHooks(on_events=self.on_events, done=self.done, status=self.status, next_key=True)


def run_routine(routine: Routine, opts: RoutineOptions, history: Any = None) -> RoutineResult:
    """Run every step's sets in order (see the module docstring). ``history``: a
    :class:`~formcheck.history.HistoryRecorder` (each set is stored as it happens) or None."""
    from formcheck.sinks.cards import Card
    from formcheck.sources.keys import TerminalKeys

    if len(opts.sources) != len(routine.steps):
        raise ValueError(f"{len(opts.sources)} sources for {len(routine.steps)} steps")
    n = len(routine.steps)
    win = f"formcheck - {routine.title}"
    screen = _Screen(opts, win)
    result = RoutineResult(routine, [], "done")
    voice = opts.voice
    say = voice.say if voice is not None else (lambda _text: None)
    last_set = None
    try:
        for i, step in enumerate(routine.steps):
            for k in range(step.sets):
                cfg = step.cfg
                if k == 0 and i == 0:
                    lines = [f"{step.dose_text()}.", _camera_text(step), *([step.note] if step.note else [])]
                    card = Card(f"First: {cfg.title}", lines, total_s=routine.prepare_s or None,
                                progress=(0, n), keys=CARD_KEYS)  # fmt: skip
                    say(f"First: {cfg.title}. {step.dose_text()}.")
                    with TerminalKeys() as keys:
                        answer = screen.show(card, routine.prepare_s, keys)
                    if answer in ("quit", "pain"):
                        result.ended = "quit" if answer == "quit" else "pain_stop"
                        return result
                if not opts.window:
                    sets = f", set {k + 1} of {step.sets}" if step.sets > 1 else ""
                    print(f"== Exercise {i + 1} of {n}: {cfg.title}{sets} - {step.dose_text()} ==", flush=True)
                set_rec = history.begin_set(cfg, opts.sources[i], opts.pose.model) if history is not None else None
                last_set = set_rec
                if voice is not None:
                    voice.set_exercise(cfg.value("hold_s"))
                hooks = _SetHooks(routine, i, k + 1, step, _fan_out(set_rec, voice.on_events if voice else None))
                live = LiveOptions(
                    source=opts.sources[i], pose=opts.pose,
                    window=opts.window, debug=opts.debug, keep_trace=False, hooks=hooks.live_hooks(),
                    window_name=win, close_window=False,
                )  # fmt: skip
                report, _stats, _trace = run_live(cfg, live)
                gc.collect()  # the set's landmarker is freed now, while native log lines are still filtered
                if set_rec is not None:
                    set_rec.end(report)
                ended_by = report["live"]["ended_by"]
                met = step.dose_met(report["reps"], report["reps_by_side"])
                report["routine"] = {"name": routine.name, "step": i + 1, "set": k + 1, "dose_met": met}
                result.sets.append(
                    SetOutcome(i + 1, k + 1, step.exercise, cfg.title, report["reps"], report["reps_by_side"],
                               report["reps_ok"], step.dose_text(), met, ended_by, report)
                )
                if ended_by == "pain_stop":
                    result.ended = "pain_stop"
                    return result
                if ended_by in ("quit", "interrupted"):
                    result.ended = ended_by
                    return result
                if not report["complete"]:
                    result.ended = "quit"  # the camera failed: nothing sensible to go on with
                    return result
                last = i == n - 1 and k == step.sets - 1
                if last:
                    break
                if k + 1 < step.sets:
                    heading = f"Rest - then {cfg.title}, set {k + 2} of {step.sets}"
                    lines = [f"{step.dose_text()}."]
                    rest = step.rest_s
                    nxt = step
                else:
                    nxt = routine.steps[i + 1]
                    heading = f"Rest - next: {nxt.cfg.title}"
                    lines = [f"{nxt.dose_text()}.", _camera_text(nxt), *([nxt.note] if nxt.note else [])]
                    rest = max(step.rest_s, routine.prepare_s)
                done = i + (1 if k + 1 == step.sets else 0)
                card = Card(heading, lines, total_s=rest or None, progress=(done, n), keys=CARD_KEYS)
                say(f"Rest. Next: {nxt.cfg.title}.")
                with TerminalKeys() as keys:
                    answer = screen.show(card, rest, keys)
                if answer == "quit":
                    result.ended = "quit"
                    return result
                if answer == "pain":
                    if last_set is not None:
                        last_set.add_pain_stop(float(report["duration_s"] or 0.0))
                    result.ended = "pain_stop"
                    return result
        return result
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM during a card: what was done is kept and summarised
        result.ended = "interrupted"
        return result
    finally:
        _finish(result, screen, opts, say)


def _fan_out(set_rec, extra):
    targets = [f for f in (set_rec.on_events if set_rec is not None else None, extra) if f is not None]
    if not targets:
        return None

    def on_events(events: Sequence[Event]) -> None:
        for f in targets:
            f(events)

    return on_events


def _finish(result: RoutineResult, screen: _Screen, opts: RoutineOptions, say) -> None:
    from formcheck.sinks.cards import Card
    from formcheck.sources.keys import TerminalKeys

    lines = summary_lines(result)
    n = len(result.routine.steps)
    done = len({s.step for s in result.sets if s.dose_met or s.ended_by in ("done", "source_end", "next")})
    if result.ended == "pain_stop":
        heading, extra = "Stopped: it hurts", [PAIN_ADVICE]
        say(PAIN_ADVICE)
    elif result.ended in ("quit", "interrupted"):
        heading, extra = "Routine stopped", []
    else:
        heading, extra = "Routine done - well done", []
        say("Routine done. Well done.")
    card = Card(heading, [*extra, *lines], progress=(done, n), keys="any key: close", alert=result.ended == "pain_stop")
    if opts.window:
        import cv2

        try:
            if result.ended != "quit":  # after q (or the window closed) the summary goes to the terminal only
                with TerminalKeys() as keys:
                    screen.show(card, opts.summary_s, keys, any_key=True)
        finally:
            cv2.destroyAllWindows()
    else:
        print("\n".join((f"== {heading} ==", *(f"  {line}" for line in (*extra, *lines)))), file=sys.stdout, flush=True)
