"""The pose-backend seam: what turns frames into :class:`PoseFrame`, chosen by name.

A backend is anything with the :class:`PoseBackend` methods. It is described by a
:class:`BackendSpec` (which backend, which of its models, options), the one object that
travels from the command line to the scoring and live loops, and it is created through
the registry::

    from formcheck.pose.backend import BackendSpec, open_backend
    with open_backend(BackendSpec("mediapipe", "lite")) as backend:
        pose = backend.detect(frame_bgr, t_s)

Registered here: ``mediapipe`` (:mod:`formcheck.pose.estimator`, the default) and
``replay`` (:mod:`formcheck.pose.replay`: a saved or imported trace played back as if
it were estimated live). Adding a backend is one module with a :class:`BackendFactory`
and one :func:`register_backend` call (see docs/architecture.md).

Discontinuities (hard cuts, identity jumps) are not a backend's business: the loops run
every backend's poses through :class:`formcheck.pose.continuity.Continuity`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from formcheck.errors import ConfigError
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

    ``detect`` gets frames in stream order with increasing ``t_s``; ``restart`` forgets all
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


_REGISTRY: dict[str, BackendFactory] = {}


def register_backend(factory: BackendFactory) -> None:
    """Make a backend available by name (a later registration of the same name replaces it)."""
    _REGISTRY[factory.name] = factory


def unregister_backend(name: str) -> None:
    _REGISTRY.pop(name, None)


def backend_names() -> tuple[str, ...]:
    _load_builtin()
    return tuple(_REGISTRY)


def get_backend(name: str) -> BackendFactory:
    """The registered backend ``name``; ConfigError naming the valid ones otherwise."""
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"Unknown pose backend {name!r}: use one of {', '.join(_REGISTRY)}.") from None


def open_backend(spec: BackendSpec, progress: bool = True) -> PoseBackend:
    """A ready backend for ``spec`` (use it as a context manager)."""
    return get_backend(spec.backend).open(spec, progress)


def backend_model_id(spec: BackendSpec) -> str:
    """The id of the landmarks ``spec`` gives (reports, trace cache), without loading a model."""
    return get_backend(spec.backend).model_id(spec)


_BUILTIN_LOADED = False


def _load_builtin() -> None:
    # The built-in backends register themselves on import; imported lazily so that naming
    # a spec never imports MediaPipe.
    global _BUILTIN_LOADED
    if _BUILTIN_LOADED:
        return
    _BUILTIN_LOADED = True
    from formcheck.pose import mediapipe_backend, replay

    for module in (mediapipe_backend, replay):
        _REGISTRY.setdefault(module.FACTORY.name, module.FACTORY)  # a user's registration wins
