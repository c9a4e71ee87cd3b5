"""Vectorized geometry against hand-computed angles."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.measures import geometry as g


def test_angle_between_orthogonal_parallel_and_opposite_vectors() -> None:
    x, y = np.array([1.0, 0.0, 0.0]), np.array([0.0, 2.0, 0.0])
    assert g.angle_between_deg(x, y) == pytest.approx(90.0)
    assert g.angle_between_deg(x, 3 * x) == pytest.approx(0.0)
    assert g.angle_between_deg(x, -x) == pytest.approx(180.0)
    assert g.angle_between_deg(np.array([1.0, 1.0]), np.array([1.0, 0.0])) == pytest.approx(45.0)


def test_angle_between_broadcasts_over_leading_axes() -> None:
    u = np.zeros((4, 5, 3))
    u[..., 0] = 1.0
    v = np.array([0.0, 0.0, 1.0])
    out = g.angle_between_deg(u, np.broadcast_to(v, u.shape))
    assert out.shape == (4, 5)
    assert np.allclose(out, 90.0)


def test_zero_length_or_nan_vectors_give_nan_not_an_error() -> None:
    with np.errstate(all="raise"):
        assert np.isnan(g.angle_between_deg(np.zeros(3), np.ones(3)))
        assert np.isnan(g.angle_between_deg(np.array([np.nan, 0, 0]), np.ones(3)))


def test_flexion_of_a_right_angle_is_90_and_of_a_straight_limb_is_0() -> None:
    hip, knee = np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.45, 0.0])
    ankle_bent = knee + np.array([0.43, 0.0, 0.0])
    ankle_straight = knee + np.array([0.0, 0.43, 0.0])
    assert g.flexion_deg(hip, knee, ankle_bent) == pytest.approx(90.0)
    assert g.flexion_deg(hip, knee, ankle_straight) == pytest.approx(0.0)
    assert g.angle_at_deg(hip, knee, ankle_bent) == pytest.approx(90.0)


def test_flexion_of_a_45_degree_bend_in_3d() -> None:
    a, b = np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
    c = b + np.array([np.sin(np.radians(45)), 0.0, np.cos(np.radians(45))])
    assert g.flexion_deg(a, b, c) == pytest.approx(45.0)


def test_a_45_degree_segment_on_a_16_9_frame_reads_45_only_with_the_aspect_correction() -> None:
    w, h = 1280, 720
    p0 = np.array([640 / w, 360 / h])
    p1 = np.array([(640 + 100) / w, (360 - 100) / h])  # 100 px right, 100 px up
    raw = g.from_horizontal_deg(p0, p1)
    assert raw == pytest.approx(np.degrees(np.arctan(16 / 9)), abs=1e-9)  # ~60.6°: the trap
    iso = g.image_xy_to_isotropic(np.stack([p0, p1]), w / h)
    assert g.from_horizontal_deg(iso[0], iso[1]) == pytest.approx(45.0)
    assert g.from_vertical_deg(iso[0], iso[1]) == pytest.approx(45.0)


def test_image_xy_to_isotropic_scales_x_only_and_copies() -> None:
    xy = np.array([[0.5, 0.5], [1.0, 0.25]])
    out = g.image_xy_to_isotropic(xy, 16 / 9)
    assert np.allclose(out, [[0.5 * 16 / 9, 0.5], [16 / 9, 0.25]])
    assert xy[1, 0] == 1.0  # input untouched


def test_from_vertical_is_0_up_90_sideways_180_down_in_image_coordinates() -> None:
    o = np.array([0.5, 0.5])
    assert g.from_vertical_deg(o, o + np.array([0.0, -0.1])) == pytest.approx(0.0)  # image y points down
    assert g.from_vertical_deg(o, o + np.array([0.1, 0.0])) == pytest.approx(90.0)
    assert g.from_vertical_deg(o, o + np.array([-0.1, 0.0])) == pytest.approx(90.0)
    assert g.from_vertical_deg(o, o + np.array([0.0, 0.1])) == pytest.approx(180.0)
    assert g.from_vertical_deg(o, o + np.array([0.1, -0.1])) == pytest.approx(45.0)


def test_from_horizontal_is_unsigned_between_0_and_90() -> None:
    o = np.array([0.0, 0.0])
    assert g.from_horizontal_deg(o, np.array([1.0, 0.0])) == pytest.approx(0.0)
    assert g.from_horizontal_deg(o, np.array([-1.0, 0.0])) == pytest.approx(0.0)
    assert g.from_horizontal_deg(o, np.array([1.0, 1.0])) == pytest.approx(45.0)
    assert g.from_horizontal_deg(o, np.array([-1.0, -1.0])) == pytest.approx(45.0)
    assert g.from_horizontal_deg(o, np.array([0.0, 1.0])) == pytest.approx(90.0)


def test_signed_tilt_is_positive_when_the_first_point_is_lower_in_the_image() -> None:
    left_low, right_high = np.array([0.6, 0.55]), np.array([0.4, 0.45])
    tilt = g.signed_tilt_deg(left_low, right_high)
    assert tilt == pytest.approx(np.degrees(np.arctan2(0.1, 0.2)))
    assert g.signed_tilt_deg(right_high, left_low) == pytest.approx(-tilt)
    assert g.signed_tilt_deg(np.array([0.4, 0.5]), np.array([0.6, 0.5])) == pytest.approx(0.0)


def test_norm_is_euclidean_length_over_the_last_axis() -> None:
    v = np.array([[3.0, 4.0, 0.0], [1.0, 2.0, 2.0]])
    assert np.allclose(g.norm_m(v), [5.0, 3.0])
