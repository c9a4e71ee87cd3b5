"""Adaptive inference rate for offline scoring: infer the frames that matter.

Rehabilitation exercises are slow (holds of 5-20 s, reps of 2-6 s), and between two
frames of a still or steadily moving body the landmarks of the frames in between are a
straight line. So ``score`` runs pose inference at the full frame rate only around what
the checker cares about, and at a reduced rate (at most ``max_gap_s`` apart) elsewhere;
the frames in between are interpolated linearly (landmarks, visibility, presence) and keep
their real timestamps, so the chain after pose estimation (smoothing, measures, checker)
sees the same frames, with the same times, as with every frame inferred.

**Forward only.** MediaPipe's VIDEO mode needs strictly increasing timestamps and carries
tracking state from frame to frame, so a frame skipped cannot be inferred once a later
one was (bisecting back would need a second landmarker, whose landmarks differ from the
first's by ~1e-2 and would make the trace jitter between the two). The rate is therefore
decided *before* each frame, from what the frames already inferred say
(:class:`RateController`):

- full rate while the tracked person appears, disappears, or a watched measure becomes
  (un)measurable, after a cut or identity jump (:mod:`formcheck.pose.continuity`, which
  still sees every decoded frame), and for ``hot_s`` after any *event*: a watched measure
  that changed by more than ``change_deg`` between two inferred frames, or crossed one of
  the exercise's thresholds (a rep boundary, a target, a rule's limit);
- full rate within ``margin_deg`` of a threshold;
- otherwise the next inferred frame is at most as far ahead as the measures' speed (minus
  the landmarks' jitter) allows without a change of ``change_deg / 2`` or reaching within
  half the distance to a threshold, and never more than ``max_gap_s``.

The frame just before a cut and the last frame before a landmarker restart (and of the
stream) are always inferred, so interpolation never spans a cut or a restart, and a
chunk scored on its own gives the frames of one pass: the trace still does not depend
on ``--jobs``. The measures are per unit of the measure (``deg``; ``cm``, ``ratio`` and
``pct`` are scaled, :data:`UNIT_SCALE`).

The trace records which frames were inferred (:func:`inferred_mask`) and the policy
(``meta.extra["rate"]``, also part of the trace-cache key).
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from formcheck.checkers.blocks import REST_OUTLIER_S, RestLevel
from formcheck.exercises.config import ExerciseConfig
from formcheck.measures.body import MEASURE_NAMES, MIN_VISIBILITY, compute_measures, landmark_usable, measure_index
from formcheck.pose.frame import PoseFrame, PoseTrace, TraceMeta
from formcheck.pose.landmarks import SIDES

#: Policy id of every-frame inference (the trace-cache key part and ``meta.extra["rate"]``).
EVERY_FRAME = "every"

#: One degree corresponds to this much of a measure in another unit (for the tolerances).
UNIT_SCALE = {"deg": 1.0, "cm": 0.2, "ratio": 0.03, "pct": 1.0}


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """How far apart inferred frames may be (see the module docstring). Degrees stand for
    the measure's unit scaled by :data:`UNIT_SCALE`."""

    max_gap_s: float = 0.2
    change_deg: float = 8.0
    noise_deg: float = 1.5
    margin_deg: float = 2.0
    hot_s: float = 0.1
    #: Largest bend of a measure that linear interpolation may cut (at a peak).
    curve_deg: float = 0.5
    #: A measure moving faster than this that slows to under half of it, or reverses, is
    #: at a turning point (a peak, the start of a hold): full rate there.
    turn_speed_deg_s: float = 30.0
    #: Speeds are measured against the inferred frame at least this long before (the
    #: landmarks' frame-to-frame jitter would read as speed over a single frame).
    speed_base_s: float = 0.1
    #: Full rate while a measure moves faster than this (beyond the jitter): MediaPipe's own
    #: landmark filter and crop then see the every-frame history up to each turn (inf: off).
    fast_deg_s: float = math.inf
    #: Full rate from this long before a turn predicted from a measure's deceleration (0: off).
    lead_s: float = 0.0
    #: Place the thresholds of rest-relative signals and rules from a rest level measured
    #: over the inferred frames (:class:`RestWatch`). Off: in the replay of the 28 clips'
    #: traces it lost a rep end of one clip and changed a fault of another (docs/performance.md).
    rest_levels: bool = False

    def key(self) -> str:
        return (
            f"ar1:g{self.max_gap_s:g}:c{self.change_deg:g}:n{self.noise_deg:g}:m{self.margin_deg:g}:h{self.hot_s:g}"
            f":b{self.speed_base_s:g}:k{self.curve_deg:g}:r{self.turn_speed_deg_s:g}:f{self.fast_deg_s:g}"
            f":l{self.lead_s:g}{':rest' if self.rest_levels else ''}"
        )


