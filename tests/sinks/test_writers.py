"""Report writers: JSON and CSV by name, and a new output format in one module plus its
registration, offered by score, rescore and live alike (a test-local writer here)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence

import pytest

from formcheck.cli import build_parser, main
from formcheck.errors import ConfigError
from formcheck.exercises.config import get_exercise
from formcheck.formats.report import Report
from formcheck.formats.trace import save_trace
from formcheck.programs.rescoring import rescore_trace
from formcheck.sinks.writers import (
    CSV_COLUMNS,
    get_writer,
    register_writer,
    unregister_writer,
    write_report,
    writer_names,
)
from formcheck_testing import synthetic


@pytest.fixture(scope="module")
def reports() -> list[dict]:
    return [rescore_trace(synthetic.squat(reps=2), get_exercise("squat")),
            rescore_trace(synthetic.lunge(reps=1), get_exercise("lunge"))]  # fmt: skip


def test_json_and_csv_are_registered():
    assert {"json", "csv"} <= set(writer_names())


def test_an_unknown_writer_is_a_config_error_naming_the_valid_ones():
    with pytest.raises(ConfigError, match=r"Unknown report writer 'html': use one of json, csv"):
        get_writer("html")


def test_json_is_an_object_for_one_input_and_a_list_for_several(reports, tmp_path):
    write_report("json", reports[:1], tmp_path / "one.json")
    write_report("json", reports, tmp_path / "two.json")
    write_report("json", reports[:1], tmp_path / "of_many.json", single=False)  # one of several inputs done
    assert json.loads((tmp_path / "one.json").read_text()) == reports[0]
    assert json.loads((tmp_path / "two.json").read_text()) == reports
    assert json.loads((tmp_path / "of_many.json").read_text()) == reports[:1]


def test_csv_has_one_row_per_rep_of_every_report(reports, tmp_path):
    write_report("csv", [Report.from_dict(r) for r in reports], tmp_path / "r.csv")
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["exercise"], r["index"]) for r in rows] == [("squat", "1"), ("squat", "2"), ("lunge", "1")]
    assert rows[0]["peak"] == str(reports[0]["rep_details"][0]["peak"])


# ------------------------------------------------------------ recipe: a new writer, one module + registration
class _MarkdownWriter:
    """A test-local writer: a Markdown table of the reps."""

    name, option, allows_stdout = "markdown", "--md", True
    help = "write a Markdown table of the reps here"

    def render(self, reports: Sequence[Report], single: bool) -> str:
        lines = ["| source | rep | peak | faults |", "|---|---|---|---|"]
        for rep in reports:
            for r in rep.reps:
                faults = ", ".join(r.faults) or "ok"
                lines.append(f"| {rep.session.source} | {r.index} | {r.peak} {r.unit} | {faults} |")
        return "\n".join(lines) + "\n"


@pytest.fixture
def markdown_writer():
    register_writer(_MarkdownWriter())
    yield
    unregister_writer("markdown")


def test_a_registered_writer_is_an_option_of_score_rescore_and_live(markdown_writer):
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for command in ("score", "rescore", "live"):
        options = {o for a in sub.choices[command]._actions for o in a.option_strings}
        assert {"--json", "--csv", "--md", "--signals"} <= options, command


def test_rescore_writes_through_a_registered_writer(markdown_writer, tmp_path):
    save_trace(synthetic.squat(reps=2), tmp_path / "s.npz")
    rc = main(["rescore", str(tmp_path / "s.npz"), "-e", "squat", "--md", str(tmp_path / "r.md")])
    assert rc == 0
    table = (tmp_path / "r.md").read_text().splitlines()
    assert len(table) == 4 and table[2].startswith("| ") and "| 1 |" in table[2]


def test_a_writer_without_the_protocol_is_refused():
    with pytest.raises(TypeError, match="ReportWriter"):
        register_writer(object())  # type: ignore[arg-type]


def test_every_csv_row_says_when_for_whom_and_with_what_it_was_measured(reports, tmp_path):
    from formcheck.formats.report import PatientInfo

    stamped = {**reports[0], "generated_utc": "2026-12-04T18:00:00Z"}
    stamped["patient"] = PatientInfo("Ana Ruiz", "left knee replaced", "ana.toml").to_dict()
    write_report("csv", [Report.from_dict(stamped), Report.from_dict(reports[1])], tmp_path / "r.csv")
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    first, last = rows[0], rows[-1]
    assert (first["generated_utc"], first["patient"], first["patient_notes"]) == (
        "2026-12-04T18:00:00Z", "Ana Ruiz", "left knee replaced")
    assert first["model"] == reports[0]["model"] and first["formcheck_version"] == reports[0]["formcheck_version"]
    assert (last["generated_utc"], last["patient"]) == ("", "")  # an unstamped report says nothing, not a guess
