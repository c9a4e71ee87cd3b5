"""Model bundle resolution: lookup order, sha256 checks, downloads (against a local server), path checks."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import shutil
import socket
import zipfile
from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.errors import ModelError
from formcheck.pose import models
from formcheck.pose.models import MODEL_DIR_ENV, list_models, manifest, resolve_model
from formcheck.runtime import datafiles

LITE = "pose_landmarker_lite.task"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline: None) -> Path:
    """No test sees the developer's cache or a CI-wide FORMCHECK_MODEL_DIR; returns the cache folder."""
    monkeypatch.delenv(MODEL_DIR_ENV, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setattr(models, "model_cache_dir", lambda: cache)
    return cache


def fake_bundle(tag: bytes = b"") -> bytes:
    """A small zip shaped like a pose landmarker .task bundle."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("pose_detector.tflite", b"detector" + tag)
        z.writestr("pose_landmarks_detector.tflite", b"landmarks" + tag)
    return buf.getvalue()


def patch_lite(monkeypatch: pytest.MonkeyPatch, **changes: object) -> models.ModelInfo:
    """Makes the manifest's lite entry point elsewhere (url, sha256, size_bytes)."""
    real = models.manifest()  # the current one, which an earlier patch may have changed
    lite = dataclasses.replace(real["lite"], **changes)
    monkeypatch.setattr(models, "manifest", lambda: {**real, "lite": lite})
    return lite


@pytest.fixture
def served_lite(file_server: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> bytes:
    """A fake lite bundle served on 127.0.0.1, with the manifest pointing at it."""
    folder, base_url = file_server
    data = fake_bundle()
    (folder / LITE).write_bytes(data)
    patch_lite(monkeypatch, url=f"{base_url}/{LITE}", sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
    return data


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/{LITE}"


# --- the manifest -------------------------------------------------------------------------


def test_manifest_names_lite_full_heavy_in_speed_order() -> None:
    assert list(manifest()) == ["lite", "full", "heavy"]
    assert all(m.url.startswith("https://storage.googleapis.com/mediapipe-models/") for m in manifest().values())


def test_manifest_sha256_and_size_match_the_official_bundles(models_dir: Path) -> None:
    sums = dict(reversed(line.split()) for line in (models_dir / "SHA256SUMS").read_text().splitlines())
    for info in manifest().values():
        assert info.sha256 == sums[info.file]
        assert info.size_bytes == (models_dir / info.file).stat().st_size


# --- lookup by name -----------------------------------------------------------------------


def test_named_model_is_taken_from_FORMCHECK_MODEL_DIR_without_downloading(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(models_dir))
    monkeypatch.setattr(models, "download_file", lambda *a, **k: pytest.fail("must not download"))
    assert resolve_model("lite") == models_dir / LITE
    assert resolve_model() == models_dir / "pose_landmarker_full.task"  # full is the default
    assert not isolated.exists()


def test_model_dir_argument_is_searched_before_FORMCHECK_MODEL_DIR(
    models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / LITE).symlink_to(models_dir / LITE)
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / LITE).write_bytes(b"not a model")
    monkeypatch.setenv(MODEL_DIR_ENV, str(damaged))
    assert resolve_model("lite", model_dir=mine) == mine / LITE


def test_wrong_file_in_FORMCHECK_MODEL_DIR_is_rejected_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / LITE).write_bytes(fake_bundle())
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    with pytest.raises(ModelError, match=rf"{LITE} \(found through {MODEL_DIR_ENV}\) is not the official lite"):
        resolve_model("lite")


def test_verified_bundle_is_hashed_once_but_a_replaced_one_is_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = fake_bundle()
    bundle = tmp_path / LITE
    bundle.write_bytes(data)
    patch_lite(monkeypatch, sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    hashed: list[Path] = []
    real_hash = datafiles._hash_file
    monkeypatch.setattr(datafiles, "_hash_file", lambda p: hashed.append(p) or real_hash(p))

    assert resolve_model("lite") == bundle
    assert resolve_model("lite") == bundle
    assert len(hashed) == 1

    bundle.write_bytes(data[::-1])  # same size, different content
    os.utime(bundle, ns=(1, 1))  # a distinct mtime, however coarse the filesystem clock
    with pytest.raises(ModelError, match="is not the official lite"):
        resolve_model("lite")


def test_missing_model_without_download_says_how_to_get_it() -> None:
    with pytest.raises(ModelError) as err:
        resolve_model("heavy", download=False)
    message = str(err.value)
    assert "formcheck models fetch heavy" in message
    assert manifest()["heavy"].url in message
    assert MODEL_DIR_ENV in message


# --- downloads (a real HTTP server on 127.0.0.1) ------------------------------------------


def test_missing_model_is_downloaded_into_the_cache_and_reused(
    served_lite: bytes, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = resolve_model("lite", progress=False)
    assert path == isolated / LITE
    assert path.read_bytes() == served_lite
    assert sorted(p.name for p in isolated.iterdir()) == [LITE]  # no temporary file left behind

    patch_lite(monkeypatch, url=closed_port_url())  # the server is gone: the cached copy is enough
    assert resolve_model("lite", progress=False) == path


def test_damaged_copy_in_the_cache_is_replaced_by_a_fresh_download(served_lite: bytes, isolated: Path) -> None:
    isolated.mkdir()
    (isolated / LITE).write_bytes(b"half a download")
    assert resolve_model("lite", progress=False).read_bytes() == served_lite


def test_download_with_wrong_sha256_raises_and_leaves_no_file(
    served_lite: bytes, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patch_lite(monkeypatch, sha256="0" * 64)
    with pytest.raises(ModelError, match=r"is not the expected file .* nothing was saved"):
        resolve_model("lite", progress=False)
    assert list(isolated.iterdir()) == []


def test_unreachable_server_raises_model_error_with_the_offline_route(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = closed_port_url()
    patch_lite(monkeypatch, url=url)
    with pytest.raises(ModelError) as err:
        resolve_model("lite", progress=False)
    message = str(err.value)
    assert message.startswith(f"Could not download the lite pose model from {url}: ")
    assert "internet connection" in message
    assert f"set {MODEL_DIR_ENV}" in message
    assert not (isolated / LITE).exists()


def test_http_error_is_reported_with_its_status(
    file_server: tuple[Path, str], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patch_lite(monkeypatch, url=f"{file_server[1]}/missing.task")
    with pytest.raises(ModelError, match="HTTP 404"):
        resolve_model("lite", progress=False)
    assert not isolated.exists() or list(isolated.iterdir()) == []


# --- explicit paths -----------------------------------------------------------------------


def test_official_bundle_given_as_path_is_accepted(models_dir: Path) -> None:
    assert resolve_model(str(models_dir / LITE)) == models_dir / LITE


def test_any_pose_bundle_given_as_path_is_accepted_without_sha256(tmp_path: Path) -> None:
    custom = tmp_path / "my_finetuned.task"
    custom.write_bytes(fake_bundle())
    assert resolve_model(str(custom)) == custom


@pytest.mark.parametrize(
    "content",
    [b"this is not a zip", b"", "zip without the pose models"],
    ids=["text", "empty", "other-zip"],
)
def test_file_that_is_not_a_pose_bundle_is_rejected_clearly(tmp_path: Path, content: bytes | str) -> None:
    path = tmp_path / "model.task"
    if isinstance(content, str):
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("hand_landmarks_detector.tflite", content)
    else:
        path.write_bytes(content)
    with pytest.raises(ModelError, match=r"model.task is not a MediaPipe pose landmarker model bundle \(.task\)"):
        resolve_model(str(path))


def test_missing_path_and_unknown_name_get_different_messages(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model(str(tmp_path / "nowhere.task"))
    with pytest.raises(ModelError, match="Unknown pose model 'medium': use one of lite, full, heavy"):
        resolve_model("medium")
    with pytest.raises(ModelError, match="is a folder"):
        resolve_model(str(tmp_path))


# --- listing and the CLI ------------------------------------------------------------------


def test_list_models_says_where_each_model_is(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert [m.path for m in list_models()] == [None, None, None]
    monkeypatch.setenv(MODEL_DIR_ENV, str(models_dir))
    listed = list_models()
    assert [(m.name, m.path, m.verified) for m in listed] == [
        (m.name, models_dir / m.file, True) for m in manifest().values()
    ]


def test_cli_lists_models_with_location_or_not_downloaded(
    tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "some"
    folder.mkdir()
    shutil.copy(models_dir / LITE, folder / LITE)
    monkeypatch.setenv(MODEL_DIR_ENV, str(folder))
    assert main(["models"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("lite") and out[0].endswith(str(folder / LITE))
    assert "not downloaded (formcheck models fetch full)" in out[1]
    assert out[2].startswith("heavy")


def test_cli_fetch_prints_each_model_path(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(models_dir))
    assert main(["models", "fetch", "lite", "full"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"lite: {models_dir / LITE}",
        f"full: {models_dir / 'pose_landmarker_full.task'}",
    ]


def test_cli_fetch_failure_is_one_plain_line_and_exit_code_1(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    patch_lite(monkeypatch, url=closed_port_url())
    assert main(["models", "fetch", "-q", "lite"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("formcheck: Could not download the lite pose model")
    assert "Traceback" not in err
