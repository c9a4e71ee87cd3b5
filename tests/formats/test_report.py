"""The typed report: built from a checker's public outcome, round-trips its JSON form, and
every report the commands write validates against the published schema (docs/report.schema.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from formcheck.checkers.events import Event, EventKind, RepResult
from formcheck.exercises.config import ExerciseConfig, builtin_exercises, get_exercise
from formcheck.formats.report import REPORT_VERSION, PatientInfo, Report, report_from_checker, summary_text
from formcheck.programs.rescoring import rescore_trace
from formcheck_testing import synthetic

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "report.schema.json").read_text())
EXERCISES = builtin_exercises()
#: The README's contract ("The JSON report"): these keys are never removed or renamed.
README_KEYS = {"exercise", "source", "model", "duration_s", "frames", "measurable_frames", "reps", "reps_by_side",
               "rep_details", "cues", "complete", "error"}  # fmt: skip
README_REP_KEYS = {"index", "side", "start_s", "end_s", "peak_deg", "hold_s", "max_speed_deg_s", "faults", "ok",
                   "in_target_s", "unit", "peak", "finished"}  # fmt: skip


def validate(report: dict | list) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(report)


@pytest.fixture(scope="module")
def synthetic_reports() -> dict[str, dict]:
    """Each catalog exercise re-scored on its synthetic recording, with the signal series."""
    return {name: rescore_trace(getattr(synthetic, name)(), cfg, signals=True) for name, cfg in EXERCISES.items()}


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_report_of_every_exercise_validates_against_the_schema(synthetic_reports, name: str) -> None:
    report = synthetic_reports[name]
    validate(report)
    assert report["reps"] > 0 or name in ("abdominal_brace", "rest_position"), report["reps"]


def test_several_reports_validate_as_a_list(synthetic_reports) -> None:
    validate(list(synthetic_reports.values())[:3])


def test_the_schema_rejects_a_report_missing_a_contract_key(synthetic_reports) -> None:
    report = dict(synthetic_reports["wall_squat"])
    del report["rep_details"]
    with pytest.raises(jsonschema.ValidationError):
        validate(report)


def test_every_readme_key_is_in_the_report_and_in_each_rep(synthetic_reports) -> None:
    report = synthetic_reports["wall_squat"]
    assert set(report) >= README_KEYS
    assert report["report_version"] == REPORT_VERSION
    for rep in report["rep_details"]:
        assert set(rep) >= README_REP_KEYS
        assert rep["peak_deg"] == rep["peak"]  # a degree signal fills the degree keys too


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_typed_report_round_trips_its_json_form_exactly(synthetic_reports, name: str) -> None:
    report = synthetic_reports[name]
    assert Report.from_dict(report).to_dict() == report


def test_who_and_when_are_typed_fields_that_round_trip_and_validate(synthetic_reports) -> None:
    stamped = {**synthetic_reports["wall_squat"], "generated_utc": "2026-12-04T18:00:00+00:00",
               "patient": {"name": "Ana", "notes": "knee", "profile": "ana.toml"}}  # fmt: skip
    typed = Report.from_dict(stamped)
    assert typed.generated_utc == "2026-12-04T18:00:00+00:00"
    assert typed.patient == PatientInfo("Ana", "knee", "ana.toml")
    assert "patient" not in typed.extra and "generated_utc" not in typed.extra
    assert typed.to_dict() == stamped
    validate(stamped)
    with pytest.raises(jsonschema.ValidationError):
        validate({**stamped, "patient": {"name": 3, "notes": "", "profile": None}})


def test_the_signal_series_has_one_value_per_frame_and_nulls_where_not_measurable(synthetic_reports) -> None:
    signals = synthetic_reports["wall_squat"]["signals"]
    trace = synthetic.wall_squat()
    assert len(signals["t_s"]) == len(trace)
    (values,) = signals["series"].values()
    assert len(values) == len(trace)
    measured = [v for v in values if v is not None]
    assert len(measured) > 0.9 * len(trace)
    assert max(measured) == pytest.approx(45.0, abs=5.0)  # the synthetic squat's 45° knee bend


def test_no_signals_key_unless_asked() -> None:
    assert "signals" not in rescore_trace(synthetic.squat(reps=2), get_exercise("squat"))


@dataclass
class _Outcome:
    """A checker's public outcome, and nothing else: the report needs no checker internals."""

    cfg: ExerciseConfig
    results: list[RepResult] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    frames: int = 300
    measurable_frames: int = 240
    t_first: float | None = 0.0
    t_last: float | None = 10.0
    stopped: tuple[float, str] | None = None
    reps_by_side: dict[str, int] | None = None


def test_a_report_is_built_from_the_public_outcome_alone() -> None:
    cfg = get_exercise("wall_squat")
    rep = RepResult(1, None, 1.0, 8.0, "deg", 47.123, 5.04, 4.5, 30.04, 25.0, ("too_fast",))
    cue = Event(2.0, EventKind.CUE_ON, "slow_down", "Slow down")
    outcome = _Outcome(cfg, [rep], [cue, Event(3.0, EventKind.CUE_OFF, "slow_down")], stopped=(9.5, "pain_stop"))
    report = report_from_checker(outcome, source="s.mp4", model="full")
    d = report.to_dict()
    validate(d)
    assert (d["reps"], d["reps_ok"], d["duration_s"], d["measurable_fraction"]) == (1, 0, 10.0, 0.8)
    assert d["rep_details"][0]["peak_deg"] == 47.12 and d["rep_details"][0]["faults"] == ["too_fast"]
    assert d["cues"] == [{"t_s": 2.0, "code": "slow_down", "text": "Slow down"}]
    assert d["stopped"] == {"t_s": 9.5, "reason": "pain_stop"}
    assert report.reps[0].ok is False


