"""MediaPipe Pose Landmarker (Tasks API, VIDEO mode) → PoseFrame numpy arrays: the
``mediapipe`` pose backend (:mod:`formcheck.pose.backend`; registered by
:mod:`formcheck.pose.mediapipe_backend`).

The only module that imports MediaPipe. One estimator per stream: VIDEO mode tracks the
person between frames and needs strictly increasing timestamps. Cuts and identity jumps are
marked after it, for every backend alike (:mod:`formcheck.pose.continuity`).
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
from formcheck.pose.continuity import hip_centre
from formcheck.pose.frame import PoseFrame
from formcheck.pose.landmarks import N_LANDMARKS
from formcheck.pose.landmarks import Landmark as L


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
    """Wraps ``vision.PoseLandmarker`` in VIDEO mode (a :class:`formcheck.pose.backend.PoseBackend`).

    Args:
        model_path: a ``pose_landmarker_*.task`` bundle (see :mod:`formcheck.pose.models`).
        model_id: the bundle's id for reports and the trace cache (default: the file name).
        num_poses: people to detect. 1 is fastest (the detector runs only when tracking is
            lost); 2 lets formcheck notice a second person and keep following the first, at
            about twice the inference cost.
    """

    def __init__(
        self,
        model_path: Path,
        num_poses: int = 1,
        model_id: str | None = None,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
    ) -> None:
        mp = import_mediapipe()
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        self.model_path = Path(model_path)
        self.model_id = model_id or self.model_path.name
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
        (see :func:`formcheck.programs.scoring.segment_starts`). Whom to follow among several
        people is chosen afresh (the largest).
        """
        self._lm.close()
        self._lm = self._create()
        self._last_hip = None

    def detect(self, frame_bgr: np.ndarray, t_s: float) -> PoseFrame:
        """Landmarks of the tracked person in one frame (BGR, as OpenCV decodes)."""
        # Converted into a buffer kept from frame to frame (MediaPipe copies it): a fresh
        # multi-MB array per frame costs more in page faults (~1 ms at 720p) than the conversion.
        if self._rgb is None or self._rgb.shape != frame_bgr.shape:
            self._rgb = np.empty_like(frame_bgr)
        cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB, dst=self._rgb)
        return self.detect_rgb(self._rgb, t_s)

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
        if not people:
            self._last_hip = None
            return PoseFrame.empty(t_s)
        aspect = rgb.shape[1] / rgb.shape[0]
        k = self._choose(people, aspect)
        img = np.array([(p.x, p.y, p.visibility or 0.0, p.presence or 0.0) for p in people[k]], dtype=np.float64)
        world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[k]], dtype=np.float64)
        self._last_hip = hip_centre(img[:, :2], aspect)
        assert img.shape[0] == N_LANDMARKS
        return PoseFrame(t_s, img[:, :2], world, img[:, 2], img[:, 3], len(people))

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
