"""Why a frame is not measurable, and whether the camera view and the person's position
suit the exercise — in words a person can act on.

Pure numpy: from the usable-landmark mask and where the unusable landmarks lie, and (camera
guidance) from the body's yaw, trunk and thigh measures.
"""

from __future__ import annotations

import math

import numpy as np

NO_PERSON = "no_person"
FEET_OUT = "feet_out"
HEAD_OUT = "head_out"
SIDE_OUT = "side_out"
HIDDEN = "hidden"
SWITCHED = "person_switched"
MORE_PEOPLE = "more_people"

TEXTS = {
    NO_PERSON: "Step into the camera's view",
    FEET_OUT: "Move back so your feet are in view",
    HEAD_OUT: "Move back so your head and shoulders are in view",
    SIDE_OUT: "Move to the middle of the picture",
    HIDDEN: "Make sure nothing hides your body from the camera",
    SWITCHED: "Someone else is in view: formcheck measures only the person it started with",
    MORE_PEOPLE: "More than one person in view: formcheck follows one of you",
}

# Below this many of a region's landmarks below the image, we blame the feet.
_MARGIN = 0.0


def diagnose(
    image_xy: np.ndarray, usable: np.ndarray, required: np.ndarray, has_person: bool
) -> str:
    """The most useful reason the required landmarks are not usable ("" if they all are).

    Args:
        image_xy: (33, 2) normalized image coordinates (may lie outside [0, 1]).
        usable: (33,) bool.
        required: (K,) int landmark indices the exercise needs.
    """
    if not has_person:
        return NO_PERSON
    bad = required[~usable[required]]
    if bad.size == 0:
        return ""
    xy = image_xy[bad]
    if np.any(xy[:, 1] > 1.0 + _MARGIN):
        return FEET_OUT
    if np.any(xy[:, 1] < -_MARGIN):
        return HEAD_OUT
    if np.any((xy[:, 0] < -_MARGIN) | (xy[:, 0] > 1.0 + _MARGIN)):
        return SIDE_OUT
    return HIDDEN


# --------------------------------------------------------------------------- camera guidance
#
# Is the person seen from the view and in the position the exercise needs? Judged from body
# measures (pure functions of floats, so the checker can call them per frame); the checker
# turns a sustained mismatch into a cue. Ambiguous frames ("") never count either way.

WRONG_VIEW = "wrong_view"
WRONG_POSITION = "wrong_position"

#: body_yaw_deg at or below which the person faces (or turns their back to) the camera, and
#: at or above which they are side-on; in between (a three-quarter view) no judgement.
#: On the sample clips front views read 0-17°, side views 40-90° (lying people, whose
#: depth MediaPipe estimates worst, at the low end).
FRONT_MAX_YAW_DEG = 30.0
SIDE_MIN_YAW_DEG = 50.0

#: trunk_lean_deg at or below which the trunk is upright (standing, sitting, kneeling) ...
UPRIGHT_MAX_LEAN_DEG = 35.0
#: ... and at or above which it is lying, provided the thighs do not hang under the hips
#: (thighs_from_vertical_deg at or above LYING_MIN_THIGHS_DEG): a standing forward fold and
#: all fours have a horizontal trunk over vertical thighs (those stay ambiguous).
LYING_MIN_LEAN_DEG = 60.0
LYING_MIN_THIGHS_DEG = 55.0

VIEW_TEXTS = {
    "side": "Turn sideways to the camera",
    "front": "Face the camera",
}
POSITION_TEXTS = {
    "lying": "This exercise is done lying on your back",
    "standing": "This exercise is done standing up",
    "sitting": "This exercise is done sitting",
    "kneeling": "This exercise is done kneeling",
    "all_fours": "This exercise is done on your hands and knees",
}


def view_of(body_yaw_deg: float) -> str:
    """"front", "side" or "" (three-quarter, or not measurable)."""
    if body_yaw_deg <= FRONT_MAX_YAW_DEG:
        return "front"
    if body_yaw_deg >= SIDE_MIN_YAW_DEG:
        return "side"
    return ""  # also NaN: every comparison is False


#: thighs_from_vertical_deg of an upright trunk at or below which the person stands (or
#: kneels up), and at or above which they sit (thighs forward, near horizontal).
STANDING_MAX_THIGHS_DEG = 30.0
SITTING_MIN_THIGHS_DEG = 60.0
#: thighs_rise_deg (3-D, from foreshortening) above which an upright person is not standing,
#: and at or above which they sit. Perspective and where the pose model puts the hips shorten
#: a hanging thigh in the image: standing people facing the camera read 30-40° (95 % under
#: 61° on the sample clips, squats included), people sitting and facing it 72° and more.
STANDING_MAX_RISE_DEG = 65.0
SITTING_MIN_RISE_DEG = 70.0
#: A horizontal trunk (lean up to ALL_FOURS_MAX_LEAN_DEG, so not folded head-down) over
#: thighs hanging down (below ALL_FOURS_MAX_THIGHS_DEG from vertical) is on all fours.
ALL_FOURS_MAX_LEAN_DEG = 120.0
ALL_FOURS_MAX_THIGHS_DEG = 45.0


def position_of(trunk_lean_deg: float, thighs_from_vertical_deg: float, thighs_rise_deg: float = math.nan) -> str:
    """The posture class of one frame, from the trunk's angle to vertical and the thighs':

    "standing" (upright over vertical thighs: standing or kneeling up), "sitting" (upright
    over forward thighs), "upright" (upright, thighs in between or unknown), "lying",
    "all_fours", or "" (ambiguous or not measurable).

    ``thighs_rise_deg`` (the thighs from hanging in 3-D, see ``measures.body``) is what tells a
    person sitting and facing the camera — thighs pointing at it, short and hanging in the
    image — from one standing: "standing" needs the thighs hanging in 3-D as well, and thighs
    clearly forward in 3-D make an upright trunk "sitting". Unknown (NaN): the image alone.
    """
    if trunk_lean_deg <= UPRIGHT_MAX_LEAN_DEG:
        if thighs_from_vertical_deg <= STANDING_MAX_THIGHS_DEG and not thighs_rise_deg > STANDING_MAX_RISE_DEG:
            return "standing"
        if thighs_from_vertical_deg >= SITTING_MIN_THIGHS_DEG or thighs_rise_deg >= SITTING_MIN_RISE_DEG:
            return "sitting"
        return "upright"
    if trunk_lean_deg >= LYING_MIN_LEAN_DEG:
        if not thighs_from_vertical_deg < LYING_MIN_THIGHS_DEG:
            return "lying"  # thighs unknown (NaN) count as not under the hips
        if trunk_lean_deg <= ALL_FOURS_MAX_LEAN_DEG and thighs_from_vertical_deg < ALL_FOURS_MAX_THIGHS_DEG:
            return "all_fours"
    return ""


_UPRIGHT = ("standing", "sitting", "upright")
#: Every value :func:`position_of` returns.
POSITION_CLASSES = ("standing", "sitting", "upright", "lying", "all_fours", "")


def position_fits(expected: str, observed: str) -> bool | None:
    """Whether an observed posture class fits an exercise's position (None: can't tell).

    A squat or lunge passes through "sitting" thighs and a half-kneeling stretch through
    either: standing and kneeling exercises only rule out lying and all fours."""
    if not observed or expected == "any":
        return None
    if expected == "lying":
        return observed == "lying"
    if expected == "all_fours":
        return observed == "all_fours"
    if expected == "sitting":
        if observed == "sitting":
            return True
        return None if observed in ("standing", "upright") else False
    return observed in _UPRIGHT  # standing, kneeling
