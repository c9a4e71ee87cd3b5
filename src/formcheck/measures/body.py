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

A measure is NaN in a frame where any landmark it needs is not *usable* (see
:func:`landmark_usable`). :func:`compute_measures` works on T frames at once: the live
path calls it with T = 1, re-scoring with the whole trace, so both agree exactly.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from formcheck.landmarks import N_LANDMARKS
from formcheck.landmarks import Landmark as L
from formcheck.measures import geometry as g


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
    """Measures of the exercise catalog beyond the first three (appended: columns keep their order)."""
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
            "legs_from_vertical_deg", "deg", (),
            "mid-hip→ankles from straight down in the image: 0 standing, ~90 lying, 180 legs up",
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
        MeasureDef("toe_reach_pct", "pct", (), "hands toward the toes: 0 = a leg length away, 100 = touching"),
    ]  # fmt: skip
    for side, lm, other in (("left", _L, _R), ("right", _R, _L)):
        defs.append(
            MeasureDef(
                f"ankle_on_knee_{side}_ratio", "ratio", (lm["ANKLE"], other["KNEE"], other["HIP"]),
                f"{side} ankle to the other knee in the image, in thigh lengths: ~0.3-0.6 with the {side} ankle "
                "crossed over the other knee (figure-4), >1 apart",
            )
        )  # fmt: skip
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


# Precomputed index arrays so each frame costs a handful of numpy calls.
_J_A = np.array([m.landmarks[0] for m in MEASURES[: 2 * len(_JOINTS)]])
_J_B = np.array([m.landmarks[1] for m in MEASURES[: 2 * len(_JOINTS)]])
_J_C = np.array([m.landmarks[2] for m in MEASURES[: 2 * len(_JOINTS)]])
_J_FLEX = np.array([kind == "flex" for _s, _t, kind, _d in _JOINTS for _ in (0, 1)])
_NJ = 2 * len(_JOINTS)
_REQUIRED = np.zeros((len(MEASURES), N_LANDMARKS), dtype=np.float32)
for _i, _m in enumerate(MEASURES):
    _REQUIRED[_i, list(_m.landmarks)] = 1.0
_HAS_REQ = _REQUIRED.sum(axis=1) > 0
_I_LIFT = _INDEX["leg_lift_left_deg"]
_I_CAT = _INDEX["heel_lift_left_cm"]  # first column of the catalog measures
_CAT_INDEX = {name: i - _I_CAT for name, i in _INDEX.items() if i >= _I_CAT}
_KNEES = [L.LEFT_KNEE, L.RIGHT_KNEE]
_ANKLES = [L.LEFT_ANKLE, L.RIGHT_ANKLE]


