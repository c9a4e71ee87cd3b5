"""One analysis chain: the live per-frame driver (Analyzer.update) and the whole-trace driver
(trace_measures + analyze_trace) give the same measures, bit for bit, and the same events and
reps, for every exercise of the catalog (real traces: tests/real/test_chain_equality.py; the
comparison is the ``one_chain`` fixture of tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck import synthetic
from formcheck.config import builtin_exercises
from formcheck.pose.frame import PoseTrace

EXERCISES = builtin_exercises()


def messy(name: str) -> PoseTrace:
    """The exercise's synthetic recording with what real traces have: noise, nobody in view
    for a while, a person switch, a landmark lost, a repeated timestamp."""
    make = getattr(synthetic, name)
    try:
        trace = make(reps=2, noise_world_m=0.01, seed=5, dropouts=[(3.0, 3.5)])
    except TypeError:  # holds and stretches without a rep count
        trace = make(noise_world_m=0.01, seed=5, dropouts=[(3.0, 3.5)])
    n = len(trace)
    trace.identity_jump[n // 3] = True
    trace.image_xy[n // 2 : n // 2 + 20, 25:29] = np.nan
    trace.t_s[n - 20] = trace.t_s[n - 21]
    return trace


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_live_and_whole_trace_analysis_agree_on_every_exercise(one_chain, name: str) -> None:
    checker = one_chain(messy(name), EXERCISES[name])
    assert checker.frames > 0 and checker.measurable_frames > 0
