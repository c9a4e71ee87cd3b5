"""Fitting thresholds to labelled recordings (docs/tuning.md, "Fitting thresholds to labels").

Labels use the format of ``sample_videos/labels.toml``: one ``[[clip]]`` per recording::

    [[clip]]
    file = "mrs_smith_monday.mp4"      # a video or a pose trace (.npz/.csv), relative to the labels file
    exercise = "wall_squat"
    reps = 6                           # the count a careful human makes
    reps_accept = [6]                  # every defensible count (default: [reps])
    reps_by_side = { left = 3, right = 3 }   # optional, per-side exercises
    correct = [true, true, false, true, false, true]   # optional: per rep, was it done right?
    rep_spans_s = [[1.0, 4.2], ...]    # optional: each labelled rep's time (one per correct entry)
    group = "smith"                    # optional: any string field, for leave-one-group-out

Verdicts are matched to labelled reps by time overlap (:func:`match_verdicts`: a clip
labelled as one rep spans the whole recording; without times, in time order), and scored as
the balanced accuracy of the per-rep verdicts (:class:`Verdicts`); counts are reported
separately. Agreement of one clip (for counts) is the mean of the parts it has labels for.
The fit maximises (balanced accuracy, summed agreement, −count error).

What is fitted by default: the thresholds that decide whether a rep was done right
(:func:`correctness_thresholds`), never those that decide what a rep is (start, end,
min_phase_s, gates); thresholds marked ``fit = false`` only when calibrating one person.

Search: coordinate descent over the named thresholds — each in turn is scanned over a grid
of its range with the others fixed, the best value kept, rounds repeated with a finer grid
around it — then every value moves to the centre of its plateau of best agreement (give or
take one labelled rep). Invalid combinations (end >= start, target_min > target_max) are
skipped. Correctness thresholds are searched on a per-clip fault model (:class:`_FaultModel`:
where each rep's fault switches on, a few checker runs per clip); other thresholds re-score
the recordings from their measures (milliseconds each); reported scores always come from the
checker. Pose inference runs at most once per video (through the trace cache).

Over-fitting: a handful of clips can be fitted perfectly by thresholds that do not
generalize, so :func:`leave_one_group_out` refits without each group (a person) and scores
it, and :func:`leave_one_out` does the same per clip; :func:`calibrate_per_group` tests
per-patient calibration. Their scores, not the fitted one, say what to expect.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.checkers.rep_checker import RepChecker
from formcheck.errors import ConfigError
from formcheck.exercises.config import ExerciseConfig, read_toml
from formcheck.pose.backend import BackendSpec
from formcheck.programs.rescoring import CheckerTrace, PreparedTrace

#: A recording ready to be re-scored: anything whose ``checker(cfg)`` is the finished checker.
Rescorable = CheckerTrace | PreparedTrace

__all__ = [
    "Clip",
    "ClipScore",
    "FitResult",
    "GroupResult",
    "Param",
    "Verdicts",
    "agreement",
    "calibrate_per_group",
    "correctness_thresholds",
    "default_params",
    "fit_thresholds",
    "leave_one_group_out",
    "leave_one_out",
    "load_labels",
    "match_reps",
    "match_verdicts",
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
    rep_spans_s: tuple[tuple[float, float], ...] | None = None
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return Path(self.file).stem

    @property
    def group(self) -> str | None:
        return self.fields.get("group")


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
        spans = _spans(c.get("rep_spans_s"), correct, where)
        if exercise is not None and ex != exercise:
            continue
        sides = dict(by_side) if by_side else None
        fields = {k: v for k, v in c.items() if isinstance(v, str) and k not in ("file", "exercise")}
        clips.append(
            Clip(file, base / file, ex, reps, tuple(accept), sides, tuple(correct) if correct else None, spans, fields)
        )
    return clips


def _spans(raw: Any, correct: Any, where: str) -> tuple[tuple[float, float], ...] | None:
    """``rep_spans_s = [[t0, t1], ...]``: each labelled rep's time, one per ``correct`` entry."""
    if raw is None:
        return None
    ok = isinstance(raw, list) and all(
        isinstance(x, list) and len(x) == 2 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in x)
        and x[0] < x[1]
        for x in raw
    )  # fmt: skip
    if not ok:
        raise ConfigError(f"{where}: rep_spans_s must be a list of [start_s, end_s] pairs, start before end")
    if not isinstance(correct, list) or len(correct) != len(raw):
        raise ConfigError(f"{where}: rep_spans_s needs one [start_s, end_s] per entry of correct")
    return tuple((float(a), float(b)) for a, b in raw)