def landmark_usable(
    image_xy: np.ndarray, visibility: np.ndarray, presence: np.ndarray, min_visibility: float = 0.5
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
    wgt = (FACING_RATIO - width_ratio) / (FACING_RATIO - SIDE_ON_RATIO)
    return np.nan_to_num(np.clip(wgt, 0.0, 1.0), nan=0.0)


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
    image_xy: np.ndarray, world_xyz: np.ndarray, usable: np.ndarray, aspect: float
) -> np.ndarray:
    """All measures for T frames.

    Args:
        image_xy: (T, 33, 2) normalized image coordinates.
        world_xyz: (T, 33, 3) metres.
        usable: (T, 33) bool from :func:`landmark_usable`.
        aspect: frame width / height.

    Returns:
        (T, M) float64, columns in ``MEASURE_NAMES`` order; NaN where not measurable.
    """
    t = image_xy.shape[0]
    out = np.empty((t, len(MEASURES)))
    w = world_xyz.astype(np.float64, copy=False)
    iso = g.image_xy_to_isotropic(image_xy, aspect)
    ls, rs, lh, rh = (iso[:, i] for i in _TORSO)
    msh, mhip = 0.5 * (ls + rs), 0.5 * (lh + rh)
    with np.errstate(invalid="ignore", divide="ignore"):
        width_ratio = g.norm_m(ls - rs) / g.norm_m(msh - mhip)
    side_w = side_on_weight(width_ratio)[:, None]  # (T, 1): 1 = side-on → trust the image

    ang3 = g.angle_at_deg(w[:, _J_A], w[:, _J_B], w[:, _J_C])  # (T, NJ)
    ang2 = g.angle_at_deg(iso[:, _J_A], iso[:, _J_B], iso[:, _J_C])
    ang = _blend(ang3, ang2, side_w)
    out[:, :_NJ] = np.where(_J_FLEX, 180.0 - ang, ang)

    # Leg lift: magnitude blended like the joints, sign from the image (up = anti-gravity).
    hips_w = w[:, [L.LEFT_HIP, L.RIGHT_HIP]]
    leg_w = w[:, [L.LEFT_ANKLE, L.RIGHT_ANKLE]] - hips_w  # (T, 2, 3)
    trunk_w = (0.5 * (w[:, L.LEFT_HIP] + w[:, L.RIGHT_HIP]) - 0.5 * (w[:, L.LEFT_SHOULDER] + w[:, L.RIGHT_SHOULDER]))
    leg_i = iso[:, [L.LEFT_ANKLE, L.RIGHT_ANKLE]] - iso[:, [L.LEFT_HIP, L.RIGHT_HIP]]  # (T, 2, 2)
    trunk_i = (mhip - msh)[:, None, :]  # (T, 1, 2)
    lift3 = g.angle_between_deg(leg_w, trunk_w[:, None, :])
    lift2 = g.angle_between_deg(leg_i, trunk_i)
    lift = _blend(lift3, lift2, side_w) * _up_sign(trunk_i, leg_i)  # (T, 2)
    height_cm = g.norm_m(leg_w) * np.sin(np.radians(lift)) * 100.0
    out[:, _I_LIFT : _I_LIFT + 4] = np.stack([lift[:, 0], height_cm[:, 0], lift[:, 1], height_cm[:, 1]], axis=1)

    base = _INDEX["trunk_lean_deg"]
    out[:, base] = g.from_vertical_deg(mhip, msh)
    out[:, base + 1] = g.signed_tilt_deg(ls, rs)
    out[:, base + 2] = g.signed_tilt_deg(lh, rh)
    out[:, base + 3] = width_ratio

    # Invalidate every measure whose landmarks are not all usable: one matrix product.
    missing = (~usable).astype(np.float32) @ _REQUIRED.T  # (T, M) count of unusable landmarks
    out[(missing > 0) & _HAS_REQ] = np.nan

    with np.errstate(invalid="ignore"):
        for combined, left in (("knee_flex_deg", "knee_flex_left_deg"), ("hip_flex_deg", "hip_flex_left_deg")):
            li = _INDEX[left]
            pair = out[:, [li, li + 1]]
            n = np.sum(np.isfinite(pair), axis=1)
            out[:, _INDEX[combined]] = np.where(n > 0, np.nansum(pair, axis=1) / np.maximum(n, 1), np.nan)
    _catalog_measures(out, iso, w, usable, side_w)
    return out


def _nanmean2(pair: np.ndarray) -> np.ndarray:
    """(T, 2) → (T,) mean of the finite values of each row, NaN when neither is."""
    n = np.sum(np.isfinite(pair), axis=1)
    with np.errstate(invalid="ignore"):
        return np.where(n > 0, np.nansum(pair, axis=1) / np.maximum(n, 1), np.nan)


