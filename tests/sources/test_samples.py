"""Sample clips: labels parsing, lookup by name, fetching from a shared folder or a (local) server."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import socket
import tomllib
from pathlib import Path
from typing import Any

import platformdirs
import pytest

import formcheck
from formcheck.cli import main
from formcheck.errors import ConfigError, VideoError
from formcheck.sources import samples
from formcheck.sources.samples import SAMPLES_DIR_ENV, SampleClip, clips, fetch_samples, find_clip, sample_path

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The smallest real clip (330 kB), for tests that copy one.
SMALL = "straight_leg_raise_supine_side_count_overlay"
_default_samples_dir = samples.samples_dir


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline: None) -> Path:
    """No test sees a CI-wide FORMCHECK_SAMPLES_DIR or writes into the repository; returns the default folder."""
    monkeypatch.delenv(SAMPLES_DIR_ENV, raising=False)
    folder = tmp_path / "sample_videos"
    monkeypatch.setattr(samples, "samples_dir", lambda: folder)
    return folder


@pytest.fixture
def served_clip(file_server: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> SampleClip:
    """A fake clip served on 127.0.0.1, replacing the labels' clips."""
    folder, base_url = file_server
    data = b"not really an mp4, but bytes with a known sha256"
    (folder / "demo.mp4").write_bytes(data)
    clip = SampleClip(
        file="demo.mp4",
        exercise="squat",
        view="side",
        reps=1,
        reps_accept=(1,),
        url=f"{base_url}/demo.mp4",
        sha256=hashlib.sha256(data).hexdigest(),
    )
    monkeypatch.setattr(samples, "clips", lambda: [clip])
    return clip


def replace_clip(monkeypatch: pytest.MonkeyPatch, clip: SampleClip, **changes: object) -> SampleClip:
    changed = dataclasses.replace(clip, **changes)
    monkeypatch.setattr(samples, "clips", lambda: [changed])
    return changed


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/demo.mp4"


# --- labels -------------------------------------------------------------------------------


def test_every_clip_of_labels_toml_parses_into_a_sample_clip() -> None:
    raw = tomllib.loads((REPO_ROOT / "sample_videos" / "labels.toml").read_text())["clip"]
    parsed = clips()
    assert [c.file for c in parsed] == [c["file"] for c in raw]
    assert len({c.name for c in parsed}) == len(parsed)
    for clip in parsed:
        assert clip.reps in clip.reps_accept
        assert clip.url.startswith("https://") and len(clip.sha256) == 64
        assert clip.source is not None and clip.source.commit in clip.url


def test_optional_labels_are_none_when_absent_and_typed_when_present() -> None:
    wall_squat = find_clip("wall_squat_front_kneebrace_overlays")
    assert wall_squat.hold_s == (1.0, 17.5)
    assert wall_squat.reps_by_side is None and wall_squat.form is None
    assert find_clip("lying_dead_bug_side_studio").reps_by_side == {"left": 2, "right": 2}
    assert find_clip("lunge_split_squat_side_dumbbells").reps_accept == (10, 11)


def test_project_labels_agree_with_the_shared_clips(labels: dict[str, Any]) -> None:
    shared = {c["file"]: c["sha256"] for c in labels["clip"]}
    assert {c.file: c.sha256 for c in clips()} == shared


def test_unknown_label_key_is_rejected_naming_it() -> None:
    entry = {
        "file": "x.mp4",
        "exercise": "squat",
        "view": "side",
        "reps": 1,
        "reps_accept": [1],
        "url": "https://example.org/x.mp4",
        "sha256": "0" * 64,
        "rep_count": 3,
    }
    with pytest.raises(ConfigError, match=re.escape("clip 4 (x.mp4): unknown key(s) rep_count")):
        samples._parse_clip(entry, 4)


# --- names --------------------------------------------------------------------------------


def test_clip_names_work_with_or_without_mp4() -> None:
    assert find_clip(SMALL) == find_clip(f"{SMALL}.mp4")
    assert find_clip(SMALL).name == SMALL


def test_unknown_clip_name_suggests_the_closest_ones() -> None:
    with pytest.raises(
        VideoError, match=re.escape("no sample clip called 'squat_side_livingroom'. Did you mean squat_side")
    ):
        find_clip("squat_side_livingroom")


