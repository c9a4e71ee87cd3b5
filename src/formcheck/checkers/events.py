"""What checkers emit: timestamped events, finished reps, and a state snapshot for display."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class EventKind(StrEnum):
    REP = "rep"  # a repetition finished (``rep`` holds its result)
    HOLD = "hold"  # hold progress: ``value`` = seconds held so far, once per whole second
    CUE_ON = "cue_on"  # a cue appeared (``code``, ``text``)
    CUE_OFF = "cue_off"
    FAULT = "fault"  # a fault was detected in the rep in progress
    STOP = "stop"  # the set was ended early (``code`` = "pain_stop")


class Phase(StrEnum):
    """What the checker is doing right now (for display)."""

    REST = "rest"  # waiting for the next rep
    ACTIVE = "active"  # a rep in progress
    HOLD = "hold"  # a rep held at its target
    UNMEASURABLE = "unmeasurable"  # the signal has not been measurable for a while
    STOPPED = "stopped"  # the set was ended early


@dataclass(frozen=True, slots=True)
class RepResult:
    """One counted repetition. Values are in the exercise signal's unit (``unit``)."""

    index: int
    side: str | None
    start_s: float
    end_s: float
    unit: str
    peak: float
    hold_s: float
    in_target_s: float
    max_speed_per_s: float
    max_return_speed_per_s: float
    faults: tuple[str, ...]
    extra_peaks: dict[str, float] = field(default_factory=dict)
    finished: bool = True
    variant: str = ""  # the exercise variant the rep was counted in ("" = as first described)

    @property
    def ok(self) -> bool:
        return not self.faults


@dataclass(frozen=True, slots=True)
class Event:
    t_s: float
    kind: EventKind
    code: str = ""
    text: str = ""
    side: str | None = None
    value: float | None = None
    rep: RepResult | None = None


@dataclass(frozen=True, slots=True)
class CheckerState:
    """A snapshot for sinks (overlay, console). Drawing reads it and decides nothing."""

    t_s: float
    reps: int
    reps_by_side: dict[str, int] | None
    target_reps: int
    phase: Phase
    side: str | None
    signal: float | None
    unit: str
    hold_s: float
    hold_target_s: float | None
    cues: tuple[tuple[str, str], ...]  # (code, text), most important first (form before anything else)
    measurable: bool
    last_rep: RepResult | None
    advice: tuple[tuple[str, str], ...] = ()  # camera guidance that does not stop counting: shown small
    rep_faults: tuple[str, ...] = ()  # faults of the rep in progress so far (no tick while there are any)
