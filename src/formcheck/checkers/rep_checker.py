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

The optional shapes of :class:`~formcheck.exercises.config.RepSpec` are generic too: a signal going
*down* (the tracker works on the negated signal), thresholds *relative* to the rest level
(a sliding minimum over ``baseline_window_s``, frozen during a rep), gates on the position,
sides that must alternate, a both-sides signal whose rep side is decided by another
measure (``side_by``), and checker-paced timed holds (:class:`_PacedTracker`).

Camera guidance runs for every exercise: a sustained wrong view (side vs front, from the
body's yaw) or wrong position becomes a ``wrong_view`` / ``wrong_position`` cue after
``guide_delay_s``. It is advice only (``CheckerState.advice``, never above a form cue).

Posture (docs/exercises.md, "Posture and variants"): a rep starts only when the posture
(``visibility.position_of``) does not rule out the exercise's position; an exercise's
``[[variant]]`` configs run as trackers of their own, and a rep starts in the variant that
fits the posture best. A limb first seen on its way out may start a rep that counts only if
it reaches the target and returns; a camera cut closes the rep in progress; the hold is time
inside the target band; the rules of every tracker kind run in one engine (:mod:`.rules`).

Nothing here reads a clock, touches OpenCV or MediaPipe: same frames in, same events out.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from enum import StrEnum

from formcheck.checkers.blocks import REST_OUTLIER_S, Dwell, HoldTimer, Hysteresis, RestLevel, SlopeMeter
from formcheck.checkers.events import CheckerState, Event, EventKind, Phase, RepResult
from formcheck.checkers.rules import Faults, Outbox, RuleContext, RuleEngine, RuleMemory
from formcheck.exercises.config import ExerciseConfig, GateSpec, RepSpec
from formcheck.measures import visibility
from formcheck.measures.body import measure_index
from formcheck.measures.frame import MeasureFrame
from formcheck.pose.landmarks import other_side

_SPEED_OFF_RATIO = 0.8  # "slow down" clears when speed falls below 80 % of the limit
#: A rep still open at the end whose signal was last seen longer ago than this (s) is dropped:
#: the recording faded out or cut away during it (a half rep in a fade-out is no rep).
FADE_S = 0.5

# Display priority of cues (lower first); rule cues come after these.
_PRIORITY = {visibility.SWITCHED: -1, "not_measurable": 0, "slow_down": 1, "return_too_fast": 2, "above_target": 3}
# Camera guidance that does not stop the measurement: advice, shown apart and small; a form
# fault never hides behind it.
_ADVICE = (visibility.WRONG_POSITION, visibility.WRONG_VIEW)
_FIT_RANK = {True: 2, None: 1, False: 0}  # how well a posture fits an exercise's position
LIMB_HIDDEN = "limb_hidden"
_LIMB_HIDDEN_TEXT = "The moving arm or leg is not seen: keep it in view"
_GUIDE_CLEAR_S = 1.0  # a camera prompt clears after the view/position has been right this long
_I_YAW = measure_index("body_yaw_deg")
_I_LEAN = measure_index("trunk_lean_deg")
_I_THIGHS = measure_index("thighs_from_vertical_deg")
_I_RISE = measure_index("thighs_rise_deg")


@dataclass(slots=True)
class _Gate:
    idx: int
    lo: float
    hi: float
    measured: bool = False  # NaN (not measurable) blocks too

    def ok(self, vals: list[float]) -> bool:
        x = vals[self.idx]
        if x != x:
            return not self.measured
        return not (x < self.lo or x > self.hi)


def _resolve_gate(gspec: GateSpec, side: str | None, th: dict[str, float]) -> _Gate:
    name = gspec.measure.format(side=side, other=other_side(side) if side else None)
    lo = th[gspec.min] if gspec.min is not None else -math.inf
    hi = th[gspec.max] if gspec.max is not None else math.inf
    return _Gate(measure_index(name), lo, hi, gspec.measured)


@dataclass(frozen=True, slots=True)
class _Fallback:
    """``[rep] fallback``: scale × measure + offset, the measure of the tracker's side (or the
    mean of the sides seen, for a tracker of the body as a whole)."""

    idx: tuple[int, ...]
    scale: float
    offset: float

    @classmethod
    def of(cls, rp: RepSpec, side: str | None) -> _Fallback | None:
        if rp.fallback is None:
            return None
        if side is not None or "{side}" not in rp.fallback:
            names = [rp.fallback.format(side=side, other=other_side(side) if side else None)]
        else:
            names = [rp.fallback.format(side=s, other=None) for s in ("left", "right")]
        return cls(tuple(measure_index(n) for n in names), rp.fallback_scale, rp.fallback_offset)

    def value(self, vals: list[float]) -> float:
        seen = [vals[i] for i in self.idx if vals[i] == vals[i]]
        if not seen:
            return math.nan
        return self.scale * (sum(seen) / len(seen)) + self.offset


class PacedStage(StrEnum):
    """Where a checker-paced hold is: waiting for the position, holding, relaxing."""

    WAIT = "wait"
    HOLD = "hold"
    RELAX = "relax"


@dataclass(frozen=True, slots=True)
class _FrameContext:
    """What the checker tells each tracker about the frame besides its measures."""

    view: str  # "front" / "side" / "" (the body's view)
    may_start: bool  # no other side's attempt blocks a new one (one_side_at_a_time)
    posture_fits: bool = False  # the whole body is clearly in the exercise's position
    #: A variant whose position the body is not clearly in (lying while the variant sits):
    #: its rest level is not measured there, so getting into position is not a rep.
    posture_elsewhere: bool = False


#: The immutable frame and rule contexts, made once per combination of their fields (a few
#: dozen exist; the checker asks for one per tracker and frame).
_frame_context = functools.cache(_FrameContext)
_rule_context = functools.cache(RuleContext)


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
        "rules",
        "side_alone_n",
        "side_alone_sum",
        "side_n",
        "side_sum",
        "start_s",
        "unarmed",
    )  # fmt: skip

    def __init__(self, t: float, grace_s: float, n_extra: int, rules: RuleMemory) -> None:
        self.start_s = t
        self.peak = -math.inf
        self.in_target_s = 0.0
        self.max_speed = 0.0
        self.max_return_speed = 0.0
        self.faults = Faults()
        self.hold = HoldTimer(grace_s)
        self.extra = [-math.inf] * n_extra
        self.last_t = t
        self.reached_target = False
        self.rules = rules  # per rule: its reference at rest and its extreme so far
        self.side_sum = [0.0, 0.0]  # side_by: sum of the measure per side, frames with both measured
        self.side_n = [0, 0]  # [frames with both measured, unused]
        self.side_alone_sum = [0.0, 0.0]  # ... and over frames where it alone was measured
        self.side_alone_n = [0, 0]
        self.unarmed = False  # started without the limb seen at rest first (see _SideTracker._idle)


