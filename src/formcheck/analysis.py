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

import contextlib
import dataclasses
import queue
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

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
from formcheck.pose.identity import IdentityGuard, body_features, frame_features, other_person_frames
from formcheck.pose.landmarks import SIDES
from formcheck.pose.sides import SideKeeper, SideState, keep_sides
from formcheck.pose.validate import _fail as _invalid
from formcheck.pose.validate import check_frame, check_trace
from formcheck.smoothing.batch import FlatCarry, smooth_landmarks, smooth_landmarks_window
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


@dataclass(slots=True)
class ChainCarry:
    """What the chain's stateful stages hold after a window's last frame, to analyse the
    next window as if the two were one recording: the side keeper's and the identity guard's
    state, the smoother's, the last timestamp (the next window must not go back) and the frames
    analysed so far.
    The per-frame stages (usability, measures, frame issues) hold nothing; the checker, a
    state machine, is carried as itself. Analysing a trace window by window with one carry
    gives, bit for bit, what analysing it whole gives (``tests/test_streaming.py``)."""

    identity: IdentityGuard = dataclasses.field(default_factory=IdentityGuard)
    sides: SideState = dataclasses.field(default_factory=SideState)
    smoothing: FlatCarry | None = None
    t_last: float | None = None
    frames: int = 0


