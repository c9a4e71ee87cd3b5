"""The ankle's height above the floor (issue 12 item 7), validated on synthetic bodies of
known size and lift: exact with an orthographic camera, within the perspective error with a
real (pinhole) camera at floor height, near leg or far leg."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis import trace_measures
from formcheck.measures.body import measure_index
from formcheck.pose.landmarks import Landmark as L
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
