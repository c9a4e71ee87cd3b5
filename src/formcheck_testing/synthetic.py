"""Synthetic pose traces: a kinematic body, posed from joint angles, filmed by a virtual camera.

Used by tests and benchmarks to produce :class:`~formcheck.pose.frame.PoseTrace` objects whose
ground truth is known exactly (a 45° knee reads 45°), with the imperfections of a real pose
estimator added on purpose: landmark noise, frames with nobody found, legs that leave the
picture while the estimator keeps inventing them.

Layers, each usable on its own so a new exercise takes a few lines:

1. :class:`Motion` — a script of named channels (degrees, or any unit) built from phases:
   ``rest``/``hold`` (keep still), ``move`` (to new values over a duration or at a speed).
   ``motion.sample(t)`` gives each channel as a (T,) array.
2. A *poser* maps an exercise's channels to joint angles (e.g. a wall squat's depth to hip,
   knee and ankle angles that keep the feet flat), with helpers such as
   :func:`hip_flex_for_lift_deg` and :func:`flat_foot_ankle_deg`.
3. :func:`skeleton` — forward kinematics: joint angles → (T, 33, 3) landmark positions in
   metres, mid-hip at the origin, in the body's gravity frame.
4. :func:`render` — places the body on the floor, films it with a :class:`Capture` (frame
   size, view, pinhole or orthographic projection) and degrades it (noise, dropouts,
   out-of-frame legs) into a PoseTrace.

Coordinates:

- *Trunk frame* (f, l, u): f anterior (the way the chest faces), l the person's left, u
  toward the head, right-handed (u = f × l). Joint angles are defined in it.
- *Gravity frame* (f, l, u) of an upright person: the trunk frame turned by
  ``trunk_pitch`` (+ leaning forward, −90 lying on the back, +90 face down), ``trunk_roll``
  (+ left side down) and ``trunk_twist`` (+ turning to the left).
- *Scene*: X right in the image, Y down, Z away from the camera (the camera is level, at
  the origin, looking along +Z); the floor is Y = 0. ``PoseTrace.world_xyz`` is the scene
  with the origin moved to the mid-hip — metres, y down, like MediaPipe's world landmarks.
- ``PoseTrace.image_xy`` is the scene projected onto the frame, normalized to [0, 1].

Joint channels (degrees; ``{s}`` is ``left`` or ``right``; missing channels take defaults):

=====================  =====================================================================
``trunk_pitch``         trunk from upright: + forward lean, −90 supine, +90 prone. Default 0.
``trunk_roll``          sideways tilt, + = the left side lower. Default 0.
``trunk_twist``         axial rotation, + = chest turned to the person's left. Default 0.
``hip_flex_{s}``        thigh from the trunk's long axis toward the front (leg_lift of a
                        straight leg). Default 0.
``hip_abd_{s}``         thigh out to the side. Default 0.
``knee_flex_{s}``       180 − ∠(hip, knee, ankle); reads exactly as ``knee_flex_{s}_deg``.
``ankle_{s}``           ∠(knee, ankle, foot_index); reads exactly as ``ankle_{s}_deg``.
                        Default :func:`ankle_neutral_deg` (foot at a right angle to the shin).
``arm_raise_{s}``       ∠(hip, shoulder, elbow); reads exactly as ``arm_raise_{s}_deg``.
``arm_plane_{s}``       direction of the raise: 0 forward, 90 sideways. Default 0.
``elbow_flex_{s}``      reads exactly as ``elbow_flex_{s}_deg``. Default 0.
=====================  =====================================================================

``hip_flex_{s}`` is measured from the trunk's long axis, so ``leg_lift_{s}_deg`` of a straight
leg equals it exactly. The ``hip_flex_{s}_deg`` measure uses the same-side shoulder→hip line,
which the wider shoulders tilt by ~4.6° in 3-D: facing the camera it reads ~4.6° at 0 and
the exact value near 90; side-on (measured in the image) it reads the generated value.

Shapes and units of a generated trace: ``t_s`` (T,) seconds, strictly increasing;
``image_xy`` (T, 33, 2) normalized to the frame (x by width, y by height); ``world_xyz``
(T, 33, 3) metres; ``visibility``/``presence`` (T, 33) in [0, 1]; ``n_people`` (T,);
``identity_jump`` (T,). ``meta.extra["reps"]`` lists the scripted repetitions
(:class:`RepScript`: when each left rest, reached and left its hold, and was back) so tests
can aim dropouts or out-of-frame spans at "the middle of the second hold".

Adding an exercise takes a script and a poser, e.g. ankle pumps lying down::

    def ankle_pump(capture=None, body=Body(), reps=10, range_deg=40.0, period_s=2.0, **options):
        n = ankle_neutral_deg(body)
        m = Motion({"ankle": n}).rest(2.0)
        for _ in range(reps):
            add_rep(m, {"ankle": n + range_deg / 2}, {"ankle": n - range_deg / 2},
                    out_s=period_s / 2, back_s=period_s / 2)
        m.move({"ankle": n}, 1.0)
        pose = lambda ch: supine_pose({"ankle_left": ch["ankle"], "ankle_right": ch["ankle"]}, body)
        return render_motion(m, pose, "back", replace(capture or Capture(), **options), body)

Standing exercises use contact ``"feet"`` (see :func:`wall_squat_pose` for flat feet);
lying ones ``"back"`` (:func:`supine_pose`; a negative ``incline`` lifts the hips above the
shoulders, as in a bridge); kneeling or on all fours, ``"lowest"`` with ``trunk_pitch`` 90.

Everything is deterministic given ``Capture.seed``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from formcheck.pose.frame import PoseTrace, TraceMeta
from formcheck.pose.landmarks import N_LANDMARKS, SIDES
from formcheck.pose.landmarks import Landmark as L

ArrayLike = float | np.ndarray
Ease = Literal["linear", "cosine", "minjerk"]
Contact = Literal["feet", "back", "lowest"]

_F = np.array([1.0, 0.0, 0.0])
_LEFT = np.array([0.0, 1.0, 0.0])
_U = np.array([0.0, 0.0, 1.0])

#: Landmarks of the legs below the hips: the ones that leave the picture first.
LEG_LANDMARKS: tuple[L, ...] = (
    L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE,
    L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX,
)  # fmt: skip


# =========================================================================== body


@dataclass(frozen=True, slots=True)
class Body:
    """Segment lengths in metres (defaults: an adult about 1.75 m tall).

    Standing straight, the hip landmarks are ``ankle height + thigh + shank`` ≈ 0.96 m above
    the floor, the shoulders 0.5 m higher, the eyes at ~1.66 m.
    """

    thigh_m: float = 0.45  # hip → knee
    shank_m: float = 0.43  # knee → ankle
    trunk_m: float = 0.50  # mid-hip → mid-shoulder
    hip_width_m: float = 0.28  # between the hip landmarks
    shoulder_width_m: float = 0.38
    upper_arm_m: float = 0.30
    forearm_m: float = 0.26
    hand_m: float = 0.09  # wrist → index finger
    head_m: float = 0.17  # mid-shoulder → ear level, along the trunk
    toe_fwd_m: float = 0.15  # ankle → foot_index, forward, in a flat-footed upright stance
    toe_down_m: float = 0.06  # ... and downward
    heel_back_m: float = 0.045  # ankle → heel, backward
    heel_down_m: float = 0.07  # ... and downward
    sole_m: float = 0.01  # heel/toe landmark height above the floor when standing

    @classmethod
    def of_height(cls, height_m: float) -> Body:
        """The default body scaled to a standing height."""
        k = height_m / 1.75
        base = cls()
        return replace(base, **{f: getattr(base, f) * k for f in base.__dataclass_fields__})

    @property
    def leg_m(self) -> float:
        """Hip → ankle length of a straight leg."""
        return self.thigh_m + self.shank_m


def ankle_neutral_deg(body: Body = Body()) -> float:
    """∠(knee, ankle, foot_index) with the foot at a right angle to the shin (~111.8°)."""
    return 180.0 - math.degrees(math.atan2(body.toe_fwd_m, body.toe_down_m))


def flat_foot_ankle_deg(shank_tilt_deg: ArrayLike, body: Body = Body()) -> ArrayLike:
    """Ankle angle that keeps the foot flat on the floor when the shin tilts forward by
    ``shank_tilt_deg`` from vertical (knee ahead of the ankle = positive)."""
    return ankle_neutral_deg(body) - np.asarray(shank_tilt_deg, dtype=np.float64)


def hip_flex_for_lift_deg(lift_deg: ArrayLike, knee_flex_deg: ArrayLike, body: Body = Body()) -> np.ndarray:
    """Hip flexion that puts the hip→ankle line at ``lift_deg`` from the trunk axis.

    A bent knee pulls the ankle back toward the trunk line; this adds back the angle between
    the thigh and the hip→ankle line. ``lift_deg = 0`` is the heel on the floor at hip height
    (a supine leg with the knee bent and the foot on the floor, or a heel slide).
    """
    k = np.radians(np.asarray(knee_flex_deg, dtype=np.float64))
    delta = np.degrees(np.arctan2(body.shank_m * np.sin(k), body.thigh_m + body.shank_m * np.cos(k)))
    return np.asarray(lift_deg, dtype=np.float64) + delta


def lift_height_cm(lift_deg: ArrayLike, knee_flex_deg: ArrayLike = 0.0, body: Body = Body()) -> np.ndarray:
    """Ankle height above the trunk line for a lift (the ``lift_height_{s}_cm`` definition)."""
    k = np.radians(np.asarray(knee_flex_deg, dtype=np.float64))
    a, b = body.thigh_m, body.shank_m
    leg = np.sqrt(a * a + b * b + 2 * a * b * np.cos(k))
    return leg * np.sin(np.radians(lift_deg)) * 100.0


# =========================================================================== motion scripts


def _ease(u: np.ndarray, kind: str) -> np.ndarray:
    if kind == "linear":
        return u
    if kind == "cosine":
        return 0.5 - 0.5 * np.cos(np.pi * u)
    if kind == "minjerk":
        return u * u * u * (10.0 - 15.0 * u + 6.0 * u * u)
    raise ValueError(f"unknown ease {kind!r}; use linear, cosine or minjerk")


#: Peak speed of an eased move relative to its mean speed.
PEAK_FACTOR = {"linear": 1.0, "cosine": math.pi / 2, "minjerk": 1.875}


@dataclass(slots=True)
class _Segment:
    t0: float
    t1: float
    start: dict[str, float]
    end: dict[str, float]
    ease: str
    label: str


class Motion:
    """A script of named channels over time, built phase by phase.

    Example: ``Motion({"knee": 0.0}).rest(2).move({"knee": 45}, 2).hold(5).move({"knee": 0}, speed=20)``
    stands 2 s, bends to 45 over 2 s, holds 5 s and straightens with a peak speed of 20/s.

    ``move`` takes either ``duration_s`` or ``speed`` (the *peak* rate of change of the
    fastest-moving channel, unit/s; with ``ease="cosine"`` the mean speed is 2/π of it).
    Each phase may carry a ``label``; :meth:`spans` lists them (e.g. to find the holds).
    """

    def __init__(self, start: Mapping[str, float], t0_s: float = 0.0) -> None:
        self.t0_s = t0_s
        self._now = {k: float(v) for k, v in start.items()}
        self._t = t0_s
        self.segments: list[_Segment] = []
        self.reps: list[RepScript] = []

    @property
    def duration_s(self) -> float:
        return self._t - self.t0_s

    @property
    def end_s(self) -> float:
        return self._t

    @property
    def values(self) -> dict[str, float]:
        """Channel values at the end of the script so far."""
        return dict(self._now)

    def rest(self, seconds: float, label: str = "rest") -> Motion:
        """Keep every channel still for ``seconds``."""
        return self._add({}, seconds, "linear", label)

    def hold(self, seconds: float, label: str = "hold") -> Motion:
        return self.rest(seconds, label)

    def move(
        self,
        targets: Mapping[str, float],
        duration_s: float | None = None,
        *,
        speed: float | None = None,
        ease: Ease = "cosine",
        label: str = "move",
    ) -> Motion:
        """Move channels to ``targets`` (others keep their values) over a duration or at a speed."""
        if (duration_s is None) == (speed is None):
            raise ValueError("give exactly one of duration_s or speed")
        if speed is not None:
            change = max((abs(float(v) - self._now.get(k, 0.0)) for k, v in targets.items()), default=0.0)
            duration_s = change * PEAK_FACTOR[ease] / speed if speed > 0 else 0.0
        assert duration_s is not None
        return self._add(targets, duration_s, ease, label)

    def set(self, values: Mapping[str, float]) -> Motion:
        """Jump channels to new values now, with no transition (a channel new to the script
        has this value from the start)."""
        self._now.update({k: float(v) for k, v in values.items()})
        for s in self.segments:
            for k, v in values.items():
                s.start.setdefault(k, float(v))
                s.end.setdefault(k, float(v))
        return self

    def _add(self, targets: Mapping[str, float], seconds: float, ease: str, label: str) -> Motion:
        if seconds < 0:
            raise ValueError(f"phase {label!r} has a negative duration ({seconds:g} s)")
        for k in targets:
            if k not in self._now:  # a new channel: 0 until now
                self._now[k] = 0.0
                for s in self.segments:
                    s.start[k] = s.end[k] = 0.0
        start = dict(self._now)
        end = {**start, **{k: float(v) for k, v in targets.items()}}
        if seconds > 0:
            self.segments.append(_Segment(self._t, self._t + seconds, start, end, ease, label))
            self._t += seconds
        self._now = end
        return self

    def spans(self, label: str) -> list[tuple[float, float]]:
        """(start, end) seconds of every phase with this label."""
        return [(s.t0, s.t1) for s in self.segments if s.label == label]

    def sample(self, t_s: np.ndarray) -> dict[str, np.ndarray]:
        """Each channel at times ``t_s`` ((T,) seconds) → dict of (T,) float64 arrays.

        Before the script: the first values; after it: the last.
        """
        t = np.asarray(t_s, dtype=np.float64)
        names = sorted(self._now)
        if not self.segments:
            return {k: np.full(t.shape, self._now[k]) for k in names}
        t0 = np.array([s.t0 for s in self.segments])
        i = np.clip(np.searchsorted(t0, t, side="right") - 1, 0, len(self.segments) - 1)
        t1 = np.array([s.t1 for s in self.segments])
        u = np.clip((t - t0[i]) / (t1[i] - t0[i]), 0.0, 1.0)
        e = np.empty_like(u)
        kinds = np.array([s.ease for s in self.segments])
        for kind in set(kinds.tolist()):
            sel = kinds[i] == kind
            e[sel] = _ease(u[sel], kind)
        out: dict[str, np.ndarray] = {}
        for k in names:
            a = np.array([s.start.get(k, self._now[k]) for s in self.segments])
            b = np.array([s.end.get(k, self._now[k]) for s in self.segments])
            out[k] = a[i] + (b[i] - a[i]) * e
        return out


def rep_sides(side: str | Sequence[str], reps: int) -> list[str]:
    """Side of each repetition: ``"left"``, ``"right"``, ``"alternating"`` (left first),
    ``"alternating_right"``, or an explicit sequence (its length overrides ``reps``)."""
    if isinstance(side, str):
        if side in SIDES:
            return [side] * reps
        if side in ("alternating", "alternating_left", "alternating_right"):
            first = 1 if side == "alternating_right" else 0
            return [SIDES[(first + i) % 2] for i in range(reps)]
        raise ValueError(f"side {side!r}: use left, right, alternating or a list of sides")
    out = list(side)
    bad = [s for s in out if s not in SIDES]
    if bad:
        raise ValueError(f"unknown sides {bad}; use {', '.join(SIDES)}")
    return out


# =========================================================================== kinematics


def _col(x: ArrayLike, n: int) -> np.ndarray:
    """Scalar or (T,) → (T, 1) float64."""
    a = np.asarray(x, dtype=np.float64)
    return np.broadcast_to(a, (n,))[:, None]


def _dir(psi_deg: np.ndarray, down: np.ndarray, fwd: np.ndarray) -> np.ndarray:
    """Unit vector at angle psi from ``down`` toward ``fwd`` (both unit, orthogonal)."""
    p = np.radians(psi_deg)
    return np.cos(p) * down + np.sin(p) * fwd


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _rot(axis: np.ndarray, deg: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations by ``deg`` about a fixed unit ``axis`` (right-hand rule)."""
    a = np.radians(deg)
    c, s = np.cos(a)[:, None, None], np.sin(a)[:, None, None]
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + s * k + (1.0 - c) * (k @ k)


