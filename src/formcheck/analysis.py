"""The chain after pose estimation: smoothing → measures → checker, defined once.

Two drivers run the same stages: :class:`Analyzer` feeds one PoseFrame at a time (live,
and drawing the annotated video), :func:`trace_measures` + :func:`analyze_trace` run them
over a whole saved trace at once (``score``, ``rescore``, tuning). Each stage is one
function used by both: the side keeper (:mod:`formcheck.pose.sides`: left/right kept
consistent over time, on the raw landmarks), :func:`landmark_usable` and :func:`mask_unusable` (what may be
measured, judged on the raw landmarks), the identity guard (:mod:`formcheck.pose.identity`),
One Euro smoothing (:func:`formcheck.smoothing.one_euro.one_euro_step`, stepped frame by frame or over
the whole trace by :mod:`formcheck.smoothing.batch`), :func:`compute_measures` (vectorised over
any number of frames; live passes one), :func:`distrust_jumps`, :func:`drawn_landmarks` and
:func:`frame_issue`; then the same checker. The two give the same numbers bit for bit and
the same events; ``tests/test_analysis.py`` holds them to it for every exercise of the catalog.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np

from formcheck.checkers.events import Event
from formcheck.checkers.rep_checker import RepChecker
from formcheck.exercises.config import ExerciseConfig
from formcheck.measures import visibility
from formcheck.measures.body import (
    MEASURE_NAMES,
    MEASURES,
    MIN_VISIBILITY,
    compute_measures,
    landmark_usable,
    measure_index,
)
from formcheck.measures.frame import MeasureFrame
from formcheck.pose.frame import PoseFrame, PoseTrace, TraceMeta
from formcheck.pose.identity import IdentityGuard, frame_features, other_person_frames
from formcheck.pose.landmarks import SIDES
from formcheck.pose.sides import SideKeeper, keep_sides
from formcheck.pose.validate import check_frame, check_trace
from formcheck.smoothing.batch import smooth_landmarks
from formcheck.smoothing.one_euro import LandmarkSmoother, SmoothingConfig


def required_landmarks(cfg: ExerciseConfig) -> np.ndarray:
    """(K,) landmark indices the exercise's counting signal needs (all sides)."""
    names = [cfg.rep.signal_for(s) for s in cfg.rep.sides] or [cfg.rep.signal]
    idx: set[int] = set()
    for name in names:
        m = MEASURES[measure_index(name)]
        if m.landmarks:
            idx.update(int(i) for i in m.landmarks)
        else:  # a combined measure: needs either side's landmarks (`<stem>_<side>_<unit>`)
            base, _, unit = name.rpartition("_")
            for side in SIDES:
                if f"{base}_{side}_{unit}" in MEASURE_NAMES:
                    idx.update(int(i) for i in MEASURES[measure_index(f"{base}_{side}_{unit}")].landmarks)
    return np.array(sorted(idx), dtype=np.intp)


def is_world_exact(extra: Mapping[str, object]) -> bool:
    """A trace's ``meta.extra`` says its world landmarks are exact 3-D (motion capture, the
    image synthesised from them): angles in 3-D only, never blended with the image, not smoothed."""
    return bool(extra.get("world_exact", False))


def is_segmented(extra: Mapping[str, object]) -> bool:
    """A trace's ``meta.extra`` says it is exactly one repetition (segmented data): it starts
    and ends with that rep."""
    return bool(extra.get("segmented", False))


def smoothing_for(smoothing: SmoothingConfig, world_exact: bool) -> SmoothingConfig:
    """The smoothing both drivers apply: none for exact 3-D input (measured positions:
    filtering made for a pose estimator's jitter would only add lag)."""
    return dataclasses.replace(smoothing, enabled=False) if world_exact else smoothing


@dataclass(slots=True)
class AnalyzedFrame:
    pose: PoseFrame  # smoothed
    measures: MeasureFrame
    events: list[Event]


