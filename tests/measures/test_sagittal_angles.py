"""Knee and hip flexion in the body's side plane (signed) and the thighs' split, against the
synthetic body's known joint angles: exact 3-D input (motion capture) takes the body's front
from left/right, camera input from the nose."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis import trace_measures
from formcheck.formats.mocap import MocapSpec, mocap_trace
from formcheck.measures.body import measure_index
from formcheck.pose.landmarks import Landmark as L
from formcheck_testing import synthetic

N = 7
HIP = np.array([-20.0, 0.0, 30.0, 60.0, 90.0, 100.0, 10.0])
KNEE = np.array([-5.0, 0.0, 20.0, 60.0, 110.0, 130.0, 45.0])


def _exact(joints: dict, yaw: float = 0.0, nose_behind: bool = False) -> np.ndarray:
    pos = synthetic.skeleton(joints, N)
    if nose_behind:  # a head turned away (or a marker set without the face) must not flip the front
        pos[:, L.NOSE, 0] = -0.3
    tr = mocap_trace(pos, MocapSpec(units="m", up="+z", fps=50.0, yaw_deg=yaw)).trace
    return trace_measures(tr)[0]


def _col(v: np.ndarray, name: str) -> np.ndarray:
    return v[:, measure_index(name)]


@pytest.mark.parametrize("yaw", [0.0, 90.0, -90.0, 35.0])
@pytest.mark.parametrize("nose_behind", [False, True])
def test_exact_knee_and_hip_flexion_in_the_side_plane_are_the_joint_angles_signed(yaw, nose_behind):
    joints = {"hip_flex_left": HIP, "knee_flex_left": KNEE, "hip_flex_right": HIP[::-1], "knee_flex_right": KNEE[::-1]}
    v = _exact(joints, yaw, nose_behind)
    np.testing.assert_allclose(_col(v, "knee_flex_sagittal_left_deg"), KNEE, atol=1e-3)
    np.testing.assert_allclose(_col(v, "hip_flex_sagittal_left_deg"), HIP, atol=1e-3)
    np.testing.assert_allclose(_col(v, "knee_flex_sagittal_right_deg"), KNEE[::-1], atol=1e-3)
    np.testing.assert_allclose(_col(v, "thigh_split_deg"), np.abs(HIP - HIP[::-1]), atol=1e-3)
    # the unsigned 3-D angle cannot tell a hyperextended knee from a bent one
    assert _col(v, "knee_flex_left_deg")[0] == pytest.approx(5.0, abs=1e-3)


def test_sideways_knee_movement_does_not_add_to_side_plane_knee_flexion():
    moved = {"hip_flex_left": 60.0, "knee_flex_left": 60.0}
    pos = synthetic.skeleton(moved, N)
    pos[:, L.LEFT_KNEE, 1] -= np.linspace(0.0, 0.1, N)  # the knee falls inward, across the body
    tr = mocap_trace(pos, MocapSpec(units="m", up="+z", fps=50.0)).trace
    w = trace_measures(tr)[0]
    sag = _col(w, "knee_flex_sagittal_left_deg")
    assert np.ptp(sag) < 0.5 and np.ptp(_col(w, "knee_flex_left_deg")) > 4.0


@pytest.mark.parametrize("view", ["side", "front"])
def test_camera_side_plane_angles_follow_the_lunge(view):
    trace = synthetic.lunge(reps=1, side="right", view=view, start_s=2.0, lean_deg=0.0, depth_deg=90.0)
    v = trace_measures(trace)[0]
    i = int(np.argmin(np.abs(trace.t_s - 3.5)))
    assert _col(v, "hip_flex_sagittal_right_deg")[i] == pytest.approx(90.0, abs=1.5)
    assert _col(v, "hip_flex_sagittal_left_deg")[i] == pytest.approx(-15.0, abs=1.5)
    assert _col(v, "knee_flex_sagittal_right_deg")[i] == pytest.approx(90.0, abs=2.0)
    assert _col(v, "thigh_split_deg")[i] == pytest.approx(105.0, abs=2.0)
