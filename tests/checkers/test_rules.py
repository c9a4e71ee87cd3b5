"""The rule engine's phases judged once at a rep's end: ``peak`` (the measure's extreme over
the rep) and ``deepest`` (the measure where the rep's own signal went furthest)."""

from __future__ import annotations

import math

from formcheck.checkers.rules import Faults, Outbox, RuleContext, RuleEngine
from formcheck.exercises.config import RuleSpec
from formcheck.measures.body import MEASURE_NAMES, measure_index


def _judge(phase: str, spread_by_frame: list[float], signal_by_frame: list[float]) -> tuple[str, ...]:
    """One rep: knee_out_ratio per frame must stay >= 1.4; the rep's signal says which frame is deepest."""
    spec = RuleSpec("knees_in", "knee_out_ratio", None, "limit", phase, 0.0, "Push your knees out")
    engine = RuleEngine([spec], None, {"limit": 1.4})
    mem, faults, out = engine.memory(), Faults(), Outbox(text=lambda code: code)
    peak = -math.inf
    for i, (x, v) in enumerate(zip(spread_by_frame, signal_by_frame, strict=True)):
        vals = [math.nan] * len(MEASURE_NAMES)
        vals[measure_index("knee_out_ratio")] = x
        engine.observe(mem, faults, vals, 0.1 * i, RuleContext(False, False, "front"), out, v > peak)
        peak = max(peak, v)
    engine.conclude(mem, faults)
    return tuple(faults.codes)


SIGNAL = [10.0, 60.0, 110.0, 130.0, 90.0, 30.0]  # knee flexion: deepest at the fourth frame


def test_a_deepest_rule_judges_the_measure_at_the_bottom_of_the_rep():
    knees_out_then_in = [1.0, 1.6, 1.5, 1.2, 1.5, 1.0]  # wide on the way down, caved in at the bottom
    assert _judge("deepest", knees_out_then_in, SIGNAL) == ("knees_in",)
    assert _judge("peak", knees_out_then_in, SIGNAL) == ()  # its best moment hides the fault


def test_a_deepest_rule_passes_knees_out_at_the_bottom_whatever_they_did_before():
    knees_in_then_out = [1.0, 1.1, 1.3, 1.5, 1.3, 1.0]
    assert _judge("deepest", knees_in_then_out, SIGNAL) == ()


def test_a_deepest_rule_keeps_the_last_measured_value_when_the_bottom_frame_is_not_measured():
    assert _judge("deepest", [1.0, 1.6, 1.2, math.nan, 1.5, 1.0], SIGNAL) == ("knees_in",)
    assert _judge("deepest", [math.nan] * 6, SIGNAL) == ()  # never measured: not judged
