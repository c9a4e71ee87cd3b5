"""One analysis chain: the live per-frame driver (Analyzer.update) and the whole-trace driver
(trace_measures + analyze_trace) give the same measures, bit for bit, and the same events and
reps, for every exercise of the catalog (real traces: tests/real/test_chain_equality.py; the
comparison is the ``one_chain`` fixture of tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.exercises.config import builtin_exercises
from formcheck.formats.mocap import MocapSpec, mocap_trace
from formcheck.pose.frame import PoseTrace
from formcheck_testing import synthetic

EXERCISES = builtin_exercises()


messy = synthetic.messy


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_live_and_whole_trace_analysis_agree_on_every_exercise(one_chain, name: str) -> None:
    checker = one_chain(messy(name), EXERCISES[name])
    assert checker.frames > 0 and checker.measurable_frames > 0


def _mocap_squat(n: int = 300, segmented: bool = False, yaw_deg: float = 0.0) -> PoseTrace:
    """One motion-capture squat (exact 3-D, image synthesised); ``segmented`` cuts it to the
    repetition alone (no standing before or after), as segmented data sets record it."""
    knee = 100.0 * 0.5 * (1 - np.cos(np.linspace(0, 2 * np.pi, n)))
    joints = {"knee_flex_left": knee, "knee_flex_right": 0.9 * knee, "hip_flex_left": 0.8 * knee,
              "hip_flex_right": 0.8 * knee, "trunk_pitch": 0.3 * knee}  # fmt: skip
    pos = synthetic.skeleton(joints, n)
    if segmented:
        pos = pos[80:220]
    spec = MocapSpec(units="m", up="+z", fps=100.0, yaw_deg=yaw_deg, segmented=segmented)
    return mocap_trace(pos, spec).trace


@pytest.mark.parametrize("name", ["deep_squat", "standing_leg_raise", "squat", "wall_squat"])
@pytest.mark.parametrize("segmented", [False, True])
def test_live_and_whole_trace_analysis_agree_on_exact_3d_and_segmented_traces(one_chain, name, segmented) -> None:
    # The live driver reads world_exact (no smoothing, 3-D only) and segmented from the trace
    # as the whole-trace driver does: a replayed import gives the same measures and reps.
    trace = _mocap_squat(segmented=segmented, yaw_deg=90.0)
    assert trace.meta.extra["world_exact"] and bool(trace.meta.extra.get("segmented")) == segmented
    checker = one_chain(trace, EXERCISES[name])
    assert checker.measurable_frames == len(trace)
    if name == "deep_squat" and segmented:
        assert checker.reps == 1  # the recording is the rep: counted without standing before it
