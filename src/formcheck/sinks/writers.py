"""Report writers, chosen by name: every command (``score``, ``rescore``, ``live``) offers
the same output options, one per registered writer (``--json``, ``--csv``, ...).

A writer turns the reports of a run into one file::

    from formcheck.sinks.writers import ReportWriter, register_writer

    class MarkdownWriter:
        name, option, help = "markdown", "--md", "write a Markdown table of the reps here"
        allows_stdout = True
        def render(self, reports, single):  # -> str or bytes
            ...

    register_writer(MarkdownWriter())

Writing goes through :mod:`formcheck.sinks.outputs` (atomic replace, ``-`` for stdout, FIFOs and
devices written through, one clear OutputError), so a writer only renders.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from formcheck.errors import ConfigError
from formcheck.formats.report import Report
from formcheck.sinks.outputs import write_bytes, write_text


@runtime_checkable
class ReportWriter(Protocol):
    """Renders the reports of one run (one per recording) as the content of one file;
    ``single`` is True when the run had one input (JSON then writes an object, not a list).

    Attributes:
        name: registry name.
        option: the command-line option that names the output file (``--json``).
        help: the option's help text.
        allows_stdout: ``-`` as the path writes to stdout.
    """

    name: str
    option: str
    help: str
    allows_stdout: bool

    def render(self, reports: Sequence[Report], single: bool) -> str | bytes: ...


class JsonWriter:
    """The JSON contract: one report as an object, several as a list."""

    name, option, allows_stdout = "json", "--json", True
    help = "write the JSON report here ('-' = stdout)"

    def render(self, reports: Sequence[Report], single: bool) -> str:
        data: Any = [r.to_dict() for r in reports]
        return json.dumps(data[0] if single and len(data) == 1 else data, indent=2, ensure_ascii=False) + "\n"


#: CSV columns, one row per rep of every report. Columns are only ever added at the end; the
#: last ones say when, for whom and with what each row was measured, so a row taken out of
#: its file still says whose it is.
CSV_COLUMNS = (
    "source", "exercise", "index", "side", "start_s", "end_s", "peak", "unit", "hold_s",
    "in_target_s", "max_speed_per_s", "max_return_speed_per_s", "faults", "ok", "finished",
    "generated_utc", "patient", "patient_notes", "model", "formcheck_version",
)  # fmt: skip


class CsvWriter:
    """One row per rep of every report (faults joined with ';')."""

    name, option, allows_stdout = "csv", "--csv", True
    help = "write one CSV row per rep here ('-' = stdout)"

    def render(self, reports: Sequence[Report], single: bool) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(CSV_COLUMNS)
        for rep in reports:
            s, who = rep.session, rep.patient
            stamp = [rep.generated_utc or "", who.name if who else "", who.notes if who else "", s.model,
                     s.formcheck_version]  # fmt: skip
            for r in rep.reps:
                w.writerow([
                    s.source, s.exercise, r.index, r.side or "", r.start_s, r.end_s, r.peak, r.unit, r.hold_s,
                    r.in_target_s, r.max_speed_per_s, r.max_return_speed_per_s, ";".join(r.faults), r.ok, r.finished,
                    *stamp,
                ])  # fmt: skip
        return buf.getvalue()


_REGISTRY: dict[str, ReportWriter] = {}


def register_writer(writer: ReportWriter) -> None:
    """Make a writer available to every command (its option appears in their help)."""
    if not isinstance(writer, ReportWriter):
        raise TypeError(f"{writer!r} lacks the ReportWriter attributes (name, option, help, allows_stdout, render)")
    _REGISTRY[writer.name] = writer


def unregister_writer(name: str) -> None:
    _REGISTRY.pop(name, None)


def writer_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def registered_writers() -> tuple[ReportWriter, ...]:
    return tuple(_REGISTRY.values())


def get_writer(name: str) -> ReportWriter:
    """The registered writer ``name``; ConfigError naming the valid ones otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"Unknown report writer {name!r}: use one of {', '.join(_REGISTRY)}.") from None


register_writer(JsonWriter())
register_writer(CsvWriter())



def write_report(
    name: str,
    reports: Sequence[Report | Mapping[str, Any]],
    dest: str | Path,
    *,
    single: bool | None = None,
    what: str | None = None,
) -> None:
    """Render ``reports`` (typed or report dicts) with writer ``name`` into ``dest``
    (OutputError when it cannot). ``single`` defaults to "exactly one report"."""
    writer = get_writer(name)
    typed = [r if isinstance(r, Report) else Report.from_dict(r) for r in reports]
    content = writer.render(typed, len(typed) == 1 if single is None else single)
    what = what or writer.option
    if isinstance(content, bytes):
        write_bytes(dest, content, what=what, allow_stdout=writer.allows_stdout)
    else:
        write_text(dest, content, what=what, allow_stdout=writer.allows_stdout)
