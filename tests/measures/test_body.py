"""Body measures against hand-computed geometry, and the synthetic body against the measures.

Hand-built poses use world coordinates in metres (x to the image's right, y down, z away
from the camera, origin mid-hip, like MediaPipe) projected orthographically onto the image,
so the image and the world agree and every expected angle can be worked out on paper.
"""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.measures.body import MEASURE_NAMES, compute_measures, landmark_usable, measure_index
from formcheck.pose.landmarks import N_LANDMARKS
from formcheck.pose.landmarks import Landmark as L
from formcheck_testing import synthetic

ASPECT = 1280 / 720
SCALE = 0.45  # image heights per metre


def _standing_front() -> dict[L, np.ndarray]:
    """A person facing the camera, arms at the sides, shoulders as wide as the hips."""
    p = {lm: np.array([0.0, -0.7, -0.05]) for lm in L}  # face points
    for side, x in (("LEFT", 0.15), ("RIGHT", -0.15)):
        p[L[f"{side}_SHOULDER"]] = np.array([x, -0.5, 0.0])
        p[L[f"{side}_ELBOW"]] = np.array([x, -0.2, 0.0])
        p[L[f"{side}_WRIST"]] = np.array([x, 0.05, 0.0])
        for hand in ("PINKY", "INDEX", "THUMB"):
            p[L[f"{side}_{hand}"]] = np.array([x, 0.12, 0.0])
        p[L[f"{side}_HIP"]] = np.array([x, 0.0, 0.0])
        p[L[f"{side}_KNEE"]] = np.array([x, 0.45, 0.0])
        p[L[f"{side}_ANKLE"]] = np.array([x, 0.88, 0.0])
        p[L[f"{side}_HEEL"]] = np.array([x, 0.93, 0.05])
        p[L[f"{side}_FOOT_INDEX"]] = np.array([x, 0.93, -0.15])
    return p


def _turn_side_on(p: dict[L, np.ndarray]) -> dict[L, np.ndarray]:
    """Turn the person to face the image's right: their front (−z) becomes +x."""
    return {lm: np.array([-v[2], v[1], v[0]]) for lm, v in p.items()}


def _frame(p: dict[L, np.ndarray], aspect: float = ASPECT, center_y: float = 0.45):
    world = np.zeros((1, N_LANDMARKS, 3))
    for lm, v in p.items():
        world[0, lm] = v
    image = np.empty((1, N_LANDMARKS, 2))
    image[..., 0] = 0.5 + world[..., 0] * SCALE / aspect
    image[..., 1] = center_y + world[..., 1] * SCALE
    vis = np.full((1, N_LANDMARKS), 0.95)
    return image, world, vis


def _measure(p: dict[L, np.ndarray], aspect: float = ASPECT, center_y: float = 0.45, edit=None) -> dict[str, float]:
    image, world, vis = _frame(p, aspect, center_y)
    pres = np.full_like(vis, 0.99)
    if edit is not None:
        edit(image, world, vis, pres)
    usable = landmark_usable(image, vis, pres)
    out = compute_measures(image, world, usable, aspect)[0]
    return dict(zip(MEASURE_NAMES, out.tolist(), strict=True))


# ---------------------------------------------------------------- joint angles


def test_standing_straight_reads_zero_flexion_everywhere() -> None:
    m = _measure(_standing_front())
    for name in ("knee_flex_left_deg", "knee_flex_right_deg", "knee_flex_deg", "hip_flex_deg", "elbow_flex_left_deg"):
        assert m[name] == pytest.approx(0.0, abs=1e-6), name
    assert m["arm_raise_left_deg"] == pytest.approx(0.0, abs=1e-6)
    assert m["trunk_lean_deg"] == pytest.approx(0.0, abs=1e-6)
    assert m["shoulder_width_ratio"] == pytest.approx(0.6)


def test_a_right_angle_at_the_knee_reads_90_and_the_combined_knee_averages_both_sides() -> None:
    p = _standing_front()
    p[L.LEFT_ANKLE] = p[L.LEFT_KNEE] + [0.0, 0.0, 0.43]  # shin straight back, away from the camera
    m = _measure(p)
    assert m["knee_flex_left_deg"] == pytest.approx(90.0)
    assert m["knee_flex_right_deg"] == pytest.approx(0.0, abs=1e-6)
    assert m["knee_flex_deg"] == pytest.approx(45.0)