def group_of(clip: Clip, field_name: str) -> str:
    """The clip's value of a label field (``--group-by``); ConfigError when it has none."""
    value = clip.fields.get(field_name)
    if value is None:
        raise ConfigError(f"{clip.file}: no {field_name} = \"...\" in its [[clip]] (needed by --group-by)")
    return value


# --------------------------------------------------------------------------- agreement


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the checker found in a clip (all the agreement needs)."""

    reps: int
    reps_by_side: Mapping[str, int] | None
    ok: tuple[bool, ...]
    spans: tuple[tuple[float, float], ...] = ()  # each found rep's (start_s, end_s)
    span_s: tuple[float, float] = (-math.inf, math.inf)  # the recording's time range

    @classmethod
    def of(cls, checker: RepChecker) -> Outcome:
        results = checker.results
        rec = (checker.t_first, checker.t_last) if checker.t_first is not None else None
        return cls(
            checker.reps, checker.reps_by_side, tuple(r.ok for r in results),
            tuple((r.start_s, r.end_s) for r in results), rec or (-math.inf, math.inf),
        )  # fmt: skip


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
    pairs: tuple[tuple[bool, bool | None], ...] = ()  # (label, verdict; None = no rep found for it)

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
    pairs: tuple[tuple[bool, bool | None], ...] = ()
    if clip.correct is not None:
        pairs = match_verdicts(clip, outcome)
        total = max(len(clip.correct), len(outcome.ok))
        agree = sum(1 for label, verdict in pairs if verdict is not None and verdict == label)
        parts.append(agree / total if total else 1.0)
    score = sum(parts) / len(parts) if parts else 1.0
    return ClipScore(score, count_ok, sides_ok, agree, total, err, outcome, pairs)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(a[1], b[1]) - max(a[0], b[0])


def match_verdicts(clip: Clip, outcome: Outcome) -> tuple[tuple[bool, bool | None], ...]:
    """Each labelled rep's (label, verdict): the found rep overlapping it most in time (one
    found rep per labelled rep; None when none overlaps). A clip labelled as one rep
    without times spans the whole recording. Without times for several reps, reps are
    paired in time order (the only information there is)."""
    return tuple((lab, None if j is None else outcome.ok[j]) for lab, j in match_reps(clip, outcome))


def match_reps(clip: Clip, outcome: Outcome) -> tuple[tuple[bool, int | None], ...]:
    """Each labelled rep's (label, index of the found rep matched to it or None); see
    :func:`match_verdicts`. The matching reads times only, never the verdicts."""
    labels = clip.correct or ()
    spans = clip.rep_spans_s
    if spans is None and len(labels) == 1:
        spans = (outcome.span_s,)
    if spans is None or (outcome.reps and not outcome.spans):
        n = len(outcome.ok)
        return tuple((lab, i if i < n else None) for i, lab in enumerate(labels))
    cand = sorted(
        ((_overlap(ls, fs), i, j) for i, ls in enumerate(spans) for j, fs in enumerate(outcome.spans)),
        key=lambda x: (-x[0], x[1], x[2]),
    )
    got: dict[int, int] = {}
    used: set[int] = set()
    for ov, i, j in cand:
        if ov > 0 and i not in got and j not in used:
            got[i] = j
            used.add(j)
    return tuple((lab, got.get(i)) for i, lab in enumerate(labels))


@dataclass(frozen=True, slots=True)
class Verdicts:
    """Per-rep verdicts against labels: balanced accuracy, with the counts it comes from.

    A labelled rep with no counted rep overlapping it got no verdict: it counts as "not
    ok" (no success was shown), so it is a miss for a correct rep and a hit for an
    incorrect one; ``unmatched`` says how many there were."""

    correct_ok: int = 0  # correct reps judged ok
    correct_n: int = 0
    incorrect_flagged: int = 0  # incorrect reps judged not ok (or not counted)
    incorrect_n: int = 0
    unmatched: int = 0

    @classmethod
    def of(cls, scores: Iterable[ClipScore]) -> Verdicts:
        c_ok = c_n = i_bad = i_n = un = 0
        for s in scores:
            for label, verdict in s.pairs:
                un += verdict is None
                if label:
                    c_n += 1
                    c_ok += verdict is True
                else:
                    i_n += 1
                    i_bad += verdict is not True
        return cls(c_ok, c_n, i_bad, i_n, un)

    @property
    def n(self) -> int:
        return self.correct_n + self.incorrect_n

    @property
    def balanced_accuracy(self) -> float:
        """Mean of the two classes' recall (the one present if only one is labelled)."""
        rates = [x / n for x, n in ((self.correct_ok, self.correct_n), (self.incorrect_flagged, self.incorrect_n)) if n]
        return sum(rates) / len(rates) if rates else math.nan

    def describe(self) -> str:
        un = f", {self.unmatched} labelled rep(s) not counted" if self.unmatched else ""
        return (
            f"balanced accuracy {self.balanced_accuracy:.2f} "
            f"(correct reps judged ok {self.correct_ok}/{self.correct_n}, "
            f"incorrect reps flagged {self.incorrect_flagged}/{self.incorrect_n}{un})"
        )


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


