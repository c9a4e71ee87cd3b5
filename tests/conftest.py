"""Shared fixtures: the real data in ../shared (models, sample clips), skipped where it is absent."""

from __future__ import annotations

import functools
import http.server
import os
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
    from formcheck.pose.backend import BackendSpec
    from formcheck.programs.scoring import ScoreOptions, infer_trace

    done: dict[tuple[str, str], Any] = {}

    # Developers may point FORMCHECK_REAL_TRACES at saved full-model traces (<clip stem>.npz,
    # e.g. from ``score --trace-out``) to re-run these tests without inference.
    saved = os.environ.get("FORMCHECK_REAL_TRACES")

    def get(clip: str, model: str = "full") -> Any:
        key = (clip, model)
        if key not in done and saved and model == "full" and (Path(saved) / f"{Path(clip).stem}.npz").is_file():
            from formcheck.formats.trace import load_trace

            done[key] = load_trace(Path(saved) / f"{Path(clip).stem}.npz")
        if key not in done:
            opts = ScoreOptions(pose=BackendSpec(model=model, model_dir=models_dir), progress=False, use_cache=False)
            trace, _info, error = infer_trace(samples_dir / clip, opts)
            assert error is None, f"inference failed on {clip}: {error}"
            done[key] = trace
        return done[key]

    return get