@dataclass(frozen=True, slots=True)
class RestWatch:
    """A rep signal the checker reads against its rest (one side of one config or variant),
    for what the rate cannot place from the exercise's thresholds alone: a ``relative``
    signal's thresholds are distances from its rest level, and ``relative`` rules compare
    their measure with its value at rest. Values are in the rep's direction
    (``sign`` × the measure, as the checker's ``_SideTracker``)."""

    col: int  # the signal's column in Watch.measures
    sign: float  # +1: the rep goes up; -1: down
    relative: bool  # thresholds are distances from the rest level (RestLevel over window_s)
    window_s: float
    start: float  # past this (relative: from the rest level) a rep is under way
    end: float  # back to this (for min_phase_s), it is over
    min_phase_s: float
    targets: tuple[float, ...]  # relative signal: the target band's distances from the rest level
    rules: tuple[tuple[int, float, bool], ...]  # relative rules: (column, limit, abs)


@dataclass(frozen=True, slots=True)
class Watch:
    """What the rate follows: the measures the exercise's checker reads (every side, every
    variant) and the thresholds it compares them with, as (column in ``measures``, level);
    ``rests``: the signals whose thresholds sit at a distance from a rest level."""

    measures: tuple[str, ...]
    levels: tuple[tuple[int, float], ...]
    rests: tuple[RestWatch, ...] = ()

    @classmethod
    def of(cls, cfg: ExerciseConfig) -> Watch:
        measures: list[str] = []
        levels: set[tuple[int, float]] = set()
        rests: list[RestWatch] = []
        for c in (cfg, *cfg.variants):
            _watch_config(c, measures, levels, rests)
        return cls(tuple(measures), tuple(sorted(levels)), tuple(rests))

    def digest(self) -> str:
        return hashlib.sha256(repr((self.measures, self.levels, self.rests)).encode()).hexdigest()[:12]


def _column(measures: list[str], name: str) -> int:
    if name not in measures:
        measures.append(name)
    return measures.index(name)


def _watch_config(
    cfg: ExerciseConfig, measures: list[str], levels: set[tuple[int, float]], rests: list[RestWatch]
) -> None:
    """Add one config's (or variant's) measures, fixed levels and rest-relative signals."""
    rp = cfg.rep
    th = {k: t.value for k, t in cfg.thresholds.items()}
    pairs: list[tuple[str, str | None, bool]] = []  # (measure template, threshold name, mirrored)
    for key in ("start", "end", "target_min", "target_max"):
        if not rp.relative:
            pairs.append((rp.signal, f"{key}_{rp.unit}", False))
    pairs.append((rp.signal, None, False))
    for r in cfg.rules:
        if r.relative or r.spread:
            pairs.append((r.measure, None, False))
            continue
        for name in (r.above, r.below):
            pairs.append((r.measure, name, r.abs))
    for g in cfg.gates:
        for name in (g.min, g.max):
            pairs.append((g.measure, name, False))
    for tpl in (*cfg.extra_peaks, *([rp.side_by] if rp.side_by else [])):
        pairs.append((tpl, None, False))
    for tpl, name, mirrored in pairs:
        for side in (*SIDES, None):
            m = tpl.format(side=side, other=_other(side)) if side else tpl
            if "{" in m or m not in MEASURE_NAMES:
                continue
            col = _column(measures, m)
            if name is not None and th.get(name) is not None:
                levels.add((col, float(th[name])))
                if mirrored:
                    levels.add((col, -float(th[name])))
    rel_rules = [r for r in cfg.rules if r.relative and not r.spread]
    if (not rp.relative and not rel_rules) or rp.mode != "rep":
        return
    sign = -1.0 if rp.direction == "down" else 1.0
    k = 1.0 if rp.relative else sign  # as the checker: relative thresholds are distances already
    u = rp.unit
    for side in rp.sides or (None,):
        sig = rp.signal_for(side)
        if sig not in MEASURE_NAMES:
            continue
        rules: list[tuple[int, float, bool]] = []
        for r in rel_rules:
            m = r.measure.format(side=side, other=_other(side)) if side else r.measure
            lim = th.get(r.above if r.above is not None else r.below or "")
            if "{" not in m and m in MEASURE_NAMES and lim is not None:
                rules.append((_column(measures, m), float(lim), r.abs))
        targets = tuple(
            float(th[f"{key}_{u}"]) for key in ("target_min", "target_max")
            if rp.relative and th.get(f"{key}_{u}") is not None
        )  # fmt: skip
        rests.append(RestWatch(
            _column(measures, sig), sign, rp.relative, float(th.get("baseline_window_s", 0.0)),
            k * float(th[f"start_{u}"]), k * float(th[f"end_{u}"]), float(th.get("min_phase_s", 0.0)),
            targets, tuple(rules),
        ))  # fmt: skip


