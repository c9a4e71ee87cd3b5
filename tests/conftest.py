"""Shared fixtures: the real data in ../shared (models, sample clips), skipped where it is absent."""

from __future__ import annotations

import functools
import http.server
import socket
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _private_user_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test (and every formcheck it starts) keeps its session history out of the real
    user data folder: ``XDG_DATA_HOME`` points at a temporary folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


def _need(path: Path) -> Path:
    if not path.is_dir():
        pytest.skip(f"{path} is absent (the shared models and sample clips live next to the repository)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` next to the repository root."""
    return _need((REPO_ROOT / ".." / "shared").resolve())


@pytest.fixture(scope="session")
def models_dir(shared_dir: Path) -> Path:
    """The official pose landmarker bundles (``pose_landmarker_{lite,full,heavy}.task``)."""
    return _need(shared_dir / "models")


@pytest.fixture(scope="session")
def samples_dir(shared_dir: Path) -> Path:
    """The real sample clips (``*.mp4``) and their ``labels.toml``."""
    return _need(shared_dir / "sample_videos")


@pytest.fixture(scope="session")
def labels(samples_dir: Path) -> dict[str, Any]:
    """``labels.toml`` of the shared clips, parsed (``labels["clip"]`` is the list of clips)."""
    with (samples_dir / "labels.toml").open("rb") as f:
        return tomllib.load(f)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def file_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1, as ``(folder, base_url)``: downloads tested for real, offline."""
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    folder = tmp_path / "served"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes any host but 127.0.0.1/localhost unresolvable, so a test can never reach the internet."""
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1", b"localhost"):
            raise socket.gaierror(socket.EAI_NONAME, f"tests are offline: {host!r} is not reachable")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


@pytest.fixture(scope="session")
def real_trace(samples_dir: Path, models_dir: Path):
    """``real_trace(clip, model="full") -> PoseTrace``: pose inference on a real sample clip,
    run once per (clip, model) per test session and shared by every test that asks."""
    from formcheck.scoring import ScoreOptions, infer_trace

    done: dict[tuple[str, str], Any] = {}

    def get(clip: str, model: str = "full") -> Any:
        key = (clip, model)
        if key not in done:
            opts = ScoreOptions(model=model, model_dir=models_dir, progress=False, use_cache=False)
            trace, _info, error = infer_trace(samples_dir / clip, opts)
            assert error is None, f"inference failed on {clip}: {error}"
            done[key] = trace
        return done[key]

    return get
