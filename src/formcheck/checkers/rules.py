"""One rule engine for every tracker kind, and the outbox trackers report through.

A rule (``[[rule]]`` in an exercise file, :class:`~formcheck.exercises.config.RuleSpec`) watches a
posture measure during part of an attempt. The rep tracker and the paced hold tracker both
evaluate their rules here, so a rule means the same in every exercise shape, and a fault is
accumulated (once per attempt) and announced the same way.

Trackers never reach into the checker that owns them: what they have to say (cue changes,
faults, hold progress, counted reps) goes to an :class:`Outbox`, which the checker owns and
reads. Nothing here reads a clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from formcheck.checkers.blocks import Dwell
from formcheck.checkers.events import Event, EventKind, RepResult
from formcheck.exercises.config import RuleSpec
from formcheck.measures.body import measure_index
from formcheck.pose.landmarks import other_side


class RulePhase(StrEnum):
    """When a rule is judged (the ``phase`` of a rule in the exercise file)."""

    REP = "rep"  # every frame of the attempt
    HOLD = "hold"  # while held at the target
    RETURN = "return"  # on the way back to rest after the target was reached
    PEAK = "peak"  # once, at the attempt's end, on the measure's extreme
    DEEPEST = "deepest"  # once, at the attempt's end, on the measure at the rep's deepest frame


@dataclass(slots=True)
class Outbox:
    """Everything trackers report, in order: events, the cues on show, counted reps and the
    hold in progress. ``text`` resolves a cue/fault code to the words shown."""

    text: Callable[[str], str]
    events: list[Event] = field(default_factory=list)
    new: list[Event] = field(default_factory=list)  # events of the current update call
    cues: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # code -> (text, side)
    results: list[RepResult] = field(default_factory=list)
    hold: tuple[str | None, float] = (None, 0.0)
    _hold_whole: int = 0

    def emit(self, e: Event) -> None:
        self.events.append(e)
        self.new.append(e)

    def count(self, rep: RepResult, t: float) -> None:
        self.results.append(rep)
        self.emit(Event(t, EventKind.REP, "rep", side=rep.side, rep=rep))

    def hold_progress(self, side: str | None, held_s: float, t: float) -> None:
        self.hold = (side, held_s)
        whole = int(held_s)
        if whole > self._hold_whole:
            self.emit(Event(t, EventKind.HOLD, "hold", side=side, value=float(whole)))
        self._hold_whole = whole

    def set_cue(self, code: str, on: bool, t: float, side: str | None = None, text: str | None = None) -> None:
        cur = self.cues.get(code)
        if on and cur is None:
            txt = text or self.text(code)
            self.cues[code] = (txt, side)
            self.emit(Event(t, EventKind.CUE_ON, code, txt, side))
        elif not on and cur is not None and (side is None or cur[1] == side or cur[1] is None):
            del self.cues[code]
            self.emit(Event(t, EventKind.CUE_OFF, code, cur[0], side))

    def fault(self, code: str, t: float, side: str | None) -> None:
        self.emit(Event(t, EventKind.FAULT, code, self.text(code), side))


class Faults:
    """The faults of one attempt, each once, in the order they were found."""

    __slots__ = ("codes",)

    def __init__(self) -> None:
        self.codes: list[str] = []

    def add(self, code: str) -> bool:
        """Record ``code``; True when it is new for this attempt."""
        if code in self.codes:
            return False
        self.codes.append(code)
        return True


@dataclass(slots=True)
class _Rule:
    spec: RuleSpec
    phase: RulePhase
    idx: int
    limit: float
    above: bool
    dwell: Dwell
    lo: float = math.inf  # range of the (transformed) measure so far in the phase, for spread rules
    hi: float = -math.inf

    def reset(self) -> None:
        self.dwell.reset()
        self.lo, self.hi = math.inf, -math.inf

    def breaks(self, x: float) -> bool:
        return x > self.limit if self.above else x < self.limit


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a rule may depend on besides the measures, for one frame."""

    holding: bool  # the attempt is held at its target
    returning: bool  # the attempt is on its way back to rest
    view: str  # "front" / "side" / "" (the body's view this frame)