def correctness_thresholds(cfg: ExerciseConfig) -> dict[str, tuple[str, ...]]:
    """The thresholds that decide whether a counted rep was done right, each with the fault
    codes it controls: the target band, the hold, the speed limits and every rule's limit.
    Not those that decide what a rep *is* (start, end, min_phase_s, gates...): fitting
    those to verdict labels would "fix" a fault by not counting the rep."""
    u, codes = cfg.rep.unit, cfg.rep.codes
    out: dict[str, tuple[str, ...]] = {}
    for name, kind in ((f"target_min_{u}", "below_target"), (f"target_max_{u}", "above_target"),
                       ("hold_s", "hold_short"), (f"max_speed_{u}_s", "too_fast"),
                       (f"max_return_speed_{u}_s", "return_too_fast")):  # fmt: skip
        if name in cfg.thresholds:
            out[name] = (codes[kind],)
    for r in cfg.rules:
        ref = r.above if r.above is not None else r.below
        if ref is not None and ref in cfg.thresholds:
            out[ref] = tuple(dict.fromkeys((*out.get(ref, ()), r.code)))
    return out


def default_params(cfg: ExerciseConfig, calibrate: bool = False) -> list[Param]:
    """The correctness thresholds (:func:`correctness_thresholds`) over their allowed ranges,
    except those the exercise marks ``fit = false`` (normal ranges that vary between people:
    not fitted across people) unless ``calibrate`` (fitting to one person's own reps)."""
    out = []
    for name in correctness_thresholds(cfg):
        t = cfg.thresholds[name]
        if t.fit or calibrate:
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


@dataclass(slots=True)
class _FaultModel:
    """One clip's reps and, per fitted threshold, where each rep's fault switches on.

    Correctness thresholds (:func:`correctness_thresholds`) do not change which reps are
    counted, and each one's faults come and go monotonically with its value. So one checker
    run with every fitted threshold at its most lenient end gives the reps and the faults no
    fitted threshold controls, and a bisection per threshold (the others lenient) gives the
    value where each rep's fault appears; after that a candidate costs no checker run. Rules
    are judged independently here (a hold-phase rule's hold depends on target_min): the
    search uses the model, every reported score comes from the checker itself."""

    base: Outcome  # the reps, with ok = no fault outside the fitted thresholds
    switch: dict[str, tuple[int, list[float]]]  # name -> (sense, per rep boundary)

    def outcome(self, values: Mapping[str, float]) -> Outcome:
        ok = list(self.base.ok)
        for name, (sense, bounds) in self.switch.items():
            v = values[name]
            for j, b in enumerate(bounds):
                if (v > b) if sense > 0 else (v < b):
                    ok[j] = False
        return Outcome(self.base.reps, self.base.reps_by_side, tuple(ok), self.base.spans, self.base.span_s)


def _coupled(cfg: ExerciseConfig, names: Sequence[str]) -> bool:
    """True when fitting ``names`` together couples their faults: the target band decides
    when the hold and the return phase run, so with it fitted, the hold, the return speed
    and hold/return-phase rules do not switch independently (:class:`_FaultModel` is off)."""
    u = cfg.rep.unit
    if not {f"target_min_{u}", f"target_max_{u}"} & set(names):
        return False
    phased = {r.above or r.below for r in cfg.rules if r.phase in ("hold", "return")}
    return bool(({"hold_s", f"max_return_speed_{u}_s"} | phased) & set(names))


