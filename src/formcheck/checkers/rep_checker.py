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

The optional shapes of :class:`~formcheck.config.RepSpec` are generic too: a signal going
*down* (the tracker works on the negated signal), thresholds *relative* to the rest level
(a sliding minimum over ``baseline_window_s``, frozen during a rep), gates on the position,
sides that must alternate, a both-sides signal whose rep side is decided by another
measure (``side_by``), and checker-paced timed holds (:class:`_PacedTracker`).

Camera guidance runs for every exercise: a sustained wrong view (side vs front, from the
body's yaw) or wrong position (lying vs upright) becomes a ``wrong_view`` /
``wrong_position`` cue after ``guide_delay_s``. It is advice only: counting goes on.

Nothing here reads a clock, touches OpenCV or MediaPipe: same frames in, same events out.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from formcheck.checkers.blocks import Dwell, HoldTimer, Hysteresis, SlopeMeter
from formcheck.checkers.events import CheckerState, Event, EventKind, RepResult
from formcheck.config import ExerciseConfig, GateSpec, RuleSpec
from formcheck.landmarks import other_side
from formcheck.measures import visibility
from formcheck.measures.body import measure_index
from formcheck.measures.frame import MeasureFrame

_SPEED_OFF_RATIO = 0.8  # "slow down" clears when speed falls below 80 % of the limit

# Display priority of cues (lower first); rule cues come after these.
_PRIORITY = {
    visibility.SWITCHED: -1, "not_measurable": 0, visibility.WRONG_POSITION: 0.1, visibility.WRONG_VIEW: 0.2,
    "slow_down": 1, "return_too_fast": 2, "above_target": 3,
}  # fmt: skip
_GUIDE_CLEAR_S = 1.0  # a camera prompt clears after the view/position has been right this long
_I_YAW = measure_index("body_yaw_deg")
_I_LEAN = measure_index("trunk_lean_deg")
_I_THIGHS = measure_index("thighs_from_vertical_deg")


@dataclass(slots=True)
class _Rule:
    spec: RuleSpec
    idx: int
    limit: float
    above: bool
    dwell: Dwell
    lo: float = math.inf  # range of the (transformed) measure so far in the phase, for spread rules
    hi: float = -math.inf

    def reset_spread(self) -> None:
        self.lo, self.hi = math.inf, -math.inf


@dataclass(slots=True)
class _Gate:
    idx: int
    lo: float
    hi: float

    def ok(self, vals: list[float]) -> bool:
        x = vals[self.idx]
        return not (x < self.lo or x > self.hi)  # NaN (not measurable) does not block


def _resolve_rule(r: RuleSpec, side: str | None, th: dict[str, float]) -> _Rule:
    name = r.measure.format(side=side, other=other_side(side) if side else None)
    ref = r.above if r.above is not None else r.below
    assert ref is not None
    return _Rule(r, measure_index(name), th[ref], r.above is not None, Dwell())


def _resolve_gate(gspec: GateSpec, side: str | None, th: dict[str, float]) -> _Gate:
    name = gspec.measure.format(side=side, other=other_side(side) if side else None)
    lo = th[gspec.min] if gspec.min is not None else -math.inf
    hi = th[gspec.max] if gspec.max is not None else math.inf
    return _Gate(measure_index(name), lo, hi)


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
        "rule_ext",
        "rule_ref",
        "side_n",
        "side_sum",
        "start_s",
    )  # fmt: skip

    def __init__(self, t: float, grace_s: float, n_extra: int, rule_ref: list[float] | None = None) -> None:
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
        # Per rule: the measure's value at rest just before the rep (relative rules) and its
        # extreme so far (peak-phase rules: max for `below` rules, min for `above` rules).
        self.rule_ref = list(rule_ref) if rule_ref is not None else []
        self.rule_ext = [math.nan] * len(self.rule_ref)
        self.side_sum = [0.0, 0.0]  # side_by: sum and count of the measure per side
        self.side_n = [0, 0]

    def fault(self, code: str) -> bool:
        if code in self.faults:
            return False
        self.faults.append(code)
        return True