def skeleton(joints: Mapping[str, ArrayLike], n: int, body: Body = Body()) -> np.ndarray:
    """Forward kinematics: joint channels → (n, 33, 3) landmarks in metres.

    Coordinates are the gravity frame (f, l, u) of :mod:`this module <formcheck_testing.synthetic>`,
    with the mid-hip at the origin. Channels are scalars or (n,) arrays, in degrees.
    """
    unknown = set(joints) - _JOINT_CHANNELS
    if unknown:
        raise ValueError(f"unknown joint channels {sorted(unknown)}; known: {', '.join(sorted(_JOINT_CHANNELS))}")

    def ch(name: str, default: float = 0.0) -> np.ndarray:
        return _col(joints.get(name, default), n)

    p = np.zeros((n, N_LANDMARKS, 3))
    b = body
    neutral = ankle_neutral_deg(b)
    toe_len = math.hypot(b.toe_fwd_m, b.toe_down_m)
    heel_len = math.hypot(b.heel_back_m, b.heel_down_m)
    heel_rel = math.degrees(math.atan2(-b.heel_back_m, b.heel_down_m)) - (180.0 - neutral)

    for side in SIDES:
        sg = 1.0 if side == "left" else -1.0
        up = side.upper()
        hip = sg * 0.5 * b.hip_width_m * _LEFT
        shoulder = sg * 0.5 * b.shoulder_width_m * _LEFT + b.trunk_m * _U

        # Leg: in the limb plane spanned by D (the trunk's down axis turned out by abduction) and f.
        abd = np.radians(ch(f"hip_abd_{side}"))
        down = np.cos(abd) * (-_U) + np.sin(abd) * (sg * _LEFT)  # (n, 3)
        fwd = np.broadcast_to(_F, down.shape)
        hf, kf = ch(f"hip_flex_{side}"), ch(f"knee_flex_{side}")
        knee = hip + b.thigh_m * _dir(hf, down, fwd)
        psi_shank = hf - kf
        ankle = knee + b.shank_m * _dir(psi_shank, down, fwd)
        psi_toe = psi_shank + 180.0 - ch(f"ankle_{side}", neutral)
        toe = ankle + toe_len * _dir(psi_toe, down, fwd)
        heel = ankle + heel_len * _dir(psi_toe + heel_rel, down, fwd)

        # Arm: in the plane spanned by the same-side shoulder→hip line and the raise direction.
        d_s = _unit(hip - shoulder)
        out = sg * _LEFT - np.dot(sg * _LEFT, d_s) * d_s
        out = out / np.linalg.norm(out)
        plane = np.radians(ch(f"arm_plane_{side}"))
        raise_dir = np.cos(plane) * _F + np.sin(plane) * out  # (n, 3)
        ar, ef = ch(f"arm_raise_{side}"), ch(f"elbow_flex_{side}")
        elbow = shoulder + b.upper_arm_m * _dir(ar, d_s, raise_dir)
        fore = _dir(ar + ef, d_s, raise_dir)
        wrist = elbow + b.forearm_m * fore
        across = _unit(np.cross(d_s, raise_dir)) * sg  # across the palm, toward the thumb
        p[:, L[f"{up}_HIP"]] = hip
        p[:, L[f"{up}_KNEE"]] = knee
        p[:, L[f"{up}_ANKLE"]] = ankle
        p[:, L[f"{up}_FOOT_INDEX"]] = toe
        p[:, L[f"{up}_HEEL"]] = heel
        p[:, L[f"{up}_SHOULDER"]] = shoulder
        p[:, L[f"{up}_ELBOW"]] = elbow
        p[:, L[f"{up}_WRIST"]] = wrist
        p[:, L[f"{up}_INDEX"]] = wrist + b.hand_m * fore + 0.015 * across
        p[:, L[f"{up}_PINKY"]] = wrist + 0.8 * b.hand_m * fore - 0.025 * across
        p[:, L[f"{up}_THUMB"]] = wrist + 0.5 * b.hand_m * fore + 0.035 * across

    # Head, rigid with the trunk: offsets (f, l, u) from the point b.head_m above mid-shoulder.
    head = b.trunk_m * _U + b.head_m * _U
    k = b.head_m / 0.17
    for lm, (df, dl, du) in _FACE.items():
        p[:, lm] = head + k * np.array([df, dl, du])

    # Orient the trunk: twist about u, then roll about f, then pitch about l (right-hand rule:
    # +pitch about l turns u toward +f = leaning forward; roll is negated so + = left side down).
    r = _rot(_LEFT, ch("trunk_pitch")[:, 0]) @ _rot(_F, -ch("trunk_roll")[:, 0]) @ _rot(_U, ch("trunk_twist")[:, 0])
    return np.einsum("nij,nkj->nki", r, p)


_FACE: dict[L, tuple[float, float, float]] = {
    L.NOSE: (0.10, 0.0, 0.0),
    L.LEFT_EYE_INNER: (0.085, 0.015, 0.035),
    L.LEFT_EYE: (0.08, 0.032, 0.035),
    L.LEFT_EYE_OUTER: (0.07, 0.045, 0.035),
    L.RIGHT_EYE_INNER: (0.085, -0.015, 0.035),
    L.RIGHT_EYE: (0.08, -0.032, 0.035),
    L.RIGHT_EYE_OUTER: (0.07, -0.045, 0.035),
    L.LEFT_EAR: (0.0, 0.075, 0.02),
    L.RIGHT_EAR: (0.0, -0.075, 0.02),
    L.MOUTH_LEFT: (0.085, 0.025, -0.04),
    L.MOUTH_RIGHT: (0.085, -0.025, -0.04),
}

_JOINT_CHANNELS = {"trunk_pitch", "trunk_roll", "trunk_twist"} | {
    f"{j}_{s}"
    for s in SIDES
    for j in ("hip_flex", "hip_abd", "knee_flex", "ankle", "arm_raise", "arm_plane", "elbow_flex")
}


# =========================================================================== filming


