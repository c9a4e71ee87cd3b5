"""Fitting thresholds to labelled recordings.

Labels use the format of ``sample_videos/labels.toml``: one ``[[clip]]`` per recording::

    [[clip]]
    file = "mrs_smith_monday.mp4"      # a video or a pose trace (.npz/.csv), relative to the labels file
    exercise = "wall_squat"
    reps = 6                           # the count a careful human makes
    reps_accept = [6]                  # every defensible count (default: [reps])
    reps_by_side = { left = 3, right = 3 }   # optional, per-side exercises
    correct = [true, true, false, true, false, true]   # optional: per rep, in time order, was it done right?

Agreement of one clip with its labels is the mean of the parts it has labels for: the count
(1 when it is in ``reps_accept``), the per-side counts (1 when both match) and, with
``correct``, the fraction of reps whose verdict (``ok``) matches the label, reps paired in
time order (a missing or extra rep counts as a disagreement). The fit maximises the summed
agreement over the clips; ties are broken by the total count error, then by staying close
to the starting thresholds.

Search: coordinate descent over the named thresholds — each in turn is scanned over a grid
of its range with the others fixed, the best value kept, rounds repeated with a finer grid
around it — then every value that sits on a plateau of best agreement is moved to the
middle of that plateau (the value the labels support with the widest margin). Invalid
combinations (end >= start, target_min > target_max) are skipped. Every evaluation
re-scores the recordings from their measures (milliseconds each); pose inference runs at
most once per video (through the trace cache).

Over-fitting: a handful of clips can be fitted perfectly by thresholds that do not
generalize, so :func:`leave_one_out` refits on n − 1 clips and scores the held-out one, for
each clip in turn. Its agreement, not the fitted one, says what to expect on new recordings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formcheck.checkers.rep_checker import RepChecker
from formcheck.config import ExerciseConfig, read_toml
from formcheck.errors import ConfigError
from formcheck.pose.backend import BackendSpec
from formcheck.rescoring import PreparedTrace

__all__ = [
    "Clip",
    "ClipScore",
    "FitResult",
    "Param",
    "agreement",
    "default_params",
    "fit_thresholds",
    "leave_one_out",
    "load_labels",
    "parse_param",
]


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True, slots=True)
class Clip:
    """One labelled recording."""

    file: str
    path: Path
    exercise: str
    reps: int | None = None
    reps_accept: tuple[int, ...] = ()
    reps_by_side: Mapping[str, int] | None = None
    correct: tuple[bool, ...] | None = None

    @property
    def name(self) -> str:
        return Path(self.file).stem


def load_labels(path: Path | str, exercise: str | None = None, videos_dir: Path | str | None = None) -> list[Clip]:
    """The ``[[clip]]`` entries of a labels file (only ``exercise``'s, when given).

    Clip files are relative to ``videos_dir`` if given, else to the labels file's folder.
    """
    path = Path(path)
    data = read_toml(path, "labels file")
    entries = data.get("clip", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected [[clip]] tables")
    base = Path(videos_dir) if videos_dir is not None else path.parent
    clips = []
    for i, c in enumerate(entries):
        where = f"{path} [[clip]] #{i + 1}"
        if not isinstance(c, dict):
            raise ConfigError(f"{where}: expected a table")
        file, ex = c.get("file"), c.get("exercise")
        if not isinstance(file, str) or not isinstance(ex, str):
            raise ConfigError(f"{where}: needs file = \"...\" and exercise = \"...\"")
        where = f"{path} [[clip]] {file}"
        reps = c.get("reps")
        if reps is not None and (isinstance(reps, bool) or not isinstance(reps, int) or reps < 0):
            raise ConfigError(f"{where}: reps = {reps!r} must be a whole number >= 0")
        accept = c.get("reps_accept", [reps] if reps is not None else [])
        if not isinstance(accept, list) or not all(isinstance(a, int) and not isinstance(a, bool) for a in accept):
            raise ConfigError(f"{where}: reps_accept = {accept!r} must be a list of whole numbers")
        by_side = c.get("reps_by_side")
        if by_side is not None and (
            not isinstance(by_side, dict) or not all(isinstance(v, int) for v in by_side.values())
        ):
            raise ConfigError(f"{where}: reps_by_side must be like {{ left = 3, right = 3 }}")
        correct = c.get("correct")
        if correct is not None and (not isinstance(correct, list) or not all(isinstance(b, bool) for b in correct)):
            raise ConfigError(f"{where}: correct must be a list of true/false, one per rep in time order")
        if exercise is not None and ex != exercise:
            continue
        sides = dict(by_side) if by_side else None
        clips.append(Clip(file, base / file, ex, reps, tuple(accept), sides, tuple(correct) if correct else None))
    return clips


# --------------------------------------------------------------------------- agreement


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the checker found in a clip (all the agreement needs)."""

    reps: int
    reps_by_side: Mapping[str, int] | None
    ok: tuple[bool, ...]

    @classmethod
    def of(cls, checker: RepChecker) -> Outcome:
        return cls(checker.reps, checker.reps_by_side, tuple(r.ok for r in checker.results))


@dataclass(frozen=True, slots=True)
class ClipScore:
    """Agreement of one clip: ``score`` in [0, 1], and its parts (None = not labelled)."""

    score: float
    count_ok: bool | None
    sides_ok: bool | None
    correct_agree: int
    correct_total: int
    count_error: int
    outcome: Outcome

    def describe(self) -> str:
        o = self.outcome
        parts = [f"reps {o.reps}" + ("" if self.count_ok is None else (" ok" if self.count_ok else " WRONG"))]
        if self.sides_ok is not None and o.reps_by_side:
            parts.append(f"L{o.reps_by_side.get('left', 0)}/R{o.reps_by_side.get('right', 0)}"
                         + (" ok" if self.sides_ok else " WRONG"))  # fmt: skip
        if self.correct_total:
            parts.append(f"verdicts {self.correct_agree}/{self.correct_total}")
        return ", ".join(parts)


def agreement(clip: Clip, outcome: Outcome) -> ClipScore:
    """How well a clip's outcome agrees with its labels."""
    parts: list[float] = []
    count_ok = sides_ok = None
    err = 0
    if clip.reps_accept:
        count_ok = outcome.reps in clip.reps_accept
        parts.append(1.0 if count_ok else 0.0)
        err = min(abs(outcome.reps - a) for a in clip.reps_accept)
    if clip.reps_by_side:
        got = outcome.reps_by_side or {}
        sides_ok = all(got.get(s, 0) == n for s, n in clip.reps_by_side.items())
        parts.append(1.0 if sides_ok else 0.0)
    agree = total = 0
    if clip.correct is not None:
        labels, found = clip.correct, outcome.ok
        total = max(len(labels), len(found))
        agree = sum(1 for a, b in zip(labels, found, strict=False) if a == b)
        parts.append(agree / total if total else 1.0)
    score = sum(parts) / len(parts) if parts else 1.0
    return ClipScore(score, count_ok, sides_ok, agree, total, err, outcome)


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True, slots=True)
class Param:
    """A threshold searched over [lo, hi]; fitted values are rounded to ``step``."""

    name: str
    lo: float
    hi: float
    step: float


