"""The scoring report: typed (:class:`Report`), versioned, with a stable JSON contract.

A :class:`Report` is built from a checker's public outcome (:class:`CheckerOutcome`: the
finished reps, the events, frame counts) by :func:`report_from_checker`; writers
(:mod:`formcheck.sinks.writers`: JSON, CSV, and any registered) turn it into files. The
JSON form (:meth:`Report.to_dict`) is a contract: keys may be added, none removed or
renamed. Keys: exercise, source, model, duration_s, frames, measurable_frames,
measurable_fraction, reps, reps_by_side ({"left": n, "right": n[, "unknown": n]} or null), reps_ok,
target_reps, rep_details ([{index, side, start_s, end_s, peak_deg, hold_s, max_speed_deg_s,
faults, ok, peak, unit, in_target_s, max_speed_<unit>_s, max_return_speed_<unit>_s,
finished, variant?, peak_in? (cm), peak_<measure>...}]), cues ([{t_s, code, text, side?}]), stopped, complete,
error, thresholds, note, formcheck_version, report_version; for an imported recording
synthesized, input_note, world_exact, segmented (:class:`InputInfo`); on request signals
({t_s, series: {measure: [...]}}); commands add their own keys (inference, trace, live...).
The JSON Schema is ``docs/report.schema.json``.
A run with no measurable frame at all is not a result: ``complete`` is false, ``error``
says why and ``nothing_measurable`` is true.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from formcheck import __version__
from formcheck.checkers.events import Event, EventKind, RepResult
from formcheck.exercises.config import ExerciseConfig
from formcheck.sinks.outputs import write_text

#: Version of the report's layout: bumped when a key changes meaning (keys are only added).
REPORT_VERSION = 1


class CheckerOutcome(Protocol):
    """The public state of a finished checker run that a report is built from."""

    cfg: ExerciseConfig
    results: list[RepResult]
    events: list[Event]
    frames: int
    measurable_frames: int
    t_first: float | None
    t_last: float | None
    stopped: tuple[float, str] | None

    @property
    def reps_by_side(self) -> dict[str, int] | None: ...


def _num(x: float | None, nd: int = 2) -> float | None:
    return round(float(x), nd) if x is not None and math.isfinite(x) else None


def _sideless(measure: str) -> str:
    return measure.replace("_left", "").replace("_right", "")


def _peak_keys(names: Iterable[str]) -> dict[str, str]:
    """Extra-peak measure → its report name: without its side (a ``{side}`` template is one
    measure per rep), unless both sides of it are reported (an exercise that lists
    ``knee_flex_left_deg`` and ``knee_flex_right_deg``): then each keeps its own name, or one
    side's peak would silently replace the other's."""
    names = list(names)
    stems = [_sideless(n) for n in names]
    return {n: s if stems.count(s) == 1 else n for n, s in zip(names, stems, strict=True)}


@dataclass(frozen=True, slots=True)
class RepRecord:
    """One counted repetition as published (numbers rounded; None where not finite).
    ``peak``/speeds are in ``unit`` per the exercise signal; ``extra_peaks`` are the peaks
    of the exercise's extra measures, by measure name without its side."""

    index: int
    side: str | None
    start_s: float | None
    end_s: float | None
    unit: str
    peak: float | None
    hold_s: float | None
    in_target_s: float | None
    max_speed_per_s: float | None
    max_return_speed_per_s: float | None
    faults: tuple[str, ...]
    finished: bool = True
    extra_peaks: dict[str, float | None] = field(default_factory=dict)
    variant: str | None = None  # the named variant recognised from posture (None: the exercise itself)

    @property
    def ok(self) -> bool:
        return not self.faults

    @property
    def peak_in(self) -> float | None:
        """The peak in inches when it is a height in cm (heights are prescribed in inches too)."""
        return _num(self.peak / 2.54, 1) if self.unit == "cm" and self.peak is not None else None

    @classmethod
    def from_result(cls, r: RepResult) -> RepRecord:
        return cls(
            r.index, r.side, _num(r.start_s, 3), _num(r.end_s, 3), r.unit, _num(r.peak), _num(r.hold_s),
            _num(r.in_target_s), _num(r.max_speed_per_s, 1), _num(r.max_return_speed_per_s, 1), tuple(r.faults),
            r.finished, {key: _num(r.extra_peaks[name], 1) for name, key in _peak_keys(r.extra_peaks).items()},
            r.variant or None,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        u, deg = self.unit, self.unit == "deg"
        d: dict[str, Any] = {
            "index": self.index,
            "side": self.side,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "peak_deg": self.peak if deg else None,
            "hold_s": self.hold_s,
            "max_speed_deg_s": self.max_speed_per_s if deg else None,
            "faults": list(self.faults),
            "ok": self.ok,
            "peak": self.peak,
            "unit": u,
            "in_target_s": self.in_target_s,
            f"max_speed_{u}_s": self.max_speed_per_s,
            f"max_return_speed_{u}_s": self.max_return_speed_per_s,
            "finished": self.finished,
        }
        if self.variant:
            d["variant"] = self.variant
        if self.unit == "cm":
            d["peak_in"] = self.peak_in
        for name, v in self.extra_peaks.items():
            d[f"peak_{name}"] = v
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RepRecord:
        u = d["unit"]
        fixed = {"peak_deg", "peak", "peak_in"}  # peak_in is derived from peak (cm)
        extra = {k[len("peak_") :]: v for k, v in d.items() if k.startswith("peak_") and k not in fixed}
        return cls(
            d["index"], d["side"], d["start_s"], d["end_s"], u, d["peak"], d["hold_s"], d["in_target_s"],
            d[f"max_speed_{u}_s"], d[f"max_return_speed_{u}_s"], tuple(d["faults"]), d["finished"], extra,
            d.get("variant"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class CueRecord:
    """A cue shown at ``t_s`` (``side`` set for one-sided cues)."""

    t_s: float | None
    code: str
    text: str
    side: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": self.t_s, "code": self.code, "text": self.text, **({"side": self.side} if self.side else {})}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CueRecord:
        return cls(d["t_s"], d["code"], d["text"], d.get("side"))


@dataclass(frozen=True, slots=True)
class SignalSeries:
    """Per-frame values of the measures an exercise counts with (for plots): ``t_s`` and, by
    measure name, one value per frame (None where the frame was not measurable).

    A recording longer than :data:`SIGNAL_MAX_FRAMES` frames keeps every ``frame_step``-th
    frame (frames 0, step, 2·step, …; ``frame_step`` = ceil(T / SIGNAL_MAX_FRAMES)), so the
    report of a 3-hour session stays a few MB; shorter ones keep every frame (step 1)."""

    t_s: tuple[float, ...]
    series: dict[str, tuple[float | None, ...]]
    frame_step: int = 1

    @classmethod
    def from_arrays(
        cls, t_s: np.ndarray, values: Mapping[str, np.ndarray], frame_step: int | None = None
    ) -> SignalSeries:
        """From (T,) times and (T,) values per measure of every frame; or, with
        ``frame_step``, of every ``frame_step``-th frame already (collected window by window)."""
        if frame_step is None:
            frame_step = signal_frame_step(len(t_s))
            t_s, values = t_s[::frame_step], {k: v[::frame_step] for k, v in values.items()}

        def clean(a: np.ndarray, nd: int) -> tuple[float | None, ...]:
            a = np.round(np.asarray(a, dtype=np.float64), nd)
            return tuple(None if not math.isfinite(v) else v for v in a.tolist())

        return cls(clean(t_s, 3), {k: clean(v, 3) for k, v in values.items()}, frame_step)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        return {
            "t_s": list(self.t_s),
            "series": {k: list(v) for k, v in self.series.items()},
            "frame_step": self.frame_step,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SignalSeries:
        return cls(tuple(d["t_s"]), {k: tuple(v) for k, v in d["series"].items()}, int(d.get("frame_step", 1)))


#: Most frames a report's signal series holds (20 minutes at 30 fps); longer ones are decimated.
SIGNAL_MAX_FRAMES = 36_000


def signal_frame_step(frames: int) -> int:
    """Every how many frames the signal series of a ``frames``-frame recording keeps one."""
    return max(1, -(-frames // SIGNAL_MAX_FRAMES))


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What was checked, from what, and how the run ended."""

    exercise: str
    source: str
    model: str
    duration_s: float | None
    frames: int
    measurable_frames: int
    target_reps: int
    thresholds: dict[str, float]
    note: str | None = None
    complete: bool = True
    error: str | None = None
    stopped_t_s: float | None = None
    stopped_reason: str | None = None
    formcheck_version: str = __version__

    @property
    def measurable_fraction(self) -> float | None:
        return _num(self.measurable_frames / self.frames, 3) if self.frames else 0.0


@dataclass(frozen=True, slots=True)
class InputInfo:
    """What the report must say about an imported recording: which coordinates were
    synthesised (a motion-capture import has no camera picture; a 2-D import no depth),
    whether its 3-D positions are exact (motion capture) and whether it is one repetition."""

    synthesized: str | None = None  # "image_xy" or "world_xyz"
    world_exact: bool = False
    segmented: bool = False

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any]) -> InputInfo | None:
        """From a trace's ``meta.extra`` (None when there is nothing to say)."""
        info = cls(extra.get("synthesized") or None, bool(extra.get("world_exact")), bool(extra.get("segmented")))
        return info if info != cls() else None

    @property
    def note(self) -> str | None:
        if self.synthesized == "image_xy":
            return "the image was synthesised from the 3-D positions (no camera picture)"
        if self.synthesized:
            return (
                "the 3-D positions were estimated from the image (z = 0): angles out of the image plane are flattened"
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.synthesized:
            d["synthesized"], d["input_note"] = self.synthesized, self.note
        if self.world_exact:
            d["world_exact"] = True
        if self.segmented:
            d["segmented"] = True
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InputInfo | None:
        return cls.from_extra(d)


@dataclass(frozen=True, slots=True)
class PatientInfo:
    """Whose recording a report is: the patient's name, the profile's notes and the profile file."""

    name: str
    notes: str = ""
    profile: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "notes": self.notes, "profile": self.profile}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PatientInfo:
        return cls(d["name"], d.get("notes") or "", d.get("profile"))


@dataclass(frozen=True, slots=True)
class Report:
    """One checked recording or session: the typed form of the JSON report.

    ``extra`` holds keys commands add (``inference``, ``trace``, ``live``, ...), written
    after the fixed ones. ``signals`` is set only when asked for; ``input`` only for an
    imported recording that has something to declare (:class:`InputInfo`).
    """

    session: SessionInfo
    reps: tuple[RepRecord, ...]
    cues: tuple[CueRecord, ...]
    reps_by_side: dict[str, int] | None = None
    signals: SignalSeries | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    version: int = REPORT_VERSION
    input: InputInfo | None = None
    #: When the report was made (ISO 8601, UTC) and whose it is; set by the commands (None: not stamped).
    generated_utc: str | None = None
    patient: PatientInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        s = self.session
        stopped = {"t_s": s.stopped_t_s, "reason": s.stopped_reason} if s.stopped_reason is not None else None
        d: dict[str, Any] = {
            "exercise": s.exercise,
            "source": s.source,
            "model": s.model,
            "duration_s": s.duration_s,
            "frames": s.frames,
            "measurable_frames": s.measurable_frames,
            "measurable_fraction": s.measurable_fraction,
            "reps": len(self.reps),
            "reps_by_side": self.reps_by_side,
            "reps_ok": sum(1 for r in self.reps if r.ok),
            "target_reps": s.target_reps,
            "rep_details": [r.to_dict() for r in self.reps],
            "cues": [c.to_dict() for c in self.cues],
            "stopped": stopped,
            "complete": s.complete,
            "error": s.error,
            "thresholds": dict(s.thresholds),
            "note": s.note,
            "formcheck_version": s.formcheck_version,
            "report_version": self.version,
        }
        if self.input is not None:
            d.update(self.input.to_dict())
        if self.generated_utc is not None:
            d["generated_utc"] = self.generated_utc
        if self.patient is not None:
            d["patient"] = self.patient.to_dict()
        d.update(self.extra)
        if self.signals is not None:
            d["signals"] = self.signals.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Report:
        """The typed form of a report dict (as :meth:`to_dict` or an older formcheck wrote it)."""
        stopped = d.get("stopped") or {}
        session = SessionInfo(
            d["exercise"], d["source"], d["model"], d["duration_s"], d["frames"], d["measurable_frames"],
            d.get("target_reps", 0), dict(d.get("thresholds", {})), d.get("note"), d.get("complete", True),
            d.get("error"), stopped.get("t_s"), stopped.get("reason"), d.get("formcheck_version", __version__),
        )  # fmt: skip
        extra = {k: v for k, v in d.items() if k not in _FIXED_KEYS}
        signals = SignalSeries.from_dict(d["signals"]) if d.get("signals") is not None else None
        return cls(
            session,
            tuple(RepRecord.from_dict(r) for r in d["rep_details"]),
            tuple(CueRecord.from_dict(c) for c in d["cues"]),
            d.get("reps_by_side"),
            signals,
            extra,
            d.get("report_version", REPORT_VERSION),
            InputInfo.from_dict(d),
            d.get("generated_utc"),
            PatientInfo.from_dict(d["patient"]) if d.get("patient") is not None else None,
        )


_FIXED_KEYS = frozenset((
    "exercise", "source", "model", "duration_s", "frames", "measurable_frames", "measurable_fraction", "reps",
    "reps_by_side", "reps_ok", "target_reps", "rep_details", "cues", "stopped", "complete", "error", "thresholds",
    "note", "formcheck_version", "report_version", "signals", "synthesized", "input_note", "world_exact", "segmented",
    "generated_utc", "patient",
))  # fmt: skip


def rep_to_dict(r: RepResult) -> dict[str, Any]:
    return RepRecord.from_result(r).to_dict()


def report_from_checker(
    checker: CheckerOutcome,
    *,
    source: str,
    model: str,
    duration_s: float | None = None,
    complete: bool = True,
    error: str | None = None,
    signals: SignalSeries | None = None,
    extra: dict[str, Any] | None = None,
    input_info: InputInfo | None = None,
) -> Report:
    """The report of a finished (or interrupted) checker run, from its public outcome."""
    cfg = checker.cfg
    if duration_s is None:
        duration_s = (checker.t_last - checker.t_first) if checker.t_first is not None and checker.t_last else 0.0
    stopped = checker.stopped
    extra = dict(extra or {})
    if complete and not checker.measurable_frames:
        # Not a normal success: a damaged model, nobody in view or the wrong camera view
        # all end here, and "0 reps" would read as the person's result.
        complete, error = False, nothing_measurable_text(cfg.name, checker.frames)
        extra = {"nothing_measurable": True, **extra}
    session = SessionInfo(
        exercise=cfg.name,
        source=source,
        model=model,
        duration_s=_num(duration_s, 3),
        frames=checker.frames,
        measurable_frames=checker.measurable_frames,
        target_reps=cfg.target_reps,
        thresholds={k: t.value for k, t in sorted(cfg.thresholds.items())},
        note=cfg.caveat or None,  # what the camera cannot see for this exercise
        complete=complete,
        error=error,
        stopped_t_s=_num(stopped[0], 3) if stopped else None,
        stopped_reason=stopped[1] if stopped else None,
    )
    cue_events = (e for e in checker.events if e.kind is EventKind.CUE_ON)
    cues = tuple(CueRecord(_num(e.t_s, 3), e.code, e.text, e.side) for e in cue_events)
    reps = tuple(RepRecord.from_result(r) for r in checker.results)
    return Report(session, reps, cues, checker.reps_by_side, signals, extra, input=input_info)


def build_report(
    checker: CheckerOutcome,
    *,
    source: str,
    model: str,
    duration_s: float | None = None,
    complete: bool = True,
    error: str | None = None,
    extra: dict[str, Any] | None = None,
    signals: SignalSeries | None = None,
    input_info: InputInfo | None = None,
) -> dict[str, Any]:
    """The JSON-ready report dict of a checker run (:func:`report_from_checker`, then
    :meth:`Report.to_dict`)."""
    return report_from_checker(
        checker, source=source, model=model, duration_s=duration_s, complete=complete, error=error,
        signals=signals, extra=extra, input_info=input_info,
    ).to_dict()  # fmt: skip


def signal_names(cfg: ExerciseConfig) -> list[str]:
    """The measures ``cfg``'s exercise counts with, one per side (or the one signal)."""
    names = [cfg.rep.signal_for(s) for s in cfg.rep.sides] or [cfg.rep.signal]
    return list(dict.fromkeys(names))


class SignalRecorder:
    """The exercise's signal series collected frame by frame (live, and while drawing)."""

    def __init__(self, cfg: ExerciseConfig) -> None:
        from formcheck.measures.body import measure_index

        self.names = signal_names(cfg)
        self._columns = [measure_index(n) for n in self.names]
        self._t: list[float] = []
        self._rows: list[list[float]] = []

    def append(self, t_s: float, values: np.ndarray) -> None:
        """One frame: its time and its (M,) measure values."""
        self._t.append(t_s)
        self._rows.append([float(values[c]) for c in self._columns])

    def build(self) -> SignalSeries:
        rows = np.asarray(self._rows, dtype=np.float64).reshape(len(self._rows), len(self.names))
        return SignalSeries.from_arrays(np.asarray(self._t), {n: rows[:, i] for i, n in enumerate(self.names)})


def signal_series(cfg: ExerciseConfig, t_s: np.ndarray, values: np.ndarray) -> SignalSeries:
    """The exercise's signal series from (T,) times and (T, M) measure values (all measures)."""
    from formcheck.measures.body import measure_index

    return SignalSeries.from_arrays(t_s, {name: values[:, measure_index(name)] for name in signal_names(cfg)})


def nothing_measurable_text(exercise: str, frames: int) -> str:
    """Why a report with no measurable frame is not a result (one sentence)."""
    if not frames:
        return "nothing was measured: the input has no frames"
    return (
        f"nothing was measurable: in none of the {frames} frames were the body parts {exercise} needs in view "
        "(check that the whole body is in the picture, the camera view, and the pose model)"
    )


def write_json(data: Any, dest: str | Path, what: str = "--json") -> None:
    """Write JSON to a path, or to stdout when dest is "-" (by :mod:`formcheck.sinks.outputs`'s
    rules: atomic replace, FIFOs and devices written through; OutputError on failure)."""
    write_text(dest, json.dumps(data, indent=2, ensure_ascii=False) + "\n", what=what)


def summary_text(report: dict[str, Any]) -> str:
    """A short human summary for the terminal."""
    lines = [f"{report['source']}: {report['exercise']}"]
    meas = report["measurable_fraction"] or 0.0
    by_side = report["reps_by_side"]
    unknown = f", side unknown {by_side['unknown']}" if by_side and by_side.get("unknown") else ""
    sides = f" (left {by_side['left']}, right {by_side['right']}{unknown})" if by_side else ""
    lines.append(
        f"  reps: {report['reps']}{sides}, {report['reps_ok']} as prescribed; "
        f"{report['duration_s']:.1f} s, measurable {100 * meas:.0f}% of frames"
    )
    for r in report["rep_details"]:
        side = f" {r['side']}" if r["side"] else ""
        faults = ", ".join(r["faults"]) if r["faults"] else "ok"
        inches = f" ({r['peak_in']:.0f} in)" if r.get("peak_in") is not None else ""
        lines.append(
            f"  #{r['index']}{side} {r['start_s']:.1f}-{r['end_s']:.1f} s  peak {r['peak']:.0f} {r['unit']}{inches}  "
            f"hold {r['hold_s']:.1f} s in the band of {r['end_s'] - r['start_s']:.1f} s  {faults}"
        )
    if report.get("input_note"):
        lines.append(f"  note: {report['input_note']}")
    if report.get("stopped"):
        lines.append(f"  stopped at {report['stopped']['t_s']:.1f} s: {report['stopped']['reason']}")
    if report.get("nothing_measurable"):
        lines.append(f"  WARNING: {report['error']}")
    elif not report["complete"]:
        lines.append(f"  INCOMPLETE: {report['error']}")
    return "\n".join(lines)
