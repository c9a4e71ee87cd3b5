"""Standing straight leg raise (catalog): counted per side on the leg's angle to the trunk,
judged on the leg's height, the trunk and the standing knee (relative to the person's own
standing posture) and the raised knee. Synthetic exact 3-D motion (motion-capture import)."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis import analyze_trace, trace_measures
from formcheck.exercises.config import get_exercise
from formcheck.formats.mocap import MocapSpec, mocap_trace
from formcheck.measures.body import measure_index
from formcheck_testing import synthetic

CFG = get_exercise("standing_leg_raise")
FPS = 60.0


def _raises(
    reps: int = 3, side: str = "right", lift_deg: float = 90.0, knee_deg: float = 0.0, lean_deg: float = 0.0,
    sink_deg: float = 0.0, stand_lean_deg: float = 0.0, stand_knee_deg: float = 0.0,
):
    """Leg raises: the raised leg's hip flexes to ``lift_deg`` (from the trunk), its knee
    bends ``knee_deg``; the trunk leans forward ``lean_deg`` over the hips and the standing
    knee bends ``sink_deg`` at the top; ``stand_*`` is the person's posture at rest."""
    other = "left" if side == "right" else "right"
    rest = {"lift": 0.0, "knee": 0.0, "lean": stand_lean_deg, "sink": stand_knee_deg}
    m = synthetic.Motion(rest).rest(1.0)
    for _ in range(reps):
        top = {"lift": lift_deg, "knee": knee_deg, "lean": stand_lean_deg + lean_deg, "sink": stand_knee_deg + sink_deg}
        synthetic.add_rep(m, top, rest, out_s=1.2, hold_s=0.8, back_s=1.2, rest_s=1.0)
    t = synthetic.frame_times(m, FPS)
    ch = m.sample(t)
    # Leaning the trunk over the hips: pitch the body and flex both hips by as much, so the
    # legs keep their direction in the room.
    joints = {"trunk_pitch": ch["lean"], f"hip_flex_{other}": ch["lean"], f"knee_flex_{other}": ch["sink"],
              f"hip_flex_{side}": ch["lift"] + ch["lean"], f"knee_flex_{side}": ch["knee"]}  # fmt: skip
    pos = synthetic.skeleton(joints, len(t))
    return mocap_trace(pos, MocapSpec(units="m", up="+z"), t=t).trace


def test_three_straight_raises_to_horizontal_count_three_clean_reps_on_their_side():
    c = analyze_trace(_raises(3, "right"), CFG)
    assert c.reps == 3 and c.reps_by_side == {"left": 0, "right": 3}
    assert [r.faults for r in c.results] == [()] * 3
    assert all(r.peak == pytest.approx(90.0, abs=1.5) for r in c.results)


def test_left_raises_count_on_the_left():
    c = analyze_trace(_raises(2, "left"), CFG)
    assert c.reps_by_side == {"left": 2, "right": 0} and [r.faults for r in c.results] == [()] * 2


def test_a_low_raise_is_flagged_as_too_low():
    c = analyze_trace(_raises(2, lift_deg=55.0), CFG)
    assert [r.faults for r in c.results] == [("leg_low",)] * 2


def test_a_bent_raised_knee_is_flagged():
    c = analyze_trace(_raises(2, knee_deg=60.0, lift_deg=110.0), CFG)
    assert all("knee_bent" in r.faults for r in c.results)


def test_leaning_forward_to_reach_the_leg_is_flagged_and_the_lift_keeps_its_sign():
    c = analyze_trace(_raises(2, lean_deg=25.0), CFG)
    assert c.reps == 2 and all("leaning" in r.faults for r in c.results)
    lift = trace_measures(_raises(1, lean_deg=25.0))[0][:, measure_index("leg_raise_right_deg")]
    assert np.nanmax(lift) == pytest.approx(115.0, abs=2.0) and np.nanmin(lift) > -5.0


def test_a_person_who_stands_leaning_and_soft_kneed_is_judged_from_their_own_posture():
    c = analyze_trace(_raises(2, stand_lean_deg=8.0, stand_knee_deg=25.0), CFG)
    assert [r.faults for r in c.results] == [()] * 2


def test_sinking_into_the_standing_knee_is_flagged():
    c = analyze_trace(_raises(2, sink_deg=25.0), CFG)
    assert all("standing_knee_bent" in r.faults for r in c.results)


def test_camera_leg_raises_from_the_side_count_per_side():
    c = analyze_trace(synthetic.standing_leg_raise(side=["left", "right", "left"], seed=2), CFG)
    assert c.reps_by_side == {"left": 2, "right": 1} and [r.faults for r in c.results] == [()] * 3
