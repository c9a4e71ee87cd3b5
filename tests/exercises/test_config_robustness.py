"""Exercise files and profiles of any shape: a ConfigError naming the file, never a traceback;
thresholds no check reads are refused; the user exercise folder never stops a command."""

from __future__ import annotations

import copy
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck.errors import ConfigError
from formcheck.exercises import config
from formcheck.exercises.config import (
    CHECKER_THRESHOLDS,
    COMMON_THRESHOLDS,
    PACED_ONLY,
    PACED_THRESHOLDS,
    RELATIVE_THRESHOLDS,
    available_exercises,
    builtin_exercises,
    parse_exercise,
    read_toml,
)
from formcheck.exercises.profiles import parse_profile

NAMES = sorted(builtin_exercises())


def raw(name: str) -> dict[str, Any]:
    text = (resources.files("formcheck.exercises") / f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path into a parsed TOML document (tables and arrays of tables)."""
    out = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    for k, v in items:
        out.append((*prefix, k))
        out += paths(v, (*prefix, k))
    return out


ODD_VALUES = st.one_of(
    st.sampled_from(["ten", "oops", "", "left", "{side}"]),
    st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e400, -1, 0, 10**30, True, False, 3.5]),
    st.lists(st.sampled_from([1, "x", {"a": 1}]), max_size=2),
    st.dictionaries(st.sampled_from(["a", "value", "min"]), st.sampled_from([1, "x"]), max_size=2),
)


@pytest.mark.parametrize("name", NAMES)
def test_any_value_anywhere_in_an_exercise_file_is_a_config_error_naming_the_file(name: str) -> None:
    doc = raw(name)
    where = paths(doc)

    @settings(max_examples=25, deadline=None, derandomize=True)
    @given(st.lists(st.tuples(st.sampled_from(where), ODD_VALUES), min_size=1, max_size=3))
    def check(changes: list[tuple[tuple, Any]]) -> None:
        data = copy.deepcopy(doc)
        for path, value in changes:
            node = data
            try:
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = value
            except (KeyError, IndexError, TypeError):
                continue  # an earlier change replaced the table this path went through
        try:
            parse_exercise(data, "odd.toml")
        except ConfigError as e:
            msg = str(e)
            assert msg.startswith("odd.toml") or " in odd.toml" in msg or "(odd.toml)" in msg, msg
            assert "\n" not in msg

    check()


@pytest.mark.parametrize("name", NAMES)
def test_every_threshold_of_the_catalog_is_read_by_some_check(name: str) -> None:
    parse_exercise(raw(name), f"{name}.toml")  # loading refuses any threshold nothing reads


def test_a_misspelled_threshold_is_refused_naming_the_file_the_key_and_the_names_read() -> None:
    doc = raw("wall_squat")
    doc["thresholds"]["max_return_sped_deg_s"] = doc["thresholds"].pop("max_return_speed_deg_s")
    with pytest.raises(ConfigError) as err:
        parse_exercise(doc, "ws.toml")
    msg = str(err.value)
    assert msg.startswith("ws.toml [thresholds.max_return_sped_deg_s]: no check of this exercise reads")
    assert "max_return_speed_deg_s" in msg and "hold_s" in msg and "max_trunk_lean_deg" in msg


def test_a_threshold_read_only_by_a_rule_or_gate_is_accepted_and_becomes_unread_without_it() -> None:
    doc = raw("wall_squat")
    parse_exercise(doc, "ws.toml")
    doc.pop("rule")  # the trunk-lean rule was the only reader of max_trunk_lean_deg
    with pytest.raises(ConfigError, match=r"\[thresholds\.max_trunk_lean_deg\]: no check of this exercise reads"):
        parse_exercise(doc, "ws.toml")


def _names_read_in_checker_source() -> set[str]:
    """Threshold names rep_checker.py looks up (``th["x"]``, ``th.get(f"x_{u}")``, ``th[...]``)."""
    src = (Path(config.__file__).parents[1] / "checkers" / "rep_checker.py").read_text(encoding="utf-8")
    return set(re.findall(r"""th(?:\[|\.get\()f?"([^"]+)"[\],]""", src)) | set(
        re.findall(r"""th(?:\[|\.get\()f?"([^"]+)"\)""", src)
    )


def test_the_list_of_thresholds_the_checker_reads_matches_rep_checker_py() -> None:
    # When rep_checker.py starts reading a new threshold, config.CHECKER_THRESHOLDS must
    # name it, or an exercise file defining it would be refused as a misspelling.
    known = {n for n in CHECKER_THRESHOLDS} | set(COMMON_THRESHOLDS) | set(RELATIVE_THRESHOLDS)
    known |= set(PACED_THRESHOLDS) | set(PACED_ONLY)
    found = _names_read_in_checker_source()
    assert found, "no threshold look-ups found in rep_checker.py: update this test's pattern"
    assert found <= known, sorted(found - known)


@pytest.mark.parametrize(("value", "message"), [
    ("ten", "target_reps = 'ten'"), (1e400, "target_reps = inf"), (0, "target_reps = 0"), (2.5, "target_reps = 2.5"),
    (True, "target_reps = True"),
])  # fmt: skip
def test_target_reps_must_be_a_whole_number_in_range(value: Any, message: str) -> None:
    doc = raw("squat")
    doc["exercise"]["target_reps"] = value
    with pytest.raises(ConfigError, match=re.escape(f"sq.toml [exercise]: {message}; allowed: a whole number")):
        parse_exercise(doc, "sq.toml")


@pytest.mark.parametrize("key", ["value", "min", "max"])
@pytest.mark.parametrize("value", [float("inf"), float("nan"), float("-inf")])
def test_non_finite_threshold_numbers_are_refused(key: str, value: float) -> None:
    doc = raw("squat")
    doc["thresholds"]["start_deg"][key] = value
    with pytest.raises(ConfigError, match="not a finite number"):
        parse_exercise(doc, "sq.toml")


def test_a_file_that_is_not_utf8_names_the_byte_and_where(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_bytes(b"[profile]\nname = \"Mme Lef\xe8vre\"\n")
    expected = f"{path}: the profile file is not UTF-8 text (byte 0xe8 at offset 25)"
    with pytest.raises(ConfigError, match=re.escape(expected)):
        read_toml(path, "profile file")


def test_a_profile_with_odd_values_is_a_config_error() -> None:
    exercises = builtin_exercises()
    for values in ({"hold_s": float("inf")}, {"hold_s": "8"}, {"hold_s": [1]}, {"hold_s": {"value": 1}}):
        with pytest.raises(ConfigError, match=r"^p\.toml \[wall_squat\]: hold_s"):
            parse_profile({"wall_squat": values}, "p.toml", exercises)


def test_found_user_files_that_are_broken_are_skipped_and_reported_named_ones_are_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[exercise\n", encoding="utf-8")
    skipped: list[str] = []
    exercises = available_exercises(user_files=[bad], on_skip=skipped.append)
    assert set(exercises) == set(NAMES)
    assert len(skipped) == 1 and skipped[0].startswith(f"{bad}: not valid TOML") and "skipped" in skipped[0]
    with pytest.raises(ConfigError, match="not valid TOML"):
        available_exercises(extra_files=[bad])
    with pytest.warns(UserWarning, match="bad.toml: not valid TOML"):
        available_exercises(user_files=[bad])  # the API default: a warning
