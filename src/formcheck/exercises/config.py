"""Exercise definitions loaded from TOML into typed, validated dataclasses.

One exercise = one TOML file (see ``src/formcheck/exercises/*.toml``; the format is
documented in ``docs/exercises.md``). Every number a therapist may want to change is a
named threshold with a unit, an allowed range and a help text; ``--set key=value`` and
profile files override them, and an invalid value is rejected naming the key, the value and
the allowed range.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from formcheck.errors import ConfigError
from formcheck.measures.body import MEASURE_NAMES
from formcheck.pose.landmarks import SIDES

POSITIONS = ("standing", "lying", "sitting", "kneeling", "all_fours", "any")
VIEWS = ("side", "front", "any")
PHASES = ("rep", "hold", "return", "peak", "deepest")
MODES = ("rep", "paced")
DIRECTIONS = ("up", "down")

#: Timing thresholds every exercise has; an exercise file may override value and range.
COMMON_THRESHOLDS: dict[str, Threshold] = {}


def _common(name: str, value: float, lo: float, hi: float, unit: str, help: str) -> None:
    COMMON_THRESHOLDS[name] = Threshold(name, value, lo, hi, unit, help)


#: Built-in fault kinds of the generic rep machine → default fault code.
DEFAULT_CODES = {
    "below_target": "too_shallow",
    "above_target": "too_deep",
    "hold_short": "hold_short",
    "too_fast": "too_fast",
    "return_too_fast": "too_fast",
}


@dataclass(frozen=True, slots=True)
class Threshold:
    """A tunable number: ``value`` must lie in [``min``, ``max``]; ``unit`` is for people."""

    name: str
    value: float
    min: float
    max: float
    unit: str
    help: str = ""
    #: ``formcheck fit`` tunes it by default (a correctness threshold not marked ``fit = false``:
    #: a limit the labels of a few people cannot be trusted to move, e.g. a normal range).
    fit: bool = True

    def checked(self, value: Any, origin: str = "") -> Threshold:
        where = f" in {origin}" if origin else ""
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConfigError(f"{self.name}{where}: {value!r} is not a number; allowed: {self.allowed()}")
        try:
            v = float(value)
        except ValueError:
            raise ConfigError(f"{self.name}{where}: {value!r} is not a number; allowed: {self.allowed()}") from None
        if not math.isfinite(v):
            raise ConfigError(f"{self.name}{where}: {value!r} is not a finite number; allowed: {self.allowed()}")
        if not (self.min <= v <= self.max):
            raise ConfigError(f"{self.name}{where}: {v:g} is out of range; allowed: {self.allowed()}")
        return dataclasses.replace(self, value=v)

    def allowed(self) -> str:
        return f"{self.min:g} to {self.max:g} {self.unit}".rstrip()


_common("min_phase_s", 0.3, 0.0, 5.0, "s", "a threshold crossing must last this long to count (jitter guard)")
_common("hold_grace_s", 0.5, 0.0, 5.0, "s", "a dip out of the hold shorter than this does not break it")
_common("max_gap_s", 8.0, 0.5, 120.0, "s", "longest stretch out of sight that keeps a rep in progress")
_common("overshoot_min_s", 1.0, 0.0, 30.0, "s", "time past target_max before it is a fault")
_common("cue_delay_s", 1.5, 0.0, 30.0, "s", "time stuck short of the target before the 'go further' cue")
_common("unmeasurable_cue_s", 1.0, 0.0, 30.0, "s", "time not measurable before the 'fix your position' prompt")
_common("speed_window_s", 0.3, 0.05, 2.0, "s", "window over which movement speed is measured")
_common("guide_delay_s", 3.0, 0.5, 60.0, "s", "time in the wrong view or position before the person is told")

#: Extra thresholds of the optional shapes, added (with these defaults) when an exercise
#: uses the shape and does not set them itself.
RELATIVE_THRESHOLDS: dict[str, Threshold] = {
    "baseline_window_s": Threshold(
        "baseline_window_s", 6.0, 1.0, 120.0, "s",
        "relative signals: the rest level is the lowest value (highest, going down) at rest in this window",
    ),
}  # fmt: skip
PACED_THRESHOLDS: dict[str, Threshold] = {
    "settle_s": Threshold("settle_s", 2.0, 0.0, 30.0, "s", "paced holds: time in position before the first hold"),
}


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A posture check during part of a rep: ``measure`` above/below a threshold.

    ``measure`` may contain ``{side}`` (the rep's side) or ``{other}`` (the other side).
    The rule fires when the condition holds for ``min_s`` seconds in a row during ``phase``
    (rep: the whole attempt; hold: while held at the target; return: on the way back
    after the target was reached). ``phase = "peak"`` judges the whole rep at its end:
    a ``below`` rule fires when the measure never got up to the threshold during the rep
    (e.g. the opposite arm never went overhead), an ``above`` rule when it never came down.
    ``phase = "deepest"`` also judges once at the rep's end, on the measure's value at the
    frame where the rep's own signal went furthest (the bottom of a squat, the top of a leg
    raise): the knees' alignment *at the bottom*, not their best moment on the way down.

    The measure may be transformed first, in this order: ``relative`` — its change since
    the rep started (cancels camera angle and body build); ``abs`` — its magnitude (a tilt
    either way); ``spread`` — its range (max − min) so far in the phase (stillness).
    ``view`` limits the rule to frames seen from that view (a tilt of the hip line means
    nothing side-on).
    """

    code: str
    measure: str
    above: str | None
    below: str | None
    phase: str
    min_s: float
    text: str
    relative: bool = False
    abs: bool = False
    spread: bool = False
    view: str = "any"