def _other(side: str | None) -> str | None:
    return None if side is None else ("right" if side == "left" else "left")


def policy_key(policy: RatePolicy | None, watch: Watch | None) -> str:
    """The rate part of the trace-cache key: every frame, or the policy and what it watched."""
    if policy is None or watch is None:
        return EVERY_FRAME
    return f"{policy.key()}/{watch.digest()}"


class RateController:
    """Decides, forward only, which decoded frames to infer (see the module docstring).

    Per decoded frame: :meth:`due` says whether it should be inferred; after an inference,
    :meth:`inferred` updates the schedule from the pose. :meth:`reset` at a landmarker
    restart (the decisions after it then depend only on the frames after it).
    """

    def __init__(
        self, policy: RatePolicy, watch: Watch, aspect: float, fps: float, min_visibility: float = MIN_VISIBILITY
    ) -> None:
        self.policy, self.watch, self.aspect, self.min_visibility = policy, watch, aspect, min_visibility
        #: Two inferred frames further apart than this had frames skipped between them.
        self._skip_dt = 1.5 / fps if fps > 0 else 0.05
        self._frame_dt = 1.0 / fps if fps > 0 else 1 / 30
        self._cols = np.array([measure_index(m) for m in watch.measures], dtype=np.intp)
        self._scale = np.array([UNIT_SCALE.get(m.rsplit("_", 1)[-1], 1.0) for m in watch.measures])
        self._only = frozenset(watch.measures)
        self._level_col = np.array([c for c, _ in watch.levels], dtype=np.intp)
        self._level = np.array([v for _, v in watch.levels]) / self._scale[self._level_col]  # in scaled units
        self._rests = [_Rest(r, self._scale) for r in watch.rests] if policy.rest_levels else []
        #: Why the frames after each inferred one were scheduled as they were (for studies).
        self.why: dict[str, int] = {}
        self.reset()

    def reset(self) -> None:
        self._last: tuple[float, np.ndarray, bool] | None = None
        self._recent: deque[tuple[float, np.ndarray]] = deque()  # inferred frames of the last speed_base_s
        self._next_t = -math.inf
        self._hot_until = -math.inf
        for r in self._rests:
            r.reset()

    def due(self, t_s: float) -> bool:
        """Whether the frame at ``t_s`` is to be inferred."""
        return t_s >= self._next_t

    def values(self, pose: PoseFrame) -> np.ndarray:
        """The watched measures of one raw pose, in degrees (scaled units); NaN where not measurable."""
        img, world = pose.image_xy[None], pose.world_xyz[None]
        usable = landmark_usable(img, pose.visibility[None], pose.presence[None], self.min_visibility)
        img = np.where(usable[..., None], img, np.nan)
        world = np.where(usable[..., None], world, np.nan)
        out = compute_measures(img, world, usable, self.aspect, self._only)[0, self._cols]
        return out / self._scale

    def inferred(self, pose: PoseFrame) -> None:
        """Schedule the next inference after the frame of ``pose`` (just inferred)."""
        p = self.policy
        t = pose.t_s
        person = pose.has_person
        vals = self.values(pose) if person else np.full(len(self._cols), np.nan)
        last, self._last = self._last, (t, vals, person)
        if last is None or pose.identity_jump or person != last[2]:
            self._note("start/jump/person")
            self._hot_until = t + p.hot_s
            self._next_t = t if person or last is None else t + p.hot_s
            return
        if not person:  # nobody in view: look again within max_gap_s
            self._note("nobody")
            self._next_t = t + p.max_gap_s
            return
        for r in self._rests:
            r.update(t, vals)
        level_col, level = self._levels()
        t0, v0, _ = last
        base = p.speed_base_s
        recent = self._recent
        recent.append((t, vals))
        while len(recent) > 2 and recent[1][0] <= t - 3 * base:
            recent.popleft()
        b = _latest_before(recent, t - base)
        c = _latest_before(recent, recent[b][0] - base) if b is not None else None
        with np.errstate(invalid="ignore"):
            change = np.abs(vals - v0)
            event = bool((np.isnan(vals) != np.isnan(v0)).any())
            if t - t0 > self._skip_dt:  # frames were skipped: did they hide a change?
                event = event or bool(np.nanmax(change, initial=0.0) > p.change_deg)
            if level.size:
                lo, hi = np.fmin(v0, vals)[level_col], np.fmax(v0, vals)[level_col]
                event = event or bool(((lo <= level) & (level <= hi)).any())
        if event:
            self._note("event")
            self._hot_until = t + p.hot_s
        if t < self._hot_until:
            self._note("hot")
            self._next_t = t
            return
        if b is None:  # too soon after a start to know the speed
            self._note("no speed yet")
            self._next_t = t
            return
        tb, vb = recent[b]
        with np.errstate(invalid="ignore"):
            # Speed and its change over speed_base_s, less what the jitter could account for.
            speed_each = np.fmax(np.abs(vals - vb) - p.noise_deg, 0.0) / (t - tb)
            accel = 0.0
            lead = math.inf
            if c is not None:
                tc, vc = recent[c]
                dv = np.abs((vals - vb) / (t - tb) - (vb - vc) / (tb - tc))
                dv = np.fmax(dv - p.noise_deg * (1 / (t - tb) + 1 / (tb - tc)), 0.0)
                accel = float(np.nanmax(dv, initial=0.0)) / (0.5 * (t - tc))
                # Turning: a measure that was moving has slowed to under half its speed, or
                # reversed (a peak, or the start of a hold): its extreme is now.
                before = (vb - vc) / (tb - tc)
                now = (vals - vb) / (t - tb)
                floor = p.turn_speed_deg_s
                turning = (np.abs(before) > floor) & (now * np.sign(before) < 0.5 * np.abs(before))
                if bool(np.any(turning)):
                    self._note("turning")
                    self._hot_until = t + p.hot_s
                    self._next_t = t
                    return
                if p.lead_s > 0:  # slowing down: the turn comes when the speed reaches zero
                    acc = (now - before) / (0.5 * (t - tc))
                    slowing = (np.abs(now) > floor) & (acc * np.sign(now) < 0)
                    if bool(np.any(slowing)):
                        lead = float(np.min(np.abs(now[slowing]) / np.abs(acc[slowing]))) - p.lead_s
        speed = float(np.nanmax(speed_each, initial=0.0))
        gap = p.max_gap_s
        why = ""
        if speed > p.fast_deg_s:
            gap, why = 0.0, "fast"
        if lead < gap:
            gap, why = max(lead, 0.0), "turn ahead"
        if speed > 0 and p.change_deg / speed < gap:
            gap, why = p.change_deg / speed, "speed"
        if accel > 0 and math.sqrt(8.0 * p.curve_deg / accel) < gap:
            # linear interpolation over a gap g misses a bend by accel * g**2 / 8 at most
            gap, why = math.sqrt(8.0 * p.curve_deg / accel), "bend"
        if level.size:
            with np.errstate(invalid="ignore"):
                dist = np.abs(vals[level_col] - level) - p.margin_deg
                # towards a level, its measure's speed with the jitter in (erring early)
                toward = np.abs(vals - vb)[level_col] / (t - tb)
            ok = np.isfinite(dist) & np.isfinite(toward)
            dist, toward = dist[ok], toward[ok]
            if dist.size and float(dist.min()) <= 0:
                gap, why = 0.0, "near level"
            elif dist.size:
                # the time to reach each at its speed, gathering speed at accel
                # (less a frame: the frame before a crossing is the one to have)
                with np.errstate(divide="ignore"):
                    reach = 2.0 * dist / (toward + np.sqrt(toward * toward + 2.0 * accel * dist))
                if float(reach.min()) - self._frame_dt < gap:
                    gap, why = max(float(reach.min()) - self._frame_dt, 0.0), "level ahead"
        self._note(why)
        self._next_t = t + gap

    def _levels(self) -> tuple[np.ndarray, np.ndarray]:
        """(columns, levels in scaled units): the fixed thresholds and those placed from the
        rest levels seen so far."""
        extra = [lv for r in self._rests for lv in r.levels()]
        if not extra:
            return self._level_col, self._level
        cols = np.concatenate([self._level_col, np.array([c for c, _ in extra], dtype=np.intp)])
        return cols, np.concatenate([self._level, np.array([v for _, v in extra])])

    def _note(self, why: str) -> None:
        if why:
            self.why[why] = self.why.get(why, 0) + 1


