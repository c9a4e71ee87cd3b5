"""The ``mediapipe`` pose backend's registration: MediaPipe Pose Landmarker bundles by name
(from ``models/manifest.toml``) or by path. The backend itself is
:class:`formcheck.pose.estimator.PoseEstimator`; this module stays light (no MediaPipe,
no OpenCV) so that naming the backend or its model id costs nothing."""

from __future__ import annotations

from pathlib import Path

from formcheck.pose.protocol import BackendFactory, BackendSpec, PoseBackend


def _models() -> tuple[str, ...]:
    from formcheck.pose.models import manifest

    return tuple(manifest())


def model_id(spec: BackendSpec) -> str:
    """A bundle's identity for reports and the trace cache: its name, or a custom file's hash."""
    if spec.model in _models():
        return spec.model
    from formcheck.runtime.datafiles import file_sha256

    path = Path(spec.model)
    return f"{path.name}:{file_sha256(path)[:16]}" if path.is_file() else path.name


def _open(spec: BackendSpec, progress: bool) -> PoseBackend:
    from formcheck.pose.estimator import PoseEstimator
    from formcheck.pose.models import resolve_model

    path = resolve_model(spec.model, spec.model_dir, progress=progress)
    return PoseEstimator(path, num_poses=spec.num_poses, model_id=model_id(spec))


FACTORY = BackendFactory("mediapipe", _open, model_id, _models, default_model="full")