class Evaluator:
    """Re-scores clips with candidate thresholds; remembers every (clip, values) outcome.

    With ``fast`` (default) and only correctness thresholds searched, candidates are scored
    from a per-clip :class:`_FaultModel`; :meth:`exact_scores` always runs the checker."""

    def __init__(
        self,
        cfg: ExerciseConfig,
        clips: Sequence[Clip],
        prepared: Sequence[Rescorable],
        params: Sequence[Param] | None = None,
        fast: bool = True,
    ) -> None:
        self.cfg = cfg
        self.clips = list(clips)
        self.prepared = list(prepared)
        self._memo: dict[tuple[int, tuple[tuple[str, float], ...]], Outcome] = {}
        self.evaluations = 0
        self.params = list(params) if params is not None else None
        correctness = correctness_thresholds(cfg)
        self._fast = (
            fast and self.params is not None and all(p.name in correctness for p in self.params)
            and not _coupled(cfg, [p.name for p in self.params])
        )  # fmt: skip
        self._codes = {p.name: correctness.get(p.name, ()) for p in self.params or ()}
        self._models: dict[int, _FaultModel | None] = {}

    def config(self, values: Mapping[str, float]) -> ExerciseConfig | None:
        try:
            return self.cfg.with_overrides(values, origin="fit")
        except ConfigError:
            return None

    def _run(self, i: int, values: Mapping[str, float], cfg: ExerciseConfig | None = None) -> Outcome | None:
        key = (i, tuple(sorted(values.items())))
        if key not in self._memo:
            cfg = cfg or self.config(values)
            if cfg is None:
                return None
            self.evaluations += 1
            self._memo[key] = Outcome.of(self.prepared[i].checker(cfg))
        return self._memo[key]

    def _faults(self, i: int, values: Mapping[str, float]) -> list[set[str]] | None:
        cfg = self.config(values)
        if cfg is None:
            return None
        self.evaluations += 1
        return [set(r.faults) for r in self.prepared[i].checker(cfg).results]

    def _model(self, i: int) -> _FaultModel | None:
        """The clip's fault model, or None where it does not apply (the reps change)."""
        if i in self._models:
            return self._models[i]
        assert self.params is not None
        self._models[i] = None
        params = self.params
        # The lenient end of each threshold: where its faults fire least over this clip.
        lenient: Values = {}
        for p in params:
            counts = []
            for v in (p.lo, p.hi):
                f = self._faults(i, {p.name: v})
                counts.append(math.inf if f is None else sum(bool(set(self._codes[p.name]) & x) for x in f))
            lenient[p.name] = p.lo if counts[0] <= counts[1] else p.hi
        cfg = self.config(lenient)
        if cfg is None:
            return None
        checker = self.prepared[i].checker(cfg)
        self.evaluations += 1
        base = Outcome.of(checker)
        start = {p.name: float(self.cfg.value(p.name)) for p in params}  # type: ignore[arg-type]
        now = self._run(i, start)
        if now is None or now.spans != base.spans:
            return None  # these thresholds change which reps are counted here: score exactly
        controlled = {c for p in params for c in self._codes[p.name]}
        ok = tuple(not (set(r.faults) - controlled) for r in checker.results)
        switch: dict[str, tuple[int, list[float]]] = {}
        for p in params:
            codes = set(self._codes[p.name])
            sense = 1 if lenient[p.name] == p.lo else -1  # +1: the fault fires above the boundary
            strict = p.hi if sense > 0 else p.lo
            memo: dict[float, list[bool] | None] = {}

            def fires(v: float, p: Param = p, codes: set[str] = codes, memo: dict = memo) -> list[bool] | None:
                if v not in memo:
                    f = self._faults(i, {**lenient, p.name: v})
                    memo[v] = None if f is None or len(f) != base.reps else [bool(codes & x) for x in f]
                return memo[v]

            at_strict = fires(strict)
            if at_strict is None:
                return None
            bounds = []
            for j in range(base.reps):
                if not at_strict[j]:
                    bounds.append(math.inf if sense > 0 else -math.inf)
                    continue
                a, b = lenient[p.name], strict  # fires at b, not at a
                while abs(b - a) > p.step / 4:
                    mid = (a + b) / 2
                    fm = fires(mid)
                    if fm is None:
                        return None
                    a, b = (a, mid) if fm[j] else (mid, b)
                bounds.append((a + b) / 2)
            switch[p.name] = (sense, bounds)
        model = _FaultModel(Outcome(base.reps, base.reps_by_side, ok, base.spans, base.span_s), switch)
        self._models[i] = model
        return model

    @property
    def fast(self) -> bool:
        """Candidates are scored from per-clip fault models (see :class:`_FaultModel`)."""
        return self._fast

    def model(self, i: int) -> _FaultModel | None:
        """Clip ``i``'s fault model (None where it does not apply), built once."""
        return self._model(i) if self._fast else None

    def outcome(self, i: int, values: Mapping[str, float], cfg: ExerciseConfig | None = None) -> Outcome | None:
        if self._fast:
            model = self._model(i)
            if model is not None:
                return model.outcome(values)
        return self._run(i, values, cfg)

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

    def exact_scores(self, idx: Sequence[int], values: Mapping[str, float]) -> list[ClipScore] | None:
        """Scores from the checker itself (what is reported)."""
        cfg = self.config(values)
        if cfg is None:
            return None
        out = []
        for i in idx:
            o = self._run(i, values, cfg)
            assert o is not None
            out.append(agreement(self.clips[i], o))
        return out