def _masked(p: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Points (T, K, D) with unusable ones (ok: (T, K)) set to NaN."""
    return np.where(ok[..., None], p, np.nan)


def _catalog_measures(out: np.ndarray, iso: np.ndarray, w: np.ndarray, usable: np.ndarray, side_w: np.ndarray) -> None:
    """Fills the columns of :func:`_catalog_defs` in place (after the usability masking, so
    the either-side measures can mask their own landmarks)."""
    # fmt: off
    lh, rh, ls, rs = L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_SHOULDER, L.RIGHT_SHOULDER
    req = out[:, _I_CAT:]  # view: written below, then masked like every measure
    with np.errstate(invalid="ignore", divide="ignore"):
        # --- heel lift: heel above the toe in the image (y down), in units of the image leg
        # length, scaled to cm by the world leg length (so it reads in cm whatever the zoom).
        hips_i, knees_i, ankles_i = iso[:, [lh, rh]], iso[:, _KNEES], iso[:, _ANKLES]
        leg_i_thigh = g.norm_m(hips_i - knees_i)  # (T, 2)
        leg_i = leg_i_thigh + g.norm_m(knees_i - ankles_i)
        hips_w, knees_w, ankles_w = w[:, [lh, rh]], w[:, _KNEES], w[:, _ANKLES]
        leg_w = g.norm_m(hips_w - knees_w) + g.norm_m(knees_w - ankles_w)
        lift_i = iso[:, [L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX], 1] - iso[:, [L.LEFT_HEEL, L.RIGHT_HEEL], 1]
        heel_cm = lift_i / leg_i * leg_w * 100.0  # (T, 2)

        # --- the body's sagittal frame. a: down the trunk; f: anterior (toward the face).
        # f's sign comes from the nose, not from MediaPipe's depth order of the hips, which is
        # unreliable side-on; the lateral axis only orients the plane.
        msh_w, mhip_w = 0.5 * (w[:, ls] + w[:, rs]), 0.5 * (w[:, lh] + w[:, rh])
        a3 = mhip_w - msh_w
        a3 /= g.norm_m(a3)[:, None]
        lat = (w[:, lh] - w[:, rh]) + (w[:, ls] - w[:, rs])
        f3 = np.cross(a3, lat)
        f3 /= g.norm_m(f3)[:, None]
        nose3 = w[:, L.NOSE] - msh_w
        f3 *= np.where(np.einsum("ti,ti->t", nose3, f3) < 0, -1.0, 1.0)[:, None]
        msh_i, mhip_i = 0.5 * (iso[:, ls] + iso[:, rs]), 0.5 * (iso[:, lh] + iso[:, rh])
        a2 = mhip_i - msh_i
        a2 /= g.norm_m(a2)[:, None]
        f2 = np.stack([-a2[:, 1], a2[:, 0]], axis=1)
        nose2 = iso[:, L.NOSE] - msh_i
        f2 *= np.where(np.einsum("ti,ti->t", nose2, f2) < 0, -1.0, 1.0)[:, None]
        thigh3 = knees_w - hips_w  # (T, 2, 3)
        thigh2 = knees_i - hips_i
        ext3 = np.degrees(np.arctan2(-np.einsum("tki,ti->tk", thigh3, f3), np.einsum("tki,ti->tk", thigh3, a3)))
        ext2 = np.degrees(np.arctan2(-np.einsum("tki,ti->tk", thigh2, f2), np.einsum("tki,ti->tk", thigh2, a2)))
        ext = _blend(ext3, ext2, side_w)  # (T, 2)

        # --- view and posture
        lat_w = (w[:, ls] - w[:, rs]) + (w[:, lh] - w[:, rh])
        yaw = np.degrees(np.arctan2(np.abs(lat_w[:, 2]), np.hypot(lat_w[:, 0], lat_w[:, 1])))
        # Stance: the legs' spacing along the hip line, in hip widths. The knees count as well
        # as the ankles: in a lunge with the feet in one line the back foot hides behind the
        # front one (not measurable), but the back knee is then in line too.
        hip_i = iso[:, lh] - iso[:, rh]
        hip_len = g.norm_m(hip_i)
        spacing = []
        for a, b in ((L.LEFT_KNEE, L.RIGHT_KNEE), (L.LEFT_ANKLE, L.RIGHT_ANKLE)):
            across = np.abs(np.einsum("ti,ti->t", iso[:, a] - iso[:, b], hip_i)) / hip_len
            spacing.append(np.where(usable[:, a] & usable[:, b], across / hip_len, np.nan))
        stance = _nanmean2(np.stack(spacing, axis=1))
        side_on = ~(hip_len >= 0.25 * g.norm_m(msh_i - mhip_i))  # hips overlap: no "across" to measure
        stance = np.where(side_on | ~usable[:, list(_TORSO)].all(axis=1), np.nan, stance)
        hw = w[:, lh] - w[:, rh]
        roll = np.degrees(np.arctan2(hw[:, 1], np.hypot(hw[:, 0], hw[:, 2])))
        neck3 = g.angle_between_deg(nose3, -a3)
        neck2 = g.angle_between_deg(nose2, -a2)
        neck = _blend(neck3, neck2, side_w[:, 0])

    split = ext[:, 0] - ext[:, 1]  # left thigh behind the right one
    with np.errstate(invalid="ignore", divide="ignore"):
        crossed_l = g.norm_m(iso[:, L.LEFT_ANKLE] - iso[:, L.RIGHT_KNEE]) / leg_i_thigh[:, 1]
        crossed_r = g.norm_m(iso[:, L.RIGHT_ANKLE] - iso[:, L.LEFT_KNEE]) / leg_i_thigh[:, 0]
    cols = {
        "heel_lift_left_cm": heel_cm[:, 0], "hip_ext_left_deg": ext[:, 0], "hip_split_left_deg": split,
        "heel_lift_right_cm": heel_cm[:, 1], "hip_ext_right_deg": ext[:, 1], "hip_split_right_deg": -split,
        "body_yaw_deg": yaw, "pelvis_roll_deg": roll, "neck_flex_deg": neck,
        "ankle_on_knee_left_ratio": crossed_l, "ankle_on_knee_right_ratio": crossed_r,
    }
    for name, col in cols.items():
        req[:, _CAT_INDEX[name]] = col
    # Mask the measures with landmark lists (the columns written just above).
    missing = (~usable).astype(np.float32) @ _REQUIRED[_I_CAT:].T
    req[(missing > 0) & _HAS_REQ[_I_CAT:]] = np.nan

    # --- either-side measures: the mean of whichever sides are measurable.
    for combined, stem in (("leg_lift_deg", "leg_lift"), ("ankle_deg", "ankle")):
        pair = [_INDEX[f"{stem}_left_deg"], _INDEX[f"{stem}_right_deg"]]
        out[:, _INDEX[combined]] = _nanmean2(out[:, pair])
    hl, hr = out[:, _INDEX["heel_lift_left_cm"]], out[:, _INDEX["heel_lift_right_cm"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no heel in view
        out[:, _INDEX["heel_lift_cm"]] = np.nanmin(np.stack([hl, hr], axis=1), axis=1)
    out[:, _INDEX["heel_lift_diff_cm"]] = hl - hr
    out[:, _INDEX["stance_width_ratio"]] = stance

    hips_ok = usable[:, lh] & usable[:, rh]
    ank = _masked(iso[:, _ANKLES], usable[:, _ANKLES])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no ankle in view
        ank_mid = np.nanmean(ank, axis=1)
    down = ank_mid - mhip_i
    legs = g.angle_between_deg(down, np.broadcast_to(np.array([0.0, 1.0]), down.shape))
    out[:, _INDEX["legs_from_vertical_deg"]] = np.where(hips_ok, legs, np.nan)

    # --- toe reach: nearest hand (wrist) to nearest toe, in leg lengths; 2-D/3-D blended.
    hands = [L.LEFT_WRIST, L.RIGHT_WRIST]
    toes = [L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX]
    leg_ok = usable[:, [lh, rh]] & usable[:, _KNEES] & usable[:, _ANKLES]
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: hands or feet not in view
        reach = []
        for pts, legl in ((w, leg_w), (iso, leg_i)):
            hp = _masked(pts[:, hands], usable[:, hands])[:, :, None]  # (T, 2, 1, D)
            tp = _masked(pts[:, toes], usable[:, toes])[:, None]  # (T, 1, 2, D)
            gap = np.nanmin(g.norm_m(hp - tp).reshape(len(pts), 4), axis=1)
            reach.append(100.0 * (1.0 - gap / np.nanmean(np.where(leg_ok, legl, np.nan), axis=1)))
    out[:, _INDEX["toe_reach_pct"]] = _blend(reach[0], reach[1], side_w[:, 0])
    # fmt: on
