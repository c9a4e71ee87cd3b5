"""Exercise configs: built-ins load, and overrides are validated with messages a user can act on."""

from __future__ import annotations

import pytest

from formcheck.errors import ConfigError
from formcheck.exercises.config import COMMON_THRESHOLDS, builtin_exercises, parse_set_options


@pytest.fixture(scope="module")
def exercises():
    return builtin_exercises()


def test_builtin_exercises_include_the_first_three_with_their_counting_thresholds(exercises) -> None:
    assert {"wall_squat", "straight_leg_raise", "heel_slide"} <= set(exercises)
    for cfg in exercises.values():
        u = cfg.rep.unit
        if cfg.rep.down:  # a rep is the signal going down: the hysteresis is flipped
            assert cfg.value(f"end_{u}") > cfg.value(f"start_{u}")
        else:
            assert cfg.value(f"end_{u}") < cfg.value(f"start_{u}")
        for key in COMMON_THRESHOLDS:  # every exercise gets the common timing thresholds
            assert key in cfg.thresholds
        for t in cfg.thresholds.values():
            assert t.min <= t.value <= t.max, t


def test_builtin_straight_leg_raise_is_counted_per_side_one_side_at_a_time(exercises) -> None:
    slr = exercises["straight_leg_raise"]
    assert slr.rep.sides == ("left", "right")
    assert slr.rep.one_side_at_a_time
    assert slr.rep.signal_for("right") == "ankle_height_right_cm"


def test_override_replaces_the_value_and_leaves_the_original_alone(exercises) -> None:
    cfg = exercises["wall_squat"]
    new = cfg.with_overrides({"hold_s": "8", "target_max_deg": 60})
    assert new.value("hold_s") == 8.0
    assert new.value("target_max_deg") == 60.0
    assert cfg.value("hold_s") == 5.0


def test_override_with_unknown_key_names_it_and_lists_the_valid_keys(exercises) -> None:
    with pytest.raises(ConfigError) as e:
        exercises["wall_squat"].with_overrides({"hold_seconds": 8})
    msg = str(e.value)
    assert "hold_seconds" in msg
    assert "valid keys" in msg
    for key in ("hold_s", "start_deg", "max_trunk_lean_deg"):
        assert key in msg


@pytest.mark.parametrize("value", ["eight", True, [8], None])
def test_override_with_a_non_number_is_rejected_naming_key_and_value(exercises, value) -> None:
    with pytest.raises(ConfigError) as e:
        exercises["wall_squat"].with_overrides({"hold_s": value})
    msg = str(e.value)
    assert "hold_s" in msg
    assert repr(value) in msg
    assert "not a number" in msg


@pytest.mark.parametrize(
    ("key", "value", "allowed"), [("hold_s", 500, "0 to 120 s"), ("start_deg", "-5", "10 to 60 deg")]
)
def test_override_out_of_range_names_key_value_and_allowed_range(exercises, key, value, allowed) -> None:
    with pytest.raises(ConfigError) as e:
        exercises["wall_squat"].with_overrides({key: value})
    msg = str(e.value)
    assert key in msg
    assert f"{float(value):g}" in msg
    assert "out of range" in msg
    assert allowed in msg


def test_override_names_where_it_came_from(exercises) -> None:
    with pytest.raises(ConfigError, match=r"patient\.toml"):
        exercises["wall_squat"].with_overrides({"hold_s": 500}, origin="patient.toml")


@pytest.mark.parametrize("end", [25, 30])
def test_end_threshold_at_or_above_start_is_rejected(exercises, end) -> None:
    cfg = exercises["wall_squat"]
    assert cfg.value("start_deg") == 25  # both values below lie inside end_deg's own range
    with pytest.raises(ConfigError) as e:
        cfg.with_overrides({"end_deg": end})
    msg = str(e.value)
    assert "end_deg" in msg
    assert "start_deg" in msg


def test_target_min_above_target_max_is_rejected(exercises) -> None:
    with pytest.raises(ConfigError, match="target_min_deg"):
        exercises["wall_squat"].with_overrides({"target_min_deg": 60, "target_max_deg": 50})


def test_parse_set_options_splits_key_value_pairs_and_strips_spaces() -> None:
    assert parse_set_options(["hold_s=8", " start_deg = 30 "]) == {"hold_s": "8", "start_deg": "30"}
    assert parse_set_options([]) == {}


@pytest.mark.parametrize("item", ["hold_s", "=8", "hold_s=", "  =  ", ""])
def test_parse_set_options_rejects_malformed_items_with_an_example(item) -> None:
    with pytest.raises(ConfigError) as e:
        parse_set_options([item])
    assert "KEY=VALUE" in str(e.value)
    assert repr(item) in str(e.value)


def test_parsed_set_options_feed_with_overrides(exercises) -> None:
    cfg = exercises["heel_slide"].with_overrides(parse_set_options(["max_speed_deg_s=40"]))
    assert cfg.value("max_speed_deg_s") == 40.0


def test_every_builtin_accepts_its_own_thresholds_as_overrides_unchanged(exercises) -> None:
    # What fit, the tuner and a profile written from the defaults start from: setting every
    # threshold to its current value is a valid combination and changes nothing, variants included.
    for name, cfg in exercises.items():
        same = cfg.with_overrides({k: t.value for k, t in cfg.thresholds.items()}, origin="test")
        assert same == cfg, name


def test_an_override_reaches_the_variants_thresholds_it_inherits_not_those_it_defines(exercises) -> None:
    # The seated piriformis stretch defines its own target (12 deg from sitting upright, at most
    # 90): the lying stretch's 100 deg is not its target, and used to make 100 an invalid value.
    cfg = exercises["piriformis_stretch"]
    (seated,) = cfg.variants
    assert {"start_deg", "end_deg", "target_min_deg", "baseline_window_s"} == seated.own_thresholds
    new = cfg.with_overrides({"target_min_deg": 100, "start_deg": 100, "hold_s": 25})
    (new_seated,) = new.variants
    assert new.value("target_min_deg") == 100 and new.value("start_deg") == 100
    assert new_seated.value("target_min_deg") == 12 and new_seated.value("start_deg") == 10
    assert new_seated.value("hold_s") == 25  # inherited: follows the exercise
    assert cfg.value("target_min_deg") == 100 and not cfg.own_thresholds