class RuleEngine:
    """The posture rules of one tracker (one side), resolved to measure columns and limits.

    Per attempt, the engine keeps each rule's reference (the measure at rest just before the
    attempt, for ``relative`` rules) and extreme (for ``peak`` rules) in a :class:`RuleMemory`.
    """

    def __init__(self, specs: Sequence[RuleSpec], side: str | None, th: dict[str, float]) -> None:
        self.side = side
        self.rules = [self._resolve(r, side, th) for r in specs]
        self.rest = [math.nan] * len(self.rules)  # each relative rule's measure, last seen at rest

    @staticmethod
    def _resolve(r: RuleSpec, side: str | None, th: dict[str, float]) -> _Rule:
        name = r.measure.format(side=side, other=other_side(side) if side else None)
        ref = r.above if r.above is not None else r.below
        assert ref is not None
        return _Rule(r, RulePhase(r.phase), measure_index(name), th[ref], r.above is not None, Dwell())

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.spec.code for r in self.rules)

    def at_rest(self, vals: list[float]) -> None:
        """Remember the measures of relative rules at rest (their reference for the next attempt)."""
        for i, r in enumerate(self.rules):
            if r.spec.relative and vals[r.idx] == vals[r.idx]:
                self.rest[i] = vals[r.idx]

    def memory(self, relative_to_rest: bool = True) -> RuleMemory:
        """A fresh per-attempt memory; relative rules refer to the last rest values (or to nothing)."""
        return RuleMemory(list(self.rest) if relative_to_rest else [math.nan] * len(self.rules))

    def reset(self) -> None:
        for r in self.rules:
            r.reset()

    def _value(self, r: _Rule, i: int, mem: RuleMemory, vals: list[float]) -> float:
        """The rule's measure, made relative to its rest value and/or absolute as asked."""
        x = vals[r.idx]
        if r.spec.relative:
            x -= mem.ref[i]
        return abs(x) if r.spec.abs else x

    def observe(
        self,
        mem: RuleMemory,
        faults: Faults,
        vals: list[float],
        t: float,
        ctx: RuleContext,
        out: Outbox,
        deepest: bool = False,
    ) -> None:
        """Judge one frame: a rule whose condition has held for its ``min_s`` shows its cue and
        adds its fault (announced once per attempt); ``peak`` rules only track their extreme,
        ``deepest`` rules keep their measure at the frame where the rep's own signal reached
        its furthest so far (``deepest``: this frame is a new furthest)."""
        for i, r in enumerate(self.rules):
            sp = r.spec
            if r.phase is RulePhase.PEAK:  # judged at the attempt's end, on its extreme
                mem.track(i, self._value(r, i, mem, vals), r.above)
                continue
            if r.phase is RulePhase.DEEPEST:  # judged at the attempt's end, at the deepest frame
                x = self._value(r, i, mem, vals)
                if x == x and (deepest or mem.ext[i] != mem.ext[i]):
                    mem.ext[i] = x
                continue
            if (
                (r.phase is RulePhase.HOLD and not ctx.holding)
                or (r.phase is RulePhase.RETURN and not ctx.returning)
                or (sp.view != "any" and ctx.view != sp.view)
            ):
                r.reset()
                out.set_cue(sp.code, False, t, self.side)
                continue
            x = self._value(r, i, mem, vals)
            if sp.spread and x == x:
                r.lo, r.hi = min(r.lo, x), max(r.hi, x)
                x = r.hi - r.lo
            cond = r.breaks(x) if x == x else False
            fired = r.dwell.held(cond, t, sp.min_s)
            out.set_cue(sp.code, fired, t, self.side)
            if fired and faults.add(sp.code):
                out.fault(sp.code, t, self.side)

    def conclude(self, mem: RuleMemory, faults: Faults) -> None:
        """The attempt's end: ``peak`` rules judge the extreme their measure reached,
        ``deepest`` rules the value it had where the rep went furthest."""
        for i, r in enumerate(self.rules):
            e = mem.ext[i]
            if r.phase in (RulePhase.PEAK, RulePhase.DEEPEST) and e == e and r.breaks(e):
                faults.add(r.spec.code)

    def clear_cues(self, t: float, out: Outbox) -> None:
        for code in self.codes:
            out.set_cue(code, False, t, self.side)


class RuleMemory:
    """Per attempt and rule: the reference at rest and the extreme so far (max for ``below``
    rules, min for ``above`` rules; for ``deepest`` rules, the value at the deepest frame)."""

    __slots__ = ("ext", "ref")

    def __init__(self, ref: list[float]) -> None:
        self.ref = ref
        self.ext = [math.nan] * len(ref)

    def track(self, i: int, x: float, above: bool) -> None:
        if x == x:
            e = self.ext[i]
            self.ext[i] = x if e != e else (min(e, x) if above else max(e, x))