@pytest.mark.parametrize("view", ["front", "side"])
def test_a_45_degree_knee_reads_45_facing_the_camera_and_side_on(view: str) -> None:
    p = _standing_front()
    c, s = np.cos(np.radians(45)), np.sin(np.radians(45))
    for side in ("LEFT", "RIGHT"):
        p[L[f"{side}_ANKLE"]] = p[L[f"{side}_KNEE"]] + 0.43 * np.array([0.0, c, s])  # bent backwards
    if view == "side":
        p = _turn_side_on(p)
    m = _measure(p)
    assert m["knee_flex_left_deg"] == pytest.approx(45.0)
    assert m["knee_flex_deg"] == pytest.approx(45.0)
    assert (m["shoulder_width_ratio"] < 0.1) == (view == "side")


def test_side_on_angles_use_the_aspect_ratio_of_the_frame() -> None:
    p = _standing_front()
    c, s = np.cos(np.radians(45)), np.sin(np.radians(45))
    p[L.LEFT_ANKLE] = p[L.LEFT_KNEE] + 0.43 * np.array([0.0, c, s])
    p = _turn_side_on(p)
    assert _measure(p, aspect=ASPECT)["knee_flex_left_deg"] == pytest.approx(45.0)
    portrait = _measure(p, aspect=720 / 1280)  # projected for a portrait frame, measured as one
    assert portrait["knee_flex_left_deg"] == pytest.approx(45.0)


def test_hip_flexion_of_a_thigh_raised_forward_to_horizontal_is_90() -> None:
    p = _standing_front()
    p[L.LEFT_KNEE] = p[L.LEFT_HIP] + [0.0, 0.0, -0.45]  # thigh straight toward the camera
    p[L.LEFT_ANKLE] = p[L.LEFT_KNEE] + [0.0, 0.43, 0.0]  # shin hanging down
    m = _measure(p)
    assert m["hip_flex_left_deg"] == pytest.approx(90.0)
    assert m["knee_flex_left_deg"] == pytest.approx(90.0)
    assert m["hip_flex_deg"] == pytest.approx(45.0)


def test_ankle_angle_is_the_angle_between_shin_and_foot() -> None:
    p = _standing_front()
    p[L.LEFT_FOOT_INDEX] = p[L.LEFT_ANKLE] + [0.0, 0.0, -0.15]  # foot at a right angle to the shin
    p[L.RIGHT_FOOT_INDEX] = p[L.RIGHT_ANKLE] + [0.0, 0.15, 0.0]  # toes pointed straight down
    m = _measure(p)
    assert m["ankle_left_deg"] == pytest.approx(90.0)
    assert m["ankle_right_deg"] == pytest.approx(180.0)


def test_arm_raise_is_0_at_the_side_90_forward_180_overhead_and_elbow_flexion_90_when_bent() -> None:
    p = _standing_front()
    p[L.LEFT_ELBOW] = p[L.LEFT_SHOULDER] + [0.0, 0.0, -0.3]  # forward
    p[L.LEFT_WRIST] = p[L.LEFT_ELBOW] + [0.0, -0.26, 0.0]  # forearm up: elbow bent 90
    p[L.RIGHT_ELBOW] = p[L.RIGHT_SHOULDER] + [0.0, -0.3, 0.0]  # overhead
    p[L.RIGHT_WRIST] = p[L.RIGHT_ELBOW] + [0.0, -0.26, 0.0]
    m = _measure(p, center_y=0.55)  # lower in the picture so the raised hand stays in it
    assert m["arm_raise_left_deg"] == pytest.approx(90.0)
    assert m["elbow_flex_left_deg"] == pytest.approx(90.0)
    assert m["arm_raise_right_deg"] == pytest.approx(180.0)
    assert m["elbow_flex_right_deg"] == pytest.approx(0.0, abs=1e-6)


# ---------------------------------------------------------------- orientation in the image


@pytest.mark.parametrize("lean", [0.0, 30.0, 45.0])
def test_trunk_lean_is_measured_from_vertical_in_the_aspect_corrected_image(lean: float) -> None:
    p = _turn_side_on(_standing_front())
    r = np.radians(lean)
    for side in ("LEFT", "RIGHT"):  # lean the trunk forward (toward +x) about the hips
        z = p[L[f"{side}_SHOULDER"]][2]
        p[L[f"{side}_SHOULDER"]] = np.array([0.5 * np.sin(r), -0.5 * np.cos(r), z])
    assert _measure(p)["trunk_lean_deg"] == pytest.approx(lean)


