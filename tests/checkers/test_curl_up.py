"""Curl-up / crunch (issue 12 item 9): lying, the shoulders rising off the floor."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from formcheck import synthetic
from formcheck.analysis import analyze_trace
from formcheck.config import builtin_exercises
from formcheck.landmarks import SIDES
from formcheck.pose.frame import PoseTrace

CFG = builtin_exercises()["curl_up"]


def _curl_pose(ch: Mapping[str, np.ndarray]) -> dict[str, ArrayLike]:
    """Lying, knees bent 90°, feet down; ``curl`` raises the shoulder-hip line (deg) while the
    thighs keep their direction (the hips flex by as much)."""
    curl = ch.get("curl", 0.0)
    out: dict[str, ArrayLike] = {"trunk_pitch": -90.0 + curl}
    for s in SIDES:
        out |= {f"hip_flex_{s}": 45.0 + curl, f"knee_flex_{s}": 90.0, f"arm_raise_{s}": 20.0}
    return out


def curl_ups(reps: int, curl_deg: float = 25.0, up_s: float = 1.0, hold_s: float = 2.0) -> PoseTrace:
    m = synthetic.Motion({"curl": 0.0}).rest(3.0)
    for _ in range(reps):
        synthetic.add_rep(m, {"curl": curl_deg}, {"curl": 0.0}, out_s=up_s, hold_s=hold_s, back_s=1.5, rest_s=2.0)
    return synthetic.render_motion(m, _curl_pose, "lowest", synthetic.Capture(view="side"))


def test_curl_ups_held_2_s_count_without_faults() -> None:
    c = analyze_trace(curl_ups(5), CFG)
    assert c.reps == 5
    assert [r.faults for r in c.results] == [()] * 5
    assert all(abs(r.peak - 25.0) < 3.0 for r in c.results)


def test_a_small_nod_is_not_curled() -> None:
    c = analyze_trace(curl_ups(3, curl_deg=11.0), CFG)
    assert [r.faults for r in c.results] == [("not_curled", "hold_short")] * 3


def test_coming_up_to_sitting_is_a_sit_up() -> None:
    c = analyze_trace(curl_ups(2, curl_deg=60.0, up_s=2.0), CFG)
    assert c.reps == 2
    assert all("sitting_up" in r.faults for r in c.results)


def test_jerking_up_is_flagged() -> None:
    c = analyze_trace(curl_ups(3, up_s=0.25), CFG)  # 25° in a quarter second
    assert all("too_fast" in r.faults for r in c.results)