class Analyzer:
    """Feeds one PoseFrame at a time through smoothing, measures and the checker."""

    def __init__(
        self,
        cfg: ExerciseConfig,
        aspect: float,
        smoothing: SmoothingConfig = SmoothingConfig(),
        min_visibility: float = MIN_VISIBILITY,
        world_exact: bool = False,
        segmented: bool = False,
    ) -> None:
        self.cfg = cfg
        self.aspect = aspect
        self.min_visibility = min_visibility
        self.world_exact = world_exact
        self.smoother = LandmarkSmoother(smoothing_for(smoothing, world_exact))
        self.checker = RepChecker(cfg, segmented=segmented)
        self.required = required_landmarks(cfg)
        self.measures = cfg.measures_used()  # per frame, compute only what this exercise reads
        self.identity = IdentityGuard()
        self.sides = SideKeeper(aspect, min_visibility)

    @classmethod
    def for_trace(
        cls,
        cfg: ExerciseConfig,
        meta: TraceMeta,
        smoothing: SmoothingConfig = SmoothingConfig(),
        min_visibility: float = MIN_VISIBILITY,
    ) -> Analyzer:
        """The live driver for the frames of a recorded trace (replay): its aspect, and exact
        3-D and one-repetition input as :func:`trace_measures`/:func:`analyze_trace` read them."""
        return cls(cfg, meta.aspect, smoothing, min_visibility, is_world_exact(meta.extra), is_segmented(meta.extra))

    def update(self, pose: PoseFrame) -> AnalyzedFrame:
        """Analyze the next frame. Its timestamp must be finite and later than the last
        frame's, else :class:`~formcheck.pose.validate.PoseDataError` (nothing changes)."""
        check_frame(pose, self.checker.t_last)  # the checker's last time (a reset starts afresh)
        pose = self.sides.update(pose)  # left/right kept consistent (pose/sides.py), before anything reads them
        usable = landmark_usable(pose.image_xy[None], pose.visibility[None], pose.presence[None], self.min_visibility)
        hip_x, hip_y, torso = frame_features(pose.image_xy, usable[0], self.aspect)
        other = self.identity.update(float(pose.t_s), pose.has_person, bool(pose.identity_jump), hip_x, hip_y, torso)
        if other:
            usable[:] = False  # someone else: not measured, as if out of view
        img_in, world_in = mask_unusable(pose.image_xy, pose.world_xyz, usable[0])
        sm = self.smoother(
            PoseFrame(pose.t_s, img_in, world_in, pose.visibility, pose.presence, pose.n_people, pose.identity_jump)
        )
        values = compute_measures(
            sm.image_xy[None],
            sm.world_xyz[None],
            usable,
            self.aspect,
            self.measures,
            world_exact=self.world_exact,
            height_cm=self.cfg.height_cm,
        )
        values = distrust_jumps(values, np.array([pose.identity_jump]))[0]
        img = drawn_landmarks(sm.image_xy, pose.image_xy, usable[0], other)
        sm = PoseFrame(sm.t_s, img, sm.world_xyz, sm.visibility, sm.presence, sm.n_people, sm.identity_jump)
        person = has_person(pose.n_people, pose.image_xy)
        issue = frame_issue(img, usable[0], self.required, person, bool(pose.identity_jump) or other)
        mf = MeasureFrame(pose.t_s, values, pose.n_people, issue)
        return AnalyzedFrame(sm, mf, self.checker.update(mf))

    def finish(self) -> list[Event]:
        return self.checker.finish()


def trace_other_person(trace: PoseTrace, usable: np.ndarray) -> np.ndarray:
    """(T,) bool: frames whose body is taken for someone other than the person being
    measured (:mod:`formcheck.pose.identity`), judged on the raw landmarks."""
    person = has_person(trace.n_people, trace.image_xy)
    return other_person_frames(trace.t_s, person, trace.identity_jump, trace.image_xy, usable, trace.meta.aspect)


def has_person(n_people: np.ndarray | int, image_xy: np.ndarray) -> np.ndarray | bool:
    """Whether each frame (or the one frame) has a tracked person with landmarks."""
    person = (np.asarray(n_people) > 0) & np.isfinite(image_xy[..., 0, 0])
    return bool(person) if person.ndim == 0 else person


def distrust_jumps(values: np.ndarray, identity_jump: np.ndarray) -> np.ndarray:
    """(T, M) measures with the frames at a discontinuity set to NaN (in place): landmarks
    across a cut or a person switch are not trustworthy."""
    values[identity_jump] = np.nan
    return values


def drawn_landmarks(
    smoothed_xy: np.ndarray, raw_xy: np.ndarray, usable: np.ndarray, other: np.ndarray | bool = False
) -> np.ndarray:
    """Image landmarks to draw and to explain with: smoothed where usable; the unusable ones
    keep their raw place (to say which way is out of view). Frames of ``other`` (someone
    else's body, :mod:`formcheck.pose.identity`) keep the smoothed ones, NaN: not drawn."""
    keep = usable | np.asarray(other)[..., None]
    return np.where(keep[..., None], smoothed_xy, raw_xy)


def frame_issue(img: np.ndarray, usable: np.ndarray, required: np.ndarray, person: bool, switched: bool) -> str:
    """Why one frame cannot be measured ("" when it can): a person switch or someone else in
    view, or what hides the landmarks the exercise needs (:func:`visibility.diagnose`)."""
    return visibility.SWITCHED if switched else visibility.diagnose(img, usable, required, person)