def _step_for(unit: str) -> float:
    return {"s": 0.1, "deg": 0.5, "deg/s": 1.0, "cm": 0.5}.get(unit.strip().lower(), 0.01)


def default_params(cfg: ExerciseConfig) -> list[Param]:
    """Where reps start and end, the target band and the hold, over their allowed ranges."""
    u = cfg.rep.unit
    out = []
    for name in (f"start_{u}", f"end_{u}", f"target_min_{u}", f"target_max_{u}", "hold_s"):
        t = cfg.thresholds.get(name)
        if t is not None:
            out.append(Param(name, t.min, t.max, _step_for(t.unit)))
    return out


def parse_param(spec: str, cfg: ExerciseConfig) -> Param:
    """``"hold_s=2:15"`` → Param; the range must lie inside the threshold's allowed range."""
    name, sep, rng = spec.partition("=")
    name = name.strip()
    lo_s, sep2, hi_s = rng.partition(":")
    if not sep or not sep2:
        raise ConfigError(f"--param {spec!r}: expected NAME=LO:HI, e.g. --param hold_s=2:15")
    t = cfg.thresholds.get(name)
    if t is None:
        raise ConfigError(f"--param {spec!r}: {name} is not a threshold of {cfg.name}; "
                          f"valid keys: {', '.join(sorted(cfg.thresholds))}")  # fmt: skip
    try:
        lo, hi = float(lo_s), float(hi_s)
    except ValueError:
        raise ConfigError(f"--param {spec!r}: LO and HI must be numbers; allowed: {t.allowed()}") from None
    if not (t.min <= lo < hi <= t.max):
        raise ConfigError(f"--param {spec!r}: {lo:g}:{hi:g} must be an increasing range inside {t.allowed()}")
    return Param(name, lo, hi, _step_for(t.unit))


# --------------------------------------------------------------------------- search


Values = dict[str, float]