@dataclass(frozen=True)
class Capture:
    """How the body is filmed, and how a pose estimator's output is degraded.

    Attributes:
        fps: frames per second; frame i is at ``t0_s + i / fps``.
        width, height: frame size in pixels (sets the aspect ratio of ``image_xy``).
        view: ``"side"`` (the person faces the image's right, their right side toward the
            camera), ``"side_left"`` (faces the image's left), ``"front"`` (faces the camera),
            or a yaw in degrees (0 front, 90 side, −90 side_left).
        projection: ``"pinhole"`` (perspective) or ``"orthographic"``.
        fov_deg: field of view across the frame's longer side (sets the focal length; the
            same lens whether the frame is landscape or portrait).
        distance_m: camera to the body's anchor, metres; None = the closest distance at which
            the whole motion fits in ``fill`` of the frame.
        camera_height_m: height of the (level) camera above the floor; None = centred on the
            motion's vertical extent.
        noise_world_m: std of gaussian noise added to every world coordinate, metres.
        noise_image: std of gaussian noise on image coordinates, in units of the image
            height (x is scaled so the noise is isotropic in pixels); None = the world noise
            as seen at the body's distance.
        visibility, presence: per-landmark values of a clearly seen body.
        far_side_visibility: visibility of landmarks more than 5 cm farther from the camera
            than the mid-hip (the hidden side in a side view); None = ``visibility``.
        dropouts: (start_s, end_s) spans in which nobody is found: landmarks NaN,
            visibility/presence 0, ``n_people`` 0.
        out_of_frame: (start_s, end_s) spans in which ``out_of_frame_landmarks`` lie outside
            the picture with visibility ``out_of_frame_visibility`` (~0.7, as MediaPipe
            reports legs it invents beyond the frame edge).
        out_of_frame_direction: ``"below"`` the bottom edge, ``"side"`` past the left/right
            edge on the feet's side, or ``"auto"`` (below when standing, side when lying).
        invented_world: world coordinates of out-of-frame landmarks: ``"rest"`` = those of the
            first frame (plausible-looking, wrong), ``"true"`` = the real ones.
        identity_jumps: timestamps of frames flagged ``identity_jump`` (the estimator swapped
            people; the body itself does not change).
        t0_s: timestamp of the first frame (script time 0); spans above are in timestamps.
        stop_at_s: end the stream at this time (e.g. in the middle of a hold).
        seed: random seed; the same seed gives the same trace.
    """

    fps: float = 30.0
    width: int = 1280
    height: int = 720
    view: str | float = "side"
    projection: Literal["pinhole", "orthographic"] = "pinhole"
    fov_deg: float = 65.0
    distance_m: float | None = None
    camera_height_m: float | None = None
    fill: float = 0.85
    noise_world_m: float = 0.0
    noise_image: float | None = None
    visibility: float = 0.98
    presence: float = 0.99
    far_side_visibility: float | None = None
    dropouts: Sequence[tuple[float, float]] = ()
    out_of_frame: Sequence[tuple[float, float]] = ()
    out_of_frame_landmarks: Sequence[int] = LEG_LANDMARKS
    out_of_frame_visibility: float = 0.7
    out_of_frame_direction: Literal["auto", "below", "side"] = "auto"
    invented_world: Literal["rest", "true"] = "rest"
    identity_jumps: Sequence[float] = ()
    t0_s: float = 0.0
    stop_at_s: float | None = None
    seed: int = 0

    @property
    def aspect(self) -> float:
        return self.width / self.height

    @property
    def yaw_deg(self) -> float:
        if isinstance(self.view, int | float):
            return float(self.view)
        views = {"front": 0.0, "side": 90.0, "side_right": 90.0, "side_left": -90.0}
        if self.view not in views:
            raise ValueError(f"view {self.view!r}: use front, side, side_left or a yaw in degrees")
        return views[self.view]

    @property
    def focal_px(self) -> float:
        return 0.5 * max(self.width, self.height) / math.tan(math.radians(self.fov_deg) / 2)


_CAPTURE_FIELDS = frozenset(Capture.__dataclass_fields__)


def place_on_floor(
    points: np.ndarray, contact: Contact, body: Body = Body(), back_height_m: float = 0.10
) -> np.ndarray:
    """Gravity-frame landmarks (n, 33, 3), mid-hip origin → room coordinates (f, l, height).

    ``contact`` says what rests on the floor and stays put horizontally:
    ``"feet"`` — the lowest heel/toe on the floor, the heels' midpoint fixed (standing);
    ``"back"`` — the mid-shoulder at ``back_height_m`` and fixed (lying on the back);
    ``"lowest"`` — the lowest landmark on the floor, the mid-hip fixed (kneeling, all fours).
    """
    p = points.copy()
    if contact == "feet":
        feet = [L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX]
        ground = p[:, feet, 2].min(axis=1) - body.sole_m
        anchor = p[:, [L.LEFT_HEEL, L.RIGHT_HEEL], :2].mean(axis=1)
    elif contact == "back":
        mid_sh = p[:, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER]].mean(axis=1)
        ground = mid_sh[:, 2] - back_height_m
        anchor = mid_sh[:, :2]
    elif contact == "lowest":
        ground = p[:, :, 2].min(axis=1) - body.sole_m
        anchor = p[:, [L.LEFT_HIP, L.RIGHT_HIP], :2].mean(axis=1)
    else:
        raise ValueError(f"contact {contact!r}: use feet, back or lowest")
    p[..., :2] -= anchor[:, None, :]
    p[..., 2] -= ground[:, None]
    return p


def room_to_scene(room: np.ndarray, yaw_deg: float) -> np.ndarray:
    """Room (f, l, height) → scene (X right, Y down, Z away from the camera), anchor at X=Z=0.

    yaw 0: the person faces the camera (their left appears on the image's right);
    yaw 90: the person faces the image's right.
    """
    y = math.radians(yaw_deg)
    heading = np.array([math.sin(y), 0.0, -math.cos(y)])  # scene direction the person faces
    up = np.array([0.0, -1.0, 0.0])
    left = np.cross(up, heading)  # l = u × f
    m = np.stack([heading, left, up], axis=1)  # columns: images of f, l, u
    return room @ m.T


@dataclass(frozen=True, slots=True)
class Framing:
    """Where the virtual camera ended up: scene point in the image centre, and distance."""

    center_x_m: float
    center_y_m: float
    distance_m: float


def frame_camera(scene: np.ndarray, cap: Capture) -> Framing:
    """Level camera looking along +Z at the motion: centred on it, at ``cap.distance_m`` or
    at the closest distance that keeps the whole motion inside ``cap.fill`` of the frame."""
    xs, ys, zs = scene[..., 0], scene[..., 1], scene[..., 2]
    cx = 0.5 * (float(np.nanmin(xs)) + float(np.nanmax(xs)))
    cy = 0.5 * (float(np.nanmin(ys)) + float(np.nanmax(ys)))
    if cap.camera_height_m is not None:
        cy = -cap.camera_height_m
    if cap.distance_m is not None:
        return Framing(cx, cy, cap.distance_m)
    f = cap.focal_px
    half_w, half_h = 0.5 * cap.fill * cap.width, 0.5 * cap.fill * cap.height
    if cap.projection == "orthographic":
        zs = np.zeros_like(zs)
    need = np.maximum(f * np.abs(xs - cx) / half_w, f * np.abs(ys - cy) / half_h) - zs
    return Framing(cx, cy, max(1.0, float(np.nanmax(need))))


def project(scene: np.ndarray, cap: Capture, fr: Framing) -> np.ndarray:
    """Scene points (..., 3) → normalized image x,y (..., 2)."""
    f = cap.focal_px
    x = scene[..., 0] - fr.center_x_m
    y = scene[..., 1] - fr.center_y_m
    z = scene[..., 2] + fr.distance_m if cap.projection == "pinhole" else fr.distance_m
    u = 0.5 * cap.width + f * x / z
    v = 0.5 * cap.height + f * y / z
    return np.stack([u / cap.width, v / cap.height], axis=-1)


def render(
    joints: Mapping[str, ArrayLike],
    t_s: np.ndarray,
    contact: Contact,
    capture: Capture = Capture(),
    body: Body = Body(),
    meta_extra: Mapping[str, object] | None = None,
    source: str = "synthetic",
) -> PoseTrace:
    """Joint channels sampled at times ``t_s`` ((T,) seconds) → a degraded PoseTrace.

    Shapes and units of the result: ``t_s`` (T,) s; ``image_xy`` (T, 33, 2) normalized;
    ``world_xyz`` (T, 33, 3) metres, mid-hip origin, y down; ``visibility``/``presence``
    (T, 33) in [0, 1]; ``n_people`` (T,) int16; ``identity_jump`` (T,) bool. Float arrays are
    float32 like traces recorded from MediaPipe.
    """
    cap = capture
    t = np.asarray(t_s, dtype=np.float64)
    n = t.shape[0]
    rng = np.random.default_rng(cap.seed)
    grav = skeleton(joints, n, body)
    scene = room_to_scene(place_on_floor(grav, contact, body), cap.yaw_deg)
    fr = frame_camera(scene, cap)
    image = project(scene, cap, fr)
    mid_hip = scene[:, [L.LEFT_HIP, L.RIGHT_HIP]].mean(axis=1, keepdims=True)
    world = scene - mid_hip

    vis = np.full((n, N_LANDMARKS), cap.visibility)
    if cap.far_side_visibility is not None:
        vis[scene[..., 2] > mid_hip[..., 2] + 0.05] = cap.far_side_visibility
    pres = np.full((n, N_LANDMARKS), cap.presence)
    outside = np.any((image < 0.0) | (image > 1.0), axis=-1)
    vis[outside] = np.minimum(vis[outside], cap.out_of_frame_visibility)

    # Legs out of the picture, still reported (with invented world coordinates).
    lms = np.asarray(cap.out_of_frame_landmarks, dtype=np.intp)
    direction = cap.out_of_frame_direction
    if direction == "auto":
        direction = "below" if contact == "feet" else "side"
    margin = 0.03
    for t0, t1 in cap.out_of_frame:
        sel = (t >= t0) & (t < t1)
        if not sel.any() or lms.size == 0:
            continue
        img = image[sel][:, lms]
        if direction == "below":
            img[..., 1] += np.maximum(0.0, 1.0 + margin - img[..., 1].min(axis=1))[:, None]
        else:
            feet_right = image[sel][:, [L.LEFT_ANKLE, L.RIGHT_ANKLE], 0].mean(axis=1) >= image[sel][
                :, [L.LEFT_HIP, L.RIGHT_HIP], 0
            ].mean(axis=1)
            push_r = np.maximum(0.0, 1.0 + margin - img[..., 0].min(axis=1))
            push_l = np.maximum(0.0, img[..., 0].max(axis=1) + margin)
            img[..., 0] += np.where(feet_right, push_r, -push_l)[:, None]
        image[np.ix_(sel, lms)] = img
        vis[np.ix_(sel, lms)] = cap.out_of_frame_visibility
        if cap.invented_world == "rest":
            world[np.ix_(sel, lms)] = world[0, lms]

    if cap.noise_world_m > 0:
        world = world + rng.normal(0.0, cap.noise_world_m, world.shape)
    noise_img = cap.noise_image
    if noise_img is None:
        noise_img = cap.noise_world_m * cap.focal_px / (fr.distance_m * cap.height)
    if noise_img > 0:
        noise = rng.normal(0.0, noise_img, image.shape)
        noise[..., 0] /= cap.aspect
        image = image + noise

    people = np.ones(n, dtype=np.int16)
    for t0, t1 in cap.dropouts:
        sel = (t >= t0) & (t < t1)
        image[sel] = np.nan
        world[sel] = np.nan
        vis[sel] = 0.0
        pres[sel] = 0.0
        people[sel] = 0

    jump = np.zeros(n, dtype=bool)
    for tj in cap.identity_jumps:
        i = int(np.searchsorted(t, tj))  # the first frame at or after tj
        if i < n:
            jump[i] = True

    keep = np.ones(n, dtype=bool) if cap.stop_at_s is None else t <= cap.stop_at_s + 1e-9
    extra = {
        "seed": cap.seed,
        "view": cap.view,
        "projection": cap.projection,
        "distance_m": fr.distance_m,
        "contact": contact,
        **(meta_extra or {}),
    }
    return PoseTrace(
        t[keep].copy(),
        image[keep].astype(np.float32),
        world[keep].astype(np.float32),
        vis[keep].astype(np.float32),
        pres[keep].astype(np.float32),
        people[keep],
        jump[keep],
        TraceMeta(source=source, model="synthetic", fps=cap.fps, width=cap.width, height=cap.height, extra=extra),
    )


def frame_times(motion: Motion, fps: float, tail_s: float = 0.0) -> np.ndarray:
    """Sample times covering the whole motion (plus ``tail_s``) at ``fps``, in script time."""
    n = math.floor((motion.duration_s + tail_s) * fps + 1e-9) + 1
    return motion.t0_s + np.arange(n) / fps