@dataclass(frozen=True, slots=True)
class GateSpec:
    """A condition of the exercise's position: ``measure`` at least ``min`` and/or at most
    ``max`` (threshold names). A rep can only start, and its hold time only runs, while
    every gate holds; a gate failing (for ``min_phase_s``) ends a rep in progress. An
    unmeasurable gate measure does not block, unless ``measured`` (the condition must be seen)."""

    measure: str
    min: str | None
    max: str | None
    measured: bool = False


@dataclass(frozen=True, slots=True)
class RepSpec:
    """The shape of one repetition: a signal going out past ``start`` and back past ``end``.

    Optional shapes (all off by default):

    - ``direction = "down"``: the rep is the signal *falling* below ``start`` and rising back
      above ``end`` (so ``end`` > ``start``); ``target_min`` is the least far it must get
      (at or below it), ``target_max`` the furthest.
    - ``relative``: thresholds are distances from the rest level (the lowest value at rest
      over ``baseline_window_s``; the highest when going down), for signals whose resting
      value depends on the camera or the person (heel height, ankle angle). Peaks are then
      reported as that distance.
    - ``mode = "paced"``: the checker paces timed holds itself ("hold 5 s ... relax"): a
      hold starts when the signal is past ``start`` (the position is taken) and counts after
      ``hold_s``, then ``relax_s`` of rest. For holds whose effort cannot be seen.
    - ``alternate``: sides must alternate; a rep on the same side as the one before gets the
      fault ``not_alternating``.
    - ``side_by``: a both-sides signal (no ``{side}``) whose rep side is the side where this
      ``{side}`` measure is highest (``side_pick = "min"``: lowest) on average over the rep,
      e.g. a lunge's front leg.
    - ``hold_cues`` / ``rest_cues``: cue codes shown while a hold runs / while relaxing
      between paced holds (e.g. "Keep breathing").
    """

    signal: str
    sides: tuple[str, ...]
    unit: str
    one_side_at_a_time: bool
    codes: Mapping[str, str]
    mode: str = "rep"
    direction: str = "up"
    relative: bool = False
    alternate: bool = False
    side_by: str | None = None
    side_pick: str = "max"
    #: side_by with no frame to compare the sides: the rep takes the "other" side than the
    #: last rep (sides taking turns) or the "same" (one leg at a time, e.g. split squats).
    side_fallback: str = "other"
    hold_cues: tuple[str, ...] = ()
    rest_cues: tuple[str, ...] = ()
    #: What is counted when the signal is not measurable but this measure is (the feet just out
    #: of the picture: the thigh from vertical; a bird dog's hidden leg: the opposite arm), as
    #: ``fallback_scale`` × measure + ``fallback_offset`` in the signal's unit. ``{side}`` /
    #: ``{other}`` as in rules; for a both-sides signal, ``{side}`` means the mean of the sides seen.
    fallback: str | None = None
    fallback_scale: float = 1.0
    fallback_offset: float = 0.0

    def signal_for(self, side: str | None) -> str:
        return self.signal.format(side=side, other=None) if side else self.signal

    @property
    def down(self) -> bool:
        """True when a rep is the signal going down in absolute terms (thresholds flipped)."""
        return self.direction == "down" and not self.relative

    @property
    def per_side(self) -> bool:
        return bool(self.sides)


