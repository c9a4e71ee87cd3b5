"""Left/right kept consistent over time (issue 12 item 4): synthetic recordings whose limb
labels are swapped on purpose, for one frame or many, are given back exactly as filmed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from formcheck.analysis import analyze_trace
from formcheck.exercises.config import builtin_exercises
from formcheck.measures.body import MIN_VISIBILITY
from formcheck.pose.frame import PoseTrace
from formcheck.pose.sides import LIMBS, MAX_SWAP_S, SideKeeper, apply_swaps, count_swaps, keep_sides, trace_swaps
from formcheck_testing import synthetic

EXERCISES = builtin_exercises()
ARM, LEG = 0, 1


def _swapped(trace: PoseTrace, start: int, stop: int, limbs: tuple[int, ...] = (LEG,)) -> PoseTrace:
    """``trace`` with the labels of ``limbs`` swapped on frames [start, stop), as an estimator swaps them."""
    mask = np.zeros((len(trace), len(LIMBS)), dtype=bool)
    mask[start:stop, list(limbs)] = True
    img, world, vis, pres = apply_swaps((trace.image_xy, trace.world_xyz, trace.visibility, trace.presence), mask)
    return dataclasses.replace(trace, image_xy=img, world_xyz=world, visibility=vis, presence=pres)


def _same(a: PoseTrace, b: PoseTrace) -> bool:
    return all(
        np.array_equal(x, y, equal_nan=True)
        for x, y in ((a.image_xy, b.image_xy), (a.world_xyz, b.world_xyz), (a.visibility, b.visibility))
    )


@pytest.fixture(scope="module")
def raises() -> PoseTrace:
    """Two straight leg raises, left then right, side view, with landmark noise."""
    return synthetic.straight_leg_raise(reps=2, side=["left", "right"], noise_world_m=0.005, seed=2)


def _hold_frames(trace: PoseTrace, rep: int = 0) -> tuple[int, int]:
    r = trace.meta.extra["reps"][rep]
    return int(np.searchsorted(trace.t_s, r.hold_start_s)), int(np.searchsorted(trace.t_s, r.hold_end_s))


def test_a_one_frame_leg_swap_during_a_lift_is_undone_exactly(raises) -> None:
    a, _ = _hold_frames(raises)
    fixed, _ = keep_sides(_swapped(raises, a + 10, a + 11), MIN_VISIBILITY)
    assert _same(fixed, raises)


def test_a_swap_lasting_a_whole_hold_is_undone_exactly(raises) -> None:
    a, b = _hold_frames(raises, 1)
    broken = _swapped(raises, a, b)
    swaps, _ = trace_swaps(broken, MIN_VISIBILITY)
    assert count_swaps(swaps) == 1 and swaps[:, LEG].sum() == b - a
    assert _same(keep_sides(broken, MIN_VISIBILITY)[0], raises)


def test_the_whole_body_read_mirrored_for_a_moment_is_put_back() -> None:
    trace = synthetic.bird_dog(reps=2, noise_world_m=0.005, seed=4)
    a, _ = _hold_frames(trace)
    assert _same(keep_sides(_swapped(trace, a, a + 15, (ARM, LEG)), MIN_VISIBILITY)[0], trace)


@pytest.mark.parametrize("view", ["side", "front"])
@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_recordings_without_swaps_are_left_as_they_are(name: str, view: str) -> None:
    make = getattr(synthetic, name)
    try:
        trace = make(reps=2, noise_world_m=0.01, seed=5, view=view)
    except TypeError:  # holds and stretches without a rep count
        trace = make(noise_world_m=0.01, seed=5, view=view)
    swaps, _ = trace_swaps(trace, MIN_VISIBILITY)
    assert not swaps.any()


def test_a_swap_while_the_legs_lie_together_is_not_touched() -> None:
    # Both legs flat, seen exactly side-on (no perspective): one hides the other, their labels
    # change no measure, and the estimator's stand.
    trace = synthetic.straight_leg_raise(
        reps=1, other_knee_deg=0.0, noise_world_m=0.005, seed=2, projection="orthographic"
    )
    broken = _swapped(trace, 5, 15)
    assert not trace_swaps(broken, MIN_VISIBILITY)[0].any()


def test_a_disagreement_longer_than_the_limit_gives_way_to_the_estimator(raises) -> None:
    a, _ = _hold_frames(raises)
    broken = _swapped(raises, a, len(raises))  # swapped from mid-hold to the end: never swapped back
    swaps = trace_swaps(broken, MIN_VISIBILITY)[0][:, LEG]
    t = raises.t_s
    assert swaps[a] and not swaps[(t - t[a]) >= MAX_SWAP_S].any()


def test_chunks_carrying_the_state_give_the_whole_recordings_answer(raises) -> None:
    a, b = _hold_frames(raises, 1)
    broken = _swapped(raises, a, b)
    whole, _ = trace_swaps(broken, MIN_VISIBILITY)
    state = None
    parts = []
    for lo, hi in ((0, a + 7), (a + 7, a + 8), (a + 8, len(broken))):  # cut inside the swap
        part = PoseTrace(*(x[lo:hi] for x in dataclasses.astuple(broken)[:7]), broken.meta)
        swaps, state = trace_swaps(part, MIN_VISIBILITY, state)
        parts.append(swaps)
    assert np.array_equal(np.concatenate(parts), whole)


def test_the_live_keeper_swaps_the_same_frames_as_the_whole_trace(raises) -> None:
    a, b = _hold_frames(raises, 1)
    broken = _swapped(raises, a, b)
    keeper = SideKeeper(broken.meta.aspect, MIN_VISIBILITY)
    live = np.stack([keeper.update(f).image_xy for f in broken.frames()])
    assert np.array_equal(live, keep_sides(broken, MIN_VISIBILITY)[0].image_xy, equal_nan=True)


def test_swapped_legs_no_longer_move_a_rep_to_the_other_side(one_chain, raises) -> None:
    # A swap mid-hold of the right leg's raise, then a one-frame one: counted as one rep per
    # side, the live and whole-trace chains agreeing bit for bit.
    a, b = _hold_frames(raises, 1)
    broken = _swapped(_swapped(raises, a + 5, a + 60), b - 3, b - 2)
    cfg = EXERCISES["straight_leg_raise"]
    assert [r.side for r in analyze_trace(raises, cfg).results] == ["left", "right"]
    checker = one_chain(broken, cfg)
    assert [r.side for r in checker.results] == ["left", "right"]


def test_a_body_read_mirrored_in_the_first_frame_it_is_found_is_not_followed(raises) -> None:
    # The first frame after nobody was in view is the estimator's least steady reading: the
    # frames after it, labelled as usual, are not swapped to agree with it.
    a, _ = _hold_frames(raises)
    found = a + 10
    trace = dataclasses.replace(raises, n_people=raises.n_people.copy())
    trace.n_people[found - 5 : found] = 0  # nobody for five frames, then found mirrored for one
    trace = _swapped(trace, found, found + 1, (ARM, LEG))
    swaps, _ = trace_swaps(trace, MIN_VISIBILITY)
    assert not swaps[found + 1 :].any()