class _Rest:
    """A :class:`RestWatch` followed over the inferred frames as the checker follows it: the
    rest level (the checker's :class:`RestLevel` of the signal in the rep's direction, frozen
    while a rep is under way, measured afresh after one), whether a rep is under way (past
    ``start``; over once back, at ``end`` or down from the peak by ``start``, for
    ``min_phase_s``), and the relative rules' measures at rest. At rest only ``start``
    matters to the checker; during a rep, ``end``, the target band and the relative rules.
    Values in the controller's scaled units."""

    def __init__(self, spec: RestWatch, scale: np.ndarray) -> None:
        self.spec = spec
        s = float(scale[spec.col])
        self.start, self.end = spec.start / s, spec.end / s
        self.targets = tuple(o / s for o in spec.targets)
        self.rules = tuple((c, lim / float(scale[c]), ab) for c, lim, ab in spec.rules)
        self.level = RestLevel(spec.window_s, REST_OUTLIER_S)
        self.reset()

    def reset(self) -> None:
        self.level.reset()
        self.base = math.nan if self.spec.relative else 0.0
        self.active = False
        self.back_since: float | None = None
        self.peak = -math.inf
        self.ref = [math.nan] * len(self.rules)

    def update(self, t: float, vals: np.ndarray) -> None:
        sp = self.spec
        x = float(vals[sp.col])
        if x != x:  # not measurable: nothing advances (as in the checker)
            return
        v = sp.sign * x
        if self.active:
            rel = v - self.base
            self.peak = max(self.peak, rel)
            if rel > self.end and not (sp.relative and self.peak - rel >= self.start):
                self.back_since = None
                return
            if self.back_since is None:
                self.back_since = t
            if t - self.back_since < sp.min_phase_s:
                return
            self.active, self.back_since = False, None  # the checker measures the rest afresh
            self.level.reset()
        if sp.relative:
            self.base = self.level.update(t, v)
        rel = v - self.base
        if rel >= self.start:
            self.active, self.peak = True, rel
            return
        for k, (c, _lim, _ab) in enumerate(self.rules):
            if vals[c] == vals[c]:
                self.ref[k] = float(vals[c])

    def levels(self) -> list[tuple[int, float]]:
        """The thresholds the checker compares this signal and its relative rules with now."""
        sp = self.spec
        if self.base != self.base:
            return []
        col, sign, base = sp.col, sp.sign, self.base
        if not self.active:
            return [(col, sign * (base + self.start))] if sp.relative else []
        # relative: back at end, or down from the peak by start (the rest level may have drifted)
        back = (self.end, *self.targets, self.peak - self.start)
        out = [(col, sign * (base + d)) for d in back] if sp.relative else []
        for (c, lim, ab), ref in zip(self.rules, self.ref, strict=True):
            if ref == ref:
                out.append((c, ref + lim))
                if ab:
                    out.append((c, ref - lim))
        return out


