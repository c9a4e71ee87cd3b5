"""Pose landmarks for one frame and for a whole recording.

Coordinates follow MediaPipe: image x,y are normalized to [0, 1] (x to the right, y down;
inside the image when both lie in [0, 1]); world x,y,z are metres with the origin between
the hips, y pointing down. Missing landmarks are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.pose.landmarks import N_LANDMARKS


@dataclass(frozen=True, slots=True)
class PoseFrame:
    """The tracked person's landmarks at one instant.

    Attributes:
        t_s: stream timestamp in seconds (container time or capture time).
        image_xy: (33, 2) normalized image coordinates.
        world_xyz: (33, 3) metres, origin between the hips.
        visibility: (33,) MediaPipe visibility in [0, 1].
        presence: (33,) MediaPipe presence in [0, 1].
        n_people: people detected in the frame (0 when nobody is found).
        identity_jump: True at a discontinuity: the tracked person changed abruptly since
            the last frame (someone else walked in, the estimator swapped people) or the
            video just cut to another shot. Such frames are not measurable.
    """

    t_s: float
    image_xy: np.ndarray
    world_xyz: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    n_people: int = 1
    identity_jump: bool = False

    @classmethod
    def empty(cls, t_s: float, n_people: int = 0) -> PoseFrame:
        nan2 = np.full((N_LANDMARKS, 2), np.nan)
        nan3 = np.full((N_LANDMARKS, 3), np.nan)
        zeros = np.zeros(N_LANDMARKS)
        return cls(t_s, nan2, nan3, zeros, zeros.copy(), n_people)

    @property
    def has_person(self) -> bool:
        return self.n_people > 0 and bool(np.isfinite(self.image_xy[0, 0]))


@dataclass(slots=True)
class TraceMeta:
    """Where a trace came from. ``width``/``height`` are the source frame size in pixels."""

    source: str = ""
    model: str = ""
    fps: float = 0.0
    width: int = 0
    height: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def aspect(self) -> float:
        """Width / height of the source frames (1.0 when unknown)."""
        return self.width / self.height if self.width > 0 and self.height > 0 else 1.0


@dataclass(slots=True)
class PoseTrace:
    """A recording's pose: T frames of landmarks, the input to re-scoring and tuning.

    Attributes:
        t_s: (T,) strictly increasing timestamps, seconds.
        image_xy: (T, 33, 2) normalized image coordinates.
        world_xyz: (T, 33, 3) metres.
        visibility: (T, 33).
        presence: (T, 33).
        n_people: (T,) int, people detected per frame.
        identity_jump: (T,) bool.
        meta: source metadata.
    """

    t_s: np.ndarray
    image_xy: np.ndarray
    world_xyz: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    n_people: np.ndarray
    identity_jump: np.ndarray
    meta: TraceMeta = field(default_factory=TraceMeta)

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def frame(self, i: int) -> PoseFrame:
        return PoseFrame(
            float(self.t_s[i]),
            self.image_xy[i],
            self.world_xyz[i],
            self.visibility[i],
            self.presence[i],
            int(self.n_people[i]),
            bool(self.identity_jump[i]),
        )

    def frames(self):
        for i in range(len(self)):
            yield self.frame(i)

    @classmethod
    def from_frames(cls, frames: list[PoseFrame], meta: TraceMeta | None = None) -> PoseTrace:
        if not frames:
            return cls(
                np.zeros(0),
                np.zeros((0, N_LANDMARKS, 2)),
                np.zeros((0, N_LANDMARKS, 3)),
                np.zeros((0, N_LANDMARKS)),
                np.zeros((0, N_LANDMARKS)),
                np.zeros(0, dtype=np.int16),
                np.zeros(0, dtype=bool),
                meta or TraceMeta(),
            )
        return cls(
            np.array([f.t_s for f in frames], dtype=np.float64),
            np.stack([f.image_xy for f in frames]).astype(np.float32),
            np.stack([f.world_xyz for f in frames]).astype(np.float32),
            np.stack([f.visibility for f in frames]).astype(np.float32),
            np.stack([f.presence for f in frames]).astype(np.float32),
            np.array([f.n_people for f in frames], dtype=np.int16),
            np.array([f.identity_jump for f in frames], dtype=bool),
            meta or TraceMeta(),
        )


class TraceBuilder:
    """Collects PoseFrames one at a time into preallocated, growing arrays.

    A frame costs 33 × 9 float32 values (~1.2 kB): a 30-minute session is ~65 MB, so the
    trace can be kept while video frames are streamed and dropped.
    """

    def __init__(self, meta: TraceMeta | None = None, capacity: int = 1024) -> None:
        self.meta = meta or TraceMeta()
        self._n = 0
        self._alloc(capacity)

    def _alloc(self, cap: int) -> None:
        old = getattr(self, "_t", None)
        new = {
            "_t": np.zeros(cap),
            "_img": np.zeros((cap, N_LANDMARKS, 2), np.float32),
            "_world": np.zeros((cap, N_LANDMARKS, 3), np.float32),
            "_vis": np.zeros((cap, N_LANDMARKS), np.float32),
            "_pres": np.zeros((cap, N_LANDMARKS), np.float32),
            "_people": np.zeros(cap, np.int16),
            "_jump": np.zeros(cap, bool),
        }
        if old is not None:
            for name, arr in new.items():
                arr[: self._n] = getattr(self, name)[: self._n]
        for name, arr in new.items():
            setattr(self, name, arr)

    def append(self, f: PoseFrame) -> None:
        if self._n == self._t.shape[0]:
            self._alloc(2 * self._n)
        self._write(self._n, f)  # first: a frame that fails to write is not counted
        self._n += 1

    def __len__(self) -> int:
        return self._n

    def set(self, i: int, f: PoseFrame) -> None:
        """Replace frame ``i`` (already appended; e.g. a placeholder filled in later)."""
        if not 0 <= i < self._n:
            raise IndexError(i)
        self._write(i, f)

    def _write(self, i: int, f: PoseFrame) -> None:
        self._t[i] = f.t_s
        self._img[i] = f.image_xy
        self._world[i] = f.world_xyz
        self._vis[i] = f.visibility
        self._pres[i] = f.presence
        self._people[i] = f.n_people
        self._jump[i] = f.identity_jump

    def build(self) -> PoseTrace:
        n = self._n
        return PoseTrace(
            self._t[:n].copy(),
            self._img[:n].copy(),
            self._world[:n].copy(),
            self._vis[:n].copy(),
            self._pres[:n].copy(),
            self._people[:n].copy(),
            self._jump[:n].copy(),
            self.meta,
        )