class _SideTracker:
    """Counts repetitions of one signal (one side of the body, or the body as a whole)."""

    def __init__(
        self, cfg: ExerciseConfig, th: dict[str, float], out: Outbox, side: str | None, segmented: bool = False
    ) -> None:
        u = cfg.rep.unit
        rp = cfg.rep
        self.cfg, self.th, self.out = cfg, th, out
        self.side = side
        self.idx = measure_index(rp.signal_for(side))
        self.fallback = _Fallback.of(rp, side)
        self.on_fallback = False  # this frame's value is the fallback's (the counted limb not seen)
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
        self.rules = RuleEngine(cfg.rules, side, th)
        self.gates = [_resolve_gate(gs, side, th) for gs in cfg.gates]
        self.gate_ok = True
        self.side_by = (
            [measure_index(rp.side_by.format(side=s, other=other_side(s))) for s in rp.sides] if rp.side_by else []
        )
        self.rest_level = RestLevel(th.get("baseline_window_s", 0.0), REST_OUTLIER_S)
        self.base = 0.0
        self.extra_idx = [
            (name.format(side=side, other=None), measure_index(name.format(side=side, other=None)))
            for name in cfg.extra_peaks
        ]
        self.slope = SlopeMeter(th["speed_window_s"])
        self.fast = Hysteresis(self.max_speed, self.max_speed * _SPEED_OFF_RATIO) if self.max_speed else None
        self.fast_return = Hysteresis(self.max_return, self.max_return * _SPEED_OFF_RATIO) if self.max_return else None
        self.enter, self.leave, self.over, self.under = Dwell(), Dwell(), Dwell(), Dwell()
        self.segmented = segmented
        self.armed = segmented  # segmented: the recording starts at the rep
        self.fresh = True  # not seen at rest since tracking began or the limb was lost
        self.settling = False  # a variant's posture just began: its rest is not confirmed yet
        self.settle = Dwell()
        self.attempt: _Attempt | None = None
        self.pending: _Attempt | None = None
        self.last_t: float | None = None
        self.value: float | None = None
        self.speed = 0.0

    # ---------------------------------------------------------------- per frame
    def signal(self, vals: list[float]) -> float:
        """This frame's signal: the counted measure, else its fallback (NaN: neither is seen)."""
        raw = vals[self.idx]
        if raw != raw and self.fallback is not None:
            return self.fallback.value(vals)
        return raw

    def update(self, t: float, vals: list[float], ctx: _FrameContext) -> None:
        raw = vals[self.idx]
        self.on_fallback = False
        if raw != raw and self.fallback is not None:
            raw = self.fallback.value(vals)
            self.on_fallback = raw == raw
        if raw != raw:  # NaN: not measurable, nothing advances
            return
        out = self.out
        if self.last_t is not None and t - self.last_t > self.th["max_gap_s"]:
            self._lost(t)
        self.last_t = t
        self.value = raw
        v = self.sgn * raw
        speed = self.slope.update(t, v)  # of the signal itself: a new rest level is no movement
        if self.relative:
            if self.attempt is None and ctx.posture_elsewhere:  # not this variant's rest: forget it
                self.rest_level.reset()
            elif self.attempt is None:  # the rest level is frozen during a rep
                self.base = self.rest_level.update(t, v)
            v -= self.base
        if self.gates:
            self.gate_ok = all(gt.ok(vals) for gt in self.gates)
        self.speed = speed
        if self.fast is not None:
            out.set_cue("slow_down", self.fast.update(abs(speed)), t, self.side)
        # The return leg: heading back to rest from short of the target, after reaching it.
        # Adjustments inside or beyond the target band are not the return.
        a = self.attempt
        returning = speed < 0 and a is not None and a.reached_target and v < self.hold_from
        if self.fast_return is not None:
            on = self.fast_return.update(-speed if returning else 0.0)
            out.set_cue("return_too_fast", on, t, self.side)

        if a is None:
            self._idle(t, v, vals, speed, ctx)
        else:
            self._active(t, v, vals, speed, returning, ctx)

    def _idle(self, t: float, v: float, vals: list[float], speed: float, ctx: _FrameContext) -> None:
        # Armed = seen at rest (below start) since the last rep: a limb already held out
        # when tracking begins is not an attempt. (A rep itself only ends at <= end, so
        # after a rep this is immediate; the hysteresis lives in the exit.) A variant's rest
        # is seen only in its own position: moving into it arms nothing.
        if ctx.posture_elsewhere and not self.segmented:
            self.armed = self.fresh = False
            self.settling = True
            self.settle.reset()
            self.enter.reset()
            self.pending = None
            return
        if self.settling:  # just got into position: at rest only once still there for min_phase_s
            if not self.settle.held(v < self.start, t, self.th["min_phase_s"]):
                return
            self.settling = False
        if v < self.start:
            self.armed = True
            self.fresh = False
            self.enter.reset()
            self.pending = None
            self.rules.at_rest(vals)
            return
        # A limb first seen on its way out (the recording starts mid-movement, or the limb was
        # hidden at rest, like the far leg on all fours) may start a rep while the posture is
        # clearly the exercise's; it counts only if it reaches the target and comes back (the
        # mirror of the unfinished rep at the end). One first seen at the target is held out.
        late = (
            not self.armed and self.fresh and ctx.posture_fits and self.pending is None
            and (self.lo is None or v < self.lo)
        )  # fmt: skip
        if not (self.armed or late or (self.pending is not None and self.pending.unarmed)):
            self.enter.reset()
            self.pending = None
            return
        if not self.gate_ok or not ctx.may_start:
            self.enter.reset()
            self.pending = None
            return
        if self.pending is None:
            self.pending = _Attempt(t, self.th["hold_grace_s"], len(self.extra_idx), self.rules.memory())
            self.pending.unarmed = not self.armed
        self._accumulate(self.pending, t, v, vals, speed, False, ctx)
        if self.enter.held(True, t, self.th["min_phase_s"]):
            self.attempt, self.pending = self.pending, None
            self.leave.reset()

    def _active(self, t: float, v: float, vals: list[float], speed: float, returning: bool, ctx: _FrameContext) -> None:
        a = self.attempt
        assert a is not None
        self._accumulate(a, t, v, vals, speed, returning, ctx)
        back = v <= self.end or not self.gate_ok  # leaving the position ends the rep too
        if self.relative:
            # ... or down from the peak by as much as it took to start one: the rest level
            # itself may have drifted (feet shifted, camera nudged) and must not hold a rep open.
            back = back or a.peak - v >= self.start
        if self.leave.held(back, t, self.th["min_phase_s"]):
            assert self.leave.since is not None
            self._finish(self.leave.since, finished=True)

    def _accumulate(
        self, a: _Attempt, t: float, v: float, vals: list[float], speed: float, returning: bool, ctx: _FrameContext
    ) -> None:
        out, th = self.out, self.th
        dt = t - a.last_t
        a.last_t = t
        deepest = v > a.peak  # this frame goes furthest so far ("deepest" rules read it)
        if deepest:
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
        # The hold is time in the prescribed band: held too deep (past target_max) does not count.
        hold_now = a.hold.update(v >= self.hold_from and in_hi and self.gate_ok, t)
        if a is self.attempt:
            out.hold_progress(self.side, hold_now, t)
            for code in self.cfg.rep.hold_cues:
                out.set_cue(code, a.hold.holding, t, self.side)
        if self.side_by:  # compare the sides on frames where both are measured
            xs = [vals[idx] for idx in self.side_by]
            if all(x == x for x in xs):
                for i, x in enumerate(xs):
                    a.side_sum[i] += x
                a.side_n[0] += 1
            else:
                for i, x in enumerate(xs):
                    if x == x:
                        a.side_alone_sum[i] += x
                        a.side_alone_n[i] += 1
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
            over = self.over.held(v > self.hi, t, th["overshoot_min_s"])
            out.set_cue("above_target", over, t, self.side)
            if over:
                self._fault(a, "above_target", t)
        if self.lo is not None:
            stuck = self.under.held(v < self.lo and not a.reached_target, t, th["cue_delay_s"])
            out.set_cue("below_target", stuck, t, self.side)
        ctx_r = _rule_context(a.hold.holding, returning, ctx.view)
        self.rules.observe(a.rules, a.faults, vals, t, ctx_r, out, deepest)

    def _fault(self, a: _Attempt, kind: str, t: float) -> None:
        code = self.cfg.rep.codes[kind]
        if a.faults.add(code) and a is self.attempt:
            self.out.fault(code, t, self.side)

    def _finish(self, end_s: float, finished: bool) -> None:
        a = self.attempt
        assert a is not None
        out, codes = self.out, self.cfg.rep.codes
        unseen = a.unarmed and not (finished and a.reached_target)  # its start was not seen: no evidence
        # A stretch must be held to be one: a reach through the position is a movement.
        unheld = a.hold.longest < self.th.get("min_hold_s", 0.0)
        if unseen or unheld:
            out.hold_progress(self.side, 0.0, end_s)
            self._clear(end_s)
            return
        if self.lo is not None and a.peak < self.lo:
            a.faults.add(codes["below_target"])
        hold_target = self.th.get("hold_s")
        if hold_target and a.hold.longest < hold_target - 1e-9:
            a.faults.add(codes["hold_short"])
        self.rules.conclude(a.rules, a.faults)
        side = self.side
        if self.side_by:
            side = self._side_of(a)
        if self.cfg.rep.alternate and out.results and side is not None and out.results[-1].side == side:
            a.faults.add("not_alternating")
        if not finished:
            a.faults.add("unfinished")
        out.count(
            RepResult(
                index=len(out.results) + 1,
                side=side,
                start_s=a.start_s,
                end_s=end_s,
                unit=self.cfg.rep.unit,
                peak=a.peak if self.relative else self.sgn * a.peak,
                hold_s=a.hold.longest,
                in_target_s=a.in_target_s,
                max_speed_per_s=a.max_speed,
                max_return_speed_per_s=a.max_return_speed,
                faults=tuple(a.faults.codes),
                variant=self.cfg.variant,
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
        average over the frames where both sides were measured (else over the frames where
        each was). With one side never seen, the ``side_fallback`` relative to the last rep;
        for a first rep, unknown (reported apart, so per-side counts still add up)."""
        rp, results = self.cfg.rep, self.out.results
        pick = min if rp.side_pick == "min" else max
        if a.side_n[0]:
            return pick(zip(a.side_sum, rp.sides, strict=True))[1]
        if all(a.side_alone_n):  # each side seen, never together: compare their means
            means = [x / n for x, n in zip(a.side_alone_sum, a.side_alone_n, strict=True)]
            return pick(zip(means, rp.sides, strict=True))[1]
        prev = results[-1].side if results else None
        if prev:  # sides take turns, or the same leg goes on (side_fallback)
            return prev if rp.side_fallback == "same" else other_side(prev)
        return None  # unknown: counted apart (reps_by_side["unknown"]), never guessed

    def _clear(self, t: float) -> None:
        self.attempt = self.pending = None
        self.armed = False
        self.rest_level.reset()  # the next rest level is measured after this rep
        for d in (self.enter, self.leave, self.over, self.under):
            d.reset()
        self.rules.reset()
        for code in ("above_target", "below_target", *self.rules.codes, *self.cfg.rep.hold_cues):
            self.out.set_cue(code, False, t, self.side)

    def _lost(self, t: float) -> None:
        """The person was out of sight for longer than max_gap_s: drop the attempt."""
        self.fresh = True
        self.slope.reset()
        self.rest_level.reset()
        if self.attempt is not None:
            self.out.emit(Event(t, EventKind.CUE_ON, "rep_lost", self.out.text("rep_lost"), self.side))
            self.out.hold_progress(self.side, 0.0, t)
        self._clear(t)

    def cut(self, t: float) -> None:
        """A camera cut: a rep never stays open across it (it would swallow the next shot's).
        One that reached its target counts, flagged unfinished; any other is dropped. The
        next shot may start mid-movement (see _idle)."""
        if self.attempt is not None and self.attempt.reached_target:
            self._finish(t, finished=False)
        elif self.attempt is not None:
            self.out.hold_progress(self.side, 0.0, t)
            self._clear(t)
        self.pending = None
        self.armed = False
        self.fresh = True
        self.slope.reset()
        self.rest_level.reset()

    def close(self, t: float) -> None:
        """End of stream: an attempt that reached its target counts, flagged unfinished —
        unless it was already back at rest (only the jitter guard's confirmation was cut off).
        In a segmented recording (one rep per recording) the stream's end is the rep's end."""
        if self.attempt is not None and self.segmented:
            self._finish(t, finished=True)
        elif self.attempt is not None and self.leave.since is not None:
            self._finish(self.leave.since, finished=True)
        elif self.attempt is not None and self.attempt.reached_target and self._faded(t):
            self.out.hold_progress(self.side, 0.0, t)
            self._clear(t)
        elif self.attempt is not None and self.attempt.reached_target:
            self._finish(t, finished=False)
        else:
            self._clear(t)

    def _faded(self, t_end: float) -> bool:
        """The signal was last seen over FADE_S before the stream's end: the recording faded
        or cut away mid-rep; what happened after is unknown, so the rep is not counted."""
        return self.last_t is not None and t_end - self.last_t > FADE_S


class _PacedTracker:
    """Timed holds paced by the checker itself (``mode = "paced"``), for holds whose effort
    cannot be seen (an abdominal brace): once the person is in position (the signal past
    ``start_<u>`` and every gate holding) for ``settle_s``, a hold starts ("tighten and
    hold — keep breathing": the ``hold_cues``); it counts after ``hold_s`` in position;
    then ``relax_s`` of rest (the ``rest_cues``) and the next hold. Leaving the position
    (below ``end_<u>``, or a gate failing) for longer than ``hold_grace_s`` cuts the hold
    short: it counts, with the ``hold_short`` fault. Rules watch the posture during holds.
    """

    def __init__(self, cfg: ExerciseConfig, th: dict[str, float], out: Outbox) -> None:
        u = cfg.rep.unit
        self.cfg, self.th, self.out = cfg, th, out
        self.side: str | None = None
        self.idx = measure_index(cfg.rep.signal)
        self.sgn = -1.0 if cfg.rep.direction == "down" else 1.0
        self.start, self.end = self.sgn * th[f"start_{u}"], self.sgn * th[f"end_{u}"]
        self.rules = RuleEngine(cfg.rules, None, th)
        self.gates = [_resolve_gate(gs, None, th) for gs in cfg.gates]
        self.stage = PacedStage.WAIT  # wait → hold → relax → hold ...
        self.t_stage = 0.0
        self.in_position = False
        self.settle = Dwell()
        self.attempt: _Attempt | None = None
        self.last_t: float | None = None
        self.value: float | None = None
        self.on_fallback = False  # paced holds have no fallback

    def signal(self, vals: list[float]) -> float:
        return vals[self.idx]

    def update(self, t: float, vals: list[float], ctx: _FrameContext) -> None:
        raw = vals[self.idx]
        if raw != raw:  # not measurable: the hold does not run (a gap is bridged by the grace)
            return
        th = self.th
        if self.last_t is not None and t - self.last_t > th["max_gap_s"]:
            self._lost(t)
        self.last_t = t
        self.value = raw
        v = self.sgn * raw
        gates_ok = all(gt.ok(vals) for gt in self.gates)
        # Hysteresis: in position past start, out only below end.
        self.in_position = gates_ok and v >= (self.end if self.in_position else self.start)
        if self.stage is PacedStage.WAIT:
            if self.settle.held(self.in_position, t, th["settle_s"]):
                self._begin_hold(t)
        elif self.stage is PacedStage.RELAX and t - self.t_stage >= th["relax_s"]:
            for code in self.cfg.rep.rest_cues:
                self.out.set_cue(code, False, t)
            self.stage = PacedStage.WAIT
            self.settle.reset()
            if self.in_position:  # still in position: straight into the next hold
                self._begin_hold(t)
        if self.stage is PacedStage.HOLD:
            self._holding(t, v, vals, ctx)

    def _begin_hold(self, t: float) -> None:
        self.stage, self.t_stage = PacedStage.HOLD, t
        # The checker starts the hold, not the person: no rest reference for relative rules.
        self.attempt = _Attempt(t, self.th["hold_grace_s"], 0, self.rules.memory(relative_to_rest=False))
        self.rules.reset()
        for code in self.cfg.rep.hold_cues:
            self.out.set_cue(code, True, t)

    def _holding(self, t: float, v: float, vals: list[float], ctx: _FrameContext) -> None:
        a, out = self.attempt, self.out
        assert a is not None
        a.last_t = t
        deepest = v > a.peak
        a.peak = max(a.peak, v)
        held = a.hold.update(self.in_position, t)
        out.hold_progress(None, held, t)
        self.rules.observe(a.rules, a.faults, vals, t, RuleContext(True, False, ctx.view), out, deepest)
        # Done when held long enough, or cut short (out of position past the grace).
        if held >= self.th["hold_s"] - 1e-9 or not a.hold.holding:
            self._finish(t, finished=True)

    def _finish(self, t: float, finished: bool) -> None:
        a, out = self.attempt, self.out
        assert a is not None
        held = a.hold.longest
        a.in_target_s = held
        if held < self.th["hold_s"] - 1e-9:
            a.faults.add(self.cfg.rep.codes["hold_short"])
        self.rules.conclude(a.rules, a.faults)
        if not finished:
            a.faults.add("unfinished")
        out.count(
            RepResult(
                index=len(out.results) + 1, side=None, start_s=a.start_s, end_s=t, unit=self.cfg.rep.unit,
                peak=self.sgn * a.peak, hold_s=held, in_target_s=held, max_speed_per_s=0.0,
                max_return_speed_per_s=0.0, faults=tuple(a.faults.codes), finished=finished,
                variant=self.cfg.variant,
            ),
            t,
        )  # fmt: skip
        out.hold_progress(None, 0.0, t)
        for code in (*self.cfg.rep.hold_cues, *self.rules.codes):
            out.set_cue(code, False, t)
        self.attempt = None
        self.stage, self.t_stage = PacedStage.RELAX, t
        for code in self.cfg.rep.rest_cues:
            out.set_cue(code, True, t)

    def _lost(self, t: float) -> None:
        """Out of sight for longer than max_gap_s: the hold in progress is dropped."""
        out = self.out
        if self.attempt is not None:
            out.emit(Event(t, EventKind.CUE_ON, "rep_lost", out.text("rep_lost")))
            out.hold_progress(None, 0.0, t)
        for code in (*self.cfg.rep.hold_cues, *self.cfg.rep.rest_cues, *self.rules.codes):
            out.set_cue(code, False, t)
        self.attempt = None
        self.stage = PacedStage.WAIT
        self.settle.reset()
        self.in_position = False

    def cut(self, t: float) -> None:
        """A camera cut: the hold in progress is dropped, as when the person is lost."""
        self._lost(t)

    def close(self, t: float) -> None:
        """End of stream: a hold in progress is dropped. The checker started it, not the
        person: a recording that stops during a hold is not a short hold."""
        out = self.out
        if self.attempt is not None:
            out.hold_progress(None, 0.0, t)
        for code in (*self.cfg.rep.hold_cues, *self.cfg.rep.rest_cues, *self.rules.codes):
            out.set_cue(code, False, t)
        self.attempt = None


class RepChecker:
    """Counts and checks repetitions of one exercise; feed it one MeasureFrame at a time.

    ``update`` returns the events of that frame; ``events`` keeps them all; ``reps`` the
    counted repetitions. Built from an ExerciseConfig, so the rules live in the exercise's
    TOML file, not here.
    """

    def __init__(self, cfg: ExerciseConfig, segmented: bool = False) -> None:
        self.cfg = cfg
        # Segmented: the recording is one repetition cut out of a longer one (motion-capture
        # data sets): it may start part-way into the movement (armed from the first frame)
        # and its end is the rep's end (a rep in progress then is complete, not "unfinished").
        self.segmented = segmented
        self.th: dict[str, float] = {k: t.value for k, t in cfg.thresholds.items()}
        self.extra_peaks = list(cfg.extra_peaks)
        self.reset()

    def reset(self) -> None:
        self.out = Outbox(self.cfg.text)
        self.events: list[Event] = self.out.events
        self.results: list[RepResult] = self.out.results
        self.frames = 0
        self.measurable_frames = 0
        self.t_first: float | None = None
        self.t_last: float | None = None
        self.stopped: tuple[float, str] | None = None
        self._unmeasurable = Dwell()
        self._crowded = Dwell()
        self._switched = Dwell()
        self._hidden_limb = Dwell()
        self._view_issue = ""
        self._measurable_now = False
        self.view_now = ""  # "front" / "side" / "" this frame, for rules limited to one view
        self.position_now = ""  # the posture class of this frame (visibility.position_of)
        self._guide_on = {code: Dwell() for code in (visibility.WRONG_VIEW, visibility.WRONG_POSITION)}
        self._guide_off = {code: Dwell() for code in (visibility.WRONG_VIEW, visibility.WRONG_POSITION)}
        cfg = self.cfg
        self._guide_text = {
            visibility.WRONG_VIEW: cfg.texts.get(visibility.WRONG_VIEW) or visibility.VIEW_TEXTS.get(cfg.view, ""),
            visibility.WRONG_POSITION: cfg.texts.get(visibility.WRONG_POSITION)
            or visibility.POSITION_TEXTS.get(cfg.position, ""),
        }
        self.trackers: list[_SideTracker | _PacedTracker] = []
        for vcfg in (cfg, *cfg.variants):  # a variant counts with the base exercise's thresholds of timing
            th = self.th if vcfg is cfg else {k: t.value for k, t in vcfg.thresholds.items()}
            self.trackers += self._trackers_of(vcfg, th)
        # Per posture class (visibility.position_of's few values), worked out once rather than per
        # frame: each tracker's fit rank and the best, and the position guidance (wrong, right).
        self._fit_ranks: dict[str, tuple[list[int], int]] = {}
        self._position_guide: dict[str, tuple[bool, bool]] = {}
        for observed in visibility.POSITION_CLASSES:
            ranks = [_FIT_RANK[visibility.position_fits(tr.cfg.position, observed)] for tr in self.trackers]
            self._fit_ranks[observed] = (ranks, max(ranks))
            fits = [visibility.position_fits(c.position, observed) for c in (cfg, *cfg.variants)]
            self._position_guide[observed] = (all(f is False for f in fits), any(fits))

    def _trackers_of(self, cfg: ExerciseConfig, th: dict[str, float]) -> list[_SideTracker | _PacedTracker]:
        rp = cfg.rep
        if rp.mode == "paced":
            return [_PacedTracker(cfg, th, self.out)]
        if rp.side_by:  # one both-sides signal; each rep's side is decided at its end
            return [_SideTracker(cfg, th, self.out, None, self.segmented)]
        return [_SideTracker(cfg, th, self.out, s, self.segmented) for s in rp.sides or (None,)]

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
            key = r.side or "unknown"  # a rep whose side could not be told still adds up
            out[key] = out.get(key, 0) + 1
        return out

    def update(self, frame: MeasureFrame) -> list[Event]:
        self.out.new = []
        if self.stopped is not None:
            return self.out.new
        t = frame.t_s
        if self.t_first is None:
            self.t_first = t
        self.t_last = t
        self.frames += 1
        vals = frame.values.tolist()
        measurable = False
        for tr in self.trackers:
            x = tr.signal(vals)
            if x == x:
                measurable = True
                break
        self._measurable_now = measurable
        if measurable:
            self.measurable_frames += 1
            self._unmeasurable.reset()
            if "not_measurable" in self.out.cues:
                self.set_cue("not_measurable", False, t)
        else:
            issue = frame.view_issue or visibility.HIDDEN
            if issue == visibility.SWITCHED:  # its own cue, below
                if "not_measurable" in self.out.cues:
                    self.set_cue("not_measurable", False, t)
                self._view_issue = ""
            elif self._unmeasurable.held(True, t, self.th["unmeasurable_cue_s"]):
                if issue != self._view_issue and "not_measurable" in self.out.cues:
                    self.set_cue("not_measurable", False, t)
                self._view_issue = issue
                self.set_cue("not_measurable", True, t, text=visibility.TEXTS[issue])
        # Someone else is being reported instead of the person measured: their frames are not
        # measured (formcheck.pose.identity); say so once it lasts.
        switched = self._switched.held(frame.view_issue == visibility.SWITCHED, t, self.th["unmeasurable_cue_s"])
        if switched != (visibility.SWITCHED in self.out.cues):
            self.set_cue(visibility.SWITCHED, switched, t, text=visibility.TEXTS[visibility.SWITCHED])
        crowded = self._crowded.held(frame.n_people > 1, t, self.th["unmeasurable_cue_s"])
        if crowded != (visibility.MORE_PEOPLE in self.out.cues):
            self.set_cue(visibility.MORE_PEOPLE, crowded, t, text=visibility.TEXTS[visibility.MORE_PEOPLE])
        self._guide(t, vals)
        if frame.view_issue == visibility.SWITCHED:  # a camera cut (or another person): a new shot
            for tr in self.trackers:
                tr.cut(t)
        self._step_trackers(t, vals)
        return self.out.new

    def _step_trackers(self, t: float, vals: list[float]) -> None:
        """Each tracker's frame. A rep starts only in its exercise's position (as far as the
        pose tells: ambiguous postures do not block) and, with variants, in the variant that
        fits the posture best; one variant's rep at a time."""
        fit, best = self._fit_ranks[self.position_now]
        for tr, rank in zip(self.trackers, fit, strict=True):
            blocked = rank == 0 or rank < best
            for o in self.trackers:
                if o is tr or o.attempt is None:
                    continue
                if o.cfg is not tr.cfg or tr.cfg.rep.one_side_at_a_time:
                    blocked = True
                    break
            elsewhere = bool(tr.cfg.variant) and rank < 2
            tr.update(t, vals, _frame_context(self.view_now, not blocked, rank == 2, elsewhere))
        self._limb_hidden(t, vals)

    def _limb_hidden(self, t: float, vals: list[float]) -> None:
        """Tell the person when the limb a rep follows is not seen while the rest of them is
        (the far leg on all fours, a leg cropped by the frame): the rep waits for it."""
        # ... or counted from other evidence (the rep's fallback: the thigh when the feet are out
        # of the picture, the opposite arm for a hidden leg).
        hidden = (
            any(tr.on_fallback or (tr.attempt is not None and vals[tr.idx] != vals[tr.idx]) for tr in self.trackers)
            and self._measurable_now
        )  # some other signal is seen: not the whole body lost
        on = self._hidden_limb.held(hidden, t, self.th["unmeasurable_cue_s"])
        if on != (LIMB_HIDDEN in self.out.cues):
            self.set_cue(LIMB_HIDDEN, on, t, text=self.cfg.texts.get(LIMB_HIDDEN) or _LIMB_HIDDEN_TEXT)

    def _guide(self, t: float, vals: list[float]) -> None:
        """Camera guidance: wrong view / wrong position, once sustained for guide_delay_s."""
        cfg = self.cfg
        self.view_now = visibility.view_of(vals[_I_YAW])
        if cfg.view != "any":
            wrong = self.view_now not in ("", cfg.view)
            self._guide_cue(visibility.WRONG_VIEW, wrong, self.view_now == cfg.view, t)
        self.position_now = visibility.position_of(vals[_I_LEAN], vals[_I_THIGHS], vals[_I_RISE])
        if cfg.position != "any":
            wrong, right = self._position_guide[self.position_now]
            self._guide_cue(visibility.WRONG_POSITION, wrong, right, t)

    def _guide_cue(self, code: str, wrong: bool, right: bool, t: float) -> None:
        # Don't nag: on only after guide_delay_s of a clear mismatch, off only after a while
        # clearly right; ambiguous frames (three-quarter view, half-way postures) keep it as is.
        shown = code in self.out.cues
        if self._guide_on[code].held(wrong, t, self.th["guide_delay_s"]) and not shown:
            self.set_cue(code, True, t, text=self._guide_text[code])
            shown = True
        if self._guide_off[code].held(right, t, _GUIDE_CLEAR_S) and shown:
            self.set_cue(code, False, t)

    def finish(self) -> list[Event]:
        """End of the recording or session: close a rep in progress, clear cues."""
        self.out.new = []
        t = self.t_last if self.t_last is not None else 0.0
        if self.stopped is None:
            for tr in self.trackers:
                tr.close(t)
        for code in list(self.out.cues):
            self.set_cue(code, False, t)
        return self.out.new

    def stop(self, t_s: float, reason: str = "pain_stop") -> list[Event]:
        """End the set now (the person pressed "it hurts"); the stop is recorded."""
        self.out.new = []
        if self.stopped is None:
            for tr in self.trackers:
                tr.close(t_s)
            self.stopped = (t_s, reason)
            self.out.emit(Event(t_s, EventKind.STOP, reason, self.cfg.text(reason)))
        return self.out.new

    def state(self) -> CheckerState:
        active = next((tr for tr in self.trackers if tr.attempt is not None), None)
        shown = active or max(self.trackers, key=lambda tr: tr.value if tr.value is not None else -math.inf)
        measurable = "not_measurable" not in self.out.cues and visibility.SWITCHED not in self.out.cues
        if self.stopped:
            phase = Phase.STOPPED
        elif not measurable:
            phase = Phase.UNMEASURABLE
        elif active is None:
            phase = Phase.REST
        else:
            phase = Phase.HOLD if active.attempt and active.attempt.hold.holding else Phase.ACTIVE
        cues = sorted(
            ((code, text) for code, (text, _side) in self.out.cues.items() if code not in _ADVICE),
            key=lambda ct: _PRIORITY.get(ct[0], 10),
        )
        advice = tuple((code, text) for code, (text, _side) in self.out.cues.items() if code in _ADVICE)
        return CheckerState(
            t_s=self.t_last or 0.0,
            reps=self.reps,
            reps_by_side=self.reps_by_side,
            target_reps=self.cfg.target_reps,
            phase=phase,
            side=shown.side,
            signal=shown.value if self._measurable_now else None,
            unit=self.cfg.rep.unit,
            hold_s=self.out.hold[1] if active is not None else 0.0,
            hold_target_s=self.th.get("hold_s"),
            cues=tuple(cues),
            measurable=measurable,
            last_rep=self.results[-1] if self.results else None,
            advice=advice,
            rep_faults=tuple(active.attempt.faults.codes) if active is not None and active.attempt else (),
        )

    def set_cue(self, code: str, on: bool, t: float, side: str | None = None, text: str | None = None) -> None:
        self.out.set_cue(code, on, t, side, text)
