"""Cues never contradict the verdict (issue 12 item 6): no tick on a fault, a form fault
outranks camera advice, a hold is time in the band."""

from __future__ import annotations

import numpy as np

from formcheck.analysis import analyze_trace
from formcheck.checkers.events import CheckerState, EventKind
from formcheck.checkers.rep_checker import RepChecker
from formcheck.exercises.config import builtin_exercises
from formcheck.sinks import overlay
from formcheck.sinks.overlay import Annotator
from formcheck_testing import synthetic

EX = builtin_exercises()
WALL = EX["wall_squat"]


def _states(trace, cfg) -> list[CheckerState]:
    out: list[CheckerState] = []
    analyze_trace(trace, cfg, on_frame=lambda _i, c: out.append(c.state()))
    return out


def _green(state: CheckerState) -> int:
    """Green pixels of the overlay's top-right corner (the hold ring and the rep verdict)."""
    img = np.full((720, 1280, 3), 100, np.uint8)
    Annotator("Wall squat", (1280, 720)).annotate(img, None, state)
    corner = img[: 720 // 2, 1280 // 2 :].astype(int)
    return int(np.all(np.abs(corner - overlay.GREEN) <= 30, axis=2).sum())


def test_a_wall_squat_held_far_too_deep_never_gets_a_tick() -> None:
    # The README's clip: held at ~95° against a 35-55° band.
    trace = synthetic.wall_squat(reps=1, depth_deg=95.0, hold_s=12.0)
    states = _states(trace, WALL)
    c = analyze_trace(trace, WALL)
    assert c.reps == 1 and not c.results[0].ok
    assert {"too_deep", "hold_short"} <= set(c.results[0].faults)
    assert c.results[0].hold_s < 1.0  # the hold is time in the band, not time down there
    # No frame claims the hold met the prescription, nor shows the rep as done right.
    assert all(s.hold_s < WALL.value("hold_s") for s in states)
    assert not any(s.last_rep is not None and s.last_rep.ok for s in states)


def test_the_hold_ring_has_no_tick_while_the_rep_has_a_fault() -> None:
    done = dict(
        t_s=10.0, reps=0, reps_by_side=None, target_reps=10, phase="hold", side=None, signal=45.0, unit="deg",
        hold_s=5.0, hold_target_s=5.0, cues=(), measurable=True, last_rep=None,
    )  # fmt: skip
    clean = _green(CheckerState(**done))  # type: ignore[arg-type]
    faulty = _green(CheckerState(**done, rep_faults=("back_off_wall",)))  # type: ignore[arg-type]
    assert faulty < clean  # the ring is full either way; only the clean rep gets the tick


def test_a_form_fault_outranks_the_camera_advice() -> None:
    # The Swiss-ball exercise (a front-view exercise) filmed side-on, lifting the same-side arm:
    # the banner shows the fault; "face the camera" is advice, kept apart and small.
    cfg = EX["swiss_ball_arm_leg"]
    states = _states(synthetic.swiss_ball_arm_leg(reps=2, arm="same", view="side", hold_s=4.0), cfg)
    both = [s for s in states if s.advice and s.cues]
    assert both, "the fault and the advice are never on at the same time"
    assert all(s.cues[0][0] == "same_side" for s in both)
    assert all(s.advice[0][0] == "wrong_view" for s in both)
    assert all(code != "wrong_view" for s in states for code, _t in s.cues)


def test_front_view_squats_and_lunges_are_not_told_to_turn_sideways() -> None:
    for name in ("squat", "lunge"):
        c = analyze_trace(getattr(synthetic, name)(reps=2, view="front"), EX[name])
        assert c.reps == 2, name
        assert not any(e.kind == EventKind.CUE_ON and e.code == "wrong_view" for e in c.events), name


def test_state_lists_the_faults_of_the_rep_in_progress() -> None:
    trace = synthetic.wall_squat(reps=1, depth_deg=95.0, hold_s=6.0)
    seen: set[str] = set()

    def grab(_i: int, c: RepChecker) -> None:
        seen.update(c.state().rep_faults)

    analyze_trace(trace, WALL, on_frame=grab)
    assert "too_deep" in seen