def _lying(lift_left: float = 0.0, lift_right: float = 0.0) -> dict[L, np.ndarray]:
    """Lying on the back seen from the side: head on the image's left, legs to the right."""
    p = {lm: np.array([-0.7, -0.05, 0.0]) for lm in L}
    for side, z, lift in (("LEFT", 0.15, lift_left), ("RIGHT", -0.15, lift_right)):
        r = np.radians(lift)
        leg = np.array([np.cos(r), -np.sin(r), 0.0])  # raised = up in the image (−y)
        p[L[f"{side}_SHOULDER"]] = np.array([-0.5, 0.0, z])
        p[L[f"{side}_ELBOW"]] = np.array([-0.2, 0.0, z])
        p[L[f"{side}_WRIST"]] = np.array([0.05, 0.0, z])
        p[L[f"{side}_HIP"]] = np.array([0.0, 0.0, z])
        p[L[f"{side}_KNEE"]] = p[L[f"{side}_HIP"]] + 0.45 * leg
        p[L[f"{side}_ANKLE"]] = p[L[f"{side}_HIP"]] + 0.88 * leg
        p[L[f"{side}_HEEL"]] = p[L[f"{side}_ANKLE"]] + [0.0, 0.05, 0.0]
        p[L[f"{side}_FOOT_INDEX"]] = p[L[f"{side}_ANKLE"]] + [0.03, -0.15, 0.0]
    return p


def test_lying_down_reads_a_trunk_lean_of_90() -> None:
    assert _measure(_lying(), center_y=0.6)["trunk_lean_deg"] == pytest.approx(90.0)


def test_a_leg_raised_20_degrees_reads_a_lift_of_20_and_about_30_cm_at_the_ankle() -> None:
    m = _measure(_lying(lift_left=20.0), center_y=0.6)
    assert m["leg_lift_left_deg"] == pytest.approx(20.0)
    assert m["lift_height_left_cm"] == pytest.approx(88.0 * np.sin(np.radians(20.0)))  # 30.1 cm
    assert m["leg_lift_right_deg"] == pytest.approx(0.0, abs=1e-6)
    assert m["knee_flex_left_deg"] == pytest.approx(0.0, abs=1e-6)


def test_a_leg_below_the_trunk_line_reads_a_negative_lift() -> None:
    m = _measure(_lying(lift_left=-5.0), center_y=0.6)
    assert m["leg_lift_left_deg"] == pytest.approx(-5.0)
    assert m["lift_height_left_cm"] < 0


def test_shoulder_and_hip_tilt_are_positive_when_the_left_side_is_lower() -> None:
    p = _standing_front()
    p[L.LEFT_SHOULDER] = p[L.LEFT_SHOULDER] + [0.0, 0.05, 0.0]
    m = _measure(p)
    assert m["shoulder_tilt_deg"] == pytest.approx(np.degrees(np.arctan2(0.05, 0.3)))
    assert m["hip_tilt_deg"] == pytest.approx(0.0, abs=1e-6)


# ---------------------------------------------------------------- unusable landmarks


def _knee_bent_left() -> dict[L, np.ndarray]:
    p = _standing_front()
    p[L.LEFT_ANKLE] = p[L.LEFT_KNEE] + [0.0, 0.0, 0.43]
    p[L.RIGHT_ANKLE] = p[L.RIGHT_KNEE] + 0.43 * np.array([0.0, np.cos(np.radians(30)), np.sin(np.radians(30))])
    return p


def _set(lm: L, *, y: float | None = None, x: float | None = None, vis: float | None = None, pres: float | None = None):
    def edit(image, world, v, p):
        if y is not None:
            image[0, lm, 1] = y
        if x is not None:
            image[0, lm, 0] = x
        if vis is not None:
            v[0, lm] = vis
        if pres is not None:
            p[0, lm] = pres

    return edit


