"""Model bundles that are damaged, downloads that never finish, and URLs that must not move."""

from __future__ import annotations

import hashlib
import http.server
import io
import itertools
import os
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from formcheck.errors import ModelError
from formcheck.pose.models import manifest, resolve_model
from formcheck.runtime import datafiles


def bundle_bytes() -> bytes:
    """A small stored (uncompressed) zip shaped like a pose landmarker bundle."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("pose_detector.tflite", b"detector weights " * 64)
        z.writestr("pose_landmarks_detector.tflite", b"landmark weights " * 64)
    return buf.getvalue()


def flip_inside(data: bytes, member: str) -> bytes:
    """``data`` with 8 bytes flipped in the middle of ``member``'s stored data."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
    out = bytearray(data)
    for k in range(8):
        out[start + k] ^= 0xFF
    return bytes(out)


def test_bundle_with_flipped_bytes_inside_a_model_is_refused_naming_the_member(tmp_path: Path) -> None:
    bad = tmp_path / "bad.task"
    bad.write_bytes(flip_inside(bundle_bytes(), "pose_landmarks_detector.tflite"))
    with pytest.raises(ModelError, match=r"bad\.task is damaged: pose_landmarks_detector\.tflite fails its checksum"):
        resolve_model(bad)


def test_intact_bundle_given_as_path_is_accepted(tmp_path: Path) -> None:
    good = tmp_path / "good.task"
    good.write_bytes(bundle_bytes())
    assert resolve_model(good) == good.resolve()


def test_official_bundle_with_flipped_bytes_is_refused(tmp_path: Path, models_dir: Path) -> None:
    src = (models_dir / "pose_landmarker_lite.task").read_bytes()
    bad = tmp_path / "lite_copy.task"
    bad.write_bytes(flip_inside(src, "pose_detector.tflite"))
    with pytest.raises(ModelError, match=r"damaged: pose_detector\.tflite"):
        resolve_model(bad)


def test_a_bundle_damaged_after_it_was_checked_is_checked_again(tmp_path: Path) -> None:
    path = tmp_path / "m.task"
    path.write_bytes(bundle_bytes())
    resolve_model(path)
    mtime_ns = path.stat().st_mtime_ns
    path.write_bytes(flip_inside(bundle_bytes(), "pose_detector.tflite"))
    os.utime(path, ns=(mtime_ns + 10**9, mtime_ns + 10**9))  # replaced later, same size
    with pytest.raises(ModelError, match="damaged"):
        resolve_model(path)


def test_manifest_urls_name_a_fixed_version_never_the_moving_latest() -> None:
    for info in manifest().values():
        fixed = "/float16/1/" in info.url or "?generation=" in info.url
        assert fixed, info.url


# --- an overall deadline for downloads --------------------------------------------------------


class _Trickle(http.server.BaseHTTPRequestHandler):
    """Announces 1 MB, then sends one byte at a time, for ever (until the client goes)."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(1 << 20))
        self.end_headers()
        try:
            for _ in range(1 << 20):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.002)
        except OSError:
            pass  # the client gave up: that is the point

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def trickle_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/pose_landmarker_lite.task"
    finally:
        server.shutdown()
        server.server_close()


def test_a_trickling_server_is_abandoned_at_the_overall_deadline_and_nothing_is_left(
    trickle_url: str, tmp_path: Path
) -> None:
    ticks = itertools.count()  # a clock that moves 1 s per look: no real waiting, no speed assumption
    dest = tmp_path / "cache" / "pose_landmarker_lite.task"
    with pytest.raises(ModelError) as err:
        datafiles.download(
            trickle_url, dest, "0" * 64, what="lite pose model", advice="Do it by hand.", error=ModelError,
            progress=False, deadline_s=5.0, clock=lambda: float(next(ticks)),
        )  # fmt: skip
    msg = str(err.value)
    assert "did not finish within 5 s" in msg and "of 1048576 bytes" in msg and "Do it by hand." in msg
    assert "\n" not in msg
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_default_deadline_grows_with_the_size_and_is_always_finite() -> None:
    small, big = datafiles.download_deadline_s(5_000_000), datafiles.download_deadline_s(30_000_000)
    assert 300 < small < big < float("inf")
    assert datafiles.download_deadline_s(None) < float("inf")


def test_a_download_that_finishes_in_time_is_saved(file_server: tuple[Path, str], tmp_path: Path) -> None:
    folder, base = file_server
    data = bundle_bytes()
    (folder / "m.task").write_bytes(data)
    ticks = itertools.count()
    dest = tmp_path / "out" / "m.task"
    datafiles.download(
        f"{base}/m.task", dest, hashlib.sha256(data).hexdigest(), what="model", advice="", error=ModelError,
        progress=False, deadline_s=1000.0, clock=lambda: float(next(ticks)),
    )  # fmt: skip
    assert dest.read_bytes() == data
