"""Deep squat (catalog): counted on knee flexion; the verdict combines depth (thighs to
horizontal), trunk lean, knee alignment, left/right symmetry and heel lift. Synthetic exact
3-D motion (motion-capture import), so every view measures the same."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import get_exercise
from formcheck.formats.mocap import MocapSpec, mocap_trace
from formcheck.pose.landmarks import Landmark as L
from formcheck_testing import synthetic

CFG = get_exercise("deep_squat")
FPS = 60.0


def _squats(reps: int = 3, knee_deg: float = 130.0, shank_share: float = 0.3, lean_deg: float = 35.0,
            valgus_m: float = 0.0, uneven_deg: float = 0.0, view_yaw: float = 0.0,
            knees_out_m: float = 0.08):  # fmt: skip
    """Squats, feet flat: the knees bend to ``knee_deg``, the shins take ``shank_share`` of
    it (so the thighs end ``knee_deg * (1 - shank_share)`` from vertical), the trunk leans
    ``lean_deg``. The knees track out over the (turned-out) feet, each ``knees_out_m`` wider
    at the bottom (hips and ankles 0.28 m apart: knee_out_ratio (0.28 + 2 * 0.08) / 0.28 =
    1.57 there); ``valgus_m`` moves each knee that far toward the midline at the bottom;
    ``uneven_deg`` bends the left knee that much less."""
    rest = {"knee": 0.0, "lean": 0.0, "u": 0.0}
    top = {"knee": knee_deg, "lean": lean_deg, "u": uneven_deg}
    m = synthetic.Motion(rest).rest(1.0)
    for _ in range(reps):
        synthetic.add_rep(m, top, rest, out_s=1.5, hold_s=0.3, back_s=1.5, rest_s=1.0)
    t = synthetic.frame_times(m, FPS)
    ch = m.sample(t)
    joints = dict(synthetic.wall_squat_pose(ch, shank_share))
    joints["knee_flex_left"] = ch["knee"] - ch["u"]
    pos = synthetic.skeleton(joints, len(t))  # x forward, y left, z up
    inward = valgus_m * np.clip(ch["knee"] / 20.0, 0.0, 1.0)  # the knees cave in as soon as they bend
    inward -= knees_out_m * ch["knee"] / knee_deg  # ... while a good squat pushes them out, most at the bottom
    pos[:, L.LEFT_KNEE, 1] -= inward
    pos[:, L.RIGHT_KNEE, 1] += inward
    return mocap_trace(pos, MocapSpec(units="m", up="+z", yaw_deg=view_yaw), t=t).trace


@pytest.mark.parametrize("yaw", [0.0, 90.0])
def test_deep_squats_count_clean_from_the_side_and_the_front(yaw):
    c = analyze_trace(_squats(3, view_yaw=yaw), CFG)
    assert c.reps == 3 and [r.faults for r in c.results] == [()] * 3


def test_squats_whose_thighs_stay_above_horizontal_are_not_deep():
    c = analyze_trace(_squats(3, knee_deg=100.0, shank_share=0.4), CFG)
    assert [r.faults for r in c.results] == [("not_deep",)] * 3


def test_the_chest_dropping_is_flagged():
    c = analyze_trace(_squats(2, lean_deg=65.0), CFG)
    assert [r.faults for r in c.results] == [("leaning_forward",)] * 2


def test_knees_falling_inward_are_flagged():
    c = analyze_trace(_squats(2, valgus_m=0.06), CFG)
    assert [r.faults for r in c.results] == [("knees_in",)] * 2


def test_one_leg_taking_the_weight_is_flagged():
    c = analyze_trace(_squats(2, uneven_deg=40.0), CFG)
    assert all("uneven" in r.faults for r in c.results)


def test_camera_deep_squats_from_the_side_count_clean():
    c = analyze_trace(synthetic.deep_squat(reps=3, seed=2), CFG)
    assert c.reps == 3 and [r.faults for r in c.results] == [()] * 3
