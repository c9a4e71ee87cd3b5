"""Every body measure formcheck uses, each defined once, with its unit in its name.

Conventions (DESIGN.md):
- Angles between body segments use the 3-D world landmarks (metres) when the body faces
  the camera, and the aspect-corrected 2-D image when it is seen side-on: then the limbs
  move in a plane parallel to the image, the 2-D angle is exact, and MediaPipe's depth
  estimate (worst for people lying down) is the main error. Between the two, the angles
  are blended by how side-on the body is (:func:`side_on_weight`).
- Orientation against gravity (trunk lean, lying flat, tilt of the shoulder line) uses the
  image, made isotropic with the frame's aspect ratio, assuming a level camera.
- knee_flex = 180° − ∠(hip, knee, ankle); 0° is a straight leg.
- hip_flex = 180° − ∠(shoulder, hip, knee).
- leg_lift = angle between hip→ankle and the trunk line (shoulder→hip, pointing to the feet),
  signed: positive when the ankle is on the image-up side of the trunk line (a leg raised
  from the floor when lying), negative below it; lift_height ≈ |hip→ankle| · sin(leg_lift).
- ankle = ∠(knee, ankle, foot_index).
- leg_raise = hip→ankle from the trunk line in the body's side plane, + toward the face:
  defined by the trunk alone, so a standing person leaning forward does not flip its sign.
- Exact 3-D input (motion capture, ``world_exact``): angles use the world only (the image
  is synthetic) and orientation against gravity uses the world's vertical (y down).

A measure is NaN in a frame where any landmark it needs is not *usable* (see
:func:`landmark_usable`). :func:`compute_measures` works on T frames at once: the live
path calls it with T = 1, re-scoring with the whole trace, so both agree exactly.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from formcheck.measures import geometry as g
from formcheck.pose.landmarks import N_LANDMARKS
from formcheck.pose.landmarks import Landmark as L


@dataclass(frozen=True, slots=True)
class MeasureDef:
    name: str
    unit: str
    landmarks: tuple[L, ...]
    doc: str


def _sided(side: str) -> dict[str, L]:
    s = side.upper()
    return {k: L[f"{s}_{k}"] for k in ("SHOULDER", "ELBOW", "WRIST", "HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX")}


_L, _R = _sided("left"), _sided("right")
_TORSO = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)

# (name stem, vertex triple as keys into _sided, "flex" = 180 − angle, "angle" = angle)
_JOINTS: tuple[tuple[str, tuple[str, str, str], str, str], ...] = (
    ("knee_flex", ("HIP", "KNEE", "ANKLE"), "flex", "knee flexion, 0 = straight leg"),
    ("hip_flex", ("SHOULDER", "HIP", "KNEE"), "flex", "hip flexion, 0 = thigh in line with the trunk"),
    ("ankle", ("KNEE", "ANKLE", "FOOT_INDEX"), "angle", "ankle ∠(knee, ankle, toe); ~90-110 neutral, larger = pointed"),
    ("elbow_flex", ("SHOULDER", "ELBOW", "WRIST"), "flex", "elbow flexion, 0 = straight arm"),
    ("arm_raise", ("HIP", "SHOULDER", "ELBOW"), "angle", "upper arm from the trunk: 0 = at the side, 180 = overhead"),
)


def _build_defs() -> tuple[MeasureDef, ...]:
    defs: list[MeasureDef] = []
    for stem, (a, b, c), _kind, doc in _JOINTS:
        for side, lm in (("left", _L), ("right", _R)):
            defs.append(MeasureDef(f"{stem}_{side}_deg", "deg", (lm[a], lm[b], lm[c]), f"{side} {doc}"))
    for side, lm in (("left", _L), ("right", _R)):
        legs = (lm["HIP"], lm["ANKLE"], *_TORSO)
        doc = f"{side} leg raised from the trunk line, 0 = in line, + = up"
        defs.append(MeasureDef(f"leg_lift_{side}_deg", "deg", legs, doc))
        defs.append(MeasureDef(f"lift_height_{side}_cm", "cm", legs, f"{side} ankle height above the trunk line"))
    defs += [
        MeasureDef("knee_flex_deg", "deg", (), "mean knee flexion of the measurable knees"),
        MeasureDef("hip_flex_deg", "deg", (), "mean hip flexion of the measurable hips"),
        MeasureDef("trunk_lean_deg", "deg", _TORSO, "trunk from vertical in the image: 0 upright, 90 lying"),
        MeasureDef("shoulder_tilt_deg", "deg", (L.LEFT_SHOULDER, L.RIGHT_SHOULDER), "shoulder tilt, + = left lower"),
        MeasureDef("hip_tilt_deg", "deg", (L.LEFT_HIP, L.RIGHT_HIP), "hip line tilt in the image, + = left hip lower"),
        MeasureDef("shoulder_width_ratio", "ratio", _TORSO, "shoulder width / trunk length: 0.6+ facing, <0.3 side-on"),
    ]
    defs += _catalog_defs()
    return tuple(defs)


def _catalog_defs() -> list[MeasureDef]:
    """Measures of the exercise catalog beyond the first three (appended: columns keep their order).

    They are computed by :func:`_catalog_measures` from landmarks already set to NaN where
    unusable, so unusability propagates by arithmetic and either-side measures can use
    whichever side is seen; ``landmarks`` lists what they are built from (for "what to fix")."""
    head = (*_TORSO, L.NOSE)
    defs: list[MeasureDef] = []
    for side, lm in (("left", _L), ("right", _R)):
        leg = (lm["HIP"], lm["KNEE"], lm["ANKLE"])
        defs += [
            MeasureDef(
                f"heel_lift_{side}_cm", "cm", (*leg, lm["HEEL"], lm["FOOT_INDEX"]),
                f"{side} heel height above the toes (image, scaled by the leg length); ~0 flat, rises on tiptoe",
            ),
            MeasureDef(
                f"hip_ext_{side}_deg", "deg", (*head, lm["KNEE"]),
                f"{side} hip extension in the body's side plane: 0 thigh in line with the trunk, "
                "+ thigh behind it, − in front (= −flexion)",
            ),
            MeasureDef(
                f"hip_split_{side}_deg", "deg", (*head, L.LEFT_KNEE, L.RIGHT_KNEE),
                f"angle between the thighs with the {side} one behind (kneeling stretch, lunge): 0 together",
            ),
        ]  # fmt: skip
    defs += [
        MeasureDef("leg_lift_deg", "deg", (), "mean leg lift of the measurable legs (both legs raised together)"),
        MeasureDef("ankle_deg", "deg", (), "mean ankle angle of the measurable ankles"),
        MeasureDef("heel_lift_cm", "cm", (), "heel lift of the lower of the measurable heels (both rise together)"),
        MeasureDef("heel_lift_diff_cm", "cm", (), "left heel lift − right heel lift (+ = left heel higher)"),
        MeasureDef(
            "body_yaw_deg", "deg", _TORSO,
            "the body's left-right axis out of the image plane (world): 0 facing or back to the camera, 90 side-on",
        ),
        MeasureDef(
            "thighs_from_vertical_deg", "deg", (),
            "mid-hip→knees (either or both) from straight down in the image: ~0 standing, kneeling or on all "
            "fours, ~90 lying or sitting, >90 lying with the knees up",
        ),
        MeasureDef(
            "stance_width_ratio", "ratio", (),
            "how far apart the legs are across the body, in hip widths (image; mean of the knees' and the "
            "ankles' spacing, whichever are measurable); front view only, NaN side-on: ~1+ hip-width apart, "
            "<1 feet in one line",
        ),
        MeasureDef(
            "pelvis_roll_deg", "deg", (L.LEFT_HIP, L.RIGHT_HIP),
            "hip line from level (world, level camera), + = left hip lower; any view",
        ),
        MeasureDef(
            "neck_flex_deg", "deg", head,
            "trunk axis to mid-shoulder→nose: ~30-45 neutral, larger = head bowed, smaller = tipped back",
        ),
        MeasureDef(
            "toe_reach_pct", "pct",
            (L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE,
             L.LEFT_WRIST, L.RIGHT_WRIST, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX),
            "hands toward the toes: 0 = a leg length away, 100 = touching (nearest hand and toe; either side)",
        ),
    ]  # fmt: skip
    for side, lm in (("left", _L), ("right", _R)):
        defs += [
            MeasureDef(
                f"ankle_height_{side}_cm", "cm", (lm["HIP"], lm["KNEE"], lm["ANKLE"]),
                f"{side} ankle above the floor the person lies on (the lowest of the shoulders, hips, heels and "
                "toes seen, level camera), in the image scaled by the leg's length (world): ~5 lying flat",
            ),
            MeasureDef(f"leg_length_{side}_cm", "cm", (lm["HIP"], lm["KNEE"], lm["ANKLE"]),
                       f"{side} hip→knee→ankle length (world, the pose model's metric estimate; from the person's "
                       "height when a profile gives height_cm)"),
        ]  # fmt: skip
    for side, lm, other in (("left", _L, _R), ("right", _R, _L)):
        defs.append(
            MeasureDef(
                f"ankle_on_knee_{side}_ratio", "ratio", (lm["ANKLE"], other["KNEE"], other["HIP"]),
                f"{side} ankle to the other knee in the image, in thigh lengths: ~0.3-0.6 with the {side} ankle "
                "crossed over the other knee (figure-4), >1 apart",
            )
        )  # fmt: skip
    for side, lm in (("left", _L), ("right", _R)):
        defs += [
            MeasureDef(
                f"leg_raise_{side}_deg", "deg", (*head, lm["HIP"], lm["ANKLE"]),
                f"{side} leg (hip→ankle) from the trunk line in the body's side plane, + = in front of the trunk "
                "(toward the face), − = behind; relative to the trunk, so leaning does not change its sign",
            ),
            MeasureDef(
                f"leg_elevation_{side}_deg", "deg", (lm["HIP"], lm["ANKLE"]),
                f"{side} leg (hip→ankle) from straight down: 0 hanging, 90 horizontal (image, level camera; "
                "world vertical for exact 3-D input)",
            ),
        ]  # fmt: skip
    defs.append(
        MeasureDef(
            "knee_spread_ratio", "ratio",
            (L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE),
            "knee alignment: the knees' spacing across the body / the ankles' spacing (front view or exact 3-D; "
            "NaN side-on): ~1 knees over the feet, <1 knees falling inward (valgus), >1 pushed out",
        )
    )  # fmt: skip
    defs.append(
        MeasureDef(
            "knee_out_ratio", "ratio",
            (L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE),
            "knee alignment: the knees' spacing across the body / the mean of the ankles' and the hips' spacing "
            "(front view or exact 3-D; NaN side-on): ~1 standing, ~1.5 at the bottom of a deep squat with the "
            "knees out over the feet, lower with the knees falling inward (valgus)",
        )
    )  # fmt: skip
    defs.append(
        MeasureDef("knee_flex_diff_deg", "deg", (), "left/right symmetry: left − right knee flexion (0 = even)")
    )
    for side, lm in (("left", _L), ("right", _R)):
        defs += [
            MeasureDef(
                f"sit_hip_flex_{side}_deg", "deg", (*_TORSO, lm["KNEE"]),
                f"{side} hip flexion read for a seated person facing the camera: the trunk and the thigh in 3-D, "
                "each from its image direction plus the depth its foreshortening implies against the pose "
                "model's segment lengths (the model's depths give only the sign); side-on the image angle. "
                "90 = sitting upright with the thigh level",
            ),
            MeasureDef(
                f"knee_flex_seen_{side}_deg", "deg", (lm["HIP"], lm["KNEE"], lm["ANKLE"]),
                f"{side} knee flexion where the camera can judge it: NaN facing the camera with the thigh and the "
                "shank both pointing at it (foreshortened: the knee angle would rest on depth estimates alone), "
                "else knee_flex",
            ),
        ]  # fmt: skip
    defs.append(
        MeasureDef(
            "thighs_rise_deg", "deg", (),
            "thighs (either or both) from hanging straight down, in 3-D: the image direction plus the tilt toward "
            "or away from the camera read from their foreshortening (image length against the trunk's, scaled by "
            "the world thigh/trunk lengths); ~0 standing or kneeling up, ~90 sitting or lying — also facing the "
            "camera, where a thigh pointing at it looks short and hanging in the image",
        )
    )  # fmt: skip
    for side, lm in (("left", _L), ("right", _R)):
        defs += [
            MeasureDef(
                f"knee_flex_sagittal_{side}_deg", "deg", (*head, lm["HIP"], lm["KNEE"], lm["ANKLE"]),
                f"{side} knee flexion in the body's side plane (thigh and shank projected on it), signed: 0 straight, "
                "+ shank behind the thigh, − hyperextended; sideways knee movement does not add to it",
            ),
            MeasureDef(
                f"hip_flex_sagittal_{side}_deg", "deg", (*head, lm["HIP"], lm["KNEE"]),
                f"{side} hip flexion in the body's side plane: the thigh from the trunk line, + in front (= −hip_ext)",
            ),
        ]  # fmt: skip
    defs.append(
        MeasureDef(
            "thigh_split_deg", "deg", (*head, L.LEFT_KNEE, L.RIGHT_KNEE),
            "angle between the thighs in the body's side plane, either one in front (lunge, stride): 0 together",
        )
    )  # fmt: skip
    for side, lm in (("left", _L), ("right", _R)):
        defs.append(
            MeasureDef(
                f"thigh_from_vertical_{side}_deg", "deg", (lm["HIP"], lm["KNEE"]),
                f"{side} thigh (hip→knee) from straight down: 0 standing, ~90 horizontal; image side-on, world "
                "facing the camera (blended like the joint angles); what is left of a squat when the feet are "
                "out of the picture",
            )
        )  # fmt: skip
    defs += [
        MeasureDef(
            "trunk_pitch_deg", "deg", head,
            "trunk (mid-hip→mid-shoulder) from vertical in the body's side plane (world, y down: a level "
            "camera or exact 3-D): + leaning forward (toward the face), − leaning back",
        ),
        MeasureDef(
            "trunk_roll_deg", "deg", head,
            "trunk (mid-hip→mid-shoulder) from vertical across the body (world, y down: a level camera or "
            "exact 3-D): + leaning to the person's left, − to the right",
        ),
    ]  # fmt: skip
    return defs


MEASURES: tuple[MeasureDef, ...] = _build_defs()
MEASURE_NAMES: tuple[str, ...] = tuple(m.name for m in MEASURES)
_INDEX = {name: i for i, name in enumerate(MEASURE_NAMES)}


def measure_index(name: str) -> int:
    """Column of a measure in :func:`compute_measures`' output; ValueError lists valid names."""
    try:
        return _INDEX[name]
    except KeyError:
        raise ValueError(f"unknown measure {name!r}; known measures: {', '.join(MEASURE_NAMES)}") from None