class _SideTracker:
    """Counts repetitions of one signal (one side of the body, or the body as a whole)."""

    def __init__(self, checker: RepChecker, side: str | None) -> None:
        cfg, u, th = checker.cfg, checker.cfg.rep.unit, checker.th
        rp = cfg.rep
        self.c = checker
        self.side = side
        self.idx = measure_index(rp.signal_for(side))
        # Internally every rep goes *up*: a falling signal is negated (sgn = −1) and so are
        # its thresholds; relative thresholds are already distances in the rep's direction.
        self.sgn = -1.0 if rp.direction == "down" else 1.0
        self.relative = rp.relative
        k = 1.0 if rp.relative else self.sgn

        def conv(key: str) -> float | None:
            x = th.get(key)
            return None if x is None else k * x

        self.start = k * th[f"start_{u}"]
        self.end = k * th[f"end_{u}"]
        self.lo = conv(f"target_min_{u}")
        self.hi = conv(f"target_max_{u}")
        self.hold_from = self.lo if self.lo is not None else self.start
        self.max_speed = th.get(f"max_speed_{u}_s")
        self.max_return = th.get(f"max_return_speed_{u}_s")
        self.rules = [_resolve_rule(r, side, th) for r in cfg.rules]
        self.rest_vals = [math.nan] * len(self.rules)  # each rule measure's last value at rest
        self.gates = [_resolve_gate(gs, side, th) for gs in cfg.gates]
        self.gate_ok = True
        self.side_by = (
            [measure_index(rp.side_by.format(side=s, other=other_side(s))) for s in rp.sides] if rp.side_by else []
        )
        self.base_window = th.get("baseline_window_s", 0.0)
        self.base_q: deque[tuple[float, float]] = deque()  # increasing values: sliding minimum
        self.base = 0.0
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

    def _update_base(self, t: float, x: float) -> None:
        """Sliding minimum of x over the last ``baseline_window_s`` (amortised O(1))."""
        q = self.base_q
        while q and q[-1][1] >= x:
            q.pop()
        q.append((t, x))
        while q[0][0] < t - self.base_window:
            q.popleft()
        self.base = q[0][1]

    # ---------------------------------------------------------------- per frame
    def update(self, t: float, vals: list[float]) -> None:
        raw = vals[self.idx]
        if raw != raw:  # NaN: not measurable, nothing advances
            return
        c = self.c
        if self.last_t is not None and t - self.last_t > c.th["max_gap_s"]:
            self._lost(t)
        self.last_t = t
        self.value = raw
        v = self.sgn * raw
        speed = self.slope.update(t, v)  # of the signal itself: a new rest level is no movement
        if self.relative:
            if self.attempt is None:  # the rest level is frozen during a rep
                self._update_base(t, v)
            v -= self.base
        if self.gates:
            self.gate_ok = all(gt.ok(vals) for gt in self.gates)
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
            for i, r in enumerate(self.rules):
                if r.spec.relative and vals[r.idx] == vals[r.idx]:
                    self.rest_vals[i] = vals[r.idx]
            return
        if not self.armed or not self.gate_ok or not self.c.may_start(self):
            self.enter.reset()
            self.pending = None
            return
        if self.pending is None:
            self.pending = _Attempt(t, self.c.th["hold_grace_s"], len(self.extra_idx), self.rest_vals)
        self._accumulate(self.pending, t, v, vals, speed, False)
        if self.enter.update(True, t) >= self.c.th["min_phase_s"]:
            self.attempt, self.pending = self.pending, None
            self.leave.reset()

    def _active(self, t: float, v: float, vals: list[float], speed: float, returning: bool) -> None:
        a = self.attempt
        assert a is not None
        self._accumulate(a, t, v, vals, speed, returning)
        back = v <= self.end or not self.gate_ok  # leaving the position ends the rep too
        if self.relative:
            # ... or down from the peak by as much as it took to start one: the rest level
            # itself may have drifted (feet shifted, camera nudged) and must not hold a rep open.
            back = back or a.peak - v >= self.start
        if self.leave.update(back, t) >= self.c.th["min_phase_s"]:
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
        hold_now = a.hold.update(v >= self.hold_from and self.gate_ok, t)
        if a is self.attempt:
            c.hold_progress(self.side, hold_now, t)
            for code in c.cfg.rep.hold_cues:
                c.set_cue(code, a.hold.holding, t, self.side)
        if self.side_by:  # compare the sides on frames where both are measured
            xs = [vals[idx] for idx in self.side_by]
            if all(x == x for x in xs):
                for i, x in enumerate(xs):
                    a.side_sum[i] += x
                a.side_n[0] += 1
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
        for i, r in enumerate(self.rules):
            sp = r.spec
            phase = sp.phase
            if phase == "peak":  # judged at the rep's end, on its extreme
                x = self._rule_value(r, i, a, vals)
                if x == x:
                    e = a.rule_ext[i]
                    a.rule_ext[i] = x if e != e else (min(e, x) if r.above else max(e, x))
                continue
            if (
                (phase == "hold" and not holding)
                or (phase == "return" and not returning)
                or (sp.view != "any" and c.view_now != sp.view)
            ):
                r.dwell.reset()
                r.reset_spread()
                c.set_cue(sp.code, False, t, self.side)
                continue
            x = self._rule_value(r, i, a, vals)
            if sp.spread and x == x:
                r.lo, r.hi = min(r.lo, x), max(r.hi, x)
                x = r.hi - r.lo
            cond = (x > r.limit if r.above else x < r.limit) if x == x else False
            fired = r.dwell.update(cond, t) >= r.spec.min_s and cond
            c.set_cue(r.spec.code, fired, t, self.side)
            if fired and a.fault(r.spec.code):
                c.emit(Event(t, EventKind.FAULT, r.spec.code, c.cfg.text(r.spec.code), self.side))

    @staticmethod
    def _rule_value(r: _Rule, i: int, a: _Attempt, vals: list[float]) -> float:
        """The rule's measure, made relative to its rest value and/or absolute as asked."""
        x = vals[r.idx]
        if r.spec.relative:
            x -= a.rule_ref[i] if i < len(a.rule_ref) else math.nan
        return abs(x) if r.spec.abs else x

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
        for i, r in enumerate(self.rules):
            e = a.rule_ext[i] if i < len(a.rule_ext) else math.nan
            if r.spec.phase == "peak" and e == e and (e > r.limit if r.above else e < r.limit):
                a.fault(r.spec.code)
        side = self.side
        if self.side_by:
            side = self._side_of(a)
        if c.cfg.rep.alternate and c.results and side is not None and c.results[-1].side == side:
            a.fault("not_alternating")
        if not finished:
            a.fault("unfinished")
        c.count(
            RepResult(
                index=c.reps + 1,
                side=side,
                start_s=a.start_s,
                end_s=end_s,
                unit=c.cfg.rep.unit,
                peak=a.peak if self.relative else self.sgn * a.peak,
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

    def _side_of(self, a: _Attempt) -> str | None:
        """The rep's side by ``side_by``: the side whose measure is highest (or lowest) on
        average over the frames where both sides were measured. With no such frame (one leg
        hidden throughout), sides are assumed to take turns: the other side than last rep."""
        rp, results = self.c.cfg.rep, self.c.results
        if a.side_n[0]:
            pick = min if rp.side_pick == "min" else max
            return pick(zip(a.side_sum, rp.sides, strict=True))[1]
        prev = results[-1].side if results else None
        return other_side(prev) if prev else None

    def _clear(self, t: float) -> None:
        self.attempt = self.pending = None
        self.armed = False
        self.base_q.clear()  # the next rest level is measured after this rep
        for d in (self.enter, self.leave, self.over, self.under):
            d.reset()
        for r in self.rules:
            r.dwell.reset()
            r.reset_spread()
        codes = ("above_target", "below_target", *(r.spec.code for r in self.rules), *self.c.cfg.rep.hold_cues)
        for code in codes:
            self.c.set_cue(code, False, t, self.side)

    def _lost(self, t: float) -> None:
        """The person was out of sight for longer than max_gap_s: drop the attempt."""
        self.slope.reset()
        self.base_q.clear()
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


class _PacedTracker:
    """Timed holds paced by the checker itself (``mode = "paced"``), for holds whose effort
    cannot be seen (an abdominal brace): once the person is in position (the signal past
    ``start_<u>`` and every gate holding) for ``settle_s``, a hold starts ("tighten and
    hold — keep breathing": the ``hold_cues``); it counts after ``hold_s`` in position;
    then ``relax_s`` of rest (the ``rest_cues``) and the next hold. Leaving the position
    (below ``end_<u>``, or a gate failing) for longer than ``hold_grace_s`` cuts the hold
    short: it counts, with the ``hold_short`` fault. Rules watch the posture during holds.
    """

    def __init__(self, checker: RepChecker) -> None:
        cfg, u, th = checker.cfg, checker.cfg.rep.unit, checker.th
        self.c = checker
        self.side: str | None = None
        self.idx = measure_index(cfg.rep.signal)
        self.sgn = -1.0 if cfg.rep.direction == "down" else 1.0
        self.start, self.end = self.sgn * th[f"start_{u}"], self.sgn * th[f"end_{u}"]
        self.rules = [_resolve_rule(r, None, th) for r in cfg.rules]
        self.gates = [_resolve_gate(gs, None, th) for gs in cfg.gates]
        self.state = "wait"  # wait → hold → relax → hold ...
        self.t_state = 0.0
        self.in_position = False
        self.settle = Dwell()
        self.attempt: _Attempt | None = None
        self.last_t: float | None = None
        self.value: float | None = None

    def update(self, t: float, vals: list[float]) -> None:
        raw = vals[self.idx]
        if raw != raw:  # not measurable: the hold does not run (a gap is bridged by the grace)
            return
        c, th = self.c, self.c.th
        if self.last_t is not None and t - self.last_t > th["max_gap_s"]:
            self._lost(t)
        self.last_t = t
        self.value = raw
        v = self.sgn * raw
        gates_ok = all(gt.ok(vals) for gt in self.gates)
        # Hysteresis: in position past start, out only below end.
        self.in_position = gates_ok and v >= (self.end if self.in_position else self.start)
        if self.state == "wait":
            if self.settle.update(self.in_position, t) >= th["settle_s"]:
                self._begin_hold(t)
        elif self.state == "relax" and t - self.t_state >= th["relax_s"]:
            for code in c.cfg.rep.rest_cues:
                c.set_cue(code, False, t)
            self.state = "wait"
            self.settle.reset()
            if self.in_position:  # still in position: straight into the next hold
                self._begin_hold(t)
        if self.state == "hold":
            self._holding(t, v, vals)

    def _begin_hold(self, t: float) -> None:
        self.state, self.t_state = "hold", t
        self.attempt = _Attempt(t, self.c.th["hold_grace_s"], 0, [math.nan] * len(self.rules))
        for r in self.rules:
            r.dwell.reset()
            r.reset_spread()
        for code in self.c.cfg.rep.hold_cues:
            self.c.set_cue(code, True, t)

    def _holding(self, t: float, v: float, vals: list[float]) -> None:
        a, c = self.attempt, self.c
        assert a is not None
        a.last_t = t
        a.peak = max(a.peak, v)
        held = a.hold.update(self.in_position, t)
        c.hold_progress(None, held, t)
        for i, r in enumerate(self.rules):
            x = _SideTracker._rule_value(r, i, a, vals)
            if r.spec.phase == "peak":
                if x == x:
                    e = a.rule_ext[i]
                    a.rule_ext[i] = x if e != e else (min(e, x) if r.above else max(e, x))
                continue
            if r.spec.spread and x == x:
                r.lo, r.hi = min(r.lo, x), max(r.hi, x)
                x = r.hi - r.lo
            cond = (x > r.limit if r.above else x < r.limit) if x == x else False
            fired = r.dwell.update(cond, t) >= r.spec.min_s and cond
            c.set_cue(r.spec.code, fired, t)
            if fired and a.fault(r.spec.code):
                c.emit(Event(t, EventKind.FAULT, r.spec.code, c.cfg.text(r.spec.code)))
        # Done when held long enough, or cut short (out of position past the grace).
        if held >= c.th["hold_s"] - 1e-9 or not a.hold.holding:
            self._finish(t, finished=True)

    def _finish(self, t: float, finished: bool) -> None:
        a, c = self.attempt, self.c
        assert a is not None
        held = a.hold.longest
        a.in_target_s = held
        if held < c.th["hold_s"] - 1e-9:
            a.fault(c.cfg.rep.codes["hold_short"])
        for i, r in enumerate(self.rules):
            e = a.rule_ext[i]
            if r.spec.phase == "peak" and e == e and (e > r.limit if r.above else e < r.limit):
                a.fault(r.spec.code)
        if not finished:
            a.fault("unfinished")
        c.count(
            RepResult(
                index=c.reps + 1, side=None, start_s=a.start_s, end_s=t, unit=c.cfg.rep.unit,
                peak=self.sgn * a.peak, hold_s=held, in_target_s=held, max_speed_per_s=0.0,
                max_return_speed_per_s=0.0, faults=tuple(a.faults), finished=finished,
            ),
            t,
        )  # fmt: skip
        c.hold_progress(None, 0.0, t)
        for code in (*c.cfg.rep.hold_cues, *(r.spec.code for r in self.rules)):
            c.set_cue(code, False, t)
        self.attempt = None
        self.state, self.t_state = "relax", t
        for code in c.cfg.rep.rest_cues:
            c.set_cue(code, True, t)

    def _lost(self, t: float) -> None:
        """Out of sight for longer than max_gap_s: the hold in progress is dropped."""
        c = self.c
        if self.attempt is not None:
            c.emit(Event(t, EventKind.CUE_ON, "rep_lost", c.cfg.text("rep_lost")))
            c.hold_progress(None, 0.0, t)
        for code in (*c.cfg.rep.hold_cues, *c.cfg.rep.rest_cues, *(r.spec.code for r in self.rules)):
            c.set_cue(code, False, t)
        self.attempt = None
        self.state = "wait"
        self.settle.reset()
        self.in_position = False

    def close(self, t: float) -> None:
        """End of stream: a hold in progress is dropped. The checker started it, not the
        person: a recording that stops during a hold is not a short hold."""
        c = self.c
        if self.attempt is not None:
            c.hold_progress(None, 0.0, t)
        for code in (*c.cfg.rep.hold_cues, *c.cfg.rep.rest_cues, *(r.spec.code for r in self.rules)):
            c.set_cue(code, False, t)
        self.attempt = None


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
        self._switched = Dwell()
        self._view_issue = ""
        self._measurable_now = False
        self.view_now = ""  # "front" / "side" / "" this frame, for rules limited to one view
        self._guide_on = {code: Dwell() for code in (visibility.WRONG_VIEW, visibility.WRONG_POSITION)}
        self._guide_off = {code: Dwell() for code in (visibility.WRONG_VIEW, visibility.WRONG_POSITION)}
        cfg = self.cfg
        self._guide_text = {
            visibility.WRONG_VIEW: cfg.texts.get(visibility.WRONG_VIEW) or visibility.VIEW_TEXTS.get(cfg.view, ""),
            visibility.WRONG_POSITION: cfg.texts.get(visibility.WRONG_POSITION)
            or visibility.POSITION_TEXTS.get(cfg.position, ""),
        }
        rp = self.cfg.rep
        self.trackers: list[_SideTracker | _PacedTracker]
        if rp.mode == "paced":
            self.trackers = [_PacedTracker(self)]
        elif rp.side_by:  # one both-sides signal; each rep's side is decided at its end
            self.trackers = [_SideTracker(self, None)]
        else:
            self.trackers = [_SideTracker(self, s) for s in rp.sides or (None,)]

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
            if issue == visibility.SWITCHED:  # its own cue, below
                if "not_measurable" in self._cues:
                    self.set_cue("not_measurable", False, t)
                self._view_issue = ""
            elif self._unmeasurable.update(True, t) >= self.th["unmeasurable_cue_s"]:
                if issue != self._view_issue and "not_measurable" in self._cues:
                    self.set_cue("not_measurable", False, t)
                self._view_issue = issue
                self.set_cue("not_measurable", True, t, text=visibility.TEXTS[issue])
        # Someone else is being reported instead of the person measured: their frames are not
        # measured (formcheck.pose.identity); say so once it lasts.
        switched = self._switched.update(frame.view_issue == visibility.SWITCHED, t) >= self.th["unmeasurable_cue_s"]
        if switched != (visibility.SWITCHED in self._cues):
            self.set_cue(visibility.SWITCHED, switched, t, text=visibility.TEXTS[visibility.SWITCHED])
        crowded = self._crowded.update(frame.n_people > 1, t) >= self.th["unmeasurable_cue_s"]
        if crowded != (visibility.MORE_PEOPLE in self._cues):
            self.set_cue(visibility.MORE_PEOPLE, crowded, t, text=visibility.TEXTS[visibility.MORE_PEOPLE])
        self._guide(t, vals)
        for tr in self.trackers:
            tr.update(t, vals)
        return self._new

    def _guide(self, t: float, vals: list[float]) -> None:
        """Camera guidance: wrong view / wrong position, once sustained for guide_delay_s."""
        cfg = self.cfg
        self.view_now = visibility.view_of(vals[_I_YAW])
        if cfg.view != "any":
            wrong = self.view_now not in ("", cfg.view)
            self._guide_cue(visibility.WRONG_VIEW, wrong, self.view_now == cfg.view, t)
        if cfg.position != "any":
            fits = visibility.position_fits(cfg.position, visibility.position_of(vals[_I_LEAN], vals[_I_THIGHS]))
            self._guide_cue(visibility.WRONG_POSITION, fits is False, fits is True, t)

    def _guide_cue(self, code: str, wrong: bool, right: bool, t: float) -> None:
        # Don't nag: on only after guide_delay_s of a clear mismatch, off only after a while
        # clearly right; ambiguous frames (three-quarter view, half-way postures) keep it as is.
        shown = code in self._cues
        if self._guide_on[code].update(wrong, t) >= self.th["guide_delay_s"] and not shown:
            self.set_cue(code, True, t, text=self._guide_text[code])
            shown = True
        if self._guide_off[code].update(right, t) >= _GUIDE_CLEAR_S and shown:
            self.set_cue(code, False, t)

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
        measurable = "not_measurable" not in self._cues and visibility.SWITCHED not in self._cues
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
    def may_start(self, tracker: _SideTracker | _PacedTracker) -> bool:
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