class VideoMaker:
    """Small video files written on the spot (OpenCV's MPEG-4 encoder), and the damaged or
    odd variants users meet: cut short, rotated by metadata, still images, audio only."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def mp4(self, name: str = "clip.mp4", frames: int = 40, fps: float = 10.0, size: tuple[int, int] = (160, 90),
            faststart: bool = True, rotate_deg: int = 0) -> Path:  # fmt: skip
        """A clip whose frame i shows a white bar at x = 4 i (and a red left edge: the "up" of
        a rotated clip). ``faststart`` puts the index (moov) first, as phones and web
        videos do, so a file cut short still opens; ``rotate_deg`` sets the display matrix."""
        import cv2
        import numpy as np

        path = self.folder / name
        w, h = size
        out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        for i in range(frames):
            f = np.zeros((h, w, 3), np.uint8)
            f[:, : w // 8] = (0, 0, 255)
            f[:, (4 * i) % w : (4 * i) % w + 4] = 255
            out.write(f)
        out.release()
        data = path.read_bytes()
        if faststart:
            data = _faststart(data)
        if rotate_deg:
            data = _rotate(data, rotate_deg)
        path.write_bytes(data)
        return path

    def phone_copy(self, video: Path, name: str = "phone.mp4") -> Path:
        """``video`` as a phone held upright stores it: each frame turned 90° anticlockwise
        (sideways), with a display matrix saying "rotate 90° clockwise to show"."""
        import cv2

        cap = cv2.VideoCapture(str(video))
        fps = cap.get(cv2.CAP_PROP_FPS)
        ok, frame = cap.read()
        path = self.folder / name
        out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (frame.shape[0], frame.shape[1]))
        while ok:
            out.write(cv2.rotate(frame, cv2.ROTATE_90_COUNTERCLOCKWISE))
            ok, frame = cap.read()
        out.release()
        cap.release()
        path.write_bytes(_rotate(_faststart(path.read_bytes()), 90))
        return path

    def cut(self, video: Path, fraction: float, name: str = "cut.mp4") -> Path:
        """The first ``fraction`` of a file's bytes (a download or copy that stopped)."""
        data = video.read_bytes()
        out = self.folder / name
        out.write_bytes(data[: int(len(data) * fraction)])
        return out

    def still(self, name: str = "photo.png") -> Path:
        import cv2
        import numpy as np

        path = self.folder / name
        assert cv2.imwrite(str(path), np.full((90, 160, 3), 128, np.uint8))
        return path

    def wav(self, name: str = "voice.wav", seconds: float = 1.0) -> Path:
        import wave

        path = self.folder / name
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\0\0" * int(8000 * seconds))
        return path

    def gif(self, name: str = "anim.gif", frames: int = 12, frame_ms: int = 100) -> Path:
        from PIL import Image

        path = self.folder / name
        imgs = [Image.new("RGB", (80, 60), (20 * i % 256, 0, 0)) for i in range(frames)]
        imgs[0].save(path, save_all=True, append_images=imgs[1:], duration=frame_ms, loop=0)
        return path


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, offset, size) of the MP4 boxes in data[start:end]."""
    import struct

    i, end = start, len(data) if end is None else end
    while i + 8 <= end:
        size, typ = struct.unpack(">I4s", data[i : i + 8])
        if size < 8:
            return
        yield typ, i, size
        i += size


def _faststart(data: bytes) -> bytes:
    """The same MP4 with its moov box moved before mdat (chunk offsets shifted to match)."""
    import struct

    top = {typ: (off, size) for typ, off, size in _boxes(data)}
    moov_off, moov_size = top[b"moov"]
    mdat_off, _ = top[b"mdat"]
    moov = bytearray(data[moov_off : moov_off + moov_size])
    pos = 0
    while (pos := moov.find(b"stco", pos)) >= 0:
        count = struct.unpack(">I", moov[pos + 8 : pos + 12])[0]
        for k in range(count):
            at = pos + 12 + 4 * k
            moov[at : at + 4] = struct.pack(">I", struct.unpack(">I", moov[at : at + 4])[0] + moov_size)
        pos += 4
    return data[:mdat_off] + bytes(moov) + data[mdat_off:moov_off] + data[moov_off + moov_size :]


def _rotate(data: bytes, deg: int) -> bytes:
    """The same MP4 with the video track's display matrix (tkhd) rotating it by ``deg``
    clockwise, as a phone held upright records."""
    import math
    import struct

    out = bytearray(data)
    pos = out.find(b"tkhd")
    version = out[pos + 4]
    matrix_at = pos + 8 + (32 if version == 1 else 20) + 16
    c, s = round(math.cos(math.radians(deg))), round(math.sin(math.radians(deg)))
    out[matrix_at : matrix_at + 36] = struct.pack(">9i", c << 16, s << 16, 0, -s << 16, c << 16, 0, 0, 0, 1 << 30)
    return bytes(out)


@pytest.fixture
def test_videos(tmp_path: Path) -> VideoMaker:
    """:class:`VideoMaker` writing into a fresh folder."""
    folder = tmp_path / "videos"
    folder.mkdir()
    return VideoMaker(folder)


@pytest.fixture(scope="session")
def one_chain():
    """``one_chain(trace, cfg) -> checker``: runs the live per-frame analysis and the
    whole-trace analysis over ``trace`` and asserts they agree (the measures the exercise
    reads bit for bit, the events, reps and frame counts); returns the whole-trace checker."""
    import numpy as np

    from formcheck.analysis import Analyzer, analyze_trace, trace_measures
    from formcheck.measures.body import measure_index

    def bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
        a, b = np.ascontiguousarray(a, np.float64), np.ascontiguousarray(b, np.float64)
        return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))

    def check(trace, cfg):
        live = Analyzer.for_trace(cfg, trace.meta)  # exact 3-D and one-rep traces as the batch reads them
        rows = np.stack([live.update(f).measures.values for f in trace.frames()])
        live.finish()
        measures = trace_measures(trace, only=cfg.measures_used())
        used = [measure_index(m) for m in sorted(cfg.measures_used())]
        assert bits_equal(measures[0][:, used], rows[:, used])
        batch = analyze_trace(trace, cfg, measures=measures)
        assert batch.events == live.checker.events
        assert batch.results == live.checker.results
        assert (batch.frames, batch.measurable_frames) == (live.checker.frames, live.checker.measurable_frames)
        return batch

    return check
