"""Why a frame is not measurable, in words a person can act on.

Pure numpy: from the usable-landmark mask and where the unusable landmarks lie.
"""

from __future__ import annotations

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
    SWITCHED: "Someone else came into view: formcheck follows one person",
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