class Evaluator:
    """Re-scores clips with candidate thresholds; remembers every (clip, values) outcome."""

    def __init__(self, cfg: ExerciseConfig, clips: Sequence[Clip], prepared: Sequence[PreparedTrace]) -> None:
        self.cfg = cfg
        self.clips = list(clips)
        self.prepared = list(prepared)
        self._memo: dict[tuple[int, tuple[tuple[str, float], ...]], Outcome] = {}
        self.evaluations = 0

    def config(self, values: Mapping[str, float]) -> ExerciseConfig | None:
        try:
            return self.cfg.with_overrides(values, origin="fit")
        except ConfigError:
            return None

    def outcome(self, i: int, values: Mapping[str, float], cfg: ExerciseConfig | None = None) -> Outcome | None:
        key = (i, tuple(sorted(values.items())))
        if key not in self._memo:
            cfg = cfg or self.config(values)
            if cfg is None:
                return None
            self.evaluations += 1
            self._memo[key] = Outcome.of(self.prepared[i].checker(cfg))
        return self._memo[key]

    def scores(self, idx: Sequence[int], values: Mapping[str, float]) -> list[ClipScore] | None:
        cfg = self.config(values)
        if cfg is None:
            return None
        out = []
        for i in idx:
            o = self.outcome(i, values, cfg)
            assert o is not None
            out.append(agreement(self.clips[i], o))
        return out


def _objective(scores: Sequence[ClipScore]) -> tuple[float, int]:
    """Higher is better: (summed agreement, −total count error)."""
    return round(sum(s.score for s in scores), 9), -sum(s.count_error for s in scores)


@dataclass(slots=True)
class FitResult:
    start: Values
    values: Values
    params: list[Param]
    before: list[ClipScore]
    after: list[ClipScore]
    evaluations: int = 0
    plateaus: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def before_mean(self) -> float:
        return sum(s.score for s in self.before) / max(1, len(self.before))

    @property
    def after_mean(self) -> float:
        return sum(s.score for s in self.after) / max(1, len(self.after))

    def changed(self) -> Values:
        return {k: v for k, v in self.values.items() if v != self.start[k]}


def _round(v: float, step: float) -> float:
    digits = max(0, -math.floor(math.log10(step))) + 1
    return round(round(v / step) * step, digits)


def fit_thresholds(
    cfg: ExerciseConfig,
    clips: Sequence[Clip],
    prepared: Sequence[PreparedTrace],
    params: Sequence[Param] | None = None,
    idx: Sequence[int] | None = None,
    evaluator: Evaluator | None = None,
    grid: int = 25,
    rounds: int = 4,
    defaults: Mapping[str, float] | None = None,
) -> FitResult:
    """Fit ``params`` of ``cfg`` to the clips ``idx`` (default: all); see the module doc.

    ``defaults`` (the exercise's shipped values) are preferred, after the starting values,
    wherever the labels agree with them equally well."""
    params = list(params) if params is not None else default_params(cfg)
    ev = evaluator or Evaluator(cfg, clips, prepared)
    idx = list(range(len(clips))) if idx is None else list(idx)
    start: Values = {p.name: float(cfg.value(p.name)) for p in params}  # type: ignore[arg-type]
    before = ev.scores(idx, start)
    if before is None:
        raise ConfigError(f"{cfg.name}: the starting thresholds are not a valid combination")
    n0 = ev.evaluations
    cur = dict(start)
    best = _objective(before)

    def better(obj: tuple[float, int], vals: Values, ref_obj: tuple[float, int], ref: Values) -> bool:
        if obj != ref_obj:
            return obj > ref_obj
        return _distance(vals, start, params) < _distance(ref, start, params) - 1e-12

    span = {p.name: p.hi - p.lo for p in params}
    for r in range(rounds):
        moved = False
        for p in params:
            width = span[p.name] / (2**r)
            lo, hi = max(p.lo, cur[p.name] - width / 2), min(p.hi, cur[p.name] + width / 2)
            if r == 0:
                lo, hi = p.lo, p.hi
            cands = {_round(lo + k * (hi - lo) / (grid - 1), p.step) for k in range(grid)}
            for v in sorted(cands):
                v = min(max(v, p.lo), p.hi)
                if v == cur[p.name]:
                    continue
                trial = {**cur, p.name: v}
                s = ev.scores(idx, trial)
                if s is None:
                    continue
                obj = _objective(s)
                if better(obj, trial, best, cur):
                    cur, best, moved = trial, obj, True
        if not moved and r > 0:
            break

    # Move every value to the safest point of its plateau of best agreement (the range over
    # which, the others fixed, agreement stays the best): the starting value if it is on it
    # (the labels do not ask for a change), else the exercise's default if it is, else the
    # middle of the plateau, or — when the plateau runs to the end of the search range — a
    # margin inside its one edge. An edge value would be the least robust choice.
    plateaus: dict[str, tuple[float, float]] = {}
    for p in params:
        a, b = _plateau(ev, idx, cur, p, best)
        plateaus[p.name] = (a, b)
        default = (defaults or {}).get(p.name)
        open_lo, open_hi = a <= p.lo + p.step / 2, b >= p.hi - p.step / 2
        margin = min((b - a) / 2, 0.1 * (p.hi - p.lo))
        if a <= start[p.name] <= b:
            target = start[p.name]
        elif default is not None and a <= default <= b:
            target = default
        elif not open_lo and not open_hi:
            target = _round((a + b) / 2, p.step)
        elif open_hi and not open_lo:
            target = _round(a + margin, p.step)
        elif open_lo and not open_hi:
            target = _round(b - margin, p.step)
        else:
            continue
        trial = {**cur, p.name: target}
        s = ev.scores(idx, trial)
        if s is not None and _objective(s) == best:
            cur = trial
    after = ev.scores(idx, cur)
    assert after is not None
    return FitResult(start, cur, params, before, after, ev.evaluations - n0, plateaus)


