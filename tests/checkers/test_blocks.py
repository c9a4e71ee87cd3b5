"""Time-based building blocks: all time comes from the timestamps fed in."""

from __future__ import annotations

import pytest

from formcheck.checkers.blocks import Dwell, HoldTimer, Hysteresis, SlopeMeter

# ---------------------------------------------------------------- Dwell


def test_dwell_counts_seconds_since_the_condition_became_true() -> None:
    d = Dwell()
    assert d.update(True, 10.0) == 0.0
    assert d.update(True, 10.5) == pytest.approx(0.5)
    assert d.update(True, 12.0) == pytest.approx(2.0)


def test_dwell_restarts_when_the_condition_breaks() -> None:
    d = Dwell()
    d.update(True, 0.0)
    d.update(True, 1.0)
    assert d.update(False, 1.1) == 0.0
    assert d.since is None
    assert d.update(True, 2.0) == 0.0
    assert d.update(True, 2.25) == pytest.approx(0.25)


def test_dwell_reset_forgets_the_start() -> None:
    d = Dwell()
    d.update(True, 0.0)
    d.reset()
    assert d.update(True, 5.0) == 0.0


# ---------------------------------------------------------------- SlopeMeter


def test_slope_of_a_linear_ramp_is_its_rate() -> None:
    s = SlopeMeter(window_s=0.3)
    rates = [s.update(i / 30, 20.0 * i / 30) for i in range(60)]
    assert rates[0] == 0.0  # one sample: no slope yet
    assert all(r == pytest.approx(20.0) for r in rates[1:])


def test_slope_of_a_constant_is_zero() -> None:
    s = SlopeMeter(0.3)
    assert all(s.update(i / 30, 7.0) == 0.0 for i in range(30))


def test_slope_reflects_only_the_last_window() -> None:
    s = SlopeMeter(window_s=0.3)
    t = 0.0
    for i in range(30):  # 1 s rising at 50/s
        t = i / 30
        s.update(t, 50.0 * t)
    top = 50.0 * t
    r = 0.0
    for i in range(1, 31):  # then 1 s flat
        r = s.update(t + i / 30, top)
    assert r == pytest.approx(0.0)
    assert s.update(t + 31 / 30, top - 1.0) < 0.0


def test_slope_meter_reset_drops_history() -> None:
    s = SlopeMeter(0.3)
    s.update(0.0, 0.0)
    s.update(0.1, 10.0)
    s.reset()
    assert s.update(0.2, 50.0) == 0.0


# ---------------------------------------------------------------- HoldTimer


def _feed(h: HoldTimer, samples: list[tuple[float, bool]]) -> list[float]:
    return [h.update(c, t) for t, c in samples]


def test_hold_timer_measures_a_continuous_hold() -> None:
    h = HoldTimer(grace_s=0.5)
    out = _feed(h, [(i / 10, True) for i in range(51)])
    assert out[-1] == pytest.approx(5.0)
    assert h.longest == pytest.approx(5.0)
    assert h.holding


def test_hold_timer_forgives_a_dip_shorter_than_the_grace() -> None:
    h = HoldTimer(grace_s=0.5)
    samples = [(i / 10, True) for i in range(21)]  # 0..2 s held
    samples += [(2.1, False), (2.2, False), (2.3, False)]  # 0.3 s dip
    samples += [(2.4 + i / 10, True) for i in range(27)]  # held again to 5.0 s
    _feed(h, samples)
    assert h.longest == pytest.approx(5.0)


def test_hold_timer_breaks_on_a_dip_longer_than_the_grace_and_keeps_the_longest() -> None:
    h = HoldTimer(grace_s=0.5)
    samples = [(i / 10, True) for i in range(31)]  # 0..3 s
    samples += [(3.0 + i / 10, False) for i in range(1, 11)]  # 1 s dip
    samples += [(4.1 + i / 10, True) for i in range(11)]  # 1 s held
    out = _feed(h, samples)
    assert h.longest == pytest.approx(3.0)
    assert out[-1] == pytest.approx(1.0)


def test_hold_timer_bridges_a_gap_without_samples() -> None:
    h = HoldTimer(grace_s=0.5)
    _feed(h, [(0.0, True), (1.0, True), (3.0, True), (5.0, True)])  # unmeasurable 1-3 s
    assert h.longest == pytest.approx(5.0)


def test_hold_timer_is_zero_before_any_hold() -> None:
    h = HoldTimer(grace_s=0.5)
    assert _feed(h, [(0.0, False), (1.0, False)]) == [0.0, 0.0]
    assert not h.holding
    assert h.longest == 0.0


# ---------------------------------------------------------------- Hysteresis


def test_hysteresis_turns_on_above_on_and_off_only_below_off() -> None:
    h = Hysteresis(on=25.0, off=12.0)
    trace = [0, 20, 25, 26, 20, 13, 12, 11.9, 20, 24.9, 25.1]
    assert [h.update(x) for x in trace] == [
        False, False, False, True, True, True, True, False, False, False, True,
    ]  # fmt: skip


def test_hysteresis_ignores_jitter_between_its_thresholds() -> None:
    h = Hysteresis(on=60.0, off=48.0)
    h.update(70.0)
    assert all(h.update(x) for x in [59, 61, 50, 60.5, 48.5, 58])