def _latest_before(recent: deque[tuple[float, np.ndarray]], t_s: float) -> int | None:
    """Index of the latest entry of ``recent`` at or before ``t_s`` (None if none)."""
    for k in range(len(recent) - 1, -1, -1):
        if recent[k][0] <= t_s:
            return k
    return None


def schedule(
    t_s: np.ndarray,
    pose_at: Callable[[int], PoseFrame],
    controller: RateController,
    cuts: np.ndarray | None = None,
    restarts: np.ndarray | None = None,
) -> np.ndarray:
    """The frames the controller infers over a stream of ``len(t_s)`` frames, as a bool mask:
    what :func:`formcheck.programs.scoring.run_inference` does, with ``pose_at(i)`` standing in for
    the landmarker (e.g. an every-frame trace, to study a policy without inference).
    ``cuts``: frames where a cut is seen; ``restarts``: frames where the landmarker restarts."""
    n = len(t_s)
    mask = np.zeros(n, dtype=bool)
    cut = np.zeros(n, bool) if cuts is None else np.asarray(cuts, bool)
    restart = np.zeros(n, bool) if restarts is None else np.asarray(restarts, bool)
    pending: int | None = None
    for i in range(n):
        if restart[i]:
            if pending is not None:
                mask[pending] = True
                controller.inferred(pose_at(pending))
                pending = None
            controller.reset()
        if cut[i] and pending is not None:
            mask[pending] = True
            controller.inferred(pose_at(pending))
        pending = None
        if cut[i] or controller.due(float(t_s[i])):
            mask[i] = True
            controller.inferred(pose_at(i))
        else:
            pending = i
    if pending is not None:
        mask[pending] = True
    return mask