def _objective(scores: Sequence[ClipScore]) -> tuple[float, float, int]:
    """Higher is better: (balanced accuracy of the per-rep verdicts when reps are labelled
    right/wrong, summed agreement, −total count error)."""
    ba = Verdicts.of(scores).balanced_accuracy
    agree = round(sum(s.score for s in scores), 9)
    return round(0.0 if ba != ba else ba, 9), agree, -sum(s.count_error for s in scores)


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

    @property
    def verdicts_before(self) -> Verdicts:
        return Verdicts.of(self.before)

    @property
    def verdicts_after(self) -> Verdicts:
        return Verdicts.of(self.after)

    def changed(self) -> Values:
        return {k: v for k, v in self.values.items() if v != self.start[k]}


def _round(v: float, step: float) -> float:
    digits = max(0, -math.floor(math.log10(step))) + 1
    return round(round(v / step) * step, digits)


def fit_thresholds(
    cfg: ExerciseConfig,
    clips: Sequence[Clip],
    prepared: Sequence[Rescorable],
    params: Sequence[Param] | None = None,
    idx: Sequence[int] | None = None,
    evaluator: Evaluator | None = None,
    grid: int = 25,
    rounds: int = 4,
    defaults: Mapping[str, float] | None = None,
    tolerance_reps: float = 1.0,
) -> FitResult:
    """Fit ``params`` of ``cfg`` to the clips ``idx`` (default: all); see the module doc.

    ``defaults`` is accepted for compatibility and not used: a fitted value is the centre
    of its plateau, wherever the starting or shipped value lies."""
    params = list(params) if params is not None else default_params(cfg)
    ev = evaluator or Evaluator(cfg, clips, prepared, params)
    idx = list(range(len(clips))) if idx is None else list(idx)
    start: Values = {p.name: float(cfg.value(p.name)) for p in params}  # type: ignore[arg-type]
    before = ev.scores(idx, start)
    if before is None:
        raise ConfigError(f"{cfg.name}: the starting thresholds are not a valid combination")
    n0 = ev.evaluations
    cur = dict(start)
    best = _objective(before)

    def better(obj: tuple[float, float, int], vals: Values, ref_obj: tuple[float, float, int], ref: Values) -> bool:
        if obj != ref_obj:
            return obj > ref_obj
        return _distance(vals, start, params) < _distance(ref, start, params) - 1e-12

    tol = _tolerance(before, tolerance_reps)
    joint = _joint_search(ev, idx, params, start, tol)
    cells = {p.name: (p.hi - p.lo) / (_joint_grid(len(params), _n_labelled(before), p) - 1) for p in params}
    if joint is not None:
        s_joint = ev.scores(idx, joint)
        if s_joint is not None and _objective(s_joint)[0] >= best[0] - tol - 1e-9:
            cur, best = joint, _objective(s_joint)
            rounds = 0  # the joint search saw every combination: no coordinate descent
        else:
            joint = None
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

    # Move every value to the centre of its plateau of best agreement (the range over which,
    # the others fixed, agreement stays the best, give or take ``tolerance_reps`` labelled
    # reps of balanced accuracy): the value the labels support with the widest margin either
    # way. The best value alone often sits on a plateau of zero width, pinned by one rep: a
    # margin generalises better than that rep. A plateau running to the end of the search range has one
    # edge only: a margin inside it (10 % of the range at most). A threshold whose plateau
    # is the whole range is not constrained by the labels and keeps its starting value.
    plateaus: dict[str, tuple[float, float]] = {}
    for p in params:
        a, b = _plateau(ev, idx, cur, p, best, 0.0 if joint is not None else tol)
        plateaus[p.name] = (a, b)
        open_lo, open_hi = a <= p.lo + p.step / 2, b >= p.hi - p.step / 2
        if joint is not None and open_lo == open_hi:
            # The joint search chose it with a margin in all thresholds together, to its grid's
            # resolution: finer than that, the centre of its own plateau.
            centre = _round((a + b) / 2, p.step)
            if not open_lo and abs(centre - cur[p.name]) <= cells[p.name] + 1e-9:
                trial = {**cur, p.name: centre}
                s = ev.scores(idx, trial)
                if s is not None and _near(_objective(s), best, 0.0):
                    cur = trial
            continue
        margin = min((b - a) / 2, 0.1 * (p.hi - p.lo))
        centre = (a + b) / 2
        if not open_lo and not open_hi and abs(start[p.name] - centre) <= max(p.step, 0.05 * (b - a)):
            target = start[p.name]  # already central (to the plateau's resolution): refits do not drift
        elif not open_lo and not open_hi:
            target = _round(centre, p.step)
        elif open_hi and not open_lo:
            target = _round(a + margin, p.step)
        elif open_lo and not open_hi:
            target = _round(b - margin, p.step)
        else:
            target = start[p.name]
        trial = {**cur, p.name: min(max(target, p.lo), p.hi)}
        s = ev.scores(idx, trial)
        if s is not None and _near(_objective(s), best, tol):
            cur = trial
    after = ev.exact_scores(idx, cur)
    before = ev.exact_scores(idx, start) or before
    assert after is not None
    return FitResult(start, cur, params, before, after, ev.evaluations - n0, plateaus)