def test_fetched_clips_go_to_the_checkout_or_else_the_user_data_folder() -> None:
    from_checkout = Path(formcheck.__file__).resolve().is_relative_to(REPO_ROOT / "src")
    expected = (
        REPO_ROOT / "sample_videos"
        if from_checkout
        else Path(platformdirs.user_data_dir("formcheck")) / "sample_videos"
    )
    assert _default_samples_dir() == expected


# --- the shared folder ($FORMCHECK_SAMPLES_DIR) -------------------------------------------


def test_sample_path_uses_the_verified_copy_in_FORMCHECK_SAMPLES_DIR(
    samples_dir: Path, monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    monkeypatch.setenv(SAMPLES_DIR_ENV, str(samples_dir))
    monkeypatch.setattr(samples, "download", lambda *a, **k: pytest.fail("must not download"))
    assert sample_path(SMALL) == samples_dir / f"{SMALL}.mp4"
    assert not isolated.exists()


def test_fetch_copies_from_FORMCHECK_SAMPLES_DIR_and_verifies_the_copy(
    samples_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SAMPLES_DIR_ENV, str(samples_dir))
    dest = tmp_path / "mine"
    [path] = fetch_samples([SMALL], dest=dest, progress=False)
    assert path == dest / f"{SMALL}.mp4"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == find_clip(SMALL).sha256
    assert [p.name for p in dest.iterdir()] == [path.name]  # no temporary file left behind


def test_wrong_file_in_FORMCHECK_SAMPLES_DIR_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / f"{SMALL}.mp4").write_bytes(b"some other video")
    monkeypatch.setenv(SAMPLES_DIR_ENV, str(tmp_path))
    with pytest.raises(
        VideoError, match=re.escape(f"found through {SAMPLES_DIR_ENV}) is not the expected sample clip")
    ):
        sample_path(SMALL)


# --- downloads (a real HTTP server on 127.0.0.1) ------------------------------------------


def test_missing_clip_is_downloaded_verified_and_then_reused(
    served_clip: SampleClip, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sample_path("demo", progress=False)
    assert path == isolated / "demo.mp4"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == served_clip.sha256

    replace_clip(monkeypatch, served_clip, url=closed_port_url())  # the server is gone: the local copy is enough
    assert sample_path("demo.mp4", progress=False) == path


def test_fetch_without_names_fetches_every_clip(served_clip: SampleClip, isolated: Path) -> None:
    assert fetch_samples(progress=False) == [isolated / "demo.mp4"]


def test_download_with_wrong_sha256_raises_and_leaves_no_file(
    served_clip: SampleClip, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replace_clip(monkeypatch, served_clip, sha256="0" * 64)
    with pytest.raises(VideoError, match="is not the expected file"):
        sample_path("demo", progress=False)
    assert list(isolated.iterdir()) == []


def test_unreachable_source_raises_video_error_with_the_offline_route(
    served_clip: SampleClip, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = closed_port_url()
    replace_clip(monkeypatch, served_clip, url=url)
    with pytest.raises(VideoError) as err:
        sample_path("demo", progress=False)
    assert str(err.value).startswith(f"Could not download the sample clip demo.mp4 from {url}: ")
    assert SAMPLES_DIR_ENV in str(err.value)
    assert not (isolated / "demo.mp4").exists()


# --- CLI ----------------------------------------------------------------------------------


def test_cli_lists_every_clip_with_its_exercise_and_reps(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["samples"]) == 0
    out = capsys.readouterr().out
    for clip in clips():
        line = next(line for line in out.splitlines() if line.startswith(clip.name + " "))
        assert clip.exercise in line and f"reps {clip.reps:>2}" in line and "not fetched" in line


def test_cli_fetch_prints_where_each_clip_is(
    samples_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(SAMPLES_DIR_ENV, str(samples_dir))
    assert main(["samples", "fetch", "-q", "--dir", str(tmp_path), f"{SMALL}.mp4"]) == 0
    assert capsys.readouterr().out.splitlines() == [str(tmp_path / f"{SMALL}.mp4")]


def test_cli_unknown_clip_is_one_plain_line_and_exit_code_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["samples", "fetch", "no_such_clip"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("formcheck: There is no sample clip called 'no_such_clip'")
    assert "Traceback" not in err