# ---------------------------------------------------------------- the trace's record
def encode_mask(mask: np.ndarray) -> str:
    return base64.b64encode(np.packbits(np.asarray(mask, bool)).tobytes()).decode("ascii")


def decode_mask(text: str, n: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(base64.b64decode(text), np.uint8), count=n).astype(bool)


def inferred_mask(trace: PoseTrace) -> np.ndarray:
    """(T,) bool: the frames of the trace that pose inference ran on (all of them for a
    trace inferred at every frame or made elsewhere)."""
    text = trace.meta.extra.get("inferred") if trace.meta.extra else None
    if not isinstance(text, str):
        return np.ones(len(trace), dtype=bool)
    try:
        mask = decode_mask(text, len(trace))
    except ValueError:
        return np.ones(len(trace), dtype=bool)
    return mask if mask.shape[0] == len(trace) else np.ones(len(trace), dtype=bool)


def record(meta: TraceMeta, mask: np.ndarray, rate: str) -> None:
    """Store the inferred frames and the rate policy in ``meta.extra`` (in place)."""
    meta.extra = {**meta.extra, "rate": rate, "inferred": encode_mask(mask), "inferred_frames": int(mask.sum())}


def fill_skipped(trace: PoseTrace, mask: np.ndarray) -> PoseTrace:
    """The trace with the frames not inferred (``~mask``) interpolated linearly in time
    between the inferred frames either side; in place. Frames after the last inferred
    one (an interrupted run) are dropped. With nobody on one side, a frame has nobody."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return _cut(trace, 0)
    if idx[-1] + 1 < len(trace):
        trace = _cut(trace, int(idx[-1]) + 1)
        mask = mask[: idx[-1] + 1]
    skipped = np.flatnonzero(~mask)
    if skipped.size == 0:
        return trace
    right = np.searchsorted(idx, skipped)  # first inferred frame after each skipped one
    hi, lo = idx[right], idx[right - 1]
    t = trace.t_s
    w = ((t[skipped] - t[lo]) / (t[hi] - t[lo])).astype(np.float32)
    for name in ("image_xy", "world_xyz", "visibility", "presence"):
        arr = getattr(trace, name)
        ww = w.reshape((-1,) + (1,) * (arr.ndim - 1))
        arr[skipped] = arr[lo] + (arr[hi] - arr[lo]) * ww
    trace.n_people[skipped] = np.minimum(trace.n_people[lo], trace.n_people[hi])
    trace.identity_jump[skipped] = False
    return trace


def _cut(trace: PoseTrace, n: int) -> PoseTrace:
    return PoseTrace(
        trace.t_s[:n], trace.image_xy[:n], trace.world_xyz[:n], trace.visibility[:n], trace.presence[:n],
        trace.n_people[:n], trace.identity_jump[:n], trace.meta,
    )  # fmt: skip


def simulate(
    trace: PoseTrace, cfg: ExerciseConfig, policy: RatePolicy | None = None, restarts: np.ndarray | None = None
) -> tuple[PoseTrace, np.ndarray]:
    """What adaptive scoring would give, from an every-frame trace: the frames the policy
    picks (the trace's poses standing in for the landmarker's), the others interpolated.
    Identity jumps stand in for cuts; ``restarts``: the frames where the landmarker restarts
    (:func:`formcheck.programs.scoring.restart_frames`). Returns (trace, inferred mask). For studying
    a policy: the landmarker's own tracking over skipped frames is not modelled."""
    policy = policy or RatePolicy()
    ctrl = RateController(policy, Watch.of(cfg), trace.meta.aspect, trace.meta.fps)
    mask = schedule(trace.t_s, trace.frame, ctrl, cuts=trace.identity_jump, restarts=restarts)
    out = PoseTrace(
        trace.t_s.copy(), trace.image_xy.copy(), trace.world_xyz.copy(), trace.visibility.copy(),
        trace.presence.copy(), trace.n_people.copy(), trace.identity_jump.copy(),
        TraceMeta(trace.meta.source, trace.meta.model, trace.meta.fps, trace.meta.width, trace.meta.height,
                  dict(trace.meta.extra)),
    )  # fmt: skip
    out = fill_skipped(out, mask)
    record(out.meta, mask, policy_key(policy, ctrl.watch))
    return out, mask
