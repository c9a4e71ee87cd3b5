"""Curl-up / crunch (issue 12 item 9): lying, the shoulders rising off the floor."""

from __future__ import annotations

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck.pose.frame import PoseTrace
from formcheck_testing import synthetic

CFG = builtin_exercises()["curl_up"]


def curl_ups(reps: int, curl_deg: float = 25.0, up_s: float = 1.0) -> PoseTrace:
    return synthetic.curl_up(reps=reps, curl_deg=curl_deg, up_s=up_s)


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