@pytest.mark.parametrize(
    "edit",
    [
        _set(L.LEFT_ANKLE, y=1.08, vis=0.7),  # below the frame, invented with visibility 0.7
        _set(L.LEFT_ANKLE, x=-0.02),  # past the left edge
        _set(L.LEFT_ANKLE, vis=0.3),  # inside but not visible
        _set(L.LEFT_ANKLE, pres=0.2),  # inside but not present
    ],
    ids=["below-frame", "left-of-frame", "low-visibility", "low-presence"],
)
def test_an_unusable_ankle_makes_that_sides_leg_measures_nan_and_the_combined_knee_uses_the_other(edit) -> None:
    m = _measure(_knee_bent_left(), edit=edit)
    for name in ("knee_flex_left_deg", "ankle_left_deg", "leg_lift_left_deg", "lift_height_left_cm"):
        assert np.isnan(m[name]), name
    assert m["knee_flex_right_deg"] == pytest.approx(30.0)
    assert m["knee_flex_deg"] == pytest.approx(30.0)
    assert m["hip_flex_left_deg"] == pytest.approx(0.0, abs=1e-6)  # does not need the ankle


def test_with_no_measurable_knee_the_combined_knee_is_nan() -> None:
    def both_out(image, world, v, p):
        image[0, [L.LEFT_ANKLE, L.RIGHT_ANKLE], 1] = 1.1

    m = _measure(_knee_bent_left(), edit=both_out)
    assert np.isnan(m["knee_flex_deg"])


def test_an_unusable_shoulder_makes_trunk_measures_nan() -> None:
    m = _measure(_lying(lift_left=20.0), center_y=0.6, edit=_set(L.RIGHT_SHOULDER, vis=0.1))
    for name in ("trunk_lean_deg", "leg_lift_left_deg", "leg_lift_right_deg", "shoulder_width_ratio"):
        assert np.isnan(m[name]), name
    assert m["knee_flex_left_deg"] == pytest.approx(0.0, abs=1e-6)


def test_landmarks_on_the_image_border_are_usable_and_just_outside_are_not() -> None:
    image = np.array([[[0.0, 1.0], [1.0, 0.0], [1.001, 0.5], [0.5, -0.001]]])
    vis = np.full((1, 4), 0.9)
    assert landmark_usable(image, vis, vis).tolist() == [[True, True, False, False]]
    assert landmark_usable(image, vis, vis, min_visibility=0.95).tolist() == [[False] * 4]


def test_measures_of_many_frames_at_once_equal_one_frame_at_a_time() -> None:
    trace = synthetic.straight_leg_raise(reps=2, side="alternating", noise_world_m=0.01, seed=1)
    usable = landmark_usable(trace.image_xy, trace.visibility, trace.presence)
    batch = compute_measures(trace.image_xy, trace.world_xyz, usable, trace.meta.aspect)
    for i in range(0, len(trace), 37):
        one = compute_measures(
            trace.image_xy[i : i + 1], trace.world_xyz[i : i + 1], usable[i : i + 1], trace.meta.aspect
        )
        assert np.array_equal(one[0], batch[i], equal_nan=True)


def test_unknown_measure_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="knee_flex_left_deg"):
        measure_index("knee_angle")


# ---------------------------------------------------------------- the synthetic body reads true


def _synthetic_measures(trace):
    usable = landmark_usable(trace.image_xy, trace.visibility, trace.presence)
    assert usable.all(), "the whole body should be in the picture"
    return compute_measures(trace.image_xy, trace.world_xyz, usable, trace.meta.aspect)


def _at(trace, values, t: float, name: str) -> float:
    return float(values[int(np.argmin(np.abs(trace.t_s - t))), measure_index(name)])


@pytest.mark.parametrize("view", ["side", "side_left", "front", 45.0])
@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (720, 720)], ids=["landscape", "portrait", "square"])
@pytest.mark.parametrize("projection", ["pinhole", "orthographic"])
def test_synthetic_wall_squat_knee_reads_the_generated_angle(view, size, projection) -> None:
    trace = synthetic.wall_squat(
        reps=1, depth_deg=45.0, view=view, width=size[0], height=size[1], projection=projection
    )
    values = _synthetic_measures(trace)
    rep = trace.meta.extra["reps"][0]
    assert _at(trace, values, rep.hold_mid_s, "knee_flex_deg") == pytest.approx(45.0, abs=0.5)
    assert _at(trace, values, rep.hold_mid_s, "knee_flex_right_deg") == pytest.approx(45.0, abs=0.5)
    assert _at(trace, values, 0.0, "knee_flex_deg") == pytest.approx(0.0, abs=0.5)
    assert _at(trace, values, rep.hold_mid_s, "trunk_lean_deg") == pytest.approx(0.0, abs=1.5)