@dataclass(frozen=True, slots=True)
class ExerciseConfig:
    name: str
    title: str
    source: str
    position: str
    view: str
    advice: str
    prescription: str
    target_reps: int
    rep: RepSpec
    thresholds: Mapping[str, Threshold]
    rules: tuple[RuleSpec, ...] = ()
    extra_peaks: tuple[str, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)
    origin: str = ""
    gates: tuple[GateSpec, ...] = ()
    caveat: str = ""
    #: Named variants done in another position (``[[variant]]`` tables): each a complete
    #: exercise of its own; the checker counts a rep by whichever one the posture fits.
    variants: tuple[ExerciseConfig, ...] = ()
    variant: str = ""  # this variant's name ("" for the exercise as first described)
    #: A variant's thresholds that its ``[variant.thresholds]`` defines itself (often on another
    #: scale: the seated stretches' are relative to sitting upright). An override of the
    #: exercise's threshold of the same name does not reach them (:meth:`with_overrides`).
    own_thresholds: frozenset[str] = frozenset()
    #: The person's standing height (cm) when their profile gives it: heights above the floor
    #: are scaled by the leg length it implies (measures/body.py ``leg_length_cm``).
    height_cm: float | None = None

    def value(self, name: str, default: float | None = None) -> float | None:
        t = self.thresholds.get(name)
        return t.value if t is not None else default

    def text(self, code: str) -> str:
        return self.texts.get(code, code.replace("_", " ").capitalize())

    def measures_used(self) -> frozenset[str]:
        """Every measure the checker reads for this exercise (all sides), camera guidance
        included: the live path computes only these of the optional ones."""
        templates = [self.rep.signal, *self.extra_peaks, *(r.measure for r in self.rules)]
        templates += [gt.measure for gt in self.gates] + ([self.rep.side_by] if self.rep.side_by else [])
        templates += [self.rep.fallback] if self.rep.fallback else []
        names = {"body_yaw_deg", "trunk_lean_deg", "thighs_from_vertical_deg", "thighs_rise_deg"}  # camera guidance
        for tpl in templates:
            names.update(tpl.format(side=s, other="right" if s == "left" else "left") for s in SIDES)
        for v in self.variants:
            names.update(v.measures_used())
        return frozenset(names)

    def with_overrides(self, overrides: Mapping[str, Any], origin: str = "--set") -> ExerciseConfig:
        """A copy with thresholds replaced; unknown keys and bad values raise ConfigError."""
        new = dict(self.thresholds)
        for key, raw in overrides.items():
            if key not in new:
                raise ConfigError(
                    f"{key} ({origin}): not a threshold of {self.name}; valid keys: {', '.join(sorted(new))}"
                )
            new[key] = new[key].checked(raw, origin)
        # A variant takes the overrides of the thresholds it inherits from the exercise, not of
        # those it defines itself: the lying piriformis stretch's target_min_deg = 100 is not a
        # target for the seated one (12 from sitting upright, at most 90).
        variants = tuple(
            v.with_overrides(
                {k: x for k, x in overrides.items() if k in v.thresholds and k not in v.own_thresholds}, origin
            )
            for v in self.variants
        )
        cfg = dataclasses.replace(self, thresholds=new, variants=variants)
        _check_consistency(cfg, origin)
        return cfg


# --------------------------------------------------------------------------- loading


def _req(table: Mapping[str, Any], key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if key not in table:
        raise ConfigError(f"{where}: missing key {key!r}")
    val = table[key]
    if not isinstance(val, typ) or (isinstance(val, bool) and typ is not bool):
        raise ConfigError(f"{where}: {key} = {val!r} has the wrong type")
    return val


def _choice(val: str, allowed: Iterable[str], key: str, where: str) -> str:
    allowed = tuple(allowed)
    if val not in allowed:
        raise ConfigError(f"{where}: {key} = {val!r}; allowed: {', '.join(allowed)}")
    return val


def _known_measure(template: str, where: str) -> None:
    for side in SIDES:
        name = template.format(side=side, other="right" if side == "left" else "left")
        if name not in MEASURE_NAMES:
            raise ConfigError(f"{where}: unknown measure {template!r}; known: {', '.join(MEASURE_NAMES)}")


#: Keys each table may hold: anything else is a typo, reported with the valid keys.
_KEYS = {
    "": ("exercise", "thresholds", "rep", "rule", "gate", "texts", "variant"),
    "variant": ("name", "title", "position", "view", "prescription", "advice", "thresholds", "rep", "rule", "gate"),
    "exercise": (
        "name", "title", "source", "position", "view", "target_reps", "prescription", "advice", "caveat",
    ),
    "rep": (
        "signal", "sides", "unit", "one_side_at_a_time", "codes", "report_peaks", "mode", "direction",
        "relative", "alternate", "side_by", "side_pick", "side_fallback", "hold_cues", "rest_cues",
        "fallback", "fallback_scale", "fallback_offset",
    ),
    "rule": ("code", "measure", "above", "below", "phase", "min_s", "text", "relative", "abs", "range", "view"),
    "gate": ("measure", "min", "max", "measured"),
}  # fmt: skip


def _no_unknown_keys(table: Mapping[str, Any], kind: str, where: str) -> None:
    unknown = sorted(set(table) - set(_KEYS[kind]))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(_KEYS[kind])}")