def render_motion(
    motion: Motion,
    poser: Callable[[Mapping[str, np.ndarray]], Mapping[str, ArrayLike]] | None,
    contact: Contact,
    capture: Capture = Capture(),
    body: Body = Body(),
    source: str = "synthetic",
    meta_extra: Mapping[str, object] | None = None,
) -> PoseTrace:
    """Sample a Motion at the capture's frame rate, pose it (``poser`` maps the script's
    channels to joint channels; None = the script already uses joint channel names) and
    :func:`render` it. ``meta.extra`` records the script's reps and holds."""
    t = frame_times(motion, capture.fps)
    ch = motion.sample(t)
    joints = poser(ch) if poser is not None else ch
    off = capture.t0_s
    reps = [
        replace(r, start_s=r.start_s + off, hold_start_s=r.hold_start_s + off, hold_end_s=r.hold_end_s + off,
                end_s=r.end_s + off)
        for r in motion.reps
    ]  # fmt: skip
    extra = {"reps": reps, "holds": [(a + off, b + off) for a, b in motion.spans("hold")], **(meta_extra or {})}
    return render(joints, t + off, contact, capture, body, extra, source)


# =========================================================================== exercises
#
# Each exercise has a ``<name>_motion(...)`` building its script (channels in the
# exercise's own terms), a poser turning those channels into joint angles, and a
# ``<name>(capture=None, body=Body(), **options)`` returning the PoseTrace; ``options`` are
# the motion function's parameters and any Capture field (``fps=60``, ``noise_world_m=0.01``).


def add_rep(
    m: Motion,
    out: Mapping[str, float],
    back: Mapping[str, float],
    *,
    out_s: float | None = None,
    out_speed: float | None = None,
    hold_s: float = 0.0,
    back_s: float | None = None,
    back_speed: float | None = None,
    rest_s: float = 0.0,
    ease: Ease = "cosine",
    side: str | None = None,
) -> Motion:
    """One repetition: move to ``out`` (over ``out_s`` or at peak ``out_speed``), hold,
    move to ``back``, rest. Recorded in ``m.reps`` with its phase times."""
    t_start = m.end_s
    m.move(out, out_s if out_speed is None else None, speed=out_speed, ease=ease, label="out")
    t_hold = m.end_s
    m.hold(hold_s)
    t_back = m.end_s
    m.move(back, back_s if back_speed is None else None, speed=back_speed, ease=ease, label="back")
    t_end = m.end_s
    m.rest(rest_s)
    m.reps.append(RepScript(len(m.reps) + 1, side, t_start, t_hold, t_back, t_end))
    return m


@dataclass(frozen=True, slots=True)
class RepScript:
    """Times of one scripted repetition: it leaves rest at ``start_s``, reaches the target
    at ``hold_start_s``, starts back at ``hold_end_s`` and is back at ``end_s``."""

    index: int
    side: str | None
    start_s: float
    hold_start_s: float
    hold_end_s: float
    end_s: float

    @property
    def hold_mid_s(self) -> float:
        return 0.5 * (self.hold_start_s + self.hold_end_s)


