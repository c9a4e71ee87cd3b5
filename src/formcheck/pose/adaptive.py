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

    def key(self) -> str:
        return (
            f"ar1:g{self.max_gap_s:g}:c{self.change_deg:g}:n{self.noise_deg:g}:m{self.margin_deg:g}:h{self.hot_s:g}"
            f":b{self.speed_base_s:g}:k{self.curve_deg:g}:r{self.turn_speed_deg_s:g}"
        )


@dataclass(frozen=True, slots=True)
class Watch:
    """What the rate follows: the measures the exercise's checker reads (every side) and
    the thresholds it compares them with, as (column in ``measures``, level)."""

    measures: tuple[str, ...]
    levels: tuple[tuple[int, float], ...]

    @classmethod
    def of(cls, cfg: ExerciseConfig) -> Watch:
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
        measures: list[str] = []
        levels: set[tuple[int, float]] = set()
        for tpl, name, mirrored in pairs:
            for side in (*SIDES, None):
                m = tpl.format(side=side, other=_other(side)) if side else tpl
                if "{" in m or m not in MEASURE_NAMES:
                    continue
                if m not in measures:
                    measures.append(m)
                if name is not None and th.get(name) is not None:
                    col = measures.index(m)
                    levels.add((col, float(th[name])))
                    if mirrored:
                        levels.add((col, -float(th[name])))
        return cls(tuple(measures), tuple(sorted(levels)))

    def digest(self) -> str:
        return hashlib.sha256(repr((self.measures, self.levels)).encode()).hexdigest()[:12]


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
        self._cols = np.array([measure_index(m) for m in watch.measures], dtype=np.intp)
        self._scale = np.array([UNIT_SCALE.get(m.rsplit("_", 1)[-1], 1.0) for m in watch.measures])
        self._only = frozenset(watch.measures)
        self._level_col = np.array([c for c, _ in watch.levels], dtype=np.intp)
        self._level = np.array([v for _, v in watch.levels])
        #: Why the frames after each inferred one were scheduled as they were (for studies).
        self.why: dict[str, int] = {}
        self.reset()

    def reset(self) -> None:
        self._last: tuple[float, np.ndarray, bool] | None = None
        self._recent: deque[tuple[float, np.ndarray]] = deque()  # inferred frames of the last speed_base_s
        self._next_t = -math.inf
        self._hot_until = -math.inf

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
            if self._level.size:
                lo, hi = np.fmin(v0, vals)[self._level_col], np.fmax(v0, vals)[self._level_col]
                event = event or bool(((lo <= self._level) & (self._level <= hi)).any())
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
        speed = float(np.nanmax(speed_each, initial=0.0))
        gap = p.max_gap_s
        why = ""
        if speed > 0 and p.change_deg / speed < gap:
            gap, why = p.change_deg / speed, "speed"
        if accel > 0 and math.sqrt(8.0 * p.curve_deg / accel) < gap:
            # linear interpolation over a gap g misses a bend by accel * g**2 / 8 at most
            gap, why = math.sqrt(8.0 * p.curve_deg / accel), "bend"
        if self._level.size:
            dist = np.abs(vals[self._level_col] - self._level) - p.margin_deg
            dist = dist[np.isfinite(dist)]
            if dist.size:
                nearest = float(dist.min())
                if nearest <= 0:
                    gap, why = 0.0, "near level"
                elif speed > 0 and nearest / speed < gap:
                    gap, why = nearest / speed, "level ahead"
        self._note(why)
        self._next_t = t + gap

    def _note(self, why: str) -> None:
        if why:
            self.why[why] = self.why.get(why, 0) + 1


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