def _tolerance(scores: Sequence[ClipScore], tolerance_reps: float) -> float:
    """Balanced accuracy worth ``tolerance_reps`` labelled reps of the larger class."""
    v = Verdicts.of(scores)
    n_big = max(v.correct_n, v.incorrect_n)
    return 0.5 * tolerance_reps / n_big if n_big else 0.0


#: :func:`_joint_search` scores at most this many (combination, labelled rep) pairs at once:
#: the grid is as fine as that allows (at most 61 values per threshold).
JOINT_BUDGET = 40_000_000


def _joint_grid(n_params: int, n_reps: int, p: Param) -> int:
    """How many values of ``p`` the joint search tries: every ``p.step`` where the budget
    allows, else as many as it allows (at least 5)."""
    fine = round((p.hi - p.lo) / p.step) + 1
    return max(5, min(fine, int((JOINT_BUDGET / max(1, n_reps)) ** (1.0 / max(1, n_params)))))


def _n_labelled(scores: Sequence[ClipScore]) -> int:
    return Verdicts.of(scores).n


def _joint_search(
    ev: Evaluator, idx: Sequence[int], params: Sequence[Param], start: Values, tol: float
) -> Values | None:
    """Every combination of the correctness thresholds on a grid, scored at once from the
    clips' fault models; the combination chosen is the one with the widest margin among
    those as good as the best (give or take ``tol`` of balanced accuracy): the centre of the
    plateau in all thresholds together, not one at a time (coordinate descent can stop on a
    ridge where no single threshold improves, and centres each threshold with the others
    pinned). Among equally deep cells, the one nearest the starting values.

    The margin is counted in grid cells, up to 10 % of each range: a plateau that runs to the
    end of a range is not pushed further than that from its edge, and a threshold the labels
    do not constrain keeps its starting value (it is on the grid). None when the fault models
    do not apply (the thresholds change which reps are counted, or reps are not labelled
    right/wrong): the caller falls back to coordinate descent."""
    if not params or not ev.fast:
        return None
    labels: list[bool] = []
    rows: list[tuple[int, int] | None] = []  # (position in idx, rep) per labelled rep
    models = []
    for k, i in enumerate(idx):
        model = ev.model(i)
        if model is None:
            return None
        models.append(model)
        for lab, j in match_reps(ev.clips[i], model.base):
            labels.append(lab)
            rows.append(None if j is None else (k, j))
    lab = np.array(labels, dtype=bool)
    if lab.all() or not lab.any():
        return None  # one class only: nothing to trade off (coordinate descent keeps it simple)
    found = np.array([r is not None for r in rows])
    base_ok = np.array([r is not None and models[r[0]].base.ok[r[1]] for r in rows])
    grids, fires = [], []
    for p in params:
        g = _joint_grid(len(params), lab.size, p)
        vals = sorted({_round(p.lo + k * (p.hi - p.lo) / (g - 1), p.step) for k in range(g)} | {start[p.name]})
        grid = np.clip(np.array(vals), p.lo, p.hi)
        grids.append(grid)
        f = np.zeros((grid.size, lab.size), dtype=bool)
        for n, r in enumerate(rows):
            if r is None:
                continue
            sense, bounds = models[r[0]].switch[p.name]
            b = bounds[r[1]]
            f[:, n] = grid > b if sense > 0 else grid < b
        fires.append(f)
    shape = tuple(x.size for x in grids)
    ok = np.broadcast_to(base_ok & found, (*shape, lab.size)).copy()
    for d, f in enumerate(fires):
        view = [1] * len(shape) + [lab.size]
        view[d] = shape[d]
        ok &= ~f.reshape(view)
    ba = 0.5 * (ok[..., lab].sum(-1) / lab.sum() + (~ok[..., ~lab]).sum(-1) / (~lab).sum())
    best = float(ba.max())
    mask = ba >= best - tol - 1e-9
    depth = np.zeros(shape, dtype=np.int32)
    inside = mask
    cap = max(1, min(round(0.1 * (x.size - 1)) for x in grids))
    for level in range(1, cap + 1):  # erode: the ends of a range count as inside
        nxt = inside.copy()
        for d in range(len(shape)):
            padded = np.pad(inside, [(1, 1) if e == d else (0, 0) for e in range(len(shape))], constant_values=True)
            lo = np.take(padded, range(0, shape[d]), axis=d)
            hi = np.take(padded, range(2, shape[d] + 2), axis=d)
            nxt &= lo & hi
        if not nxt.any():
            break
        inside = nxt
        depth[inside] = level
    top = ba >= best - 1e-9  # chosen among the best, with the margin the near-best region gives
    deepest = np.argwhere(top & (depth == depth[top].max()))
    at_start = tuple(int(np.searchsorted(grids[d], start[p.name])) for d, p in enumerate(params))
    if any((deepest == at_start).all(axis=1)):
        cell = np.array(at_start)  # the starting values are already as central as any: refits do not drift
    else:  # the deepest cell nearest their centre (the middle of a plateau wider than the cap)
        pos = np.stack([(grids[d][deepest[:, d]] - p.lo) / (p.hi - p.lo) for d, p in enumerate(params)], axis=1)
        cell = deepest[int(np.argmin(((pos - pos.mean(axis=0)) ** 2).sum(axis=1)))]
    return {**start, **{p.name: float(grids[d][cell[d]]) for d, p in enumerate(params)}}