def _split_options(options: Mapping[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    cap = {k: v for k, v in options.items() if k in _CAPTURE_FIELDS}
    rest = {k: v for k, v in options.items() if k not in _CAPTURE_FIELDS}
    return cap, rest


def _capture(capture: Capture | None, options: Mapping[str, object]) -> Capture:
    return replace(capture or Capture(), **options)


# ---------------------------------------------------------------- wall squat


def wall_squat_motion(
    reps: int = 10,
    depth_deg: float = 45.0,
    hold_s: float = 5.0,
    down_s: float = 2.0,
    up_s: float = 3.0,
    down_speed: float | None = None,
    up_speed: float | None = None,
    rest_s: float = 2.0,
    lean_deg: float = 0.0,
    start_s: float = 2.0,
    ease: Ease = "cosine",
) -> Motion:
    """Wall squats: knee flexion (channel ``knee``) 0 → ``depth_deg``, hold, back to 0.

    ``lean_deg`` tilts the trunk forward (off the wall) in step with the knees; speeds are
    peak knee angular speeds in deg/s and override the durations.
    """
    m = Motion({"knee": 0.0, "lean": 0.0}).rest(start_s)
    for _ in range(reps):
        add_rep(
            m, {"knee": depth_deg, "lean": lean_deg}, {"knee": 0.0, "lean": 0.0},
            out_s=down_s, out_speed=down_speed, hold_s=hold_s, back_s=up_s, back_speed=up_speed,
            rest_s=rest_s, ease=ease,
        )  # fmt: skip
    return m


def wall_squat_pose(
    ch: Mapping[str, np.ndarray], shank_share: float = 0.5, body: Body = Body()
) -> dict[str, ArrayLike]:
    """Wall squat channels → joints: both knees flex by ``knee``; the shins take
    ``shank_share`` of it (knees ahead of the ankles), feet flat, trunk pitched by ``lean``."""
    knee, lean = ch["knee"], ch.get("lean", 0.0)
    shank_tilt = shank_share * knee
    hip = knee - shank_tilt + lean
    ankle = flat_foot_ankle_deg(shank_tilt, body)
    out: dict[str, ArrayLike] = {"trunk_pitch": lean}
    for s in SIDES:
        out |= {f"knee_flex_{s}": knee, f"hip_flex_{s}": hip, f"ankle_{s}": ankle}
        out |= {f"arm_raise_{s}": 8.0, f"elbow_flex_{s}": 10.0}
    return out


def wall_squat(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Wall squats filmed from the side (by default); see :func:`wall_squat_motion`."""
    cap_opts, motion_opts = _split_options(options)
    shank_share = float(motion_opts.pop("shank_share", 0.5))  # type: ignore[arg-type]
    motion = wall_squat_motion(**motion_opts)  # type: ignore[arg-type]
    return render_motion(
        motion, lambda ch: wall_squat_pose(ch, shank_share, body), "feet", _capture(capture, cap_opts), body,
        "synthetic:wall_squat",
    )  # fmt: skip


# ---------------------------------------------------------------- lying on the back


def supine_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    """Lying on the back. Per side: ``lift_{s}`` (hip→ankle line from the trunk line, deg, as
    ``leg_lift_{s}_deg`` reads it; with a flat trunk 0 = heel on the floor) and ``knee_{s}``
    (knee flexion); optional ``ankle_{s}``, ``arm_raise_{s}``; ``incline`` raises the
    shoulders above the hips by that many degrees (real people lying down read 3-8°: the
    shoulder landmarks sit higher off the floor than the hip joints), so a leg flat on the
    floor has ``lift = -incline``. Arms lie along the body by default."""
    out: dict[str, ArrayLike] = {"trunk_pitch": -90.0 + ch.get("incline", 0.0)}
    for s in SIDES:
        lift, knee = ch.get(f"lift_{s}", 0.0), ch.get(f"knee_{s}", 0.0)
        out[f"hip_flex_{s}"] = hip_flex_for_lift_deg(lift, knee, body)
        out[f"knee_flex_{s}"] = knee
        out[f"arm_raise_{s}"] = ch.get(f"arm_raise_{s}", 12.0)
        if f"ankle_{s}" in ch:
            out[f"ankle_{s}"] = ch[f"ankle_{s}"]
    return out


def straight_leg_raise_motion(
    reps: int = 10,
    side: str | Sequence[str] = "left",
    lift_deg: float = 20.0,
    hold_s: float = 5.0,
    up_s: float = 2.0,
    down_s: float = 3.0,
    up_speed: float | None = None,
    down_speed: float | None = None,
    rest_s: float = 2.0,
    knee_bend_deg: float = 0.0,
    other_knee_deg: float = 90.0,
    switch_s: float = 3.0,
    start_s: float = 2.0,
    incline_deg: float = 0.0,
    ease: Ease = "cosine",
) -> Motion:
    """Straight leg raises: the raised leg's ``lift_{s}`` from the floor (``-incline_deg``, see
    :func:`supine_pose`) to ``lift_deg`` from the trunk line (20° ≈ 30 cm at the ankle), held,
    lowered; its knee flexed ``knee_bend_deg`` while up; the other knee bent
    ``other_knee_deg`` with its foot on the floor. Changing sides swaps the legs over
    ``switch_s`` (knees only, both heels on the floor). Speeds are peak lift speeds (deg/s)
    and override the durations."""
    sides = rep_sides(side, reps)
    first = sides[0] if sides else "left"
    other = "right" if first == "left" else "left"
    floor = -incline_deg
    m = Motion(
        {f"lift_{first}": floor, f"knee_{first}": 0.0, f"lift_{other}": floor, f"knee_{other}": other_knee_deg}
        | {"incline": incline_deg}
    )
    m.rest(start_s)
    cur = first
    for s in sides:
        o = "right" if s == "left" else "left"
        if s != cur:
            m.move({f"knee_{s}": 0.0, f"knee_{o}": other_knee_deg}, switch_s, label="switch").rest(1.0)
            cur = s
        add_rep(
            m, {f"lift_{s}": lift_deg, f"knee_{s}": knee_bend_deg}, {f"lift_{s}": floor, f"knee_{s}": 0.0},
            out_s=up_s, out_speed=up_speed, hold_s=hold_s, back_s=down_s, back_speed=down_speed,
            rest_s=rest_s, ease=ease, side=s,
        )  # fmt: skip
    return m


def straight_leg_raise(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Straight leg raises lying on the back, side view; see :func:`straight_leg_raise_motion`."""
    cap_opts, motion_opts = _split_options(options)
    motion = straight_leg_raise_motion(**motion_opts)  # type: ignore[arg-type]
    return render_motion(
        motion, lambda ch: supine_pose(ch, body), "back", _capture(capture, cap_opts), body,
        "synthetic:straight_leg_raise",
    )  # fmt: skip


def heel_slide_motion(
    reps: int = 10,
    side: str | Sequence[str] = "left",
    peak_deg: float = 90.0,
    hold_s: float = 0.5,
    bend_s: float = 4.0,
    straighten_s: float = 4.0,
    bend_speed: float | None = None,
    straighten_speed: float | None = None,
    rest_s: float = 2.0,
    other_knee_deg: float = 0.0,
    start_s: float = 2.0,
    incline_deg: float = 0.0,
    ease: Ease = "cosine",
) -> Motion:
    """Heel slides: the sliding leg's knee 0 → ``peak_deg`` → 0 with the heel on the floor
    (``lift`` stays at ``-incline_deg``, see :func:`supine_pose`); the other knee stays at
    ``other_knee_deg``. Speeds are peak knee angular speeds (deg/s) and override the
    durations."""
    sides = rep_sides(side, reps)
    floor = -incline_deg
    m = Motion({"lift_left": floor, "lift_right": floor, "knee_left": 0.0, "knee_right": 0.0, "incline": incline_deg})
    m.rest(start_s)
    for s in sides:
        o = "right" if s == "left" else "left"
        if other_knee_deg and m.values[f"knee_{o}"] != other_knee_deg:
            m.move({f"knee_{o}": other_knee_deg, f"knee_{s}": 0.0}, 3.0, label="switch").rest(1.0)
        add_rep(
            m, {f"knee_{s}": peak_deg}, {f"knee_{s}": 0.0},
            out_s=bend_s, out_speed=bend_speed, hold_s=hold_s, back_s=straighten_s, back_speed=straighten_speed,
            rest_s=rest_s, ease=ease, side=s,
        )  # fmt: skip
    return m


def heel_slide(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Heel slides lying on the back, side view; see :func:`heel_slide_motion`."""
    cap_opts, motion_opts = _split_options(options)
    motion = heel_slide_motion(**motion_opts)  # type: ignore[arg-type]
    return render_motion(
        motion, lambda ch: supine_pose(ch, body), "back", _capture(capture, cap_opts), body,
        "synthetic:heel_slide",
    )  # fmt: skip


def concat(traces: Iterable[PoseTrace], gap_s: float = 0.0) -> PoseTrace:
    """Join traces end to end (timestamps shifted to follow each other), e.g. to build a
    54,000-frame session from one set. All traces must share frame size."""
    parts = list(traces)
    if not parts:
        raise ValueError("nothing to concatenate")
    ts, off = [], 0.0
    for tr in parts:
        dt = 1.0 / tr.meta.fps if tr.meta.fps else 0.0
        ts.append(tr.t_s - tr.t_s[0] + off)
        off = ts[-1][-1] + dt + gap_s
    first = parts[0]
    meta = replace(first.meta, extra={**first.meta.extra, "concatenated": len(parts)})
    return PoseTrace(
        np.concatenate(ts),
        np.concatenate([p.image_xy for p in parts]),
        np.concatenate([p.world_xyz for p in parts]),
        np.concatenate([p.visibility for p in parts]),
        np.concatenate([p.presence for p in parts]),
        np.concatenate([p.n_people for p in parts]),
        np.concatenate([p.identity_jump for p in parts]),
        meta,
    )


__all__ = [
    "LEG_LANDMARKS",
    "PEAK_FACTOR",
    "Body",
    "Capture",
    "Framing",
    "Motion",
    "RepScript",
    "add_rep",
    "ankle_neutral_deg",
    "concat",
    "flat_foot_ankle_deg",
    "frame_camera",
    "frame_times",
    "heel_slide",
    "heel_slide_motion",
    "hip_flex_for_lift_deg",
    "lift_height_cm",
    "place_on_floor",
    "project",
    "render",
    "render_motion",
    "rep_sides",
    "room_to_scene",
    "skeleton",
    "straight_leg_raise",
    "straight_leg_raise_motion",
    "supine_pose",
    "wall_squat",
    "wall_squat_motion",
    "wall_squat_pose",
]


# =========================================================================== exercise catalog
# ---------------------------------------------------------------- the rest of the exercise catalog
#
# One generator per catalog exercise, in the same three layers as above: ``<name>_motion``
# scripts the exercise's own channels, a poser turns them into joints, and ``<name>(capture,
# body, **options)`` renders the trace (its default view is the exercise's best view). Every
# fault a checker names has a motion option that produces it.


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def _render(
    motion: Motion, poser, contact: str, options: Mapping[str, object], body: Body, name: str, view: str
) -> PoseTrace:
    cap_opts, _ = _split_options(options)
    cap_opts.setdefault("view", view)
    return render_motion(motion, poser, contact, _capture(None, cap_opts), body, f"synthetic:{name}")  # type: ignore[arg-type]


def _motion_opts(options: Mapping[str, object]) -> dict[str, object]:
    return _split_options(options)[1]


# ---------------------------------------------------------------- standing


def squat_motion(
    reps: int = 10,
    depth_deg: float = 90.0,
    lean_ratio: float = 0.35,
    hold_s: float = 0.5,
    down_s: float = 1.5,
    up_s: float = 1.5,
    rest_s: float = 1.5,
    start_s: float = 2.0,
    ease: Ease = "cosine",
) -> Motion:
    """Squats: knee flexion (``knee``) 0 → ``depth_deg`` → 0, the trunk leaning forward by
    ``lean_ratio`` of the knee angle (~0.35 in a normal squat; 0.75 at 90° is chest dropping)."""
    m = Motion({"knee": 0.0, "lean": 0.0}).rest(start_s)
    for _ in range(reps):
        add_rep(
            m, {"knee": depth_deg, "lean": lean_ratio * depth_deg}, {"knee": 0.0, "lean": 0.0},
            out_s=down_s, hold_s=hold_s, back_s=up_s, rest_s=rest_s, ease=ease,
        )  # fmt: skip
    return m


def squat(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Squats filmed from the side (by default); see :func:`squat_motion`."""
    motion = squat_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: wall_squat_pose(ch, 0.5, body), "feet", options, body, "squat", "side")


def deep_squat(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Deep squats filmed from the side (by default): knees to 130°, the shins taking 30 % of
    it (thighs past horizontal, feet flat), the trunk leaning 35°; see :func:`squat_motion`
    (``depth_deg``, ``lean_ratio``...)."""
    opts = {"depth_deg": 130.0, "lean_ratio": 0.27, **_motion_opts(options)}
    motion = squat_motion(**opts)  # type: ignore[arg-type]
    return _render(motion, lambda ch: wall_squat_pose(ch, 0.3, body), "feet", options, body, "deep_squat", "side")


def standing_leg_raise_motion(
    reps: int = 10,
    side: str | Sequence[str] = "right",
    lift_deg: float = 90.0,
    knee_deg: float = 0.0,
    lean_deg: float = 0.0,
    hold_s: float = 0.5,
    up_s: float = 1.2,
    down_s: float = 1.2,
    rest_s: float = 1.0,
    start_s: float = 2.0,
) -> Motion:
    """Standing straight leg raises: the raised leg's hip flexes to ``lift_deg`` (``lift``),
    its knee bends ``knee_deg``; the trunk leans forward over the hips by ``lean_deg``."""
    sides = rep_sides(side, reps)
    m = Motion({"lift": 0.0, "knee": 0.0, "lean": 0.0, "left": 0.0})
    m.set({"left": 1.0 if sides and sides[0] == "left" else 0.0}).rest(start_s)
    for s in sides:
        m.set({"left": 1.0 if s == "left" else 0.0})
        add_rep(m, {"lift": lift_deg, "knee": knee_deg, "lean": lean_deg}, {"lift": 0.0, "knee": 0.0, "lean": 0.0},
                out_s=up_s, hold_s=hold_s, back_s=down_s, rest_s=rest_s, side=s)  # fmt: skip
    return m


def standing_leg_raise_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    """Standing leg raise channels → joints: the standing leg stays vertical in the room
    (its hip flexes by the trunk's lean), the raised one flexes by ``lift`` beyond that."""
    lean, left = ch.get("lean", 0.0), ch["left"] > 0.5
    out: dict[str, ArrayLike] = {"trunk_pitch": lean}
    for s in SIDES:
        raised = left if s == "left" else ~left
        out[f"hip_flex_{s}"] = lean + np.where(raised, ch["lift"], 0.0)
        out[f"knee_flex_{s}"] = np.where(raised, ch["knee"], 0.0)
        out[f"arm_raise_{s}"] = 10.0
    return out


def standing_leg_raise(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Standing straight leg raises, side view by default; see :func:`standing_leg_raise_motion`."""
    motion = standing_leg_raise_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: standing_leg_raise_pose(ch, body), "lowest", options, body,
                   "standing_leg_raise", "side")  # fmt: skip


def lunge_motion(
    reps: int = 10,
    side: str | Sequence[str] = "right",
    depth_deg: float = 90.0,
    stance: str = "hip_width",
    lean_deg: float = 5.0,
    hold_s: float = 0.5,
    down_s: float = 1.5,
    up_s: float = 1.5,
    rest_s: float = 1.5,
    start_s: float = 2.0,
    step_s: float = 1.0,
) -> Motion:
    """Split squats / lunges: ``side`` is the FRONT leg. Both knees bend to ``depth_deg``
    (``knee``); the front thigh comes forward to horizontal, the back thigh stays under or
    behind the hip. ``stance="in_line"`` puts both feet on one line (the narrow-stance fault);
    ``lean_deg`` tilts the trunk forward at the bottom. Changing the front leg is a step of
    ``step_s``: the legs pass each other (as real legs do; they never jump)."""
    sides = rep_sides(side, reps)
    m = Motion({"knee": 0.0, "lean": 0.0, "front_left": 0.0, "narrow": 1.0 if stance == "in_line" else 0.0})
    m.set({"front_left": 1.0 if sides and sides[0] == "left" else 0.0}).rest(start_s)
    for s in sides:
        front_left = 1.0 if s == "left" else 0.0
        if m.values["front_left"] != front_left:
            m.move({"front_left": front_left}, step_s, label="step")
        add_rep(m, {"knee": depth_deg, "lean": lean_deg}, {"knee": 0.0, "lean": 0.0},
                out_s=down_s, hold_s=hold_s, back_s=up_s, rest_s=rest_s, side=s)  # fmt: skip
    return m


def lunge_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    """Lunge channels → joints. In the split stance (knees straight) the front thigh is 20°
    forward and the back one 15° behind; at depth the front thigh is forward by the knee
    angle (shin vertical) and the back one stays ~15° behind, its shin level behind it."""
    k, lean = ch["knee"], ch.get("lean", 0.0)
    f = np.clip(ch["front_left"], 0.0, 1.0)  # how far the left leg is the front one (a step: 0 → 1)
    adduct = -9.0 * ch.get("narrow", 0.0)  # ~hip half-width / leg length: the feet meet the midline
    front = {"hip": 20.0 + (k / 90.0) * 70.0 + lean, "knee": k}
    back = {"hip": -15.0 + lean, "knee": k}
    out: dict[str, ArrayLike] = {"trunk_pitch": lean}
    for s in SIDES:
        w = f if s == "left" else 1.0 - f
        out[f"hip_flex_{s}"] = w * front["hip"] + (1.0 - w) * back["hip"]
        out[f"knee_flex_{s}"] = w * front["knee"] + (1.0 - w) * back["knee"]
        out[f"hip_abd_{s}"] = adduct
        out[f"arm_raise_{s}"] = 10.0
    return out


def lunge(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Lunges / split squats, side view by default; see :func:`lunge_motion`."""
    motion = lunge_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: lunge_pose(ch, body), "feet", options, body, "lunge", "side")


def sit_to_stand_motion(
    reps: int = 10,
    depth_deg: float = 95.0,
    lean_deg: float = 35.0,
    valgus_m: float = 0.0,
    uneven_deg: float = 0.0,
    roll_deg: float = 0.0,
    stagger_deg: float = 0.0,
    hold_s: float = 0.5,
    down_s: float = 1.5,
    up_s: float = 1.2,
    rest_s: float = 1.0,
    start_s: float = 2.0,
) -> Motion:
    """Sit to stand, from standing: the knees bend to ``depth_deg`` (``knee``: seated on a
    chair, thighs about horizontal) and straighten again, the trunk leaning ``lean_deg`` at
    the bottom. The faults: ``valgus_m`` moves each knee that far toward the midline at the
    bottom (``valgus``), ``uneven_deg`` bends the left knee that much less (``uneven``),
    ``roll_deg`` tilts the body left side down (``roll``), ``stagger_deg`` puts the left
    thigh that much ahead of the right one (``stagger``: one foot forward)."""
    rest = {"knee": 0.0, "lean": 0.0, "valgus": 0.0, "uneven": 0.0, "roll": 0.0, "stagger": 0.0}
    top = {"knee": depth_deg, "lean": lean_deg, "valgus": valgus_m, "uneven": uneven_deg, "roll": roll_deg,
           "stagger": stagger_deg}  # fmt: skip
    m = Motion(rest).rest(start_s)
    for _ in range(reps):
        add_rep(m, top, rest, out_s=down_s, hold_s=hold_s, back_s=up_s, rest_s=rest_s)
    return m


def sit_to_stand_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    """Sit-to-stand channels → joints: a squat whose shins take 10 % of the knee angle (seated,
    the shins nearly vertical), plus the fault channels of :func:`sit_to_stand_motion` that are
    joint angles (``valgus`` moves landmarks: :func:`sit_to_stand_valgus`)."""
    out = dict(wall_squat_pose(ch, 0.1, body))
    uneven, stagger = ch.get("uneven", 0.0), ch.get("stagger", 0.0)
    out["knee_flex_left"] = ch["knee"] - uneven
    out["hip_flex_left"] = np.asarray(out["hip_flex_left"]) + stagger  # the thigh and the foot ahead
    out["trunk_roll"] = ch.get("roll", 0.0)
    return out


def sit_to_stand_valgus(pos: np.ndarray, ch: Mapping[str, np.ndarray]) -> np.ndarray:
    """(T, 33, 3) skeleton positions with each knee moved ``ch["valgus"]`` metres toward the midline."""
    inward = np.asarray(ch.get("valgus", 0.0)) * np.ones(pos.shape[0])
    pos = pos.copy()
    pos[:, L.LEFT_KNEE, 1] -= inward
    pos[:, L.RIGHT_KNEE, 1] += inward
    return pos


def sit_to_stand(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Sit to stand filmed from the side (by default); see :func:`sit_to_stand_motion`."""
    motion = sit_to_stand_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: sit_to_stand_pose(ch, body), "feet", options, body, "sit_to_stand", "side")


def inline_lunge_motion(
    reps: int = 10,
    depth_deg: float = 100.0,
    split_deg: float = 95.0,
    lean_deg: float = 3.0,
    front: str = "right",
    hold_s: float = 0.4,
    down_s: float = 1.2,
    up_s: float = 1.2,
    rest_s: float = 1.0,
    start_s: float = 2.0,
) -> Motion:
    """Inline lunges from a split stance (feet on one line, ``front`` leg ahead, thighs 30°
    apart, knees bent 10°): both knees bend to ``depth_deg`` (``knee``) while the thighs open
    to ``split_deg`` (``split``: a short step keeps it small) and the trunk leans ``lean_deg``
    forward (``lean``)."""
    rest = {"knee": 10.0, "split": 30.0, "lean": 0.0, "front_left": 1.0 if front == "left" else 0.0}
    m = Motion(rest).rest(start_s)
    for _ in range(reps):
        add_rep(m, {"knee": depth_deg, "split": split_deg, "lean": lean_deg}, {"knee": 10.0, "split": 30.0,
                "lean": 0.0}, out_s=down_s, hold_s=hold_s, back_s=up_s, rest_s=rest_s)  # fmt: skip
    return m


def inline_lunge_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    """Inline lunge channels → joints: the front thigh takes 65 % of the split forward, the back
    thigh 35 % behind (in the room: ``lean`` is added to keep them there), both knees bend by
    ``knee``, the feet meet the midline (one line)."""
    k, split, lean = ch["knee"], ch["split"], ch.get("lean", 0.0)
    front_left = np.asarray(ch["front_left"]) > 0.5
    out: dict[str, ArrayLike] = {"trunk_pitch": lean}
    for s in SIDES:
        is_front = front_left if s == "left" else ~front_left
        out[f"hip_flex_{s}"] = np.where(is_front, 0.65 * split, -0.35 * split) + lean
        out[f"knee_flex_{s}"] = k
        out[f"hip_abd_{s}"] = -9.0  # ~hip half-width / leg length: the feet on one line
        out[f"arm_raise_{s}"] = 10.0
    return out


def inline_lunge(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Inline lunges filmed from the side (by default); see :func:`inline_lunge_motion`."""
    motion = inline_lunge_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: inline_lunge_pose(ch, body), "feet", options, body, "inline_lunge", "side")


def heel_raise_motion(
    reps: int = 10,
    lift_deg: float = 30.0,
    up_s: float = 1.5,
    down_s: float = 1.5,
    hold_s: float = 1.0,
    rest_s: float = 1.5,
    roll_deg: float = 0.0,
    uneven_deg: float = 0.0,
    knee_bend_deg: float = 0.0,
    start_s: float = 3.0,
) -> Motion:
    """Heel raises: both ankles plantar-flex by ``lift_deg`` (``lift``; 30° ≈ 7 cm of heel
    lift) and back. Faults: ``roll_deg`` tilts the body sideways during the raise (weight on
    one leg), ``uneven_deg`` lifts the right heel that much less, ``knee_bend_deg`` bends the
    knees during the raise."""
    m = Motion({"lift": 0.0, "roll": 0.0, "uneven": 0.0, "bend": 0.0}).rest(start_s)
    for _ in range(reps):
        add_rep(
            m, {"lift": lift_deg, "roll": roll_deg, "uneven": uneven_deg, "bend": knee_bend_deg},
            {"lift": 0.0, "roll": 0.0, "uneven": 0.0, "bend": 0.0},
            out_s=up_s, hold_s=hold_s, back_s=down_s, rest_s=rest_s,
        )  # fmt: skip
    return m


def heel_raise_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    neutral = ankle_neutral_deg(body)
    out: dict[str, ArrayLike] = {"trunk_roll": ch.get("roll", 0.0)}
    for s in SIDES:
        lift = ch["lift"] - (ch.get("uneven", 0.0) if s == "right" else 0.0)
        bend = ch.get("bend", 0.0)
        out |= {f"ankle_{s}": neutral + lift, f"knee_flex_{s}": bend, f"hip_flex_{s}": 0.5 * bend}
        out |= {f"arm_raise_{s}": 8.0, f"elbow_flex_{s}": 10.0}
    return out


def heel_raise(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Heel raises facing the camera (by default); see :func:`heel_raise_motion`."""
    motion = heel_raise_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: heel_raise_pose(ch, body), "feet", options, body, "heel_raise", "front")


def toe_touch_motion(
    fold_deg: float = 120.0, down_s: float = 3.0, hold_s: float = 35.0, up_s: float = 3.0, start_s: float = 3.0
) -> Motion:
    """A standing toe touch: the trunk folds forward at the hips by ``fold_deg`` (``fold``),
    arms hanging, held, back up. 120° brings the hands to the shins."""
    m = Motion({"fold": 0.0}).rest(start_s)
    return add_rep(m, {"fold": fold_deg}, {"fold": 0.0}, out_s=down_s, hold_s=hold_s, back_s=up_s, rest_s=2.0)


def toe_touch_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    fold = ch["fold"]
    out: dict[str, ArrayLike] = {"trunk_pitch": fold}
    for s in SIDES:
        out |= {f"hip_flex_{s}": fold, f"arm_raise_{s}": fold, f"knee_flex_{s}": 0.0}  # arms hang down
    return out


def toe_touch(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """A standing forward fold, side view (by default); see :func:`toe_touch_motion`."""
    motion = toe_touch_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: toe_touch_pose(ch, body), "feet", options, body, "toe_touch", "side")


# ---------------------------------------------------------------- sitting, kneeling, all fours


def swiss_ball_motion(
    reps: int = 10,
    side: str | Sequence[str] = "alternating",
    knee_lift_deg: float = 30.0,
    arm: str = "opposite",
    arm_deg: float = 170.0,
    up_s: float = 1.5,
    hold_s: float = 1.5,
    down_s: float = 1.5,
    rest_s: float = 1.5,
    start_s: float = 3.0,
) -> Motion:
    """Sitting on a ball: the ``side`` knee lifts (hip flexion +``knee_lift_deg``, knee at a
    right angle) while an arm rises to ``arm_deg`` — the ``"opposite"`` one, or the ``"same"``
    one (the fault), or ``"none"``."""
    sides = rep_sides(side, reps)
    m = Motion({f"{c}_{s}": 0.0 for c in ("lift", "arm") for s in SIDES}).rest(start_s)
    for s in sides:
        arm_side = {"opposite": _other(s), "same": s}.get(arm)
        out = {f"lift_{s}": knee_lift_deg} | ({f"arm_{arm_side}": arm_deg} if arm_side else {})
        back = dict.fromkeys(out, 0.0)
        add_rep(m, out, back, out_s=up_s, hold_s=hold_s, back_s=down_s, rest_s=rest_s, side=s)
    return m


def sitting_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    """Sitting upright, thighs level and shins vertical (hips and knees at 90°), feet flat;
    ``lift_{s}`` raises a knee (hip flexion), ``arm_{s}`` raises an arm (0 = at the side)."""
    out: dict[str, ArrayLike] = {}
    for s in SIDES:
        out |= {f"hip_flex_{s}": 90.0 + ch.get(f"lift_{s}", 0.0), f"knee_flex_{s}": 90.0}
        out |= {f"ankle_{s}": flat_foot_ankle_deg(0.0, body), f"arm_raise_{s}": 10.0 + ch.get(f"arm_{s}", 0.0)}
    return out


def swiss_ball_arm_leg(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Opposite arm and knee lifts sitting on a ball, facing the camera; see :func:`swiss_ball_motion`."""
    motion = swiss_ball_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: sitting_pose(ch, body), "feet", options, body, "swiss_ball_arm_leg", "front")


def hip_flexor_stretch_motion(
    reps: int = 3,
    side: str | Sequence[str] = "alternating",
    push_deg: float = 15.0,
    lean_deg: float = 0.0,
    hold_s: float = 30.0,
    step_s: float = 2.0,
    rest_s: float = 3.0,
    start_s: float = 3.0,
) -> Motion:
    """Half-kneeling hip flexor stretch; ``side`` is the kneeling (back) leg. From tall
    kneeling the other foot steps forward (``step``), then the hips shift forward so the back
    thigh goes ``push_deg`` behind the trunk line (0 = the fault: hips not forward);
    ``lean_deg`` tilts the trunk forward."""
    sides = rep_sides(side, reps)
    m = Motion({"step_left": 0.0, "step_right": 0.0, "push": 0.0, "lean": 0.0}).rest(start_s)
    for s in sides:
        o = _other(s)
        add_rep(
            m, {f"step_{o}": 1.0, "push": push_deg, "lean": lean_deg}, {f"step_{o}": 0.0, "push": 0.0, "lean": 0.0},
            out_s=step_s, hold_s=hold_s, back_s=step_s, rest_s=rest_s, side=s,
        )  # fmt: skip
    return m


def kneeling_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    """Tall kneeling (thighs vertical, shins flat behind); ``step_{s}`` (0-1) brings that foot
    forward into half-kneeling (thigh forward to 90°, shin vertical); ``push`` extends the
    kneeling hip and ``lean`` pitches the trunk."""
    lean, push = ch.get("lean", 0.0), ch.get("push", 0.0)
    out: dict[str, ArrayLike] = {"trunk_pitch": lean}
    stepping = {s: ch.get(f"step_{s}", 0.0) for s in SIDES}
    for s in SIDES:
        st = stepping[s]
        other_steps = stepping[_other(s)]
        hip = st * (90.0 - push) - other_steps * push + lean
        out |= {f"hip_flex_{s}": hip, f"knee_flex_{s}": 90.0, f"arm_raise_{s}": 10.0}
    return out


def hip_flexor_stretch(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Half-kneeling hip flexor stretches, side view; see :func:`hip_flexor_stretch_motion`."""
    motion = hip_flexor_stretch_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: kneeling_pose(ch, body), "lowest", options, body, "hip_flexor_stretch", "side")


def bird_dog_motion(
    reps: int = 10,
    side: str | Sequence[str] = "alternating",
    arm: str = "opposite",
    leg_deg: float = 90.0,
    arm_deg: float = 85.0,
    roll_deg: float = 0.0,
    sag_deg: float = 0.0,
    out_s: float = 1.5,
    hold_s: float = 3.0,
    back_s: float = 1.5,
    rest_s: float = 1.5,
    start_s: float = 3.0,
) -> Motion:
    """Bird dogs on all fours; ``side`` is the extended LEG: its hip and knee open by
    ``leg_deg`` (90 = in line with the trunk) while an arm reaches forward by ``arm_deg`` from
    its supporting position — the ``"opposite"`` arm, the ``"same"`` one (fault) or ``"none"``.
    During the hold the trunk rolls by ``roll_deg`` (hips rotating) and pitches by
    ``sag_deg`` (back not level)."""
    sides = rep_sides(side, reps)
    m = Motion({f"{c}_{s}": 0.0 for c in ("leg", "arm") for s in SIDES} | {"roll": 0.0, "sag": 0.0})
    m.rest(start_s)
    for s in sides:
        arm_side = {"opposite": _other(s), "same": s}.get(arm)
        out = {f"leg_{s}": leg_deg} | ({f"arm_{arm_side}": arm_deg} if arm_side else {})
        m.move(out, out_s, label="out")
        t_hold = m.end_s
        m.move({"roll": roll_deg, "sag": sag_deg}, 0.5, label="hold").hold(hold_s)
        m.move({"roll": 0.0, "sag": 0.0}, 0.5, label="hold")
        t_back = m.end_s
        m.move(dict.fromkeys(out, 0.0), back_s, label="back").rest(rest_s)
        m.reps.append(RepScript(len(m.reps) + 1, s, t_hold - out_s, t_hold, t_back, t_back + back_s))
    return m


def all_fours_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    """On hands and knees: trunk level (face down), thighs vertical, shins flat, arms
    vertical. ``leg_{s}`` extends a leg back (hip and knee open together), ``arm_{s}`` swings
    an arm forward, ``roll``/``sag`` tilt the trunk, ``neck`` is unused here."""
    # Face down, the trunk's axial twist is what lifts one hip above the other.
    out: dict[str, ArrayLike] = {"trunk_pitch": 90.0 + ch.get("sag", 0.0), "trunk_twist": ch.get("roll", 0.0)}
    for s in SIDES:
        leg = ch.get(f"leg_{s}", 0.0)
        out |= {f"hip_flex_{s}": 90.0 - leg, f"knee_flex_{s}": 90.0 - leg}
        out[f"arm_raise_{s}"] = 90.0 + ch.get(f"arm_{s}", 0.0)
    return out


def bird_dog(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Bird dogs, side view; see :func:`bird_dog_motion`."""
    motion = bird_dog_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: all_fours_pose(ch, body), "lowest", options, body, "bird_dog", "side")


def cat_cow_motion(
    reps: int = 10, range_deg: float = 50.0, each_way_s: float = 3.0, start_s: float = 3.0
) -> Motion:
    """Cat-cow cycles on all fours: the head bows by ``range_deg`` (``neck``: 0 = cow, head up)
    over ``each_way_s`` and lifts back; 3-5 s each way is the prescribed pace."""
    m = Motion({"neck": 0.0}).rest(start_s)
    for _ in range(reps):
        add_rep(m, {"neck": range_deg}, {"neck": 0.0}, out_s=each_way_s, hold_s=0.5, back_s=each_way_s, rest_s=0.5)
    return m


def _bow_head(trace: PoseTrace, neck_deg: np.ndarray) -> PoseTrace:
    """Turns the face landmarks about the shoulder line by ``neck_deg`` (+ = toward the chest).

    The kinematic body's head is rigid with the trunk; cat-cow moves it. The world points turn
    exactly; image points move by the world displacement at the local image scale (the head
    stays at the shoulders' depth, so this is exact for side views)."""
    w = trace.world_xyz.astype(np.float64)
    img = trace.image_xy.astype(np.float64)
    face = np.arange(L.NOSE, L.MOUTH_RIGHT + 1)
    pivot = 0.5 * (w[:, L.LEFT_SHOULDER] + w[:, L.RIGHT_SHOULDER])
    axis = w[:, L.LEFT_SHOULDER] - w[:, L.RIGHT_SHOULDER]
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    up = pivot - 0.5 * (w[:, L.LEFT_HIP] + w[:, L.RIGHT_HIP])
    fwd = np.cross(axis, up)  # anterior for a right-handed (fwd, left, up) frame
    fwd /= np.linalg.norm(fwd, axis=1, keepdims=True)
    up = np.cross(fwd, axis)
    a = np.radians(neck_deg)[:, None]
    rel = w[:, face] - pivot[:, None]
    cu, cf = np.einsum("tki,ti->tk", rel, up), np.einsum("tki,ti->tk", rel, fwd)
    new = pivot[:, None] + rel + ((cu * np.cos(a) - cf * np.sin(a) - cu)[..., None] * up[:, None]
                                  + (cu * np.sin(a) + cf * np.cos(a) - cf)[..., None] * fwd[:, None])  # fmt: skip
    d = new - w[:, face]
    # Local image scale (normalized units per metre) from the trunk, which lies in the image plane side-on.
    sh, hp = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER], [L.LEFT_HIP, L.RIGHT_HIP]
    ti = img[:, sh].mean(axis=1) - img[:, hp].mean(axis=1)
    tw = w[:, sh].mean(axis=1) - w[:, hp].mean(axis=1)
    sx = np.linalg.norm(ti * np.array([trace.meta.aspect, 1.0]), axis=1) / np.linalg.norm(tw[:, :2], axis=1)
    img[:, face, 0] += d[..., 0] * (sx / trace.meta.aspect)[:, None]
    img[:, face, 1] += d[..., 1] * sx[:, None]
    w[:, face] = new
    return PoseTrace(
        trace.t_s, img.astype(np.float32), w.astype(np.float32), trace.visibility, trace.presence,
        trace.n_people, trace.identity_jump, trace.meta,
    )  # fmt: skip


def cat_cow(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Cat-cow on all fours, side view; see :func:`cat_cow_motion`."""
    motion = cat_cow_motion(**_motion_opts(options))  # type: ignore[arg-type]
    trace = _render(motion, lambda ch: all_fours_pose(ch, body), "lowest", options, body, "cat_cow", "side")
    t = trace.t_s - (options.get("t0_s", 0.0) or 0.0)  # type: ignore[operator]
    return _bow_head(trace, motion.sample(t)["neck"] - 20.0)  # neutral: head slightly up


# ---------------------------------------------------------------- lying on the back


def _supine_joints(ch: Mapping[str, np.ndarray], defaults: Mapping[str, float]) -> dict[str, ArrayLike]:
    """Lying on the back with joint channels given directly (``hip_flex_{s}``, ...)."""
    out: dict[str, ArrayLike] = {"trunk_pitch": ch.get("trunk_pitch", -90.0)}
    for key, default in defaults.items():
        for s in SIDES:
            out[f"{key}_{s}"] = ch.get(f"{key}_{s}", default)
    return out


def bridge_motion(
    reps: int = 10,
    lift: float = 1.0,
    hold_s: float = 3.0,
    up_s: float = 1.5,
    down_s: float = 2.0,
    rest_s: float = 2.0,
    start_s: float = 2.0,
) -> Motion:
    """Glute bridges: ``lift`` 0 (lying, knees bent, hip flexion 55°) → 1 (hips up: shoulders,
    hips and knees in line) → 0. ``lift=0.6`` stops short (hips low)."""
    m = Motion({"lift": 0.0}).rest(start_s)
    for _ in range(reps):
        add_rep(m, {"lift": lift}, {"lift": 0.0}, out_s=up_s, hold_s=hold_s, back_s=down_s, rest_s=rest_s)
    return m


def bridge_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    """The thighs keep their direction in space (feet planted) while the trunk tilts up at the
    hips: hip flexion 55° → 0°, trunk pitch −90° → −115° (hips above the shoulders)."""
    lift = ch["lift"]
    out: dict[str, ArrayLike] = {"trunk_pitch": -90.0 - 25.0 * lift}
    for s in SIDES:
        out |= {f"hip_flex_{s}": 55.0 * (1.0 - lift), f"knee_flex_{s}": 100.0 - 20.0 * lift, f"arm_raise_{s}": 12.0}
    return out


def bridge(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Glute bridges, side view; see :func:`bridge_motion`."""
    motion = bridge_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: bridge_pose(ch, body), "back", options, body, "bridge", "side")


def dead_bug_motion(
    reps: int = 10,
    side: str | Sequence[str] = "alternating",
    arm: str = "opposite",
    extend: float = 1.0,
    arm_deg: float = 80.0,
    out_s: float = 1.5,
    hold_s: float = 1.0,
    back_s: float = 1.5,
    rest_s: float = 1.0,
    start_s: float = 2.0,
) -> Motion:
    """Dead bugs: from tabletop (hips and knees at 90°, arms at the ceiling) the ``side`` LEG
    extends (``extend`` 1 = knee straight, hip at 20°) while an arm reaches back overhead by
    ``arm_deg`` — the ``"opposite"`` one, the ``"same"`` one (fault) or ``"none"``."""
    sides = rep_sides(side, reps)
    m = Motion({f"{c}_{s}": 0.0 for c in ("leg", "arm") for s in SIDES}).rest(start_s)
    for s in sides:
        arm_side = {"opposite": _other(s), "same": s}.get(arm)
        out = {f"leg_{s}": extend} | ({f"arm_{arm_side}": arm_deg} if arm_side else {})
        add_rep(m, out, dict.fromkeys(out, 0.0), out_s=out_s, hold_s=hold_s, back_s=back_s, rest_s=rest_s, side=s)
    return m


def dead_bug_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    out: dict[str, ArrayLike] = {"trunk_pitch": -90.0}
    for s in SIDES:
        leg = ch.get(f"leg_{s}", 0.0)
        out |= {f"hip_flex_{s}": 90.0 - 70.0 * leg, f"knee_flex_{s}": 90.0 * (1.0 - leg)}
        out[f"arm_raise_{s}"] = 90.0 + ch.get(f"arm_{s}", 0.0)
    return out


def dead_bug(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Dead bugs, side view; see :func:`dead_bug_motion`."""
    motion = dead_bug_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: dead_bug_pose(ch, body), "back", options, body, "dead_bug", "side")


def lying_leg_raise_motion(
    reps: int = 10,
    lift_deg: float = 85.0,
    knee_deg: float = 0.0,
    up_s: float = 2.0,
    hold_s: float = 0.5,
    down_s: float = 3.0,
    down_speed: float | None = None,
    rest_s: float = 1.5,
    start_s: float = 2.0,
) -> Motion:
    """Both legs raised together to ``lift_deg`` (knees bent ``knee_deg``) and lowered
    (over ``down_s``, or at peak speed ``down_speed`` deg/s)."""
    m = Motion({"lift_left": 0.0, "lift_right": 0.0, "knee_left": 0.0, "knee_right": 0.0}).rest(start_s)
    for _ in range(reps):
        out = {"lift_left": lift_deg, "lift_right": lift_deg, "knee_left": knee_deg, "knee_right": knee_deg}
        back = {"lift_left": 0.0, "lift_right": 0.0, "knee_left": 0.0, "knee_right": 0.0}
        add_rep(m, out, back, out_s=up_s, hold_s=hold_s, back_s=down_s, back_speed=down_speed, rest_s=rest_s)
    return m


def lying_leg_raise(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Both-legs raises lying on the back, side view; see :func:`lying_leg_raise_motion`."""
    motion = lying_leg_raise_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: supine_pose(ch, body), "back", options, body, "lying_leg_raise", "side")


def knee_to_chest_motion(
    reps: int = 6,
    side: str | Sequence[str] = "alternating",
    hip_deg: float = 130.0,
    hold_s: float = 20.0,
    in_s: float = 2.0,
    out_s: float = 2.0,
    rest_s: float = 2.0,
    start_s: float = 2.0,
) -> Motion:
    """Knee to chest: lying with knees bent (hips 50°, knees 100°), the ``side`` knee is
    pulled in to hip flexion ``hip_deg`` (knee bent 130°), held, released."""
    sides = rep_sides(side, reps)
    m = Motion({"hip_flex_left": 50.0, "hip_flex_right": 50.0, "knee_flex_left": 100.0, "knee_flex_right": 100.0})
    m.rest(start_s)
    for s in sides:
        pulled = {f"hip_flex_{s}": hip_deg, f"knee_flex_{s}": 130.0}
        rest = {f"hip_flex_{s}": 50.0, f"knee_flex_{s}": 100.0}
        add_rep(m, pulled, rest, out_s=in_s, hold_s=hold_s, back_s=out_s, rest_s=rest_s, side=s)
    return m


def knee_to_chest(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Knee-to-chest stretches, side view; see :func:`knee_to_chest_motion`."""
    motion = knee_to_chest_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(
        motion, lambda ch: _supine_joints(ch, {"hip_flex": 50.0, "knee_flex": 100.0, "arm_raise": 30.0}),
        "back", options, body, "knee_to_chest", "side",
    )  # fmt: skip


def hamstring_stretch_motion(
    reps: int = 6,
    side: str | Sequence[str] = "alternating",
    lift_deg: float = 85.0,
    knee_deg: float = 15.0,
    hold_s: float = 20.0,
    up_s: float = 2.0,
    down_s: float = 2.0,
    rest_s: float = 2.0,
    start_s: float = 2.0,
) -> Motion:
    """Hamstring stretches lying on the back, knees bent at rest (foot on the floor): the
    ``side`` leg is raised (hip→ankle line to ``lift_deg``) and its knee straightened to
    ``knee_deg``, held, lowered."""
    sides = rep_sides(side, reps)
    m = Motion({f"{c}_{s}": v for s in SIDES for c, v in (("lift", 0.0), ("knee", 90.0))}).rest(start_s)
    for s in sides:
        add_rep(m, {f"lift_{s}": lift_deg, f"knee_{s}": knee_deg}, {f"lift_{s}": 0.0, f"knee_{s}": 90.0},
                out_s=up_s, hold_s=hold_s, back_s=down_s, rest_s=rest_s, side=s)  # fmt: skip
    return m


def hamstring_stretch(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Hamstring stretches, side view; see :func:`hamstring_stretch_motion`."""
    motion = hamstring_stretch_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: supine_pose(ch, body), "back", options, body, "hamstring_stretch", "side")


def piriformis_stretch_motion(
    reps: int = 2,
    side: str | Sequence[str] = "alternating",
    pull_deg: float = 115.0,
    hold_s: float = 25.0,
    in_s: float = 3.0,
    out_s: float = 3.0,
    rest_s: float = 3.0,
    start_s: float = 2.0,
) -> Motion:
    """Figure-4 stretches lying on the back; ``side`` is the CROSSED leg: its ankle goes over
    the other knee (``cross`` 0 → 1) and both thighs are pulled in to hip flexion
    ``pull_deg``, held, released."""
    sides = rep_sides(side, reps)
    m = Motion({"cross_left": 0.0, "cross_right": 0.0, "pull": 50.0}).rest(start_s)
    for s in sides:
        add_rep(m, {f"cross_{s}": 1.0, "pull": pull_deg}, {f"cross_{s}": 0.0, "pull": 50.0},
                out_s=in_s, hold_s=hold_s, back_s=out_s, rest_s=rest_s, side=s)  # fmt: skip
    return m


def figure4_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    """Both thighs at hip flexion ``pull`` (knees bent 100° at rest). A crossed leg turns out
    and its shin swings across the body (adduction stands in for the hip's outward rotation),
    so from the side its ankle sits on the other knee; the supporting knee opens to 60°, its
    foot toward the ceiling."""
    pull = ch["pull"]
    out: dict[str, ArrayLike] = {"trunk_pitch": -90.0}
    for s in SIDES:
        cross, supports = ch[f"cross_{s}"], ch[f"cross_{_other(s)}"]
        knee = 100.0 + cross * (pull - 100.0) - 40.0 * supports
        out |= {f"hip_flex_{s}": pull, f"knee_flex_{s}": knee, f"hip_abd_{s}": -80.0 * cross}
        out[f"arm_raise_{s}"] = 60.0
    return out


def piriformis_stretch(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Figure-4 piriformis stretches, side view; see :func:`piriformis_stretch_motion`."""
    motion = piriformis_stretch_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: figure4_pose(ch, body), "back", options, body, "piriformis_stretch", "side")


def ankle_pump_motion(
    reps: int = 12, range_deg: float = 55.0, each_way_s: float = 1.0, start_s: float = 2.0
) -> Motion:
    """Ankle pumps lying flat: both ankles from pulled up (``ankle`` 95°) to pointed
    (95 + ``range_deg``) and back."""
    m = Motion({"ankle": 95.0}).rest(start_s)
    for _ in range(reps):
        add_rep(m, {"ankle": 95.0 + range_deg}, {"ankle": 95.0}, out_s=each_way_s, hold_s=0.2, back_s=each_way_s,
                rest_s=0.3)  # fmt: skip
    return m


def ankle_pump(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Ankle pumps lying flat, side view; see :func:`ankle_pump_motion`."""
    motion = ankle_pump_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(
        motion, lambda ch: supine_pose({"ankle_left": ch["ankle"], "ankle_right": ch["ankle"]}, body),
        "back", options, body, "ankle_pump", "side",
    )  # fmt: skip


def abdominal_brace_motion(
    duration_s: float = 110.0,
    moves: Sequence[tuple[float, float]] = (),
    straighten: Sequence[tuple[float, float]] = (),
    move_deg: float = 15.0,
) -> Motion:
    """Lying still with the knees bent (hips 50°, knees 100°) for ``duration_s``: the checker
    paces the holds. ``moves`` lists (start, end) spans when the pelvis and legs shift by
    ``move_deg`` (not still); ``straighten`` spans when the legs slide out straight."""
    events = sorted([(a, b, "move") for a, b in moves] + [(a, b, "straight") for a, b in straighten])
    m = Motion({"hip": 50.0, "knee": 100.0})
    for a, b, kind in events:
        m.rest(max(0.0, a - m.end_s))
        target = {"hip": 50.0 + move_deg} if kind == "move" else {"hip": 5.0, "knee": 5.0}
        m.move(target, 0.5, label=kind).hold(max(0.0, b - a - 1.0)).move({"hip": 50.0, "knee": 100.0}, 0.5)
    m.rest(max(0.0, duration_s - m.end_s))
    return m


def abdominal_brace(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Lying with knees bent for paced abdominal braces, side view; see :func:`abdominal_brace_motion`."""
    motion = abdominal_brace_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(
        motion,
        lambda ch: _supine_joints(
            {"hip_flex_left": ch["hip"], "hip_flex_right": ch["hip"], "knee_flex_left": ch["knee"],
             "knee_flex_right": ch["knee"]}, {"hip_flex": 50.0, "knee_flex": 100.0, "arm_raise": 20.0},
        ),
        "back", options, body, "abdominal_brace", "side",
    )  # fmt: skip


def rest_position_motion(rest_s: float = 130.0, settle_s: float = 3.0, start_s: float = 3.0) -> Motion:
    """The relief position: lying flat, hips and knees bend to 90° (feet on a chair) over
    ``settle_s``, rest ``rest_s``, legs down."""
    m = Motion({"bend": 0.0}).rest(start_s)
    return add_rep(m, {"bend": 90.0}, {"bend": 0.0}, out_s=settle_s, hold_s=rest_s, back_s=settle_s, rest_s=3.0)


def rest_position(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """The relief position lying on the back, side view; ``sitting=True`` does the same bend
    sitting upright on a chair instead (not this rest). See :func:`rest_position_motion`."""
    opts = dict(options)
    sitting = bool(opts.pop("sitting", False))
    motion = rest_position_motion(**_motion_opts(opts))  # type: ignore[arg-type]

    def pose(ch: Mapping[str, np.ndarray]) -> dict[str, ArrayLike]:
        bend = ch["bend"]
        joints = {f"{k}_{s}": bend for k in ("hip_flex", "knee_flex") for s in SIDES}
        if sitting:
            return joints | {f"arm_raise_{s}": 10.0 for s in SIDES}
        return _supine_joints(joints, {"hip_flex": 0.0, "knee_flex": 0.0, "arm_raise": 12.0})

    return _render(motion, pose, "feet" if sitting else "back", opts, body, "rest_position", "side")


def pelvic_tilt_motion(
    reps: int = 10, tilt: float = 1.0, hold_s: float = 5.0, in_s: float = 1.5, out_s: float = 1.5, rest_s: float = 3.0,
    start_s: float = 4.0,
) -> Motion:
    """Pelvic tilts lying with knees bent: ``tilt`` 1 = a full tilt (the tailbone curls up:
    hip flexion −8°, the trunk's hip end up 3°), held, released."""
    m = Motion({"tilt": 0.0}).rest(start_s)
    for _ in range(reps):
        add_rep(m, {"tilt": tilt}, {"tilt": 0.0}, out_s=in_s, hold_s=hold_s, back_s=out_s, rest_s=rest_s)
    return m


def pelvic_tilt(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Pelvic tilts, side view; see :func:`pelvic_tilt_motion`."""
    motion = pelvic_tilt_motion(**_motion_opts(options))  # type: ignore[arg-type]

    def pose(ch: Mapping[str, np.ndarray]) -> dict[str, ArrayLike]:
        tilt = ch["tilt"]
        joints = {f"hip_flex_{s}": 50.0 - 8.0 * tilt for s in SIDES} | {"trunk_pitch": -90.0 - 3.0 * tilt}
        return _supine_joints(joints, {"hip_flex": 50.0, "knee_flex": 100.0, "arm_raise": 12.0})

    return _render(motion, pose, "back", options, body, "pelvic_tilt", "side")


def curl_up_motion(
    reps: int = 10, curl_deg: float = 25.0, up_s: float = 1.0, hold_s: float = 2.0, down_s: float = 1.5,
    rest_s: float = 2.0, start_s: float = 3.0,
) -> Motion:
    """Curl-ups: the shoulder-hip line rises ``curl_deg`` from lying (over ``up_s``), held, lowered."""
    m = Motion({"curl": 0.0}).rest(start_s)
    for _ in range(reps):
        add_rep(m, {"curl": curl_deg}, {"curl": 0.0}, out_s=up_s, hold_s=hold_s, back_s=down_s, rest_s=rest_s)
    return m


def curl_up_pose(ch: Mapping[str, np.ndarray], body: Body = Body()) -> dict[str, ArrayLike]:
    """Lying, knees bent 90°, feet down; ``curl`` raises the shoulder-hip line (deg) while the
    thighs keep their direction (the hips flex by as much)."""
    curl = ch.get("curl", 0.0)
    out: dict[str, ArrayLike] = {"trunk_pitch": -90.0 + curl}
    for s in SIDES:
        out |= {f"hip_flex_{s}": 45.0 + curl, f"knee_flex_{s}": 90.0, f"arm_raise_{s}": 20.0}
    return out


def curl_up(capture: Capture | None = None, body: Body = Body(), **options: object) -> PoseTrace:
    """Curl-ups (crunches), side view; see :func:`curl_up_motion`."""
    motion = curl_up_motion(**_motion_opts(options))  # type: ignore[arg-type]
    return _render(motion, lambda ch: curl_up_pose(ch, body), "lowest", options, body, "curl_up", "side")


__all__ += [  # the catalog's generators
    "abdominal_brace",
    "abdominal_brace_motion",
    "all_fours_pose",
    "ankle_pump",
    "ankle_pump_motion",
    "bird_dog",
    "bird_dog_motion",
    "bridge",
    "bridge_motion",
    "bridge_pose",
    "cat_cow",
    "cat_cow_motion",
    "curl_up",
    "curl_up_motion",
    "curl_up_pose",
    "dead_bug",
    "dead_bug_motion",
    "dead_bug_pose",
    "figure4_pose",
    "hamstring_stretch",
    "hamstring_stretch_motion",
    "heel_raise",
    "heel_raise_motion",
    "heel_raise_pose",
    "hip_flexor_stretch",
    "hip_flexor_stretch_motion",
    "inline_lunge",
    "inline_lunge_motion",
    "inline_lunge_pose",
    "knee_to_chest",
    "knee_to_chest_motion",
    "kneeling_pose",
    "lunge",
    "lunge_motion",
    "lunge_pose",
    "lying_leg_raise",
    "lying_leg_raise_motion",
    "pelvic_tilt",
    "pelvic_tilt_motion",
    "piriformis_stretch",
    "piriformis_stretch_motion",
    "rest_position",
    "rest_position_motion",
    "sit_to_stand",
    "sit_to_stand_motion",
    "sit_to_stand_pose",
    "sit_to_stand_valgus",
    "sitting_pose",
    "squat",
    "squat_motion",
    "swiss_ball_arm_leg",
    "swiss_ball_motion",
    "toe_touch",
    "toe_touch_motion",
    "toe_touch_pose",
]


def messy(name: str, repeated_time: bool = True, someone_else: bool = False) -> PoseTrace:
    """Exercise ``name``'s synthetic recording with what real traces have: noise, nobody in
    view for a while, a person switch, a landmark lost and (``repeated_time``; a trace file's
    timestamps strictly increase) a repeated timestamp; ``someone_else``: another body for 40
    frames after the switch."""
    make = globals()[name]
    try:
        trace = make(reps=2, noise_world_m=0.01, seed=5, dropouts=[(3.0, 3.5)])
    except TypeError:  # holds and stretches without a rep count
        trace = make(noise_world_m=0.01, seed=5, dropouts=[(3.0, 3.5)])
    n = len(trace)
    trace.identity_jump[n // 3] = True
    if someone_else:
        trace.image_xy[n // 3 : n // 3 + 40, :, 0] += 0.4
    trace.image_xy[n // 2 : n // 2 + 20, 25:29] = np.nan
    if repeated_time:
        trace.t_s[n - 20] = trace.t_s[n - 21]
    return trace
