"""What a pose backend is (:class:`PoseBackend`), how one is described (:class:`BackendSpec`)
and registered (:class:`BackendFactory`); the registry is :mod:`formcheck.pose.backend`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from formcheck.pose.frame import PoseFrame

DEFAULT_BACKEND = "mediapipe"


@dataclass(frozen=True, slots=True)
class BackendSpec:
    """Which pose backend to run and how.

    Attributes:
        backend: registered backend name (``mediapipe``, ``replay``, ...).
        model: the backend's model: a name it knows (mediapipe: ``lite``/``full``/``heavy``)
            or a file (mediapipe: a ``.task`` bundle; replay: a trace file).
        model_dir: a folder to look for named models in first (None: the backend's default
            places).
        num_poses: people to detect (backends that detect one person ignore it).
    """

    backend: str = DEFAULT_BACKEND
    model: str = "full"
    model_dir: Path | None = None
    num_poses: int = 1


@runtime_checkable
class PoseBackend(Protocol):
    """Frames in, the tracked person's landmarks out, one stream per instance.

    ``detect`` gets frames in stream order with increasing ``t_s``, not necessarily every one
    (offline scoring skips frames at its adaptive rate); ``restart`` forgets all
    tracking state, as if the stream began at the next frame (what lets a video be scored in
    independent chunks); ``close`` releases the model. Backends are context managers.
    """

    #: Identity of what produces the landmarks, for reports and the trace cache key: two
    #: backends with the same id give the same landmarks for the same frames.
    model_id: str

    def detect(self, frame_bgr: np.ndarray, t_s: float) -> PoseFrame: ...

    def restart(self) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> PoseBackend: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass(frozen=True, slots=True)
class BackendFactory:
    """A registered backend.

    Attributes:
        name: the registry name.
        open: creates a backend for a spec (loads the model; may download it when
            ``progress`` allows showing a bar).
        model_id: the id :attr:`PoseBackend.model_id` will have, without loading anything
            (the trace cache is looked up before any model is loaded).
        models: model names the backend knows (for help and messages); empty when models
            are files only.
        default_model: the model used when none is named.
    """

    name: str
    open: Callable[[BackendSpec, bool], PoseBackend]
    model_id: Callable[[BackendSpec], str]
    models: Callable[[], tuple[str, ...]] = tuple
    default_model: str = ""
