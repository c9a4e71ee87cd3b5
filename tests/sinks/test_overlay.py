"""The overlay shows what the person needs to see, where they expect it, at any frame shape."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from formcheck.checkers.events import CheckerState, RepResult
from formcheck.exercises.config import get_exercise
from formcheck.pose.frame import PoseFrame
from formcheck.pose.landmarks import N_LANDMARKS, Landmark
from formcheck.sinks import overlay
from formcheck.sinks.overlay import Annotator, OverlayInfo

BG = 100  # the blank frame's grey level
SIZES = [(1280, 720), (1080, 1920), (720, 720), (640, 480), (160, 120)]

# A person standing in the middle of the picture (normalized image x, y).
_STANDING = {
    Landmark.NOSE: (0.50, 0.30), Landmark.LEFT_EYE: (0.51, 0.29), Landmark.RIGHT_EYE: (0.49, 0.29),
    Landmark.LEFT_SHOULDER: (0.56, 0.38), Landmark.RIGHT_SHOULDER: (0.44, 0.38),
    Landmark.LEFT_ELBOW: (0.58, 0.47), Landmark.RIGHT_ELBOW: (0.42, 0.47),
    Landmark.LEFT_WRIST: (0.59, 0.55), Landmark.RIGHT_WRIST: (0.41, 0.55),
    Landmark.LEFT_HIP: (0.54, 0.56), Landmark.RIGHT_HIP: (0.46, 0.56),
    Landmark.LEFT_KNEE: (0.55, 0.68), Landmark.RIGHT_KNEE: (0.45, 0.68),
    Landmark.LEFT_ANKLE: (0.55, 0.79), Landmark.RIGHT_ANKLE: (0.45, 0.79),
    Landmark.LEFT_HEEL: (0.54, 0.80), Landmark.RIGHT_HEEL: (0.46, 0.80),
    Landmark.LEFT_FOOT_INDEX: (0.57, 0.81), Landmark.RIGHT_FOOT_INDEX: (0.43, 0.81),
}  # fmt: skip


def standing_pose(hidden: tuple[Landmark, ...] = ()) -> PoseFrame:
    """All skeleton landmarks placed and well seen, except ``hidden`` (visibility 0.1)."""
    xy = np.full((N_LANDMARKS, 2), np.nan)
    for lm, p in _STANDING.items():
        xy[lm] = p
    vis = np.where(np.isfinite(xy[:, 0]), 0.95, 0.0)
    vis[list(hidden)] = 0.1
    return PoseFrame(1.0, xy, np.zeros((N_LANDMARKS, 3)), vis, vis.copy())


def make_state(**kw: object) -> CheckerState:
    base: dict[str, object] = dict(
        t_s=10.0, reps=3, reps_by_side=None, target_reps=10, phase="rest", side=None, signal=8.0,
        unit="deg", hold_s=0.0, hold_target_s=5.0, cues=(), measurable=True, last_rep=None,
    )  # fmt: skip
    base.update(kw)
    return CheckerState(**base)  # type: ignore[arg-type]


def blank(size: tuple[int, int]) -> np.ndarray:
    w, h = size
    return np.full((h, w, 3), BG, np.uint8)


def draw(state: CheckerState, size: tuple[int, int] = (1280, 720), pose: PoseFrame | None = None, **kw) -> np.ndarray:
    ann = Annotator("Wall squat", size, signal_label="knee flex", **kw.pop("ann_kw", {}))
    return ann.annotate(blank(size), pose, state, **kw)


def changed(img: np.ndarray, y0: float, y1: float, x0: float, x1: float) -> float:
    """Fraction of pixels in a region (given as fractions of the frame) that differ from blank."""
    h, w = img.shape[:2]
    roi = img[int(y0 * h) : int(y1 * h), int(x0 * w) : int(x1 * w)]
    return float(np.any(roi != BG, axis=2).mean())


def near(img: np.ndarray, color: tuple[int, int, int], tol: int = 40) -> np.ndarray:
    return np.all(np.abs(img.astype(int) - color) <= tol, axis=2)


def pixel(img: np.ndarray, xy: tuple[float, float]) -> np.ndarray:
    h, w = img.shape[:2]
    return img[int(xy[1] * h), int(xy[0] * w)].astype(int)


REP_OK = RepResult(3, None, 2.0, 9.0, "deg", 45.0, 5.2, 5.0, 30.0, 20.0, ())
REP_SHORT = RepResult(3, None, 2.0, 9.0, "deg", 45.0, 3.1, 3.0, 30.0, 20.0, ("hold_short",))


# ---------------------------------------------------------------------- what is shown
def test_annotate_draws_in_place_and_returns_the_frame() -> None:
    frame = blank((640, 480))
    out = Annotator("Wall squat", (640, 480)).annotate(frame, None, make_state())
    assert out is frame
    assert changed(frame, 0, 1, 0, 1) > 0


def test_rep_counter_is_drawn_top_right_and_follows_the_count() -> None:
    three = draw(make_state(reps=3))
    four = draw(make_state(reps=4))
    assert changed(three, 0, 0.25, 0.6, 1.0) > 0.3  # a large, darkened counter panel
    assert not np.array_equal(three[: 720 // 4, 768:], four[: 720 // 4, 768:])


def test_per_side_counter_differs_from_the_single_counter() -> None:
    single = draw(make_state(reps=5))
    per_side = draw(make_state(reps=5, reps_by_side={"left": 2, "right": 3}, side="left"))
    assert not np.array_equal(single[:200], per_side[:200])


def test_a_finished_set_turns_the_counter_green() -> None:
    img = draw(make_state(reps=10))
    assert near(img[: 720 // 4, 640:], overlay.GREEN).sum() > 200


def test_no_cue_leaves_the_bottom_of_the_picture_free() -> None:
    assert changed(draw(make_state()), 0.8, 1.0, 0, 1) == 0


def test_cue_is_shown_large_on_a_dark_band_at_the_bottom() -> None:
    img = draw(make_state(phase="active", cues=(("slow_down", "Slow down"), ("other", "Ignored"))))
    band = img[int(0.8 * 720) : 710, 40:1240]
    assert (band.max(axis=2) < BG // 2).mean() > 0.5  # darkened band
    assert near(band, overlay.YELLOW, 60).sum() > 1500  # big yellow letters


def test_not_measurable_shows_the_prompt_on_an_amber_band() -> None:
    state = make_state(
        phase="unmeasurable", measurable=False, signal=None,
        cues=(("not_measurable", "Move back so your feet are in view"),),
    )  # fmt: skip
    img = draw(state)
    band = img[int(0.82 * 720) : 700, 40:1240]
    assert near(band, overlay.AMBER, 10).mean() > 0.5
    assert (band.max(axis=2) < 60).mean() > 0.05  # dark text on it


def test_long_prompt_wraps_inside_a_portrait_frame() -> None:
    state = make_state(measurable=False, cues=(("nm", "Make sure nothing hides your body from the camera"),))
    img = draw(state, (1080, 1920))
    amber_rows = near(img, overlay.AMBER, 10).any(axis=1)
    assert amber_rows[-300:].any()
    # The band is taller than one line of text: the prompt wrapped instead of being cut off.
    assert amber_rows.sum() > 0.12 * 1080


def test_hold_countdown_ring_appears_only_while_holding() -> None:
    holding = draw(make_state(phase="hold", hold_s=2.0, signal=44.0))
    moving = draw(make_state(phase="active", hold_s=0.0, signal=30.0))
    right = (slice(100, 450), slice(1000, 1280))
    assert near(holding[right], overlay.GREEN, 30).sum() > 500  # the filled part of the ring
    assert near(moving[right], overlay.GREEN, 30).sum() == 0


def test_hold_ring_fills_as_the_hold_goes_on() -> None:
    right = (slice(100, 450), slice(1000, 1280))
    early = near(draw(make_state(phase="hold", hold_s=1.0))[right], overlay.GREEN, 30).sum()
    late = near(draw(make_state(phase="hold", hold_s=4.0))[right], overlay.GREEN, 30).sum()
    done = near(draw(make_state(phase="hold", hold_s=6.0))[right], overlay.GREEN, 30).sum()
    assert early < late < done


def test_last_rep_verdict_shows_briefly() -> None:
    plain = draw(make_state())
    just_after = draw(make_state(t_s=REP_OK.end_s + 1.0, last_rep=REP_OK))
    long_after = draw(make_state(t_s=REP_OK.end_s + 10.0, last_rep=REP_OK))
    faulty = draw(make_state(t_s=REP_SHORT.end_s + 1.0, last_rep=REP_SHORT))
    assert not np.array_equal(plain, just_after)
    assert np.array_equal(plain, long_after)
    assert near(faulty[:300, 640:], overlay.AMBER, 30).sum() > 100  # the fault, in amber


def test_signal_value_and_title_are_drawn_top_left() -> None:
    a = draw(make_state(signal=12.0))
    b = draw(make_state(signal=44.0))
    assert changed(a, 0, 0.2, 0, 0.3) > 0.3
    assert not np.array_equal(a[:150, :400], b[:150, :400])


def test_debug_line_only_in_debug_mode() -> None:
    info = OverlayInfo(fps=29.7, latency_ms=40.0, dropped=3)
    with_debug = draw(make_state(), extra=info, ann_kw={"debug": True})
    without = draw(make_state(), extra=info)
    assert changed(with_debug, 0.85, 1.0, 0, 0.5) > 0
    assert changed(without, 0.85, 1.0, 0, 0.5) == 0


def test_paused_and_messages_are_shown_in_the_middle() -> None:
    img = draw(make_state(), extra=OverlayInfo(paused=True, message="Stopped because it hurts"))
    assert changed(img, 0.4, 0.6, 0.3, 0.7) > 0.5


@pytest.mark.parametrize("phase", ["rest", "active", "hold", "unmeasurable", "stopped"])
def test_every_phase_draws_without_error(phase: str) -> None:
    state = make_state(phase=phase, measurable=phase != "unmeasurable", hold_s=1.0, cues=(("c", "Cue"),))
    draw(state, pose=standing_pose())


# ---------------------------------------------------------------------- the skeleton
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_skeleton_lands_on_the_landmarks_for_every_frame_shape(size: tuple[int, int]) -> None:
    pose = standing_pose(hidden=(Landmark.LEFT_KNEE,))
    state = make_state(phase="hold", hold_s=2.0, cues=(("slow_down", "Slow down"),), last_rep=REP_OK)
    img = draw(state, size, pose, extra=OverlayInfo(fps=30.0, paused=False))
    tol = 3
    assert np.abs(pixel(img, _STANDING[Landmark.RIGHT_HIP]) - overlay.JOINT_OK).max() <= tol
    assert np.abs(pixel(img, _STANDING[Landmark.RIGHT_KNEE]) - overlay.JOINT_OK).max() <= tol
    # A joint that is not seen well is drawn in another colour, so the person knows.
    assert np.abs(pixel(img, _STANDING[Landmark.LEFT_KNEE]) - overlay.JOINT_BAD).max() <= tol
    # The right thigh is a bone between two well-seen joints.
    hip, knee = np.array(_STANDING[Landmark.RIGHT_HIP]), np.array(_STANDING[Landmark.RIGHT_KNEE])
    mid = tuple((hip + knee) / 2)
    assert np.abs(pixel(img, mid) - overlay.BONE).max() <= 12


def test_usable_mask_overrides_visibility() -> None:
    usable = np.ones(N_LANDMARKS, bool)
    usable[Landmark.RIGHT_HIP] = False
    img = draw(make_state(), pose=standing_pose(), usable=usable)
    assert np.abs(pixel(img, _STANDING[Landmark.RIGHT_HIP]) - overlay.JOINT_BAD).max() <= 3


def test_missing_and_far_off_landmarks_are_skipped_quietly() -> None:
    pose = standing_pose()
    xy = pose.image_xy.copy()
    xy[Landmark.LEFT_ANKLE] = np.nan
    xy[Landmark.RIGHT_ANKLE] = (0.45, 1.6)  # below the picture
    xy[Landmark.NOSE] = (1e9, -1e9)
    img = draw(make_state(), pose=dataclasses.replace(pose, image_xy=xy))
    assert np.abs(pixel(img, _STANDING[Landmark.RIGHT_HIP]) - overlay.JOINT_OK).max() <= 3


def test_no_pose_means_no_skeleton() -> None:
    nobody = draw(make_state(), pose=PoseFrame.empty(1.0))
    none = draw(make_state(), pose=None)
    assert np.array_equal(nobody, none)
    assert changed(none, 0.3, 0.8, 0.35, 0.65) == 0


def test_frames_of_another_size_than_configured_still_work() -> None:
    ann = Annotator("Wall squat", (1280, 720))
    img = ann.annotate(blank((480, 640)), standing_pose(), make_state(cues=(("c", "Slow down"),)))
    assert np.abs(pixel(img, _STANDING[Landmark.RIGHT_HIP]) - overlay.JOINT_OK).max() <= 3


def test_rejects_frames_that_are_not_bgr() -> None:
    with pytest.raises(ValueError, match="BGR"):
        Annotator("x", (64, 48)).annotate(np.zeros((48, 64), np.uint8), None, make_state())


# ---------------------------------------------------------------------- from an exercise
@pytest.mark.parametrize(("name", "label"), [("wall_squat", "knee flex"), ("straight_leg_raise", "ankle height")])
def test_for_exercise_labels_from_the_exercise_file(name: str, label: str) -> None:
    cfg = get_exercise(name)
    ann = Annotator.for_exercise(cfg, (640, 480))
    assert ann.title == cfg.title
    assert ann.signal_label == label
    assert ann.fault_texts["hold_short"] == cfg.text("hold_short")