def mask_unusable(image_xy: np.ndarray, world_xyz: np.ndarray, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Landmarks with unusable ones set to NaN, (..., 33, 2) and (..., 33, 3).

    Usability is judged on the raw landmarks, before smoothing: a foot that slips out of
    the picture is gone at once (the smoother would drag it inside for a few frames and
    let the invented pose leak into the angles) and starts afresh when it is back.
    """
    bad = ~usable[..., None]
    return np.where(bad, np.nan, image_xy), np.where(bad, np.nan, world_xyz)


def smooth_trace(
    trace: PoseTrace, smoothing: SmoothingConfig = SmoothingConfig(), landmarks: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed (T, 33, 2) image and (T, 33, 3) world landmarks of a whole trace, bit-identical
    to :class:`LandmarkSmoother` fed frame by frame; only ``landmarks`` (default: all) are
    smoothed, the others are returned as they are (see :mod:`formcheck.smoothing.batch`)."""
    return smooth_landmarks(
        trace.t_s, trace.image_xy, trace.world_xyz, has_person(trace.n_people, trace.image_xy),
        trace.identity_jump, smoothing, landmarks,
    )  # fmt: skip


#: Landmarks some measure uses: the only ones re-scoring needs smoothed.
MEASURE_LANDMARKS = np.array(sorted({int(i) for m in MEASURES for i in m.landmarks}), dtype=np.intp)


def trace_measures(
    trace: PoseTrace,
    smoothing: SmoothingConfig = SmoothingConfig(),
    min_visibility: float = MIN_VISIBILITY,
    only: Collection[str] | None = None,
    check: bool = True,
    height_cm: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measures of a whole trace: (T, M) values, (T, 33) usable mask, (T, 33, 2) image
    coordinates (smoothed for :data:`MEASURE_LANDMARKS`, as they are for the others).
    Identical to the frame-by-frame :class:`Analyzer`; measures are vectorized over T.
    ``only`` (e.g. ``cfg.measures_used()``) lets optional catalog measures not named be
    skipped (NaN), as the live path does; ``height_cm`` (the person's height, from a profile:
    ``ExerciseConfig.height_cm``) scales heights above the floor. Invalid pose data raises
    :class:`~formcheck.pose.validate.PoseDataError` (``check=False``: already checked)."""
    if check:
        check_trace(trace, "trace_measures")
    trace, _ = keep_sides(trace, min_visibility)  # left/right kept consistent (pose/sides.py)
    usable = landmark_usable(trace.image_xy, trace.visibility, trace.presence, min_visibility)
    other = trace_other_person(trace, usable)
    usable[other] = False  # someone else: not measured, as if out of view
    img_in, world_in = mask_unusable(trace.image_xy, trace.world_xyz, usable)
    masked = PoseTrace(
        trace.t_s, img_in, world_in, trace.visibility, trace.presence, trace.n_people, trace.identity_jump, trace.meta
    )
    exact = is_world_exact(trace.meta.extra)
    img, world = smooth_trace(masked, smoothing_for(smoothing, exact), MEASURE_LANDMARKS)
    values = compute_measures(img, world, usable, trace.meta.aspect, only, world_exact=exact, height_cm=height_cm)
    values = distrust_jumps(values, trace.identity_jump)
    return values, usable, drawn_landmarks(img, trace.image_xy, usable, other)


def analyze_trace(
    trace: PoseTrace,
    cfg: ExerciseConfig,
    smoothing: SmoothingConfig = SmoothingConfig(),
    min_visibility: float = MIN_VISIBILITY,
    measures: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    on_frame: Callable[[int, RepChecker], None] | None = None,
) -> RepChecker:
    """Run the checker over a trace; pass ``measures`` (from :func:`trace_measures`) to
    re-score with new thresholds without recomputing them. ``on_frame(i, checker)`` is
    called after each frame (e.g. to record ``checker.state()`` for a replay). Invalid pose
    data raises :class:`~formcheck.pose.validate.PoseDataError`."""
    # Timestamps and shapes every time (cheap); landmark values once, with the measures.
    check_trace(trace, "analyze_trace", full=measures is None)
    if measures is None:
        measures = trace_measures(
            trace, smoothing, min_visibility, cfg.measures_used(), check=False, height_cm=cfg.height_cm
        )
    if len(measures[0]) != len(trace):
        raise ValueError(f"measures are of {len(measures[0])} frames but the trace has {len(trace)}")
    values, usable, img = measures
    required = required_landmarks(cfg)
    checker = RepChecker(cfg, segmented=is_segmented(trace.meta.extra))
    person = has_person(trace.n_people, trace.image_xy)
    other = trace_other_person(trace, landmark_usable(trace.image_xy, trace.visibility, trace.presence, min_visibility))
    switched = trace.identity_jump | other
    # Why each frame is not measurable, worked out only for the frames that are not
    # (frame_issue is "" when every required landmark is usable and nobody switched).
    issues = [""] * len(trace)
    for i in np.flatnonzero(~usable[:, required].all(axis=1) | switched).tolist():
        issues[i] = frame_issue(img[i], usable[i], required, bool(person[i]), bool(switched[i]))
    update = checker.update
    frames = zip(trace.t_s.tolist(), values, trace.n_people.tolist(), issues, strict=True)
    if on_frame is None:
        for t, row, people, issue in frames:
            update(MeasureFrame(t, row, people, issue))
    else:
        for i, (t, row, people, issue) in enumerate(frames):
            update(MeasureFrame(t, row, people, issue))
            on_frame(i, checker)
    checker.finish()
    return checker