@dataclass(slots=True)
class WindowMeasures:
    """The chain's output for one window: (W, M) measure values, (W, 33) usable mask,
    (W, 33, 2) landmarks to draw and explain with, (W,) frames of someone else's body."""

    values: np.ndarray
    usable: np.ndarray
    img: np.ndarray
    other: np.ndarray

    def as_tuple(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.values, self.usable, self.img


@dataclass(slots=True)
class WindowInputs:
    """What the checker reads of one window: (W,) times, (W, M) values, (W,) people counts
    and why each frame is not measurable ("" when it is)."""

    t_s: np.ndarray
    values: np.ndarray
    n_people: np.ndarray
    issues: list[str]


def _other_person(window: PoseTrace, usable: np.ndarray, guard: IdentityGuard) -> np.ndarray:
    """(W,) :func:`trace_other_person` of a window, the guard going on from its state."""
    person = has_person(window.n_people, window.image_xy)
    hip, torso = body_features(window.image_xy, usable, window.meta.aspect)
    return guard.run(window.t_s, person, window.identity_jump, hip, torso)


def _check_goes_on(window: PoseTrace, carry: ChainCarry, where: str) -> None:
    """A window's first timestamp must not go back from the last window's last."""
    if carry.t_last is not None and len(window) and not float(window.t_s[0]) >= carry.t_last:
        raise _invalid(
            where,
            f"timestamps must not go back, but frame {carry.frames} (t_s={float(window.t_s[0])!r}) follows frame "
            f"{carry.frames - 1} (t_s={carry.t_last!r})",
        )


def window_measures(
    window: PoseTrace,
    carry: ChainCarry,
    smoothing: SmoothingConfig = SmoothingConfig(),
    min_visibility: float = MIN_VISIBILITY,
    only: Collection[str] | None = None,
    check: bool = True,
    where: str = "trace_measures",
    height_cm: float | None = None,
) -> WindowMeasures:
    """Measures of the next window of a trace, going on from ``carry`` (updated in place);
    a whole trace is one window with a fresh carry (:func:`trace_measures`). ``where``
    names the data in error messages; ``height_cm`` (the person's height, from a profile:
    ``ExerciseConfig.height_cm``) scales heights above the floor. The measures (and ``img``)
    are of the landmarks with left/right kept consistent (:mod:`formcheck.pose.sides`)."""
    where = where if carry.frames == 0 else f"{where}, the window from frame {carry.frames}"
    if check:
        check_trace(window, where)
    _check_goes_on(window, carry, where)
    window, carry.sides = keep_sides(window, min_visibility, carry.sides)
    usable = landmark_usable(window.image_xy, window.visibility, window.presence, min_visibility)
    other = _other_person(window, usable, carry.identity)
    usable[other] = False  # someone else: not measured, as if out of view
    img_in, world_in = mask_unusable(window.image_xy, window.world_xyz, usable)
    exact = is_world_exact(window.meta.extra)
    img, world, carry.smoothing = smooth_landmarks_window(
        window.t_s, img_in, world_in, has_person(window.n_people, img_in), window.identity_jump,
        smoothing_for(smoothing, exact), MEASURE_LANDMARKS, carry.smoothing,
    )  # fmt: skip
    values = compute_measures(img, world, usable, window.meta.aspect, only, world_exact=exact, height_cm=height_cm)
    values = distrust_jumps(values, window.identity_jump)
    if len(window):
        carry.t_last = float(window.t_s[-1])
    carry.frames += len(window)
    return WindowMeasures(values, usable, drawn_landmarks(img, window.image_xy, usable, other), other)


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
    skipped (NaN), as the live path does; ``height_cm`` as in :func:`window_measures`. Invalid
    pose data raises :class:`~formcheck.pose.validate.PoseDataError` (``check=False``: already
    checked)."""
    return window_measures(trace, ChainCarry(), smoothing, min_visibility, only, check, height_cm=height_cm).as_tuple()


def window_inputs(window: PoseTrace, required: np.ndarray, measures: WindowMeasures) -> WindowInputs:
    """The checker's inputs for a window: its measures and, worked out only for the frames
    that need it, why a frame is not measurable (``frame_issue`` is "" when every required
    landmark is usable and nobody switched)."""
    values, usable, img = measures.values, measures.usable, measures.img
    person = has_person(window.n_people, window.image_xy)
    switched = window.identity_jump | measures.other
    issues = [""] * len(window)
    for i in np.flatnonzero(~usable[:, required].all(axis=1) | switched).tolist():
        issues[i] = frame_issue(img[i], usable[i], required, bool(person[i]), bool(switched[i]))
    return WindowInputs(window.t_s, values, window.n_people, issues)


def run_checker(
    checker: RepChecker, inputs: WindowInputs, on_frame: Callable[[int, RepChecker], None] | None = None, first: int = 0
) -> None:
    """Step the checker over a window's frames; ``on_frame(first + i, checker)`` after each."""
    update = checker.update
    frames = zip(inputs.t_s.tolist(), inputs.values, inputs.n_people.tolist(), inputs.issues, strict=True)
    if on_frame is None:
        for t, row, people, issue in frames:
            update(MeasureFrame(t, row, people, issue))
    else:
        for i, (t, row, people, issue) in enumerate(frames, start=first):
            update(MeasureFrame(t, row, people, issue))
            on_frame(i, checker)


def analyze_windows(
    windows: Iterable[PoseTrace],
    cfg: ExerciseConfig,
    smoothing: SmoothingConfig = SmoothingConfig(),
    min_visibility: float = MIN_VISIBILITY,
    segmented: bool = False,
    on_window: Callable[[int, PoseTrace, WindowMeasures], None] | None = None,
    where: str = "analyze_windows",
    ahead: bool = False,
) -> RepChecker:
    """Run the whole chain (measures, then the checker) over consecutive windows of one
    trace, carrying every stage's state from window to window: the same finished checker as
    :func:`analyze_trace` over the whole trace, with memory bounded by a window.
    ``on_window(first_frame, window, measures)`` sees each window's measures (e.g. to keep
    the signal series). ``segmented``: the trace is one repetition (``is_segmented``).
    ``ahead``: the next window is read and measured by a helper thread while the checker
    steps through this one (the same result; ``windows`` must then not be used meanwhile)."""
    carry = ChainCarry()
    checker = RepChecker(cfg, segmented=segmented)
    required = required_landmarks(cfg)
    only = cfg.measures_used()

    def prepared() -> Iterator[tuple[int, PoseTrace, WindowMeasures, WindowInputs]]:
        for window in windows:
            first = carry.frames
            measures = window_measures(
                window, carry, smoothing, min_visibility, only, where=where, height_cm=cfg.height_cm
            )
            yield first, window, measures, window_inputs(window, required, measures)

    for first, window, measures, inputs in _one_ahead(prepared()) if ahead else prepared():
        run_checker(checker, inputs)
        if on_window is not None:
            on_window(first, window, measures)
    checker.finish()
    return checker


_T = TypeVar("_T")


def _one_ahead(items: Iterator[_T]) -> Iterator[_T]:
    """``items``, each made by a helper thread while the caller works on the one before:
    reading and decompressing, smoothing and measuring (numpy and zlib, which let go of the
    interpreter lock) overlap the checker's pure-Python steps. At most two items are held."""
    box: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def make() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        box.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(("end", None))
        except BaseException as e:  # handed to the caller, raised there
            box.put(("error", e))

    helper = threading.Thread(target=make, name="formcheck-window-ahead", daemon=True)
    helper.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "end":
                return
            if kind == "error":
                raise value  # type: ignore[misc]
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        while helper.is_alive():  # let it finish the window it is on (or drop a waiting one)
            with contextlib.suppress(queue.Empty):
                box.get_nowait()
            helper.join(timeout=0.05)


def analyze_trace(
    trace: PoseTrace,
    cfg: ExerciseConfig,
    smoothing: SmoothingConfig = SmoothingConfig(),
    min_visibility: float = MIN_VISIBILITY,
    measures: tuple[np.ndarray, np.ndarray, np.ndarray] | WindowMeasures | None = None,
    on_frame: Callable[[int, RepChecker], None] | None = None,
) -> RepChecker:
    """Run the checker over a trace; pass ``measures`` (from :func:`trace_measures`, or a
    whole-trace :func:`window_measures`, which also holds who was someone else) to re-score
    with new thresholds without recomputing them. ``on_frame(i, checker)`` is called after
    each frame (e.g. to record ``checker.state()`` for a replay). Invalid pose data raises
    :class:`~formcheck.pose.validate.PoseDataError`."""
    # Timestamps and shapes every time (cheap); landmark values once, with the measures.
    check_trace(trace, "analyze_trace", full=measures is None)
    if measures is None:
        wm = window_measures(
            trace, ChainCarry(), smoothing, min_visibility, cfg.measures_used(), check=False, height_cm=cfg.height_cm
        )
    elif isinstance(measures, WindowMeasures):
        if len(measures.values) != len(trace):
            raise ValueError(f"measures are of {len(measures.values)} frames but the trace has {len(trace)}")
        wm = measures
    else:
        if len(measures[0]) != len(trace):
            raise ValueError(f"measures are of {len(measures[0])} frames but the trace has {len(trace)}")
        usable_raw = landmark_usable(trace.image_xy, trace.visibility, trace.presence, min_visibility)
        wm = WindowMeasures(*measures, other=trace_other_person(trace, usable_raw))
    checker = RepChecker(cfg, segmented=is_segmented(trace.meta.extra))
    run_checker(checker, window_inputs(trace, required_landmarks(cfg), wm), on_frame)
    checker.finish()
    return checker
