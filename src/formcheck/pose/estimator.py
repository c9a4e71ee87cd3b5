"""MediaPipe Pose Landmarker (Tasks API, VIDEO mode) → PoseFrame numpy arrays.

The only module that imports MediaPipe. One estimator per stream: VIDEO mode tracks the
person between frames and needs strictly increasing timestamps.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import os
import sys
import types
import weakref
from pathlib import Path

import cv2
import numpy as np

from formcheck.errors import ModelError
from formcheck.landmarks import N_LANDMARKS
from formcheck.landmarks import Landmark as L
from formcheck.pose.frame import PoseFrame

# A tracked person whose hip centre moves this far (in frame heights) between consecutive
# frames has been swapped for someone else: MediaPipe follows one person and may jump.
_JUMP_FRACTION = 0.25
# Hard cuts between shots (edited videos): mean absolute difference of a coarse thumbnail
# (0-255). Natural motion in front of a fixed camera stays under ~10; cuts score 40+.
_CUT_SCORE = 25.0
# After a cut MediaPipe keeps "tracking" for a few frames while its landmarks slide off
# the body: distrust the landmarks this long.
_CUT_SETTLE_S = 0.25
_THUMB_STRIDE = 16


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence the native library's start-up INFO/WARNING lines (written straight to fd 2,
    which GLOG_minloglevel does not stop) so users don't mistake them for errors."""
    if os.environ.get("FORMCHECK_NATIVE_LOGS"):
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _DeferredModule(types.ModuleType):
    """Stands in for a module in ``sys.modules`` and imports the real one on first use."""

    def __getattr__(self, attr: str):
        _undefer()
        return getattr(importlib.import_module(self.__name__), attr)


_DEFERRED = ("matplotlib", "matplotlib.pyplot")


def _undefer() -> None:
    for name in _DEFERRED:
        if isinstance(sys.modules.get(name), _DeferredModule):
            del sys.modules[name]


def import_mediapipe():
    """Import MediaPipe without the cost of its drawing helpers' ``matplotlib.pyplot``.

    ``mediapipe`` imports every task at start-up, and its drawing utilities (which
    formcheck does not use) import pyplot: ~0.4 s of a ~0.5 s import, paid again by
    every worker process of a parallel score. matplotlib is deferred to its first use
    for the duration of the import; anyone importing it afterwards gets the real module.
    """
    if "mediapipe" in sys.modules or any(name in sys.modules for name in _DEFERRED):
        return importlib.import_module("mediapipe")
    package, pyplot = (_DeferredModule(name) for name in _DEFERRED)
    package.pyplot = pyplot  # `import matplotlib.pyplot as plt` reads this attribute
    sys.modules.update(zip(_DEFERRED, (package, pyplot), strict=True))
    try:
        return importlib.import_module("mediapipe")
    finally:
        _undefer()


def hip_centre(image_xy: np.ndarray, aspect: float) -> np.ndarray:
    """(2,) hip centre of (33, 2) normalized image landmarks, in frame heights."""
    return np.asarray(image_xy, dtype=np.float64)[[L.LEFT_HIP, L.RIGHT_HIP]].mean(axis=0) * (aspect, 1.0)


def is_jump(prev_hip: np.ndarray | None, hip: np.ndarray) -> bool:
    """True when the tracked person's hip centre moved too far since the previous frame
    to be the same person (``prev_hip`` None: no one was tracked in the previous frame)."""
    return prev_hip is not None and float(np.hypot(*(hip - prev_hip))) > _JUMP_FRACTION


#: Landmarkers not closed yet. MediaPipe's own finalizer, when it runs during interpreter
#: shutdown, prints a traceback ("Exception ignored in PoseLandmarker.__del__") and native
#: "DestroyAccelerator" lines past formcheck's log filter: close them before that.
_OPEN: weakref.WeakSet[PoseEstimator] = weakref.WeakSet()


def close_all() -> None:
    """Close every PoseEstimator still open (one an error path left open). The CLI calls it
    while its native-log filter is still in place; it also runs at exit."""
    for est in list(_OPEN):
        est.close()


atexit.register(close_all)


