"""The ankle's height above the floor (issue 12 item 7), validated on synthetic bodies of
known size and lift: exact with an orthographic camera, within the perspective error with a
real (pinhole) camera at floor height, near leg or far leg; with the person's height from a
profile, exact whatever size the pose model takes the body for."""

from __future__ import annotations

import dataclasses
import tomllib

import numpy as np
import pytest

from formcheck.analysis import trace_measures
from formcheck.errors import ConfigError
from formcheck.exercises.config import builtin_exercises
from formcheck.exercises.profiles import load_exercise, load_profile, parse_profile, profile_toml
from formcheck.measures.body import LEG_PER_HEIGHT, measure_index
from formcheck.pose.landmarks import Landmark as L
from formcheck.programs.rescoring import PreparedTrace, rescore_trace
from formcheck_testing import synthetic

SUPPORT = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_HEEL, L.RIGHT_HEEL,
           L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX]  # fmt: skip


def _at_hold(height_m: float, lift_deg: float, side: str, **capture: object) -> tuple[float, float, float]:
    """(measured ankle height cm, true height cm, measured leg length cm) mid-hold."""
    body = synthetic.Body.of_height(height_m)
    trace = synthetic.straight_leg_raise(reps=1, side=side, lift_deg=lift_deg, body=body, **capture)
    vals, _usable, _xy = trace_measures(trace)
    rep = trace.meta.extra["reps"][0]
    k = int(np.argmin(np.abs(trace.t_s - rep.hold_mid_s)))
    w = trace.world_xyz[k].astype(float)  # side view, level camera: world y is vertical (down)
    ankle = L.LEFT_ANKLE if side == "left" else L.RIGHT_ANKLE
    truth = (w[SUPPORT, 1].max() - w[ankle, 1]) * 100.0
    return (
        float(vals[k, measure_index(f"ankle_height_{side}_cm")]), truth,
        float(vals[k, measure_index(f"leg_length_{side}_cm")]),
    )  # fmt: skip


@pytest.mark.parametrize("height_m", [1.55, 1.75, 1.95])
@pytest.mark.parametrize("lift_deg", [8.0, 15.0, 25.0])
def test_ankle_height_is_exact_for_bodies_of_any_size_without_perspective(height_m: float, lift_deg: float) -> None:
    measured, truth, leg_cm = _at_hold(height_m, lift_deg, "left", projection="orthographic")
    assert measured == pytest.approx(truth, abs=0.2)
    assert leg_cm == pytest.approx(synthetic.Body.of_height(height_m).leg_m * 100.0, abs=0.2)


@pytest.mark.parametrize("height_m", [1.55, 1.95])
@pytest.mark.parametrize("side", ["left", "right"])
def test_ankle_height_with_a_camera_at_floor_height_is_within_4_cm(height_m: float, side: str) -> None:
    measured, truth, _ = _at_hold(height_m, 12.0, side, camera_height_m=0.2)
    assert measured == pytest.approx(truth, abs=4.0)


def test_a_taller_person_lifting_the_same_angle_lifts_the_ankle_higher_in_proportion() -> None:
    short, _, _ = _at_hold(1.55, 15.0, "left", projection="orthographic")
    tall, _, _ = _at_hold(1.95, 15.0, "left", projection="orthographic")
    assert tall / short == pytest.approx(1.95 / 1.55, rel=0.01)


def _body_of(height_m: float) -> synthetic.Body:
    """A body ``height_m`` tall whose hip→ankle is the proportion of the height formcheck assumes."""
    body = synthetic.Body.of_height(height_m)
    k = LEG_PER_HEIGHT * height_m / body.leg_m
    return dataclasses.replace(body, thigh_m=body.thigh_m * k, shank_m=body.shank_m * k)


@pytest.mark.parametrize("height_m", [1.55, 1.95])
@pytest.mark.parametrize("world_scale", [0.8, 1.0, 1.2])
def test_a_profile_height_scales_the_lift_whatever_size_the_pose_model_guesses(height_m, world_scale) -> None:
    # The pose model's metric estimate of the body may be off by ±20 %: with the person's
    # height from their profile the ankle height is exact again.
    body = _body_of(height_m)
    trace = synthetic.straight_leg_raise(reps=1, lift_deg=15.0, body=body, projection="orthographic")
    rep = trace.meta.extra["reps"][0]
    k = int(np.argmin(np.abs(trace.t_s - rep.hold_mid_s)))
    w = trace.world_xyz[k].astype(float)
    truth = (w[SUPPORT, 1].max() - w[L.LEFT_ANKLE, 1]) * 100.0
    trace.world_xyz *= np.float32(world_scale)
    col = measure_index("ankle_height_left_cm")
    guessed = trace_measures(trace)[0][k, col]
    profiled = trace_measures(trace, height_cm=height_m * 100.0)[0][k, col]
    assert guessed == pytest.approx(truth * world_scale, abs=0.2)
    assert profiled == pytest.approx(truth, abs=0.2)
    assert trace_measures(trace, height_cm=height_m * 100.0)[0][k, measure_index("leg_length_left_cm")] == (
        pytest.approx(body.leg_m * 100.0, abs=1e-6)
    )


def test_the_height_in_a_profile_reaches_the_report(tmp_path) -> None:
    body = _body_of(1.60)
    trace = synthetic.straight_leg_raise(reps=1, lift_deg=20.0, body=body, projection="orthographic")
    trace.world_xyz *= np.float32(1.25)  # the model takes this 1.60 m person for 2 m tall
    profile = tmp_path / "p.toml"
    profile.write_text('[profile]\nname = "A"\nheight_cm = 160\n', encoding="utf-8")
    plain = load_exercise("straight_leg_raise", user_folder=False)
    cfg = load_exercise("straight_leg_raise", profile=profile, user_folder=False)
    assert cfg.height_cm == 160.0 and plain.height_cm is None
    peak_plain = rescore_trace(trace, plain)["rep_details"][0]["peak"]
    peak = rescore_trace(trace, cfg)["rep_details"][0]["peak"]
    assert peak == pytest.approx(peak_plain / 1.25, abs=0.1)
    assert PreparedTrace.from_trace(trace, cfg=cfg).height_cm == 160.0


@pytest.mark.parametrize("value", ["49", "251", "true", '"170"', "nan"])
def test_a_height_out_of_range_or_not_a_number_is_refused(tmp_path, value) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text(f"[profile]\nheight_cm = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="height_cm"):
        load_profile(profile)


def test_profiles_written_again_keep_the_height() -> None:
    text = profile_toml({"straight_leg_raise": {"hold_s": 8}}, name="A", height_cm=172.5)
    assert "height_cm = 172.5" in text
    assert parse_profile(tomllib.loads(text), "p.toml", builtin_exercises()).height_cm == 172.5