# Precomputed index arrays so each frame costs a handful of numpy calls. Every column is
# found by its measure's name (never by position), so a measure is added in one place: its
# MeasureDef, and the lines that compute it.
_JOINT_NAMES = tuple(f"{stem}_{side}_deg" for stem, _abc, _k, _d in _JOINTS for side in ("left", "right"))
_JOINT_COLS = np.array([_INDEX[n] for n in _JOINT_NAMES], dtype=np.intp)
_J_A, _J_B, _J_C = (np.array([MEASURES[i].landmarks[k] for i in _JOINT_COLS]) for k in range(3))
_J_FLEX = np.array([kind == "flex" for _s, _t, kind, _d in _JOINTS for _ in (0, 1)])
_REQUIRED = np.zeros((len(MEASURES), N_LANDMARKS), dtype=np.float32)
for _i, _m in enumerate(MEASURES):
    _REQUIRED[_i, list(_m.landmarks)] = 1.0
_HAS_REQ = _REQUIRED.sum(axis=1) > 0
_CATALOG_COLS = np.array([_INDEX[m.name] for m in _catalog_defs()], dtype=np.intp)
_HIPS = [L.LEFT_HIP, L.RIGHT_HIP]
_KNEES = [L.LEFT_KNEE, L.RIGHT_KNEE]
_ANKLES = [L.LEFT_ANKLE, L.RIGHT_ANKLE]
_HEELS = [L.LEFT_HEEL, L.RIGHT_HEEL]
_TOES = [L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX]
_WRISTS = [L.LEFT_WRIST, L.RIGHT_WRIST]