def test_non_finite_numbers_become_null() -> None:
    cfg = get_exercise("wall_squat")
    rep = RepResult(1, None, 1.0, np.nan, "deg", np.inf, 5.0, 4.5, np.nan, 25.0, (), finished=False)
    d = report_from_checker(_Outcome(cfg, [rep]), source="s", model="m").to_dict()
    validate(d)
    assert d["rep_details"][0]["end_s"] is None and d["rep_details"][0]["peak"] is None
    json.dumps(d, allow_nan=False)


def test_extra_peaks_of_both_sides_are_both_kept_and_a_side_template_loses_its_side() -> None:
    cfg = get_exercise("sit_to_stand")
    both = {"knee_flex_sagittal_left_deg": 95.0, "knee_flex_sagittal_right_deg": 88.0, "trunk_lean_deg": 30.0}
    reps = [
        RepResult(1, None, 1.0, 4.0, "deg", 95.0, 0.5, 0.5, 90.0, 80.0, (), extra_peaks=both),
        RepResult(2, "left", 5.0, 8.0, "deg", 95.0, 0.5, 0.5, 90.0, 80.0, (), extra_peaks={"knee_flex_left_deg": 7.0}),
    ]
    report = report_from_checker(_Outcome(cfg, reps), source="s", model="m")
    d = report.to_dict()
    validate(d)
    first, second = d["rep_details"]
    assert (first["peak_knee_flex_sagittal_left_deg"], first["peak_knee_flex_sagittal_right_deg"]) == (95.0, 88.0)
    assert first["peak_trunk_lean_deg"] == 30.0 and "peak_knee_flex_sagittal_deg" not in first
    assert second["peak_knee_flex_deg"] == 7.0
    assert Report.from_dict(json.loads(json.dumps(d))) == report


def test_variant_inches_and_unknown_side_are_in_the_typed_report_and_its_summary() -> None:
    # acc's report additions carried by the typed report: the rep's variant, the cm peak in
    # inches, and per-side counts that add up through "unknown".
    cfg = get_exercise("straight_leg_raise")
    reps = [
        RepResult(1, "left", 1.0, 4.0, "cm", 30.48, 2.0, 1.5, 40.0, 35.0, (), variant="seated"),
        RepResult(2, None, 5.0, 8.0, "cm", 25.4, 2.0, 1.0, 40.0, 35.0, ()),
    ]
    outcome = _Outcome(cfg, reps, reps_by_side={"left": 1, "right": 0, "unknown": 1})
    report = report_from_checker(outcome, source="s.mp4", model="full")
    d = report.to_dict()
    validate(d)
    first, second = d["rep_details"]
    assert (first["variant"], first["peak_in"], first["peak"]) == ("seated", 12.0, 30.48)
    assert "variant" not in second and second["peak_in"] == 10.0
    assert Report.from_dict(json.loads(json.dumps(d))) == report
    text = summary_text(d)
    assert "(left 1, right 0, side unknown 1)" in text
    assert "peak 30 cm (12 in)" in text and "hold 2.0 s in the band of 3.0 s" in text


def test_an_imported_recording_declares_its_synthesised_image_in_the_typed_report() -> None:
    # A motion-capture import (exact 3-D, image synthesised, one repetition): the report says
    # so, validates against the schema and the typed form keeps it through a round trip.
    from formcheck.formats.mocap import MocapSpec, mocap_trace
    from formcheck.formats.report import InputInfo

    knee = 100.0 * 0.5 * (1 - np.cos(np.linspace(0, 2 * np.pi, 300)))
    pos = synthetic.skeleton({"knee_flex_left": knee, "knee_flex_right": knee, "hip_flex_left": 0.8 * knee,
                              "hip_flex_right": 0.8 * knee, "trunk_pitch": 0.3 * knee}, 300)[80:220]  # fmt: skip
    trace = mocap_trace(pos, MocapSpec(units="m", up="+z", fps=100.0, segmented=True)).trace
    report = rescore_trace(trace, get_exercise("deep_squat"))
    validate(report)
    assert report["synthesized"] == "image_xy" and "synthesised" in report["input_note"]
    assert report["world_exact"] is True and report["segmented"] is True
    typed = Report.from_dict(report)
    assert typed.input == InputInfo("image_xy", world_exact=True, segmented=True)
    assert "synthesized" not in typed.extra and typed.to_dict() == report


def test_a_camera_recording_declares_no_input_keys(synthetic_reports) -> None:
    report = synthetic_reports["wall_squat"]
    assert not {"synthesized", "input_note", "world_exact", "segmented"} & set(report)
    assert Report.from_dict(report).input is None


def test_the_schema_refuses_an_unknown_synthesised_kind(synthetic_reports) -> None:
    report = {**synthetic_reports["wall_squat"], "synthesized": "depth"}
    with pytest.raises(jsonschema.ValidationError):
        validate(report)