def _distance(vals: Mapping[str, float], start: Mapping[str, float], params: Sequence[Param]) -> float:
    return sum(abs(vals[p.name] - start[p.name]) / (p.hi - p.lo) for p in params)


def _plateau(ev: Evaluator, idx: Sequence[int], cur: Values, p: Param, best: tuple[float, int]) -> tuple[float, float]:
    """The interval of ``p`` around its current value where the objective stays ``best``
    (others fixed), to ``p.step`` resolution, by stepping out then bisecting."""

    def same(v: float) -> bool:
        s = ev.scores(idx, {**cur, p.name: v})
        return s is not None and _objective(s) == best

    def edge(direction: int) -> float:
        inside = cur[p.name]
        limit = p.hi if direction > 0 else p.lo
        step = p.step
        while True:  # step out, doubling
            nxt = inside + direction * step
            if (direction > 0 and nxt >= limit) or (direction < 0 and nxt <= limit):
                if same(limit):
                    return limit
                outside = limit
                break
            if not same(nxt):
                outside = nxt
                break
            inside, step = nxt, step * 2
        while abs(outside - inside) > p.step:  # bisect
            mid = (inside + outside) / 2
            if same(mid):
                inside = mid
            else:
                outside = mid
        return inside

    return edge(-1), edge(+1)


@dataclass(slots=True)
class LooResult:
    """Leave-one-out: for each clip, thresholds fitted on the others and its held-out score."""

    folds: list[tuple[Values, ClipScore, ClipScore]]  # (fitted values, before, after) per clip

    @property
    def before_mean(self) -> float:
        return sum(b.score for _v, b, _a in self.folds) / max(1, len(self.folds))

    @property
    def after_mean(self) -> float:
        return sum(a.score for _v, _b, a in self.folds) / max(1, len(self.folds))


def leave_one_out(
    cfg: ExerciseConfig,
    clips: Sequence[Clip],
    prepared: Sequence[PreparedTrace],
    params: Sequence[Param] | None = None,
    evaluator: Evaluator | None = None,
    on_fold: Callable[[int], None] | None = None,
    **kwargs: Any,
) -> LooResult:
    """Fit on all clips but one, score the held-out clip; for each clip in turn."""
    ev = evaluator or Evaluator(cfg, clips, prepared)
    folds = []
    for i in range(len(clips)):
        if on_fold is not None:
            on_fold(i)
        train = [j for j in range(len(clips)) if j != i]
        if train:
            res = fit_thresholds(cfg, clips, prepared, params, train, ev, **kwargs)
            values = res.values
        else:
            values = {p.name: float(cfg.value(p.name)) for p in (params or default_params(cfg))}  # type: ignore[arg-type]
        start = {k: float(cfg.value(k)) for k in values}  # type: ignore[arg-type]
        before = ev.scores([i], start)
        after = ev.scores([i], values)
        assert before is not None and after is not None
        folds.append((values, before[0], after[0]))
    return LooResult(folds)


def prepare_clips(
    clips: Iterable[Clip],
    cfg: ExerciseConfig,
    pose: BackendSpec | None = None,
    progress: bool = True,
    on_status: Callable[[str], None] | None = None,
) -> list[PreparedTrace]:
    """Each clip's prepared trace: trace files are read, videos come from the trace cache
    (pose inference runs only for videos not seen before with this model)."""
    from formcheck.errors import FormcheckError
    from formcheck.rescoring import trace_for_recording

    out = []
    for c in clips:
        if not c.path.exists():
            raise FormcheckError(f"{c.path}: labelled recording not found (use --videos-dir to say where they are)")
        trace, how = trace_for_recording(c.path, cfg, pose, progress)
        if on_status is not None:
            said = {"trace": "trace file", "cached": "pose from the trace cache", "ran": "pose inference ran (cached)"}
            on_status(f"{c.file}: {said[how]}")
        out.append(PreparedTrace.from_trace(trace, source=str(c.path), cfg=cfg))
    return out