#: A landmark needs at least this visibility and presence (MediaPipe's scores, 0-1) to be used:
#: the one definition for the analysis (live and whole-trace) and the overlay.
MIN_VISIBILITY = 0.5


def landmark_usable(
    image_xy: np.ndarray, visibility: np.ndarray, presence: np.ndarray, min_visibility: float = MIN_VISIBILITY
) -> np.ndarray:
    """(T, 33) bool: a landmark is usable when visible, present AND inside the image.

    MediaPipe invents plausible legs for people cut off by the frame edge, with visibility
    around 0.7, so visibility alone is not enough: the point must also lie in the picture.
    """
    inside = np.all((image_xy >= 0.0) & (image_xy <= 1.0), axis=-1)
    return inside & (visibility >= min_visibility) & (presence >= min_visibility)


#: shoulder_width_ratio at or below which the body counts as fully side-on (2-D angles),
#: and at or above which it counts as facing the camera (3-D angles); linear in between.
SIDE_ON_RATIO = 0.25
FACING_RATIO = 0.5


def side_on_weight(width_ratio: np.ndarray) -> np.ndarray:
    """(T,) weight in [0, 1] of the 2-D image angle: 1 side-on, 0 facing the camera.

    Unknown ratio (shoulders or hips unusable) → 0 (use the 3-D world angles).
    """
    wgt = np.minimum(np.maximum((FACING_RATIO - width_ratio) / (FACING_RATIO - SIDE_ON_RATIO), 0.0), 1.0)
    wgt[wgt != wgt] = 0.0  # NaN → 0 (cheaper than nan_to_num on the per-frame path)
    return wgt


