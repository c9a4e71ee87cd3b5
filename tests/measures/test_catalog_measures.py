"""The measures added for the exercise catalog, against the synthetic body's known geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.analysis import trace_measures
from formcheck.exercises.config import builtin_exercises
from formcheck.measures.body import MEASURE_NAMES, compute_measures, landmark_usable, measure_index
from formcheck_testing import synthetic


def _at(trace, t_s: float) -> dict[str, float]:
    values = trace_measures(trace)[0]
    i = int(np.argmin(np.abs(trace.t_s - t_s)))
    return dict(zip(MEASURE_NAMES, values[i].tolist(), strict=True))


@pytest.mark.parametrize(("view", "yaw"), [("front", 0.0), ("side", 90.0), ("side_left", 90.0), (40.0, 40.0)])
def test_body_yaw_reads_how_far_the_body_is_turned_from_the_camera(view, yaw) -> None:
    assert _at(synthetic.squat(reps=1, view=view), 1.0)["body_yaw_deg"] == pytest.approx(yaw, abs=0.5)


def test_thighs_from_vertical_tell_standing_from_lying() -> None:
    assert _at(synthetic.squat(reps=1), 1.0)["thighs_from_vertical_deg"] == pytest.approx(0.0, abs=1.0)
    lying = _at(synthetic.lying_leg_raise(reps=1), 1.0)
    assert lying["thighs_from_vertical_deg"] == pytest.approx(90.0, abs=1.0)
    assert lying["trunk_lean_deg"] == pytest.approx(90.0, abs=1.0)
    assert _at(synthetic.bird_dog(reps=1), 1.0)["thighs_from_vertical_deg"] == pytest.approx(0.0, abs=1.0)


def test_heel_lift_reads_the_heel_rising_above_the_toes_in_cm_from_the_side() -> None:
    trace = synthetic.heel_raise(reps=1, view="side", lift_deg=30.0, start_s=2.0)
    rest, up = _at(trace, 1.0), _at(trace, 4.0)
    # The heel swings about the toes: ~20 cm of foot × sin 30° ≈ 10 cm.
    assert up["heel_lift_cm"] - rest["heel_lift_cm"] == pytest.approx(9.9, abs=0.5)


def test_heel_lift_of_the_lower_heel_and_the_difference() -> None:
    up = _at(synthetic.heel_raise(reps=1, uneven_deg=15.0, start_s=2.0), 4.0)
    assert up["heel_lift_cm"] == pytest.approx(up["heel_lift_right_cm"])  # the right heel is the lower one
    assert up["heel_lift_diff_cm"] == pytest.approx(up["heel_lift_left_cm"] - up["heel_lift_right_cm"])
    assert up["heel_lift_diff_cm"] > 3.0


@pytest.mark.parametrize("view", ["side", "front"])
def test_hip_extension_is_signed_and_the_split_is_the_angle_between_the_thighs(view) -> None:
    bottom = _at(synthetic.lunge(reps=1, side="right", view=view, start_s=2.0, lean_deg=0.0), 3.5)
    assert bottom["hip_ext_left_deg"] == pytest.approx(15.0, abs=1.0)  # back thigh 15° behind
    assert bottom["hip_ext_right_deg"] == pytest.approx(-90.0, abs=1.0)  # front thigh forward
    assert bottom["hip_split_left_deg"] == pytest.approx(105.0, abs=1.5)
    assert bottom["hip_split_right_deg"] == pytest.approx(-105.0, abs=1.5)


def test_stance_width_is_about_one_hip_width_and_not_measured_side_on() -> None:
    assert _at(synthetic.lunge(reps=1, view="front", start_s=2.0), 3.5)["stance_width_ratio"] == pytest.approx(
        1.0, abs=0.1
    )
    assert _at(synthetic.lunge(reps=1, view="front", stance="in_line", start_s=2.0), 3.5)["stance_width_ratio"] < 0.8
    assert np.isnan(_at(synthetic.lunge(reps=1, start_s=2.0), 3.5)["stance_width_ratio"])


def test_pelvis_roll_and_neck_flexion() -> None:
    trace = synthetic.bird_dog(reps=1, roll_deg=20.0)
    assert _at(trace, 1.0)["pelvis_roll_deg"] == pytest.approx(0.0, abs=0.5)
    assert abs(_at(trace, 6.0)["pelvis_roll_deg"]) == pytest.approx(20.0, abs=1.0)
    cycle = synthetic.cat_cow(reps=1)
    assert _at(cycle, 7.0)["neck_flex_deg"] - _at(cycle, 1.0)["neck_flex_deg"] == pytest.approx(50.0, abs=3.0)


def test_toe_reach_goes_from_near_zero_standing_to_most_of_the_way_folded() -> None:
    trace = synthetic.toe_touch()
    assert _at(trace, 1.0)["toe_reach_pct"] < 10.0
    assert _at(trace, 20.0)["toe_reach_pct"] > 60.0


def test_ankle_on_knee_is_small_for_the_crossed_leg() -> None:
    held = _at(synthetic.piriformis_stretch(reps=1, side="right"), 15.0)
    assert held["ankle_on_knee_right_ratio"] < held["ankle_on_knee_left_ratio"] - 0.15


def test_both_legs_and_either_side_measures_use_whichever_side_is_measurable() -> None:
    trace = synthetic.lying_leg_raise(reps=1, start_s=2.0)
    v = trace_measures(trace)[0]
    i = int(np.argmin(np.abs(trace.t_s - 4.5)))
    lift = v[i, measure_index("leg_lift_deg")]
    assert lift == pytest.approx(v[i, measure_index("leg_lift_left_deg")], abs=0.5)
    usable = np.ones((1, 33), bool)
    usable[0, 27] = False  # left ankle hidden: the mean is the right leg's
    one = compute_measures(trace.image_xy[i : i + 1], trace.world_xyz[i : i + 1], usable, trace.meta.aspect)
    assert one[0, measure_index("leg_lift_deg")] == pytest.approx(one[0, measure_index("leg_lift_right_deg")])


def test_only_the_measures_an_exercise_reads_are_computed_live_and_they_agree_with_the_full_set() -> None:
    trace = synthetic.heel_raise(reps=1, start_s=1.0)
    usable = landmark_usable(trace.image_xy, trace.visibility, trace.presence)
    full = compute_measures(trace.image_xy, trace.world_xyz, usable, trace.meta.aspect)
    only = builtin_exercises()["heel_raise"].measures_used()
    some = compute_measures(trace.image_xy, trace.world_xyz, usable, trace.meta.aspect, only)
    for name in only:
        np.testing.assert_array_equal(some[:, measure_index(name)], full[:, measure_index(name)])
    assert np.isnan(some[:, measure_index("toe_reach_pct")]).all()
    one = compute_measures(trace.image_xy[5:6], trace.world_xyz[5:6], usable[5:6], trace.meta.aspect, only)
    np.testing.assert_allclose(one[0], some[5], equal_nan=True)  # T = 1 (live) agrees with the batch


def _standing(ch):
    return synthetic.wall_squat_pose({"knee": 0.0})


def _still(poser, contact: str, **capture: object):
    """Two seconds of a still body posed by ``poser``, filmed with ``capture``."""
    return synthetic.render_motion(synthetic.Motion({}).rest(2.0), poser, contact, synthetic.Capture(**capture))


@pytest.mark.parametrize("view", ["front", "side", 40.0])
def test_thighs_rise_reads_hanging_thighs_standing_and_forward_thighs_sitting_from_any_view(view) -> None:
    # Orthographic: the foreshortening of a thigh pointing at the camera is exactly its tilt.
    standing = _at(_still(_standing, "feet", view=view, projection="orthographic"), 1.0)
    sitting = _at(_still(synthetic.sitting_pose, "feet", view=view, projection="orthographic"), 1.0)
    assert standing["thighs_rise_deg"] == pytest.approx(0.0, abs=0.05)  # float32 landmarks
    assert sitting["thighs_rise_deg"] == pytest.approx(90.0, abs=0.05)


def test_a_person_sitting_and_facing_the_camera_is_sitting_not_standing() -> None:
    from formcheck.measures import visibility

    # A camera above the hips sees the thighs pointing at it as short and hanging in the image.
    v = _at(_still(synthetic.sitting_pose, "feet", view="front", camera_height_m=1.2), 1.0)
    lean, thighs, rise = v["trunk_lean_deg"], v["thighs_from_vertical_deg"], v["thighs_rise_deg"]
    assert visibility.position_of(lean, thighs) == "standing"  # the image alone is fooled
    assert visibility.position_of(lean, thighs, rise) == "sitting"
    stood = _at(_still(_standing, "feet", view="front", camera_height_m=1.2), 1.0)
    posture = (stood["trunk_lean_deg"], stood["thighs_from_vertical_deg"], stood["thighs_rise_deg"])
    assert visibility.position_of(*posture) == "standing"


def _long_sitting(lean_deg: float):
    """A poser: sitting on the floor, the right leg straight in front, the left knee bent at a
    right angle with the foot flat; the trunk leans ``lean_deg`` forward from the hips."""

    def pose(ch):
        out = {"trunk_pitch": lean_deg}
        for s in ("left", "right"):
            out |= {f"hip_flex_{s}": 90.0 + lean_deg, f"knee_flex_{s}": 0.0 if s == "right" else 90.0}
            out |= {f"arm_raise_{s}": 40.0 + lean_deg}
        return out

    return pose


# Exact while a torso segment lies in the image plane (facing: the shoulders; upright or
# side-on: the trunk); a trunk leaning in a three-quarter view is the case left out.
@pytest.mark.parametrize(
    ("view", "lean"), [("front", 0.0), ("front", 25.0), ("side", 0.0), ("side", 25.0), (40.0, 0.0)]
)
def test_sit_hip_flex_reads_the_seated_hip_angle(view, lean) -> None:
    v = _at(_still(_long_sitting(lean), "lowest", view=view, projection="orthographic"), 1.0)
    assert v["sit_hip_flex_right_deg"] == pytest.approx(90.0 + lean, abs=0.1)
    assert v["sit_hip_flex_left_deg"] == pytest.approx(90.0 + lean, abs=0.1)


def test_knee_flex_seen_is_not_judged_for_a_leg_pointing_at_the_camera() -> None:
    front = _at(_still(_long_sitting(0.0), "lowest", view="front", projection="orthographic"), 1.0)
    assert math.isnan(front["knee_flex_seen_right_deg"])  # straight leg pointing at the camera
    assert front["knee_flex_seen_left_deg"] == pytest.approx(90.0, abs=0.1)  # the shank is seen hanging
    side = _at(_still(_long_sitting(0.0), "lowest", view="side", projection="orthographic"), 1.0)
    assert side["knee_flex_seen_right_deg"] == pytest.approx(0.0, abs=0.1)
    assert side["knee_flex_seen_left_deg"] == pytest.approx(90.0, abs=0.1)
    standing = _at(_still(_standing, "feet", view="front", projection="orthographic"), 1.0)
    assert standing["knee_flex_seen_right_deg"] == pytest.approx(0.0, abs=0.1)


def _tilted_trunk(pitch_deg: float, roll_deg: float, yaw: float):
    """A standing body (exact 3-D) whose trunk, shoulders and head are rotated about the mid-hip:
    ``pitch_deg`` toward the front, then ``roll_deg`` toward the person's left."""
    from formcheck.formats.mocap import MocapSpec, mocap_trace
    from formcheck.pose.landmarks import Landmark as L

    t = np.arange(10) / 10.0
    ch = synthetic.Motion({"knee": 0.0, "lean": 0.0}).rest(1.0).sample(t)
    pos = synthetic.skeleton(dict(synthetic.wall_squat_pose(ch, 0.3)), len(t))  # x forward, y left, z up
    mhip = 0.5 * (pos[:, L.LEFT_HIP] + pos[:, L.RIGHT_HIP])
    p, r = math.radians(pitch_deg), math.radians(roll_deg)
    about_left = np.array([[math.cos(p), 0, math.sin(p)], [0, 1, 0], [-math.sin(p), 0, math.cos(p)]])
    about_front = np.array([[1, 0, 0], [0, math.cos(r), math.sin(r)], [0, -math.sin(r), math.cos(r)]])
    upper = [L.NOSE, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_ELBOW, L.RIGHT_ELBOW, L.LEFT_WRIST, L.RIGHT_WRIST]
    for k in upper:
        pos[:, k] = mhip + (pos[:, k] - mhip) @ (about_front @ about_left).T
    return mocap_trace(pos, MocapSpec(units="m", up="+z", yaw_deg=yaw), t=t).trace


@pytest.mark.parametrize("yaw", [0.0, 90.0])
@pytest.mark.parametrize(("pitch", "roll"), [(0.0, 0.0), (20.0, 0.0), (-10.0, 0.0), (0.0, 15.0), (0.0, -15.0)])
def test_trunk_pitch_and_roll_split_the_lean_into_forward_and_sideways(pitch, roll, yaw) -> None:
    m = _at(_tilted_trunk(pitch, roll, yaw), 0.5)
    assert m["trunk_pitch_deg"] == pytest.approx(pitch, abs=0.5)
    assert m["trunk_roll_deg"] == pytest.approx(roll, abs=0.5)
    assert m["trunk_lean_deg"] == pytest.approx(abs(pitch) + abs(roll), abs=0.5)  # one of them is 0