class PoseEstimator:
    """Wraps ``vision.PoseLandmarker`` in VIDEO mode.

    Args:
        model_path: a ``pose_landmarker_*.task`` bundle (see :mod:`formcheck.pose.models`).
        num_poses: people to detect. 1 is fastest (the detector runs only when tracking is
            lost); 2 lets formcheck notice a second person and keep following the first, at
            about twice the inference cost.
    """

    def __init__(
        self,
        model_path: Path,
        num_poses: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
    ) -> None:
        mp = import_mediapipe()
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        self.model_path = Path(model_path)
        opts = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=num_poses,
            min_pose_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            output_segmentation_masks=False,
        )
        self._options = opts
        self._lm = self._create()
        _OPEN.add(self)
        self._last_hip: np.ndarray | None = None  # whom to follow among several people
        self._prev_hip: np.ndarray | None = None  # the previous frame's hip centre, for jumps
        self._thumb: np.ndarray | None = None
        self._cut_until = -np.inf
        self._rgb: np.ndarray | None = None

    def _create(self):
        from mediapipe.tasks.python import vision

        try:
            with _quiet_native_stderr():
                lm = vision.PoseLandmarker.create_from_options(self._options)
        except (RuntimeError, ValueError) as e:
            raise ModelError(
                f"{self.model_path} could not be loaded as a MediaPipe pose landmarker model ({e}). "
                "Use --model lite|full|heavy or a pose_landmarker_*.task file."
            ) from None
        self._warm = False
        self._last_ms = -1
        return lm

    def restart(self) -> None:
        """Start the landmarker afresh, as if the video began at the next frame.

        VIDEO mode carries state from frame to frame (the tracked region, its own
        filters), so landmarks after frame *t* depend on every frame before it. After a
        restart they depend only on the frames from here on, which is what lets a video
        be scored in independent chunks that give exactly the landmarks of one pass
        (see :func:`formcheck.scoring.segment_starts`). Cut detection and the jump check
        against the previous frame carry on across a restart; whom to follow among
        several people is chosen afresh (the largest).
        """
        self._lm.close()
        self._lm = self._create()
        self._last_hip = None

    def observe(self, frame_bgr: np.ndarray, t_s: float) -> None:
        """Feed a frame to cut detection only, without inference: primes a chunk that
        starts mid-video so cuts just before it are known, as in one pass."""
        self._cut(frame_bgr[::_THUMB_STRIDE, ::_THUMB_STRIDE, ::-1], t_s)
        self._prev_hip = None

    def detect(self, frame_bgr: np.ndarray, t_s: float) -> PoseFrame:
        """Landmarks of the tracked person in one frame (BGR, as OpenCV decodes)."""
        # Converted into a buffer kept from frame to frame (MediaPipe copies it): a fresh
        # multi-MB array per frame costs more in page faults (~1 ms at 720p) than the conversion.
        if self._rgb is None or self._rgb.shape != frame_bgr.shape:
            self._rgb = np.empty_like(frame_bgr)
        cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB, dst=self._rgb)
        return self.detect_rgb(self._rgb, t_s)

    def _cut(self, thumb_rgb: np.ndarray, t_s: float) -> bool:
        """True while the frame follows a hard cut between shots by under _CUT_SETTLE_S.
        ``thumb_rgb`` is the frame subsampled by _THUMB_STRIDE (RGB order)."""
        thumb = thumb_rgb.astype(np.int16)
        prev, self._thumb = self._thumb, thumb
        if prev is not None and prev.shape == thumb.shape and float(np.abs(thumb - prev).mean()) > _CUT_SCORE:
            self._cut_until = t_s + _CUT_SETTLE_S
        return t_s <= self._cut_until

    def detect_rgb(self, rgb: np.ndarray, t_s: float) -> PoseFrame:
        mp = self._mp
        ts_ms = max(round(t_s * 1000.0), self._last_ms + 1)  # must strictly increase
        self._last_ms = ts_ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if not self._warm:
            with _quiet_native_stderr():  # first inference logs more native warnings
                result = self._lm.detect_for_video(image, ts_ms)
            self._warm = True
        else:
            result = self._lm.detect_for_video(image, ts_ms)
        people = result.pose_landmarks
        cut = self._cut(rgb[::_THUMB_STRIDE, ::_THUMB_STRIDE], t_s)
        if not people:
            self._last_hip = self._prev_hip = None
            return PoseFrame.empty(t_s)
        aspect = rgb.shape[1] / rgb.shape[0]
        k = self._choose(people, aspect)
        img = np.array([(p.x, p.y, p.visibility or 0.0, p.presence or 0.0) for p in people[k]], dtype=np.float64)
        world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[k]], dtype=np.float64)
        hip = hip_centre(img[:, :2], aspect)
        jump = is_jump(self._prev_hip, hip)
        self._last_hip = self._prev_hip = hip
        assert img.shape[0] == N_LANDMARKS
        return PoseFrame(t_s, img[:, :2], world, img[:, 2], img[:, 3], len(people), jump or cut)

    def _choose(self, people: list, aspect: float) -> int:
        """With several people, keep following the one nearest the last tracked hip centre
        (or, at first, the largest)."""
        if len(people) == 1:
            return 0
        hips = np.array(
            [
                [(p[L.LEFT_HIP].x + p[L.RIGHT_HIP].x) / 2 * aspect, (p[L.LEFT_HIP].y + p[L.RIGHT_HIP].y) / 2]
                for p in people
            ]
        )
        if self._last_hip is not None:
            return int(np.argmin(np.hypot(*(hips - self._last_hip).T)))
        sizes = [abs(p[L.LEFT_SHOULDER].y - p[L.LEFT_ANKLE].y) for p in people]
        return int(np.argmax(sizes))

    def close(self) -> None:
        if self in _OPEN:
            _OPEN.discard(self)
            self._lm.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
