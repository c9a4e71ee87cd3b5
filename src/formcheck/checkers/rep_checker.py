"""The generic repetition checker: a pure state machine over timestamped measure frames.

One repetition is a signal (e.g. knee flexion) going out past ``start_<u>`` and back past
``end_<u>`` (hysteresis: ``end`` < ``start``), each crossing confirmed for ``min_phase_s``
so jitter around a threshold never counts twice. While out it tracks:

- the peak, time inside the target band [``target_min_<u>``, ``target_max_<u>``];
- the hold: the longest continuous time at or past ``target_min_<u>`` (dips shorter than
  ``hold_grace_s`` forgiven) against the prescribed ``hold_s``;
- speed (unit/s over a short window): "slow down" above ``max_speed_<u>_s``; the return
  leg (falling back from short of the target to rest, after reaching it) against
  ``max_return_speed_<u>_s``;
- posture rules from the exercise file (e.g. trunk lean, raised knee bent).

A clear attempt counts even when it is faulty; its faults are listed and ``ok`` is False.
Frames where the signal is not measurable never advance anything; a rep survives gaps up
to ``max_gap_s`` (a person briefly hidden keeps their rep and their hold).

Nothing here reads a clock, touches OpenCV or MediaPipe: same frames in, same events out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from formcheck.checkers.blocks import Dwell, HoldTimer, Hysteresis, SlopeMeter
from formcheck.checkers.events import CheckerState, Event, EventKind, RepResult
from formcheck.config import ExerciseConfig, RuleSpec
from formcheck.landmarks import other_side
from formcheck.measures import visibility
from formcheck.measures.body import measure_index
from formcheck.measures.frame import MeasureFrame

_SPEED_OFF_RATIO = 0.8  # "slow down" clears when speed falls below 80 % of the limit

# Display priority of cues (lower first); rule cues come after these.
_PRIORITY = {"not_measurable": 0, "slow_down": 1, "return_too_fast": 2, "above_target": 3}


@dataclass(slots=True)
class _Rule:
    spec: RuleSpec
    idx: int
    limit: float
    above: bool
    dwell: Dwell


class _Attempt:
    """Statistics of the repetition in progress."""

    __slots__ = (
        "extra",
        "faults",
        "hold",
        "in_target_s",
        "last_t",
        "max_return_speed",
        "max_speed",
        "peak",
        "reached_target",
        "start_s",
    )  # fmt: skip

    def __init__(self, t: float, grace_s: float, n_extra: int) -> None:
        self.start_s = t
        self.peak = -math.inf
        self.in_target_s = 0.0
        self.max_speed = 0.0
        self.max_return_speed = 0.0
        self.faults: list[str] = []
        self.hold = HoldTimer(grace_s)
        self.extra = [-math.inf] * n_extra
        self.last_t = t
        self.reached_target = False

    def fault(self, code: str) -> bool:
        if code in self.faults:
            return False
        self.faults.append(code)
        return True


class _SideTracker:
    """Counts repetitions of one signal (one side of the body, or the body as a whole)."""

    def __init__(self, checker: RepChecker, side: str | None) -> None:
        cfg, u = checker.cfg, checker.cfg.rep.unit
        self.c = checker
        self.side = side
        self.idx = measure_index(cfg.rep.signal_for(side))
        self.start = checker.th[f"start_{u}"]
        self.end = checker.th[f"end_{u}"]
        self.lo = checker.th.get(f"target_min_{u}")
        self.hi = checker.th.get(f"target_max_{u}")
        self.hold_from = self.lo if self.lo is not None else self.start
        self.max_speed = checker.th.get(f"max_speed_{u}_s")
        self.max_return = checker.th.get(f"max_return_speed_{u}_s")
        self.rules = [self._resolve(r, checker.th) for r in cfg.rules]
        self.extra_idx = [
            (name.format(side=side, other=None), measure_index(name.format(side=side, other=None)))
            for name in checker.extra_peaks
        ]
        self.slope = SlopeMeter(checker.th["speed_window_s"])
        self.fast = Hysteresis(self.max_speed, self.max_speed * _SPEED_OFF_RATIO) if self.max_speed else None
        self.fast_return = (
            Hysteresis(self.max_return, self.max_return * _SPEED_OFF_RATIO) if self.max_return else None
        )
        self.enter, self.leave, self.over, self.under = Dwell(), Dwell(), Dwell(), Dwell()
        self.armed = False
        self.attempt: _Attempt | None = None
        self.pending: _Attempt | None = None
        self.last_t: float | None = None
        self.value: float | None = None
        self.speed = 0.0

    def _resolve(self, r: RuleSpec, th: dict[str, float]) -> _Rule:
        name = r.measure.format(side=self.side, other=other_side(self.side) if self.side else None)
        ref = r.above if r.above is not None else r.below
        assert ref is not None
        return _Rule(r, measure_index(name), th[ref], r.above is not None, Dwell())

    # ---------------------------------------------------------------- per frame
    def update(self, t: float, vals: list[float]) -> None:
        v = vals[self.idx]
        if v != v:  # NaN: not measurable, nothing advances
            return
        c = self.c
        if self.last_t is not None and t - self.last_t > c.th["max_gap_s"]:
            self._lost(t)
        self.last_t = t
        self.value = v
        speed = self.slope.update(t, v)
        self.speed = speed
        if self.fast is not None:
            c.set_cue("slow_down", self.fast.update(abs(speed)), t, self.side)
        # The return leg: heading back to rest from short of the target, after reaching it.
        # Adjustments inside or beyond the target band are not the return.
        a = self.attempt
        returning = speed < 0 and a is not None and a.reached_target and v < self.hold_from
        if self.fast_return is not None:
            on = self.fast_return.update(-speed if returning else 0.0)
            c.set_cue("return_too_fast", on, t, self.side)

        if a is None:
            self._idle(t, v, vals, speed)
        else:
            self._active(t, v, vals, speed, returning)

    def _idle(self, t: float, v: float, vals: list[float], speed: float) -> None:
        # Armed = seen at rest (below start) since the last rep: a limb already held out
        # when tracking begins is not an attempt. (A rep itself only ends at <= end, so
        # after a rep this is immediate; the hysteresis lives in the exit.)
        if v < self.start:
            self.armed = True
            self.enter.reset()
            self.pending = None
            return
        if not self.armed or not self.c.may_start(self):
            self.enter.reset()
            self.pending = None
            return
        if self.pending is None:
            self.pending = _Attempt(t, self.c.th["hold_grace_s"], len(self.extra_idx))
        self._accumulate(self.pending, t, v, vals, speed, False)
        if self.enter.update(True, t) >= self.c.th["min_phase_s"]:
            self.attempt, self.pending = self.pending, None
            self.leave.reset()

    def _active(self, t: float, v: float, vals: list[float], speed: float, returning: bool) -> None:
        a = self.attempt
        assert a is not None
        self._accumulate(a, t, v, vals, speed, returning)
        if self.leave.update(v <= self.end, t) >= self.c.th["min_phase_s"]:
            assert self.leave.since is not None
            self._finish(self.leave.since, finished=True)

    def _accumulate(self, a: _Attempt, t: float, v: float, vals: list[float], speed: float, returning: bool) -> None:
        c, th = self.c, self.c.th
        dt = t - a.last_t
        a.last_t = t
        if v > a.peak:
            a.peak = v
        for i, (_name, idx) in enumerate(self.extra_idx):
            x = vals[idx]
            if x > a.extra[i]:
                a.extra[i] = x
        in_lo = self.lo is None or v >= self.lo
        in_hi = self.hi is None or v <= self.hi
        if in_lo and in_hi and self.lo is not None:
            a.in_target_s += dt
        if in_lo:
            a.reached_target = True
        hold_now = a.hold.update(v >= self.hold_from, t)
        if a is self.attempt:
            c.hold_progress(self.side, hold_now, t)
        aspeed = abs(speed)
        if aspeed > a.max_speed:
            a.max_speed = aspeed
        if returning and -speed > a.max_return_speed:
            a.max_return_speed = -speed
        if self.fast is not None and self.fast.state:
            self._fault(a, "too_fast", t)
        if self.fast_return is not None and self.fast_return.state:
            self._fault(a, "return_too_fast", t)
        if self.hi is not None:
            over = self.over.update(v > self.hi, t) >= th["overshoot_min_s"]
            c.set_cue("above_target", over, t, self.side)
            if over:
                self._fault(a, "above_target", t)
        if self.lo is not None:
            stuck = self.under.update(v < self.lo and not a.reached_target, t) >= th["cue_delay_s"]
            c.set_cue("below_target", stuck, t, self.side)
        holding = a.hold.holding
        for r in self.rules:
            phase = r.spec.phase
            if (phase == "hold" and not holding) or (phase == "return" and not returning):
                r.dwell.reset()
                c.set_cue(r.spec.code, False, t, self.side)
                continue
            x = vals[r.idx]
            cond = (x > r.limit if r.above else x < r.limit) if x == x else False
            fired = r.dwell.update(cond, t) >= r.spec.min_s
            c.set_cue(r.spec.code, fired, t, self.side)
            if fired and a.fault(r.spec.code):
                c.emit(Event(t, EventKind.FAULT, r.spec.code, c.cfg.text(r.spec.code), self.side))

    def _fault(self, a: _Attempt, kind: str, t: float) -> None:
        code = self.c.cfg.rep.codes[kind]
        if a.fault(code) and a is self.attempt:
            self.c.emit(Event(t, EventKind.FAULT, code, self.c.cfg.text(code), self.side))

    def _finish(self, end_s: float, finished: bool) -> None:
        a = self.attempt
        assert a is not None
        c, codes = self.c, self.c.cfg.rep.codes
        if self.lo is not None and a.peak < self.lo:
            a.fault(codes["below_target"])
        hold_target = c.th.get("hold_s")
        if hold_target and a.hold.longest < hold_target - 1e-9:
            a.fault(codes["hold_short"])
        if not finished:
            a.fault("unfinished")
        c.count(
            RepResult(
                index=c.reps + 1,
                side=self.side,
                start_s=a.start_s,
                end_s=end_s,
                unit=c.cfg.rep.unit,
                peak=a.peak,
                hold_s=a.hold.longest,
                in_target_s=a.in_target_s,
                max_speed_per_s=a.max_speed,
                max_return_speed_per_s=a.max_return_speed,
                faults=tuple(a.faults),
                extra_peaks={
                    name: (x if x > -math.inf else math.nan)
                    for (name, _i), x in zip(self.extra_idx, a.extra, strict=True)
                },
                finished=finished,
            ),
            end_s,
        )
        self._clear(end_s)

    def _clear(self, t: float) -> None:
        self.attempt = self.pending = None
        self.armed = False
        for d in (self.enter, self.leave, self.over, self.under):
            d.reset()
        for r in self.rules:
            r.dwell.reset()
        for code in ("above_target", "below_target", *(r.spec.code for r in self.rules)):
            self.c.set_cue(code, False, t, self.side)

    def _lost(self, t: float) -> None:
        """The person was out of sight for longer than max_gap_s: drop the attempt."""
        self.slope.reset()
        if self.attempt is not None:
            self.c.emit(Event(t, EventKind.CUE_ON, "rep_lost", self.c.cfg.text("rep_lost"), self.side))
            self.c.hold_progress(self.side, 0.0, t)
        self._clear(t)

    def close(self, t: float) -> None:
        """End of stream: an attempt that reached its target counts, flagged unfinished."""
        if self.attempt is not None and self.attempt.reached_target:
            self._finish(t, finished=False)
        else:
            self._clear(t)


class RepChecker:
    """Counts and checks repetitions of one exercise; feed it one MeasureFrame at a time.

    ``update`` returns the events of that frame; ``events`` keeps them all; ``reps`` the
    counted repetitions. Built from an ExerciseConfig, so the rules live in the exercise's
    TOML file, not here.
    """

    def __init__(self, cfg: ExerciseConfig) -> None:
        self.cfg = cfg
        self.th: dict[str, float] = {k: t.value for k, t in cfg.thresholds.items()}
        self.extra_peaks = list(cfg.extra_peaks)
        self.reset()

    def reset(self) -> None:
        self.events: list[Event] = []
        self.results: list[RepResult] = []
        self.frames = 0
        self.measurable_frames = 0
        self.t_first: float | None = None
        self.t_last: float | None = None
        self.stopped: tuple[float, str] | None = None
        self._new: list[Event] = []
        self._cues: dict[str, tuple[str, str | None]] = {}
        self._hold: tuple[str | None, float] = (None, 0.0)
        self._hold_whole = 0
        self._unmeasurable = Dwell()
        self._crowded = Dwell()
        self._view_issue = ""
        self._measurable_now = False
        sides = self.cfg.rep.sides or (None,)
        self.trackers = [_SideTracker(self, s) for s in sides]

    # ---------------------------------------------------------------- API
    @property
    def reps(self) -> int:
        return len(self.results)

    @property
    def reps_by_side(self) -> dict[str, int] | None:
        if not self.cfg.rep.per_side:
            return None
        out = dict.fromkeys(self.cfg.rep.sides, 0)
        for r in self.results:
            if r.side:
                out[r.side] += 1
        return out

    def update(self, frame: MeasureFrame) -> list[Event]:
        self._new = []
        if self.stopped is not None:
            return self._new
        t = frame.t_s
        if self.t_first is None:
            self.t_first = t
        self.t_last = t
        self.frames += 1
        vals = frame.values.tolist()
        measurable = False
        for tr in self.trackers:
            if vals[tr.idx] == vals[tr.idx]:
                measurable = True
                break
        self._measurable_now = measurable
        if measurable:
            self.measurable_frames += 1
            self._unmeasurable.reset()
            if "not_measurable" in self._cues:
                self.set_cue("not_measurable", False, t)
        else:
            issue = frame.view_issue or visibility.HIDDEN
            if self._unmeasurable.update(True, t) >= self.th["unmeasurable_cue_s"]:
                if issue != self._view_issue and "not_measurable" in self._cues:
                    self.set_cue("not_measurable", False, t)
                self._view_issue = issue
                self.set_cue("not_measurable", True, t, text=visibility.TEXTS[issue])
        crowded = self._crowded.update(frame.n_people > 1, t) >= self.th["unmeasurable_cue_s"]
        self.set_cue(visibility.MORE_PEOPLE, crowded, t, text=visibility.TEXTS[visibility.MORE_PEOPLE])
        for tr in self.trackers:
            tr.update(t, vals)
        return self._new

    def finish(self) -> list[Event]:
        """End of the recording or session: close a rep in progress, clear cues."""
        self._new = []
        t = self.t_last if self.t_last is not None else 0.0
        if self.stopped is None:
            for tr in self.trackers:
                tr.close(t)
        for code in list(self._cues):
            self.set_cue(code, False, t)
        return self._new

    def stop(self, t_s: float, reason: str = "pain_stop") -> list[Event]:
        """End the set now (the person pressed "it hurts"); the stop is recorded."""
        self._new = []
        if self.stopped is None:
            for tr in self.trackers:
                tr.close(t_s)
            self.stopped = (t_s, reason)
            self.emit(Event(t_s, EventKind.STOP, reason, self.cfg.text(reason)))
        return self._new

    def state(self) -> CheckerState:
        active = next((tr for tr in self.trackers if tr.attempt is not None), None)
        shown = active or max(self.trackers, key=lambda tr: tr.value if tr.value is not None else -math.inf)
        measurable = "not_measurable" not in self._cues
        if self.stopped:
            phase = "stopped"
        elif not measurable:
            phase = "unmeasurable"
        elif active is None:
            phase = "rest"
        else:
            phase = "hold" if active.attempt and active.attempt.hold.holding else "active"
        cues = sorted(
            ((code, text) for code, (text, _side) in self._cues.items()),
            key=lambda ct: _PRIORITY.get(ct[0], 10),
        )
        return CheckerState(
            t_s=self.t_last or 0.0,
            reps=self.reps,
            reps_by_side=self.reps_by_side,
            target_reps=self.cfg.target_reps,
            phase=phase,
            side=shown.side,
            signal=shown.value if self._measurable_now else None,
            unit=self.cfg.rep.unit,
            hold_s=self._hold[1] if active is not None else 0.0,
            hold_target_s=self.th.get("hold_s"),
            cues=tuple(cues),
            measurable=measurable,
            last_rep=self.results[-1] if self.results else None,
        )

    # ---------------------------------------------------------------- for trackers
    def may_start(self, tracker: _SideTracker) -> bool:
        if not self.cfg.rep.one_side_at_a_time:
            return True
        return all(tr is tracker or tr.attempt is None for tr in self.trackers)

    def emit(self, e: Event) -> None:
        self.events.append(e)
        self._new.append(e)

    def count(self, rep: RepResult, t: float) -> None:
        self.results.append(rep)
        self.emit(Event(t, EventKind.REP, "rep", side=rep.side, rep=rep))

    def hold_progress(self, side: str | None, held_s: float, t: float) -> None:
        self._hold = (side, held_s)
        whole = int(held_s)
        if whole > self._hold_whole:
            self.emit(Event(t, EventKind.HOLD, "hold", side=side, value=float(whole)))
        self._hold_whole = whole

    def set_cue(self, code: str, on: bool, t: float, side: str | None = None, text: str | None = None) -> None:
        cur = self._cues.get(code)
        if on and cur is None:
            txt = text or self.cfg.text(code)
            self._cues[code] = (txt, side)
            self.emit(Event(t, EventKind.CUE_ON, code, txt, side))
        elif not on and cur is not None and (side is None or cur[1] == side or cur[1] is None):
            del self._cues[code]
            self.emit(Event(t, EventKind.CUE_OFF, code, cur[0], side))
