"""Any threshold the exercise file allows is a setting the checker runs with: each one at
the ends of its range (``min_phase_s = 0`` means "at once", not an assert) gives a report,
or a ConfigError when the combination is invalid (``end`` at or above ``start``)."""

from __future__ import annotations

import functools

import pytest

from formcheck.errors import ConfigError
from formcheck.exercises.config import builtin_exercises
from formcheck.programs.rescoring import CheckerTrace
from formcheck_testing import synthetic

EXERCISES = builtin_exercises()


@functools.cache
def measured(name: str) -> CheckerTrace:
    """The exercise's synthetic recording, measured once (every threshold re-scores it)."""
    return CheckerTrace.from_trace(getattr(synthetic, name)(seed=1), EXERCISES[name])


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_threshold_at_either_end_of_its_range_scores_or_is_refused_as_a_combination(name: str) -> None:
    cfg = EXERCISES[name]
    measured_once = measured(name)
    ran = 0
    for key, th in sorted(cfg.thresholds.items()):
        for value in (th.min, th.max):
            try:
                extreme = cfg.with_overrides({key: value})
            except ConfigError as e:
                assert key in str(e) or "start" in str(e) or "target" in str(e), str(e)
                continue
            checker = measured_once.checker(extreme)
            assert checker.reps == len(checker.results)
            assert all(r.end_s >= r.start_s and r.hold_s >= 0 for r in checker.results), (key, value)
            ran += 1
    assert ran >= len(cfg.thresholds)  # most extremes are valid settings, not refusals


def test_a_zero_confirmation_time_counts_the_heel_raises_it_counted_before() -> None:
    cfg = EXERCISES["heel_raise"]
    base = measured("heel_raise").checker(cfg)
    instant = measured("heel_raise").checker(cfg.with_overrides({"min_phase_s": 0}))
    assert base.reps > 0
    assert instant.reps >= base.reps  # nothing has to last, so no rep is lost (jitter may add some)