def _distance(vals: Mapping[str, float], start: Mapping[str, float], params: Sequence[Param]) -> float:
    return sum(abs(vals[p.name] - start[p.name]) / (p.hi - p.lo) for p in params)


def _near(obj: tuple[float, float, int], best: tuple[float, float, int], tol: float) -> bool:
    """As good as ``best``: balanced accuracy within ``tol`` and no worse a count (exactly
    equal when no rep is labelled right/wrong)."""
    if best[0] > 0:
        return obj[0] >= best[0] - tol - 1e-9 and obj[2] >= best[2]
    return obj == best


def _plateau(
    ev: Evaluator, idx: Sequence[int], cur: Values, p: Param, best: tuple[float, float, int], tol: float = 0.0
) -> tuple[float, float]:
    """The interval of ``p`` around its current value where the objective stays as good as
    ``best`` (:func:`_near`; others fixed), to ``p.step`` resolution, by stepping out then
    bisecting."""

    def same(v: float) -> bool:
        s = ev.scores(idx, {**cur, p.name: v})
        return s is not None and _near(_objective(s), best, tol)

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
    prepared: Sequence[Rescorable],
    params: Sequence[Param] | None = None,
    evaluator: Evaluator | None = None,
    on_fold: Callable[[int], None] | None = None,
    **kwargs: Any,
) -> LooResult:
    """Fit on all clips but one, score the held-out clip; for each clip in turn."""
    ev = evaluator or Evaluator(cfg, clips, prepared, params if params is not None else default_params(cfg))
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
        before = ev.exact_scores([i], start)
        after = ev.exact_scores([i], values)
        assert before is not None and after is not None
        folds.append((values, before[0], after[0]))
    return LooResult(folds)


@dataclass(slots=True)
class GroupFold:
    """One held-out group: the thresholds fitted without it and its clips' scores."""

    group: str
    values: Values
    before: list[ClipScore]  # the starting thresholds
    after: list[ClipScore]  # the thresholds fitted on the other groups (or on its training part)