def _flag(table: Mapping[str, Any], key: str, where: str, default: bool = False) -> bool:
    val = table.get(key, default)
    if not isinstance(val, bool):
        raise ConfigError(f"{where}: {key} = {val!r} must be true or false")
    return val


def _code_list(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    val = table.get(key, [])
    if not isinstance(val, list) or not all(isinstance(x, str) for x in val):
        raise ConfigError(f'{where}: {key} must be a list of cue codes, e.g. ["breathe"]')
    return tuple(val)


def _table(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    """An optional sub-table ({} when absent); anything else is a ConfigError naming it."""
    val = data.get(key, {})
    if not isinstance(val, dict):
        raise ConfigError(f"{where}: {key} = {val!r} must be a table, e.g. [{key}] on its own line")
    return val


def _tables(data: Mapping[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    """An optional array of tables (``[[rule]]``)."""
    val = data.get(key, [])
    if not isinstance(val, list) or not all(isinstance(x, dict) for x in val):
        raise ConfigError(f"{where}: {key} must be an array of tables, each starting with [[{key}]]")
    return val


def _text(table: Mapping[str, Any], key: str, where: str, default: str = "") -> str:
    val = table.get(key, default)
    if not isinstance(val, str):
        raise ConfigError(f"{where}: {key} = {val!r} must be a string (in quotes)")
    return val


def _strings(table: Mapping[str, Any], key: str, where: str) -> list[str]:
    val = table.get(key, [])
    if not isinstance(val, list) or not all(isinstance(x, str) for x in val):
        raise ConfigError(f'{where}: {key} = {val!r} must be a list of strings, e.g. ["left", "right"]')
    return val


def _finite(table: Mapping[str, Any], key: str, where: str) -> float:
    val = _req(table, key, (int, float), where)
    if not math.isfinite(val):
        raise ConfigError(f"{where}: {key} = {val!r} is not a finite number")
    return float(val)


#: Allowed ranges of ``[rep] fallback_scale`` and ``fallback_offset`` (signal units per measure unit,
#: signal units): a scale of 0 would count nothing, a larger one is a different measure.
FALLBACK_SCALE_RANGE = (-10.0, 10.0)
FALLBACK_OFFSET_RANGE = (-360.0, 360.0)


def _fallback(rp: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``[rep] fallback``, ``fallback_scale``, ``fallback_offset``, typed and in range."""
    if "fallback" not in rp:
        for key in ("fallback_scale", "fallback_offset"):
            if key in rp:
                raise ConfigError(f"{where}: {key} needs fallback (the measure it scales)")
        return {}
    measure = _text(rp, "fallback", where)
    _known_measure(measure, where)
    if "{other}" in measure and "{side}" not in str(rp.get("signal", "")):
        raise ConfigError(f"{where}: fallback {measure!r} names the {{other}} side of a signal without sides")
    out: dict[str, Any] = {"fallback": measure}
    for key, (lo, hi), default in (
        ("fallback_scale", FALLBACK_SCALE_RANGE, 1.0),
        ("fallback_offset", FALLBACK_OFFSET_RANGE, 0.0),
    ):
        val = rp.get(key, default)
        if isinstance(val, bool) or not isinstance(val, int | float) or not math.isfinite(val) or not lo <= val <= hi:
            raise ConfigError(f"{where}: {key} = {val!r}; allowed: a number from {lo:g} to {hi:g}")
        out[key] = float(val)
    if out["fallback_scale"] == 0.0:
        raise ConfigError(f"{where}: fallback_scale = 0 would count nothing; allowed: a number from -10 to 10, not 0")
    return out


#: Allowed range of an exercise's ``target_reps``.
TARGET_REPS_RANGE = (1, 1000)


def _target_reps(ex: Mapping[str, Any], where: str) -> int:
    val = ex.get("target_reps", 10)
    lo, hi = TARGET_REPS_RANGE
    if isinstance(val, bool) or not isinstance(val, int) or not lo <= val <= hi:
        raise ConfigError(f"{where}: target_reps = {val!r}; allowed: a whole number from {lo} to {hi}")
    return val


#: Thresholds the rep checker reads, by name (``{u}`` is the exercise's rep unit). A
#: threshold an exercise defines that is neither here nor named by one of its rules or
#: gates would be read by nothing: almost always a misspelling that silently turns a check
#: off, so it is refused. When the checker starts reading a new threshold, add it here
#: (tests/exercises/test_config_robustness.py checks this list against rep_checker.py).
CHECKER_THRESHOLDS = (
    "start_{u}", "end_{u}", "target_min_{u}", "target_max_{u}", "max_speed_{u}_s", "max_return_speed_{u}_s",
    "hold_s", "min_hold_s",
)  # fmt: skip
#: Read only by paced holds (``mode = "paced"``).
PACED_ONLY = ("relax_s",)


def thresholds_read(
    rep: RepSpec, rules: Iterable[RuleSpec], gates: Iterable[GateSpec], rule_refs: Iterable[str] = ()
) -> set[str]:
    """Every threshold name read for an exercise of this shape: by the rep checker, by its
    rules and gates, and by rules' ``min_s`` (``rule_refs``, read when the file is loaded)."""
    u = rep.unit
    names = {n.format(u=u) for n in CHECKER_THRESHOLDS} | set(COMMON_THRESHOLDS)
    if rep.relative:
        names |= set(RELATIVE_THRESHOLDS)
    if rep.mode == "paced":
        names |= set(PACED_THRESHOLDS) | set(PACED_ONLY)
    names |= {r.above or r.below for r in rules}  # type: ignore[misc]
    names |= {x for g in gates for x in (g.min, g.max) if x}
    return names | set(rule_refs)


def parse_exercise(data: Mapping[str, Any], origin: str) -> ExerciseConfig:
    """Build and validate an ExerciseConfig from a parsed TOML document.

    A ``[[variant]]`` table describes the same exercise done another way (seated instead of
    lying, ...): its ``name`` and ``position``, and whatever differs — ``rep`` and ``rule`` /
    ``gate`` lists replace the exercise's, ``thresholds`` add to or replace single entries.

    Any problem is a :class:`ConfigError` naming the file, the table, the key and what is
    allowed; a value of the wrong type never escapes as another exception."""
    try:
        return _parse_with_variants(data, origin)
    except ConfigError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError, IndexError) as e:
        # A shape no check above foresaw: still one line naming the file, never a traceback.
        raise ConfigError(f"{origin}: invalid exercise definition ({type(e).__name__}: {e})") from None


_VARIANT_EXERCISE_KEYS = ("title", "position", "view", "prescription", "advice")


def _parse_with_variants(data: Mapping[str, Any], origin: str) -> ExerciseConfig:
    cfg = _parse_exercise(data, origin)
    variants = []
    for i, var in enumerate(data.get("variant", [])):
        w = f"{origin} [[variant]] #{i + 1}"
        if not isinstance(var, dict):
            raise ConfigError(f"{w}: expected a table")
        _no_unknown_keys(var, "variant", w)
        vname = _req(var, "name", str, w)
        _req(var, "position", str, w)
        merged: dict[str, Any] = {k: v for k, v in data.items() if k != "variant"}
        merged["exercise"] = {**data["exercise"], **{k: var[k] for k in _VARIANT_EXERCISE_KEYS if k in var}}
        merged["thresholds"] = {**data["thresholds"], **var.get("thresholds", {})}
        for key in ("rep", "rule", "gate"):
            if key in var:
                merged[key] = var[key]
        own = var.get("thresholds", {})
        v = _parse_exercise(merged, f"{origin} variant {vname!r}", [k for k in data["thresholds"] if k not in own])
        variants.append(dataclasses.replace(v, variant=vname, own_thresholds=frozenset(own)))
    if len({v.variant for v in variants}) < len(variants):
        raise ConfigError(f"{origin}: two variants with the same name")
    return dataclasses.replace(cfg, variants=tuple(variants)) if variants else cfg


def _parse_exercise(data: Mapping[str, Any], origin: str, inherited: Iterable[str] = ()) -> ExerciseConfig:
    _no_unknown_keys(data, "", origin)
    ex = _req(data, "exercise", dict, origin)
    where = f"{origin} [exercise]"
    _no_unknown_keys(ex, "exercise", where)
    name = _req(ex, "name", str, where)
    thresholds: dict[str, Threshold] = {}
    for key, spec in _req(data, "thresholds", dict, origin).items():
        w = f"{origin} [thresholds.{key}]"
        if not isinstance(spec, dict):
            raise ConfigError(f'{w}: expected a table like {{ value = 1, min = 0, max = 2, unit = "s" }}')
        unknown = sorted(set(spec) - {"value", "min", "max", "unit", "help", "fit"})
        if unknown:
            raise ConfigError(f"{w}: unknown key(s) {', '.join(unknown)}; valid keys: value, min, max, unit, help, fit")
        lo, hi = _finite(spec, "min", w), _finite(spec, "max", w)
        if lo > hi:
            raise ConfigError(f"{w}: min {lo:g} is above max {hi:g}")
        fit = spec.get("fit", True)
        if not isinstance(fit, bool):
            raise ConfigError(f"{w}: fit = {fit!r} must be true or false")
        base = Threshold(key, lo, lo, hi, _text(spec, "unit", w), _text(spec, "help", w), fit)
        thresholds[key] = base.checked(_req(spec, "value", (int, float), w), origin)

    rp = _req(data, "rep", dict, origin)
    wr = f"{origin} [rep]"
    _no_unknown_keys(rp, "rep", wr)
    sides = tuple(_choice(s, SIDES, "sides", wr) for s in _strings(rp, "sides", wr))
    signal = _req(rp, "signal", str, wr)
    _known_measure(signal, wr)
    side_by = rp.get("side_by")
    if side_by is not None:
        side_by = _text(rp, "side_by", wr)
        _known_measure(side_by, wr)
        if "{side}" not in side_by or "{side}" in signal or not sides:
            raise ConfigError(
                f"{wr}: side_by {side_by!r} must contain {{side}}, with a both-sides signal "
                'and sides = ["left", "right"]'
            )
    if sides and "{side}" not in signal and side_by is None:
        raise ConfigError(f"{wr}: per-side signal {signal!r} must contain {{side}} (or give side_by)")
    unit = _req(rp, "unit", str, wr)
    codes = dict(DEFAULT_CODES)
    for kind, code in _table(rp, "codes", wr).items():
        _choice(kind, DEFAULT_CODES, "codes", wr)
        if not isinstance(code, str) or not code:
            raise ConfigError(f"{wr}: codes.{kind} = {code!r} must be a fault code (a string)")
        codes[kind] = code
    mode = _choice(rp.get("mode", "rep"), MODES, "mode", wr)
    rep = RepSpec(
        signal, sides, unit, _flag(rp, "one_side_at_a_time", wr, default=True), codes,
        mode=mode,
        direction=_choice(rp.get("direction", "up"), DIRECTIONS, "direction", wr),
        relative=_flag(rp, "relative", wr),
        alternate=_flag(rp, "alternate", wr),
        side_by=side_by,
        side_pick=_choice(rp.get("side_pick", "max"), ("max", "min"), "side_pick", wr),
        side_fallback=_choice(rp.get("side_fallback", "other"), ("other", "same"), "side_fallback", wr),
        hold_cues=_code_list(rp, "hold_cues", wr),
        rest_cues=_code_list(rp, "rest_cues", wr),
        **_fallback(rp, wr),
    )  # fmt: skip
    if mode == "paced" and sides:
        raise ConfigError(f"{wr}: paced holds are for the body as a whole: no sides")
    extra_peaks = tuple(_strings(rp, "report_peaks", wr))
    for m in extra_peaks:
        _known_measure(m, wr)
    for key, common in COMMON_THRESHOLDS.items():
        thresholds.setdefault(key, common)
    if rep.relative:
        for key, extra in RELATIVE_THRESHOLDS.items():
            thresholds.setdefault(key, extra)
    if mode == "paced":
        for key, extra in PACED_THRESHOLDS.items():
            thresholds.setdefault(key, extra)
    needed = [f"start_{unit}", f"end_{unit}"] + (["hold_s", "relax_s"] if mode == "paced" else [])
    for key in needed:
        if key not in thresholds:
            what = {"hold_s": "how long each paced hold lasts", "relax_s": "the rest between paced holds"}
            role = key.split("_")[0]
            raise ConfigError(f"{origin}: [thresholds] needs {key} ({what.get(key, f'where a repetition {role}s')})")

    rules = []
    rule_refs: list[str] = []  # thresholds named by a rule's min_s (read when the file is loaded)
    for i, r in enumerate(_tables(data, "rule", origin)):
        w = f"{origin} [[rule]] #{i + 1}"
        _no_unknown_keys(r, "rule", w)
        above, below = r.get("above"), r.get("below")
        if (above is None) == (below is None):
            raise ConfigError(f"{w}: give exactly one of 'above' or 'below' (a threshold name)")
        ref = above or below
        if not isinstance(ref, str):
            raise ConfigError(f"{w}: {'above' if above is not None else 'below'} = {ref!r} must name a threshold")
        if ref not in thresholds:
            raise ConfigError(f"{w}: threshold {ref!r} is not in [thresholds]")
        measure = _req(r, "measure", str, w)
        _known_measure(measure, w)
        min_s = r.get("min_s", 0.5)
        if isinstance(min_s, str):
            if min_s not in thresholds:
                raise ConfigError(f"{w}: min_s names unknown threshold {min_s!r}")
            rule_refs.append(min_s)
        elif isinstance(min_s, bool) or not isinstance(min_s, int | float) or not 0 <= min_s < math.inf:
            raise ConfigError(f"{w}: min_s = {min_s!r} must be seconds >= 0 or a threshold name")
        rules.append(
            RuleSpec(
                _req(r, "code", str, w),
                measure,
                above,
                below,
                _choice(r.get("phase", "rep"), PHASES, "phase", w),
                float(thresholds[min_s].value) if isinstance(min_s, str) else float(min_s),
                _text(r, "text", w),
                relative=_flag(r, "relative", w),
                abs=_flag(r, "abs", w),
                spread=_flag(r, "range", w),
                view=_choice(r.get("view", "any"), VIEWS, "view", w),
            )
        )
        if side_by is not None and ("{side}" in measure or "{other}" in measure):
            raise ConfigError(f"{w}: with side_by the rep's side is known only at its end: no {{side}} in rules")
    gates = []
    for i, gt in enumerate(_tables(data, "gate", origin)):
        w = f"{origin} [[gate]] #{i + 1}"
        _no_unknown_keys(gt, "gate", w)
        measure = _req(gt, "measure", str, w)
        _known_measure(measure, w)
        lo, hi = gt.get("min"), gt.get("max")
        if lo is None and hi is None:
            raise ConfigError(f"{w}: give 'min' and/or 'max' (threshold names)")
        for ref in (lo, hi):
            if ref is not None and not isinstance(ref, str):
                raise ConfigError(f"{w}: min/max = {ref!r} must name a threshold")
            if ref is not None and ref not in thresholds:
                raise ConfigError(f"{w}: threshold {ref!r} is not in [thresholds]")
        gates.append(GateSpec(measure, lo, hi, _flag(gt, "measured", w)))
    texts_table = _table(data, "texts", origin)
    texts = {str(k): _text(texts_table, k, f"{origin} [texts]") for k in texts_table}
    for r in rules:
        if r.text:
            texts.setdefault(r.code, r.text)
    for code in (*rep.hold_cues, *rep.rest_cues):
        if code not in texts:
            raise ConfigError(f"{wr}: cue {code!r} needs a text in [texts]")
    read = thresholds_read(rep, rules, gates, rule_refs)
    for key in inherited:  # a variant takes the exercise's thresholds that its own checks read
        if key not in read:
            del thresholds[key]
    for key in thresholds:
        if key not in read:
            raise ConfigError(
                f"{origin} [thresholds.{key}]: no check of this exercise reads {key!r} (a misspelling?); "
                f"the thresholds it reads: {', '.join(sorted(read))}"
            )
    cfg = ExerciseConfig(
        name=name,
        title=_text(ex, "title", where, name),
        source=_text(ex, "source", where),
        position=_choice(ex.get("position", "any"), POSITIONS, "position", where),
        view=_choice(ex.get("view", "any"), VIEWS, "view", where),
        advice=_text(ex, "advice", where),
        prescription=_text(ex, "prescription", where),
        target_reps=_target_reps(ex, where),
        rep=rep,
        thresholds=thresholds,
        rules=tuple(rules),
        extra_peaks=extra_peaks,
        texts=texts,
        origin=origin,
        gates=tuple(gates),
        caveat=_text(ex, "caveat", where),
    )
    _check_consistency(cfg, origin)
    return cfg


def _check_consistency(cfg: ExerciseConfig, origin: str) -> None:
    u = cfg.rep.unit
    start, end = cfg.value(f"start_{u}"), cfg.value(f"end_{u}")
    assert start is not None and end is not None
    lo, hi = cfg.value(f"target_min_{u}"), cfg.value(f"target_max_{u}")
    if cfg.rep.down:  # a rep goes down: every comparison flips
        if end <= start:
            raise ConfigError(
                f"{cfg.name} ({origin}): end_{u} = {end:g} must be above start_{u} = {start:g} (direction = down)"
            )
        if lo is not None and hi is not None and lo < hi:
            raise ConfigError(
                f"{cfg.name} ({origin}): target_min_{u} = {lo:g} is below target_max_{u} = {hi:g} (direction = down)"
            )
        return
    if end >= start:
        raise ConfigError(f"{cfg.name} ({origin}): end_{u} = {end:g} must be below start_{u} = {start:g}")
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"{cfg.name} ({origin}): target_min_{u} = {lo:g} is above target_max_{u} = {hi:g}")


# --------------------------------------------------------------------------- registry


def read_toml(path: Path | str, what: str = "file") -> dict[str, Any]:
    """A TOML file's contents; a missing, unreadable or malformed file is a ConfigError
    naming the file (``what`` says what kind of file it should be: "profile", "labels file")."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {what}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{path}: the {what} is not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start}); "
            "save it as UTF-8"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a {what}") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the {what} ({e.strerror or e})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None


def load_exercise_file(path: Path) -> ExerciseConfig:
    return parse_exercise(read_toml(path, "exercise file"), str(path))


def builtin_exercises() -> dict[str, ExerciseConfig]:
    out: dict[str, ExerciseConfig] = {}
    for entry in sorted(resources.files("formcheck.exercises").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            cfg = parse_exercise(data, f"formcheck/exercises/{entry.name}")
            out[cfg.name] = cfg
    return out


def _warn_skipped(message: str) -> None:
    import warnings

    warnings.warn(message, stacklevel=3)


def available_exercises(
    extra_files: Iterable[Path] = (),
    user_files: Iterable[Path] = (),
    on_skip: Callable[[str], None] | None = None,
) -> dict[str, ExerciseConfig]:
    """Built-in exercises plus files that may add new ones or replace built-ins.

    ``extra_files`` were named by the user (``--exercises-file``): a broken one is an error.
    ``user_files`` were merely found (the user exercise folder): a broken one must not stop
    every command, so it is skipped and ``on_skip`` (default: :func:`warnings.warn`) gets a
    one-line message naming the file and the problem. ``user_files`` load first, so a named
    file wins over a found one.
    """
    out = builtin_exercises()
    for path in user_files:
        try:
            cfg = load_exercise_file(Path(path))
        except ConfigError as e:
            (on_skip or _warn_skipped)(f"{e} (this exercise file was skipped)")
            continue
        out[cfg.name] = cfg
    for path in extra_files:
        cfg = load_exercise_file(Path(path))
        out[cfg.name] = cfg
    return out


def user_exercise_folder() -> Path:
    """Where a user keeps their own exercise files: ``<user config>/formcheck/exercises``."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("formcheck")) / "exercises"


def user_exercise_files(on_skip: Callable[[str], None] | None = None) -> list[Path]:
    """The exercise TOML files in :func:`user_exercise_folder` (an unreadable folder is
    reported through ``on_skip``, default :func:`warnings.warn`, and gives none)."""
    folder = user_exercise_folder()
    try:
        return sorted(p for p in folder.glob("*.toml") if p.is_file()) if folder.is_dir() else []
    except OSError as e:  # an unreadable folder is reported like a broken file in it
        problem = f"cannot list the user exercise folder ({e.strerror or e}); it was skipped"
        (on_skip or _warn_skipped)(f"{folder}: {problem}")
        return []


def get_exercise(
    name: str,
    extra_files: Iterable[Path] = (),
    user_files: Iterable[Path] = (),
    on_skip: Callable[[str], None] | None = None,
) -> ExerciseConfig:
    """The exercise ``name`` from the package (and the files given). For the exercise as the
    user configured it (their exercise folder, a profile, overrides) use
    :func:`formcheck.exercises.profiles.load_exercise`."""
    exercises = available_exercises(extra_files, user_files, on_skip)
    return pick_exercise(name, exercises)


def pick_exercise(name: str, exercises: Mapping[str, ExerciseConfig]) -> ExerciseConfig:
    """``exercises[name]``, or a ConfigError listing the names there are."""
    if name not in exercises:
        raise ConfigError(f"unknown exercise {name!r}; available: {', '.join(sorted(exercises))}")
    return exercises[name]


def parse_set_options(items: Iterable[str]) -> dict[str, str]:
    """``["hold_s=8", ...]`` → ``{"hold_s": "8"}``; malformed items raise ConfigError."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. --set hold_s=8")
        out[key.strip()] = val.strip()
    return out
