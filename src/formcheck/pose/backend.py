"""The pose-backend seam: what turns frames into :class:`PoseFrame`, chosen by name.

A backend is anything with the :class:`PoseBackend` methods. It is described by a
:class:`BackendSpec` (which backend, which of its models, options), the one object that
travels from the command line to the scoring and live loops, and it is created through
the registry::

    from formcheck.pose.backend import BackendSpec, open_backend
    with open_backend(BackendSpec("mediapipe", "lite")) as backend:
        pose = backend.detect(frame_bgr, t_s)

Registered here: ``mediapipe`` (:mod:`formcheck.pose.mediapipe_backend`, running
:mod:`formcheck.pose.estimator`; the default) and ``replay`` (:mod:`formcheck.pose.replay`:
a saved or imported trace played back as if it were estimated live). Adding a backend is
one module with a :class:`BackendFactory` and one :func:`register_backend` call (see
docs/architecture.md). The types live in :mod:`formcheck.pose.protocol`.

Discontinuities (hard cuts, identity jumps) are not a backend's business: the loops run
every backend's poses through :class:`formcheck.pose.continuity.Continuity`.
"""

from __future__ import annotations

from formcheck.errors import ConfigError
from formcheck.pose import mediapipe_backend, replay
from formcheck.pose.protocol import DEFAULT_BACKEND, BackendFactory, BackendSpec, PoseBackend

__all__ = [
    "DEFAULT_BACKEND", "BackendFactory", "BackendSpec", "PoseBackend", "backend_model_id", "backend_names",
    "get_backend", "open_backend", "register_backend", "unregister_backend",
]  # fmt: skip

_REGISTRY: dict[str, BackendFactory] = {f.name: f for f in (mediapipe_backend.FACTORY, replay.FACTORY)}


def register_backend(factory: BackendFactory) -> None:
    """Make a backend available by name (a later registration of the same name replaces it)."""
    _REGISTRY[factory.name] = factory


def unregister_backend(name: str) -> None:
    _REGISTRY.pop(name, None)


def backend_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get_backend(name: str) -> BackendFactory:
    """The registered backend ``name``; ConfigError naming the valid ones otherwise."""
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