@dataclass(slots=True)
class GroupResult:
    folds: list[GroupFold]

    @property
    def before(self) -> Verdicts:
        return Verdicts.of(s for f in self.folds for s in f.before)

    @property
    def after(self) -> Verdicts:
        return Verdicts.of(s for f in self.folds for s in f.after)


def _groups(clips: Sequence[Clip], group_by: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, c in enumerate(clips):
        out.setdefault(group_of(c, group_by), []).append(i)
    return out


def leave_one_group_out(
    cfg: ExerciseConfig,
    clips: Sequence[Clip],
    prepared: Sequence[Rescorable],
    group_by: str,
    params: Sequence[Param] | None = None,
    evaluator: Evaluator | None = None,
    on_fold: Callable[[str], None] | None = None,
) -> GroupResult:
    """For each group (e.g. a person): fit on the other groups, score its clips. What to
    expect on people the thresholds were not fitted to."""
    params = list(params) if params is not None else default_params(cfg)
    ev = evaluator or Evaluator(cfg, clips, prepared, params)
    groups = _groups(clips, group_by)
    start = {p.name: float(cfg.value(p.name)) for p in params}  # type: ignore[arg-type]
    folds = []
    for g, held in groups.items():
        if on_fold is not None:
            on_fold(g)
        train = [i for i in range(len(clips)) if i not in set(held)]
        values = fit_thresholds(cfg, clips, prepared, params, train, ev).values if train else dict(start)
        before, after = ev.exact_scores(held, start), ev.exact_scores(held, values)
        assert before is not None and after is not None
        folds.append(GroupFold(g, values, before, after))
    return GroupResult(folds)


def calibrate_per_group(
    cfg: ExerciseConfig,
    clips: Sequence[Clip],
    prepared: Sequence[Rescorable],
    group_by: str,
    k: int,
    params: Sequence[Param] | None = None,
    evaluator: Evaluator | None = None,
    on_fold: Callable[[str], None] | None = None,
) -> GroupResult:
    """Per-patient calibration, tested: in each group, fit on its first ``k`` correct and
    first ``k`` incorrect clips (file order) and score its other clips. By default every
    correctness threshold is fitted (``default_params(cfg, calibrate=True)``)."""
    params = list(params) if params is not None else default_params(cfg, calibrate=True)
    ev = evaluator or Evaluator(cfg, clips, prepared, params)
    start = {p.name: float(cfg.value(p.name)) for p in params}  # type: ignore[arg-type]
    folds = []
    for g, members in _groups(clips, group_by).items():
        if on_fold is not None:
            on_fold(g)
        good = [i for i in members if clips[i].correct and all(clips[i].correct)][:k]
        bad = [i for i in members if clips[i].correct and not all(clips[i].correct)][:k]
        train = good + bad
        test = [i for i in members if i not in set(train)]
        if not train or not test:
            continue
        values = fit_thresholds(cfg, clips, prepared, params, train, ev).values
        before, after = ev.exact_scores(test, start), ev.exact_scores(test, values)
        assert before is not None and after is not None
        folds.append(GroupFold(g, values, before, after))
    return GroupResult(folds)


def prepare_clips(
    clips: Iterable[Clip],
    cfg: ExerciseConfig,
    pose: BackendSpec | None = None,
    progress: bool = True,
    on_status: Callable[[str], None] | None = None,
) -> list[CheckerTrace]:
    """Each clip measured once, keeping only what ``cfg``'s checker reads
    (:class:`CheckerTrace`): trace files are read window by window, so memory is bounded by
    the window and the few bytes a frame kept, not by the recordings' landmarks; videos come
    from the trace cache (pose inference runs only for videos not seen before with this model)."""
    from formcheck.errors import FormcheckError
    from formcheck.programs.rescoring import is_trace_file, trace_for_recording

    out = []
    for c in clips:
        if not c.path.exists():
            raise FormcheckError(f"{c.path}: labelled recording not found (use --videos-dir to say where they are)")
        if is_trace_file(c.path):
            prepared, how = CheckerTrace.load(c.path, cfg), "trace"
        else:
            trace, how = trace_for_recording(c.path, cfg, pose, progress)
            prepared = CheckerTrace.from_trace(trace, cfg, source=str(c.path))
            del trace
        if on_status is not None:
            said = {"trace": "trace file", "cached": "pose from the trace cache", "ran": "pose inference ran (cached)"}
            on_status(f"{c.file}: {said[how]}")
        out.append(prepared)
    return out