def _blend(a3: np.ndarray, a2: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """w2·a2 + (1−w2)·a3, falling back to whichever of the two is finite."""
    out = w2 * a2 + (1.0 - w2) * a3
    return np.where(np.isfinite(out), out, np.where(np.isfinite(a3), a3, a2))


def _up_sign(trunk_i: np.ndarray, leg_i: np.ndarray) -> np.ndarray:
    """+1 where the leg points to the image-up side of the trunk line, −1 below it.

    The "up" side is the trunk's normal with negative image y (image y points down); when
    the trunk is near vertical (standing) that side is undefined and the sign is +1.
    """
    normal = np.stack([trunk_i[..., 1], -trunk_i[..., 0]], axis=-1)  # trunk rotated 90°
    normal = np.where(normal[..., 1:2] > 0, -normal, normal)  # make it point image-up
    tn = g.norm_m(trunk_i)
    with np.errstate(invalid="ignore", divide="ignore"):
        defined = np.abs(normal[..., 1]) / tn > 0.3  # trunk at least ~17° from vertical
        side = np.einsum("...i,...i->...", leg_i, normal)
    return np.where(defined & (side < 0), -1.0, 1.0)


def compute_measures(
    image_xy: np.ndarray,
    world_xyz: np.ndarray,
    usable: np.ndarray,
    aspect: float,
    only: Collection[str] | None = None,
    world_exact: bool = False,
    height_cm: float | None = None,
) -> np.ndarray:
    """All measures for T frames.

    Args:
        image_xy: (T, 33, 2) normalized image coordinates.
        world_xyz: (T, 33, 3) metres.
        usable: (T, 33) bool from :func:`landmark_usable`.
        aspect: frame width / height.
        only: if given, measures not named here may be skipped (left NaN): the live path
            (T = 1) computes what its exercise reads (``ExerciseConfig.measures_used()``).
            The trunk's orientation and the view measures are always computed.
        world_exact: the world landmarks are exact 3-D (motion capture; the image was
            synthesised from them): angles use the world only, never the image, and the
            trunk's lean is measured against the world's vertical (y down).
        height_cm: the person's standing height (a profile's ``height_cm``): heights above
            the floor are then scaled by the leg length it implies (:func:`leg_length_cm`)
            instead of the pose model's estimate of the leg.

    Returns:
        (T, M) float64, columns in ``MEASURE_NAMES`` order; NaN where not measurable.
    """
    t = image_xy.shape[0]
    plan = _plan(None if only is None else frozenset(only))
    out = np.full((t, len(MEASURES)), np.nan)
    w = world_xyz.astype(np.float64, copy=False)
    iso = g.image_xy_to_isotropic(image_xy, aspect)
    ls, rs, lh, rh = (iso[:, i] for i in _TORSO)
    msh, mhip = 0.5 * (ls + rs), 0.5 * (lh + rh)
    with np.errstate(invalid="ignore", divide="ignore"):
        width_ratio = g.norm_m(ls - rs) / g.norm_m(msh - mhip)
    side_w = side_on_weight(width_ratio)[:, None]  # (T, 1): 1 = side-on → trust the image
    if world_exact:
        side_w = np.zeros_like(side_w)  # exact 3-D: never blend in the flattened image angle

    if plan.joints.size:
        # World and image angles in one pass: image points as 3-D with z = 0.
        j, abc = plan.joints.size, plan.joint_abc
        pts = np.zeros((2, t, abc.size, 3))
        pts[0], pts[1, ..., :2] = w[:, abc], iso[:, abc]
        ang3, ang2 = g.angle_at_deg(pts[:, :, :j], pts[:, :, j : 2 * j], pts[:, :, 2 * j :])  # each (T, J)
        ang = _blend(ang3, ang2, side_w)
        out[:, plan.joints] = np.where(plan.joint_flex, 180.0 - ang, ang)
    if plan.lift:
        _leg_lift(out, w, iso, msh, mhip, side_w)

    if world_exact:  # lean out of the image plane counts too (a front view of a forward lean)
        d = 0.5 * ((w[:, L.LEFT_SHOULDER] + w[:, L.RIGHT_SHOULDER]) - (w[:, L.LEFT_HIP] + w[:, L.RIGHT_HIP]))
        out[:, _INDEX["trunk_lean_deg"]] = np.degrees(np.arctan2(np.hypot(d[:, 0], d[:, 2]), -d[:, 1]))
    else:
        out[:, _INDEX["trunk_lean_deg"]] = g.from_vertical_deg(mhip, msh)
    out[:, _INDEX["shoulder_tilt_deg"]] = g.signed_tilt_deg(ls, rs)
    out[:, _INDEX["hip_tilt_deg"]] = g.signed_tilt_deg(lh, rh)
    out[:, _INDEX["shoulder_width_ratio"]] = width_ratio

    # Invalidate every measure whose landmarks are not all usable: one matrix product.
    missing = (~usable).astype(np.float32) @ _REQUIRED.T  # (T, M) count of unusable landmarks
    out[(missing > 0) & _HAS_REQ] = np.nan

    for combined, left, right in plan.means:
        out[:, combined] = _mean_either(out[:, left], out[:, right])
    _catalog_measures(out, iso, w, usable, side_w, only, world_exact, height_cm)
    return out


#: Hip joint → ankle joint as a fraction of standing height: the hip joint sits at ~0.530 of
#: the height (greater trochanter), the ankle joint at ~0.039 (Drillis & Contini's segment
#: proportions, as tabulated in Winter, *Biomechanics and Motor Control of Human Movement*).
LEG_PER_HEIGHT = 0.491


def leg_length_cm(height_cm: float) -> float:
    """Hip → ankle length (cm) of a person ``height_cm`` tall (:data:`LEG_PER_HEIGHT`)."""
    return LEG_PER_HEIGHT * height_cm


@dataclass(frozen=True, slots=True)
class _Plan:
    """What :func:`compute_measures` computes for a set of wanted measures."""

    joints: np.ndarray  # (J,) output columns of the joint angles wanted
    joint_abc: np.ndarray  # (3J,) landmark triples of those angles: all a, then all b, then all c
    joint_flex: np.ndarray  # (J,) bool: 180 − angle
    lift: bool
    means: tuple[tuple[int, int, int], ...]  # (combined column, left column, right column)


#: Measures computed from two others (their left and right versions).
_MEANS = {
    "knee_flex_deg": ("knee_flex_left_deg", "knee_flex_right_deg"),
    "hip_flex_deg": ("hip_flex_left_deg", "hip_flex_right_deg"),
}
_LIFT = ("leg_lift_left_deg", "lift_height_left_cm", "leg_lift_right_deg", "lift_height_right_cm")


@lru_cache(maxsize=128)
def _plan(only: frozenset[str] | None) -> _Plan:
    """The work for ``only`` (None = everything). Per frame of live video the fixed cost of
    each numpy call dominates, so skipping what an exercise never reads is what counts."""
    need = set(MEASURE_NAMES) if only is None else set(only)
    for combined, sides in _MEANS.items():
        if combined in need:
            need.update(sides)
    if "knee_flex_diff_deg" in need or not need.isdisjoint(_GROUPS["seated"]):
        need.update(("knee_flex_left_deg", "knee_flex_right_deg"))
    for stem in ("leg_lift", "ankle"):  # the catalog's either-side measures
        if f"{stem}_deg" in need:
            need.update((f"{stem}_left_deg", f"{stem}_right_deg"))
    k = np.array([i for i, name in enumerate(_JOINT_NAMES) if name in need], dtype=np.intp)
    return _Plan(
        _JOINT_COLS[k],
        np.concatenate([_J_A[k], _J_B[k], _J_C[k]]),
        _J_FLEX[k],
        any(n in need for n in _LIFT),
        tuple((_INDEX[c], _INDEX[left], _INDEX[right]) for c, (left, right) in _MEANS.items() if c in need),
    )


def _leg_lift(
    out: np.ndarray, w: np.ndarray, iso: np.ndarray, msh: np.ndarray, mhip: np.ndarray, side_w: np.ndarray
) -> None:
    """Fills leg_lift_{side}_deg and lift_height_{side}_cm (see the module docstring).

    Magnitude blended like the joints, sign from the image (up = anti-gravity).
    """
    hips_w = w[:, [L.LEFT_HIP, L.RIGHT_HIP]]
    leg_w = w[:, [L.LEFT_ANKLE, L.RIGHT_ANKLE]] - hips_w  # (T, 2, 3)
    trunk_w = 0.5 * (w[:, L.LEFT_HIP] + w[:, L.RIGHT_HIP]) - 0.5 * (w[:, L.LEFT_SHOULDER] + w[:, L.RIGHT_SHOULDER])
    leg_i = iso[:, [L.LEFT_ANKLE, L.RIGHT_ANKLE]] - iso[:, [L.LEFT_HIP, L.RIGHT_HIP]]  # (T, 2, 2)
    trunk_i = (mhip - msh)[:, None, :]  # (T, 1, 2)
    lift3 = g.angle_between_deg(leg_w, trunk_w[:, None, :])
    lift2 = g.angle_between_deg(leg_i, trunk_i)
    lift = _blend(lift3, lift2, side_w) * _up_sign(trunk_i, leg_i)  # (T, 2)
    height_cm = g.norm_m(leg_w) * np.sin(np.radians(lift)) * 100.0
    for name, values in zip(_LIFT, (lift[:, 0], height_cm[:, 0], lift[:, 1], height_cm[:, 1]), strict=True):
        out[:, _INDEX[name]] = values


def _mean_either(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise mean of a and b where both are finite, else whichever is, else NaN."""
    # fmin/fmax ignore a NaN: both give the other value (or NaN if both are), and
    # fmin + fmax == a + b exactly where both are finite. Four calls instead of six.
    return 0.5 * (np.fmin(a, b) + np.fmax(a, b))


def _wrap_rad(a: np.ndarray) -> np.ndarray:
    """Angles in radians wrapped to [−π, π)."""
    return (a + np.pi) % (2.0 * np.pi) - np.pi


def _dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return (u * v).sum(axis=-1)


def _len(u: np.ndarray) -> np.ndarray:
    return np.sqrt((u * u).sum(axis=-1))


#: Catalog measures computed together (they share intermediate results), for ``only``.
_GROUPS = {
    "heel": ("heel_lift_left_cm", "heel_lift_right_cm", "heel_lift_cm", "heel_lift_diff_cm"),
    "sagittal": (
        "hip_ext_left_deg", "hip_ext_right_deg", "hip_split_left_deg", "hip_split_right_deg", "neck_flex_deg",
        "leg_raise_left_deg", "leg_raise_right_deg", "knee_flex_sagittal_left_deg", "knee_flex_sagittal_right_deg",
        "hip_flex_sagittal_left_deg", "hip_flex_sagittal_right_deg", "thigh_split_deg",
    ),
    "elevation": ("leg_elevation_left_deg", "leg_elevation_right_deg"),
    "spread": ("knee_spread_ratio", "knee_out_ratio"),
    "asym": ("knee_flex_diff_deg",),
    "seated": (
        "sit_hip_flex_left_deg", "sit_hip_flex_right_deg", "knee_flex_seen_left_deg", "knee_flex_seen_right_deg",
    ),
    "trunk": ("trunk_pitch_deg", "trunk_roll_deg"),
    "pelvis": ("pelvis_roll_deg",),
    "figure4": ("ankle_on_knee_left_ratio", "ankle_on_knee_right_ratio"),
    "stance": ("stance_width_ratio",),
    "reach": ("toe_reach_pct",),
    "floor": ("ankle_height_left_cm", "ankle_height_right_cm", "leg_length_left_cm", "leg_length_right_cm"),
    "thigh": ("thigh_from_vertical_left_deg", "thigh_from_vertical_right_deg"),
}  # fmt: skip
#: Landmarks a person lying down rests on (their lowest is taken for the floor).
_SUPPORT = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP, *_HEELS, *_TOES]


@lru_cache(maxsize=128)
def _catalog_groups(only: frozenset[str] | None) -> frozenset[str]:
    """The groups of :data:`_GROUPS` with a measure in ``only`` (None = all)."""
    return frozenset(grp for grp, names in _GROUPS.items() if only is None or not only.isdisjoint(names))


#: A thigh and shank both tilted further than this out of the image plane (toward or away from
#: the camera) leave the knee's angle to depth estimates: not judged facing the camera.
_KNEE_UNSEEN_TILT_DEG = 45.0


def _seated_measures(out: np.ndarray, img: np.ndarray, world: np.ndarray, side_w: np.ndarray) -> None:
    """Fills sit_hip_flex_{side}_deg and knee_flex_seen_{side}_deg (see their MeasureDefs).

    ``img`` (T, 33, 2) isotropic image and ``world`` (T, 33, 3) metres, NaN where unusable;
    ``side_w`` (T, 1) the weight of the image angle (1 side-on). Facing the camera, a sitting
    person's thighs point at it and the pose model's depths of them are poor, while their
    image is sharp: each segment's 3-D direction is its image direction plus the depth its
    foreshortening implies, the full image length being its world length times the image
    scale: the largest image/world length ratio of the torso's segments — shoulders, hips,
    trunk (foreshortening only shortens, so each is a lower bound of the scale; the legs are
    left out because the pose model's own lengths of a leg pointing at the camera run short,
    which would inflate the scale). Exact while a torso segment lies in the image plane: an
    upright trunk, or shoulders facing the camera.
    """
    ls, rs, lh, rh = L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP
    msh_i, mhip_i = 0.5 * (img[:, ls] + img[:, rs]), 0.5 * (img[:, lh] + img[:, rh])
    msh_w, mhip_w = 0.5 * (world[:, ls] + world[:, rs]), 0.5 * (world[:, lh] + world[:, rh])
    ratios = [_len(img[:, a] - img[:, b]) / _len(world[:, a] - world[:, b]) for a, b in ((ls, rs), (lh, rh))]
    ratios.append(_len(msh_i - mhip_i) / _len(msh_w - mhip_w))
    scale = np.fmax.reduce(np.stack(ratios, axis=1), axis=1)[:, None]  # (T, 1) image units per metre

    def in_3d(d_i: np.ndarray, d_w: np.ndarray) -> np.ndarray:
        """(T, K, 2) image and (T, K, 3) world vectors of segments → (T, K, 3) image-scaled 3-D."""
        full = _len(d_w) * scale
        depth = np.sqrt(np.maximum(full * full - _dot(d_i, d_i), 0.0)) * np.where(d_w[..., 2] < 0, -1.0, 1.0)
        return np.concatenate([d_i, depth[..., None]], axis=-1)

    trunk_i = (msh_i - mhip_i)[:, None]  # (T, 1, 2)
    trunk3 = in_3d(trunk_i, (msh_w - mhip_w)[:, None])
    thigh_i, thigh_w = img[:, _KNEES] - img[:, _HIPS], world[:, _KNEES] - world[:, _HIPS]  # (T, 2, D)
    thigh3 = in_3d(thigh_i, thigh_w)
    flex3 = 180.0 - g.angle_between_deg(trunk3, thigh3)
    flex2 = 180.0 - g.angle_between_deg(trunk_i, thigh_i)
    flex = _blend(flex3, flex2, side_w)  # (T, 2)
    out[:, _INDEX["sit_hip_flex_left_deg"]], out[:, _INDEX["sit_hip_flex_right_deg"]] = flex[:, 0], flex[:, 1]
    # Each segment's tilt out of the image plane: its depth share of its 3-D length. A leg
    # whose thigh and shank both point at the camera (a straight leg in front of a person
    # facing it) shows no knee angle to judge; a shank seen hanging shows a bent knee.
    shank3 = in_3d(img[:, _ANKLES] - img[:, _KNEES], world[:, _ANKLES] - world[:, _KNEES])
    tilt = np.degrees(np.arcsin(np.minimum(np.abs(thigh3[..., 2]) / _len(thigh3), 1.0)))  # (T, 2)
    tilt_shank = np.degrees(np.arcsin(np.minimum(np.abs(shank3[..., 2]) / _len(shank3), 1.0)))
    unseen = (tilt > _KNEE_UNSEEN_TILT_DEG) & (tilt_shank > _KNEE_UNSEEN_TILT_DEG) & (side_w < 0.5)
    for k, side in enumerate(("left", "right")):
        knee = out[:, _INDEX[f"knee_flex_{side}_deg"]]
        out[:, _INDEX[f"knee_flex_seen_{side}_deg"]] = np.where(unseen[:, k], np.nan, knee)


def _thighs_rise_deg(
    img: np.ndarray, world: np.ndarray, knee_i: np.ndarray, mhip_i: np.ndarray, world_exact: bool
) -> np.ndarray:
    """(T,) thighs from hanging straight down, degrees (mean of the measurable sides).

    ``img`` (T, 33, 2) isotropic image and ``world`` (T, 33, 3) metres, NaN where unusable;
    ``knee_i`` (T, 2, 2) the knees in the image, ``mhip_i`` (T, 2) the mid-hip.

    A thigh pointing at the camera (sitting, facing it) looks short and hanging in the image;
    its tilt out of the image plane is read from that shortening: its full image length is
    the trunk's image length times the world thigh/trunk ratio (a ratio of the pose model's
    own lengths, so its scale cancels), and the missing length is depth. The depth's sign does
    not matter for the angle from vertical. A trunk leaning toward the camera is shortened
    too, which can only make the thigh read more hanging (never a false "sitting").
    """
    if world_exact:  # exact 3-D: the world's own vertical (y down)
        th = world[:, _KNEES] - world[:, _HIPS]  # (T, 2, 3)
        rise = np.degrees(np.arccos(np.minimum(np.maximum(th[..., 1] / _len(th), -1.0), 1.0)))
        return _mean_either(rise[:, 0], rise[:, 1])
    th_i = knee_i - img[:, _HIPS]  # (T, 2, 2)
    msh_i = 0.5 * (img[:, L.LEFT_SHOULDER] + img[:, L.RIGHT_SHOULDER])
    msh_w = 0.5 * (world[:, L.LEFT_SHOULDER] + world[:, L.RIGHT_SHOULDER])
    mhip_w = 0.5 * (world[:, L.LEFT_HIP] + world[:, L.RIGHT_HIP])
    full_i = _len(msh_i - mhip_i)[:, None] * _len(world[:, _KNEES] - world[:, _HIPS]) / _len(msh_w - mhip_w)[:, None]
    depth = np.sqrt(np.maximum(full_i * full_i - _dot(th_i, th_i), 0.0))  # (T, 2)
    rise = np.degrees(np.arctan2(np.hypot(th_i[..., 0], depth), th_i[..., 1]))
    return _mean_either(rise[:, 0], rise[:, 1])


def _catalog_measures(
    out: np.ndarray,
    iso: np.ndarray,
    w: np.ndarray,
    usable: np.ndarray,
    side_w: np.ndarray,
    only: Collection[str] | None = None,
    world_exact: bool = False,
    height_cm: float | None = None,
) -> None:
    """Fills the columns of :func:`_catalog_defs` in place (NaN where not measurable)."""
    with np.errstate(all="ignore"):  # NaN arithmetic is how unmeasurable values propagate
        _catalog_columns(out, iso, w, usable, side_w, only, world_exact, height_cm)


def _catalog_columns(
    out: np.ndarray,
    iso: np.ndarray,
    w: np.ndarray,
    usable: np.ndarray,
    side_w: np.ndarray,
    only: Collection[str] | None = None,
    world_exact: bool = False,
    height_cm: float | None = None,
) -> None:
    """The body of :func:`_catalog_measures`.

    Unusable landmarks are set to NaN up front, so every measure built from them is NaN
    by arithmetic; either-side measures then combine whichever side is finite. Written for
    few numpy calls: at T = 1 (live) their fixed cost dominates, hence also ``only``.
    """
    out[:, _CATALOG_COLS] = np.nan
    want = _catalog_groups(None if only is None else frozenset(only))
    I = np.where(usable[..., None], iso, np.nan)  # noqa: E741 - (T, 33, 2) masked image
    W = np.where(usable[..., None], w, np.nan)  # (T, 33, 3) masked world
    c, col = out, _INDEX  # c[:, col[name]]: the measure's column

    # --- per-side legs, both sides at once: index 0 = left, 1 = right.
    knee_i = I[:, _KNEES]  # (T, 2, 2)
    if want & {"heel", "figure4", "reach", "sagittal", "stance", "floor", "spread", "elevation", "thigh"}:
        hip_i, ank_i = I[:, _HIPS], I[:, _ANKLES]
        hip_w, knee_w, ank_w = W[:, _HIPS], W[:, _KNEES], W[:, _ANKLES]
    if want & {"heel", "figure4", "reach", "floor"}:  # leg lengths (skipped when nothing reads them)
        thigh_i = _len(hip_i - knee_i)  # (T, 2)
        leg_i = thigh_i + _len(knee_i - ank_i)
        leg_w = _len(hip_w - knee_w) + _len(knee_w - ank_w)
    # Heel lift: heel above the toe in the image (y down), in image leg lengths, scaled to
    # cm by the world leg length (it reads in cm whatever the zoom).
    if "heel" in want:
        if world_exact:  # the world's own vertical, in metres
            heel = (W[:, _TOES, 1] - W[:, _HEELS, 1]) * 100.0
        else:
            heel = (I[:, _TOES, 1] - I[:, _HEELS, 1]) / leg_i * leg_w * 100.0
        c[:, col["heel_lift_left_cm"]], c[:, col["heel_lift_right_cm"]] = heel[:, 0], heel[:, 1]
        c[:, col["heel_lift_cm"]] = np.fmin(heel[:, 0], heel[:, 1])  # the lower heel
        c[:, col["heel_lift_diff_cm"]] = heel[:, 0] - heel[:, 1]

    # Ankle above the floor: with a level camera the floor is level in the image, at the lowest
    # landmark the lying body rests on; image heights become cm by the leg's image length and
    # its world length (a leg lying or lifted side-on is in the image plane).
    if "floor" in want:
        floor_y = np.fmax.reduce(I[:, _SUPPORT, 1], axis=1)  # image y points down: the lowest point
        legs_cm = leg_w * 100.0  # (T, 2): the pose model's metric estimate of each leg...
        if height_cm is not None:  # ... or the person's own, from their height (a profile)
            legs_cm = np.where(np.isfinite(legs_cm), leg_length_cm(height_cm), np.nan)
        height = (floor_y[:, None] - I[:, _ANKLES, 1]) / leg_i * legs_cm
        c[:, col["ankle_height_left_cm"]], c[:, col["ankle_height_right_cm"]] = height[:, 0], height[:, 1]
        c[:, col["leg_length_left_cm"]], c[:, col["leg_length_right_cm"]] = legs_cm[:, 0], legs_cm[:, 1]

    # --- the body's sagittal frame. a: down the trunk; f: anterior (toward the face).
    # From a camera f's sign comes from the nose, not from MediaPipe's depth order of the
    # hips, which is unreliable side-on. Exact 3-D input knows left from right: in a
    # right-handed frame (MediaPipe's world and every declared motion-capture axis set, see
    # formats/mocap.py) down × left points to the front, whatever the head does.
    lat = (W[:, L.LEFT_HIP] - W[:, L.RIGHT_HIP]) + (W[:, L.LEFT_SHOULDER] - W[:, L.RIGHT_SHOULDER])
    mhip_i = 0.5 * (I[:, L.LEFT_HIP] + I[:, L.RIGHT_HIP])
    if want & {"sagittal", "stance"}:
        msh_i = 0.5 * (I[:, L.LEFT_SHOULDER] + I[:, L.RIGHT_SHOULDER])
        a2 = mhip_i - msh_i
        trunk_len_i = _len(a2)
        a2 /= trunk_len_i[:, None]
    if "sagittal" in want:
        msh_w = 0.5 * (W[:, L.LEFT_SHOULDER] + W[:, L.RIGHT_SHOULDER])
        mhip_w = 0.5 * (W[:, L.LEFT_HIP] + W[:, L.RIGHT_HIP])
        a3 = mhip_w - msh_w
        a3 /= _len(a3)[:, None]
        f3 = np.stack(
            [a3[:, 1] * lat[:, 2] - a3[:, 2] * lat[:, 1], a3[:, 2] * lat[:, 0] - a3[:, 0] * lat[:, 2],
             a3[:, 0] * lat[:, 1] - a3[:, 1] * lat[:, 0]], axis=1,
        )  # fmt: skip
        nose3 = W[:, L.NOSE] - msh_w
        f3 *= ((1.0 if world_exact else np.sign(_dot(nose3, f3))) / _len(f3))[:, None]
        f2 = a2[:, ::-1] * np.array([-1.0, 1.0])  # a2 turned 90°
        nose2 = I[:, L.NOSE] - msh_i
        f2 *= np.sign(_dot(nose2, f2))[:, None]
        th3, th2 = knee_w - hip_w, knee_i - hip_i  # thighs (T, 2, D)
        ext3 = np.arctan2(-_dot(th3, f3[:, None]), _dot(th3, a3[:, None]))
        ext2 = np.arctan2(-_dot(th2, f2[:, None]), _dot(th2, a2[:, None]))
        ext = np.degrees(_blend(ext3, ext2, side_w))  # (T, 2)
        c[:, col["hip_ext_left_deg"]], c[:, col["hip_ext_right_deg"]] = ext[:, 0], ext[:, 1]
        legs3, legs2 = ank_w - hip_w, ank_i - hip_i  # hip→ankle (T, 2, D)
        raise3 = np.arctan2(_dot(legs3, f3[:, None]), _dot(legs3, a3[:, None]))
        raise2 = np.arctan2(_dot(legs2, f2[:, None]), _dot(legs2, a2[:, None]))
        lr = np.degrees(_blend(raise3, raise2, side_w))  # (T, 2)
        c[:, col["leg_raise_left_deg"]], c[:, col["leg_raise_right_deg"]] = lr[:, 0], lr[:, 1]
        c[:, col["hip_flex_sagittal_left_deg"]], c[:, col["hip_flex_sagittal_right_deg"]] = -ext[:, 0], -ext[:, 1]
        c[:, col["thigh_split_deg"]] = np.abs(ext[:, 0] - ext[:, 1])
        # Knee: the thigh's angle in the side plane minus the shank's (knee→ankle), wrapped
        # to ±180°: positive when the shank is behind the thigh.
        sh3, sh2 = ank_w - knee_w, ank_i - knee_i
        shank3 = np.arctan2(_dot(sh3, f3[:, None]), _dot(sh3, a3[:, None]))
        shank2 = np.arctan2(_dot(sh2, f2[:, None]), _dot(sh2, a2[:, None]))
        kf3, kf2 = _wrap_rad(-ext3 - shank3), _wrap_rad(-ext2 - shank2)
        kf = np.degrees(_blend(kf3, kf2, side_w))
        c[:, col["knee_flex_sagittal_left_deg"]], c[:, col["knee_flex_sagittal_right_deg"]] = kf[:, 0], kf[:, 1]
        c[:, col["hip_split_left_deg"]] = ext[:, 0] - ext[:, 1]  # left thigh behind the right one
        c[:, col["hip_split_right_deg"]] = ext[:, 1] - ext[:, 0]
        neck3 = np.arccos(np.clip(-_dot(nose3, a3) / _len(nose3), -1.0, 1.0))
        neck2 = np.arccos(np.clip(-_dot(nose2, a2) / _len(nose2), -1.0, 1.0))
        c[:, col["neck_flex_deg"]] = np.degrees(_blend(neck3, neck2, side_w[:, 0]))

    # --- view (always: camera guidance), pelvis, figure-4
    c[:, col["body_yaw_deg"]] = np.degrees(np.arctan2(np.abs(lat[:, 2]), np.hypot(lat[:, 0], lat[:, 1])))
    if "pelvis" in want:
        hw = W[:, L.LEFT_HIP] - W[:, L.RIGHT_HIP]
        c[:, col["pelvis_roll_deg"]] = np.degrees(np.arctan2(hw[:, 1], np.hypot(hw[:, 0], hw[:, 2])))
    if "figure4" in want:
        c[:, col["ankle_on_knee_left_ratio"]] = _len(ank_i[:, 0] - knee_i[:, 1]) / thigh_i[:, 1]
        c[:, col["ankle_on_knee_right_ratio"]] = _len(ank_i[:, 1] - knee_i[:, 0]) / thigh_i[:, 0]

    # --- either-side measures: whichever sides are measurable.
    for stem in ("leg_lift", "ankle"):
        if only is not None and f"{stem}_deg" not in only:
            continue
        left, right = out[:, _INDEX[f"{stem}_left_deg"]], out[:, _INDEX[f"{stem}_right_deg"]]
        out[:, _INDEX[f"{stem}_deg"]] = _mean_either(left, right)

    # Stance: the legs' spacing along the hip line, in hip widths. The knees count as well
    # as the ankles: in a lunge with the feet in one line the back foot hides behind the
    # front one (not measurable), but the back knee is then in line too.
    if "stance" in want:
        hip_line = I[:, L.LEFT_HIP] - I[:, L.RIGHT_HIP]
        hip_len2 = _dot(hip_line, hip_line)
        knees = np.abs(_dot(knee_i[:, 0] - knee_i[:, 1], hip_line)) / hip_len2
        feet = np.abs(_dot(ank_i[:, 0] - ank_i[:, 1], hip_line)) / hip_len2
        side_on = ~(np.sqrt(hip_len2) >= 0.25 * trunk_len_i)  # hips overlap: no "across" to measure
        c[:, col["stance_width_ratio"]] = np.where(side_on, np.nan, _mean_either(knees, feet))

    if "seated" in want:
        _seated_measures(out, I, W, side_w)

    if "asym" in want:  # the knee angles are final by now (3-D/2-D, unusable = NaN)
        c[:, col["knee_flex_diff_deg"]] = out[:, _INDEX["knee_flex_left_deg"]] - out[:, _INDEX["knee_flex_right_deg"]]

    # Knee alignment across the body: the knees' spacing along the hip line over the ankles'
    # (knee_spread_ratio), and over the mean of the ankles' and the hips' (knee_out_ratio:
    # with the ankles alone a wide stance reads as knees falling in, with the hips alone a
    # narrow one does).
    if "spread" in want:
        if world_exact:
            across, kn, an = W[:, L.LEFT_HIP] - W[:, L.RIGHT_HIP], W[:, _KNEES], W[:, _ANKLES]
        else:
            across, kn, an = I[:, L.LEFT_HIP] - I[:, L.RIGHT_HIP], knee_i, ank_i
        knees, ankles = _dot(kn[:, 0] - kn[:, 1], across), _dot(an[:, 0] - an[:, 1], across)
        spread, out = knees / ankles, knees / (0.5 * (ankles + _dot(across, across)))
        if not world_exact:  # side-on the hips overlap in the image: nothing across to measure
            msh2 = 0.5 * (I[:, L.LEFT_SHOULDER] + I[:, L.RIGHT_SHOULDER])
            seen = _len(across) >= 0.25 * _len(mhip_i - msh2)
            spread, out = np.where(seen, spread, np.nan), np.where(seen, out, np.nan)
        c[:, col["knee_spread_ratio"]], c[:, col["knee_out_ratio"]] = spread, out

    # Trunk pitch and roll: the trunk split into its lean toward the face and its lean to the
    # side, against the world's vertical (y down). The left-right axis (hips and shoulders)
    # is made horizontal; "forward" is horizontal and square to it, to the front.
    if "trunk" in want:
        msh3 = 0.5 * (W[:, L.LEFT_SHOULDER] + W[:, L.RIGHT_SHOULDER])
        up_t = msh3 - 0.5 * (W[:, L.LEFT_HIP] + W[:, L.RIGHT_HIP])  # (T, 3)
        left_h = lat * np.array([1.0, 0.0, 1.0])
        left_h /= _len(left_h)[:, None]
        fwd = np.stack([left_h[:, 2], np.zeros(len(left_h)), -left_h[:, 0]], axis=1)
        if not world_exact:  # exact 3-D is right-handed (as above); from a camera, toward the nose
            fwd *= np.sign(_dot(W[:, L.NOSE] - msh3, fwd))[:, None]
        rise = -up_t[:, 1]  # y points down
        c[:, col["trunk_pitch_deg"]] = np.degrees(np.arctan2(_dot(up_t, fwd), rise))
        c[:, col["trunk_roll_deg"]] = np.degrees(np.arctan2(_dot(up_t, left_h), rise))

    # Thighs from vertical: mid-hip to the knees (either or both), from straight down; in
    # the image (level camera), or in the world when it is exact (its y axis is vertical).
    if world_exact:
        kw = W[:, _KNEES]
        down = _mean_either(kw[:, 0], kw[:, 1]) - 0.5 * (W[:, L.LEFT_HIP] + W[:, L.RIGHT_HIP])
    else:
        down = _mean_either(knee_i[:, 0], knee_i[:, 1]) - mhip_i
    cos_down = np.minimum(np.maximum(down[:, 1] / _len(down), -1.0), 1.0)
    c[:, col["thighs_from_vertical_deg"]] = np.degrees(np.arccos(cos_down))
    c[:, col["thighs_rise_deg"]] = _thighs_rise_deg(I, W, knee_i, mhip_i, world_exact)
    if "thigh" in want:  # each thigh from straight down: image (level camera) and world (y down), blended
        th_i, th_w = knee_i - hip_i, knee_w - hip_w  # (T, 2, D)
        down_i = np.degrees(np.arccos(np.minimum(np.maximum(th_i[..., 1] / _len(th_i), -1.0), 1.0)))
        down_w = np.degrees(np.arccos(np.minimum(np.maximum(th_w[..., 1] / _len(th_w), -1.0), 1.0)))
        thigh = _blend(down_w, down_i, side_w)
        c[:, col["thigh_from_vertical_left_deg"]], c[:, col["thigh_from_vertical_right_deg"]] = thigh[:, 0], thigh[:, 1]
    if "elevation" in want:  # hip→ankle from straight down, same vertical as the thighs
        leg = W[:, _ANKLES] - W[:, _HIPS] if world_exact else I[:, _ANKLES] - I[:, _HIPS]
        elev = np.degrees(np.arccos(np.minimum(np.maximum(leg[..., 1] / _len(leg), -1.0), 1.0)))
        c[:, col["leg_elevation_left_deg"]], c[:, col["leg_elevation_right_deg"]] = elev[:, 0], elev[:, 1]

    # Toe reach: nearest hand (wrist) to nearest toe, in leg lengths; 2-D/3-D blended.
    if "reach" in want:
        reach = []
        for pts, legl in ((W, leg_w), (I, leg_i)):
            hands, toes = pts[:, _WRISTS], pts[:, _TOES]  # (T, 2, D)
            gap = np.fmin(
                np.fmin(_len(hands[:, 0] - toes[:, 0]), _len(hands[:, 0] - toes[:, 1])),
                np.fmin(_len(hands[:, 1] - toes[:, 0]), _len(hands[:, 1] - toes[:, 1])),
            )
            reach.append(100.0 * (1.0 - gap / _mean_either(legl[:, 0], legl[:, 1])))
        c[:, col["toe_reach_pct"]] = _blend(reach[0], reach[1], side_w[:, 0])