@pytest.mark.parametrize("lean", [20.0, 35.0])
def test_synthetic_trunk_lean_reads_the_generated_lean_from_the_side(lean: float) -> None:
    trace = synthetic.wall_squat(reps=1, lean_deg=lean)
    rep = trace.meta.extra["reps"][0]
    assert _at(trace, _synthetic_measures(trace), rep.hold_mid_s, "trunk_lean_deg") == pytest.approx(lean, abs=0.5)


@pytest.mark.parametrize("view", ["side", "front"])
def test_synthetic_leg_lift_of_20_degrees_is_about_30_cm_at_the_ankle(view: str) -> None:
    trace = synthetic.straight_leg_raise(reps=1, side="right", lift_deg=20.0, view=view)
    values = _synthetic_measures(trace)
    t = trace.meta.extra["reps"][0].hold_mid_s
    assert _at(trace, values, t, "leg_lift_right_deg") == pytest.approx(20.0, abs=0.5)
    assert _at(trace, values, t, "lift_height_right_cm") == pytest.approx(30.0, abs=1.0)
    assert synthetic.lift_height_cm(20.0) == pytest.approx(30.1, abs=0.05)  # 0.88 m leg
    assert _at(trace, values, t, "knee_flex_right_deg") == pytest.approx(0.0, abs=0.5)
    assert _at(trace, values, t, "knee_flex_left_deg") == pytest.approx(90.0, abs=0.5)  # other knee bent
    assert _at(trace, values, t, "leg_lift_left_deg") == pytest.approx(0.0, abs=0.5)  # its heel on the floor


def test_synthetic_raised_leg_with_a_bent_knee_keeps_its_lift() -> None:
    trace = synthetic.straight_leg_raise(reps=1, lift_deg=20.0, knee_bend_deg=30.0)
    values = _synthetic_measures(trace)
    t = trace.meta.extra["reps"][0].hold_mid_s
    assert _at(trace, values, t, "leg_lift_left_deg") == pytest.approx(20.0, abs=0.5)
    assert _at(trace, values, t, "knee_flex_left_deg") == pytest.approx(30.0, abs=0.5)


def test_synthetic_heel_slide_bends_the_sliding_knee_with_the_heel_down() -> None:
    trace = synthetic.heel_slide(reps=1, side="right", peak_deg=90.0)
    values = _synthetic_measures(trace)
    t = trace.meta.extra["reps"][0].hold_mid_s
    assert _at(trace, values, t, "knee_flex_right_deg") == pytest.approx(90.0, abs=0.5)
    assert _at(trace, values, t, "leg_lift_right_deg") == pytest.approx(0.0, abs=0.5)
    assert _at(trace, values, t, "knee_flex_left_deg") == pytest.approx(0.0, abs=0.5)


def test_synthetic_traces_are_deterministic_for_a_seed_and_shaped_like_mediapipe() -> None:
    a = synthetic.heel_slide(reps=1, noise_world_m=0.01, seed=7, dropouts=[(3.0, 3.5)])
    b = synthetic.heel_slide(reps=1, noise_world_m=0.01, seed=7, dropouts=[(3.0, 3.5)])
    c = synthetic.heel_slide(reps=1, noise_world_m=0.01, seed=8, dropouts=[(3.0, 3.5)])
    assert np.array_equal(a.world_xyz, b.world_xyz, equal_nan=True)
    assert not np.array_equal(a.world_xyz, c.world_xyz, equal_nan=True)
    n = len(a)
    assert a.image_xy.shape == (n, 33, 2) and a.world_xyz.shape == (n, 33, 3)
    assert a.visibility.shape == a.presence.shape == (n, 33)
    assert np.all(np.diff(a.t_s) > 0)
    gone = (a.t_s >= 3.0) & (a.t_s < 3.5)
    assert np.all(a.n_people[gone] == 0) and np.all(np.isnan(a.image_xy[gone]))
    mid_hip = a.world_xyz[~gone][:, [L.LEFT_HIP, L.RIGHT_HIP]].mean(axis=1)
    assert np.abs(mid_hip).max() < 0.05  # world origin between the hips (up to noise)
