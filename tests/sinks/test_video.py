"""The annotated video can be read back, and is never mistaken for complete when it is not."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.errors import VideoError
from formcheck.sinks import VideoSink

W, H = 160, 120


def frame(i: int) -> np.ndarray:
    """A frame whose brightness encodes its index, to check order after lossy encoding."""
    return np.full((H, W, 3), 20 + 20 * i, np.uint8)


def read_back(path: Path) -> tuple[list[np.ndarray], float, tuple[int, int]]:
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), f"{path} cannot be read back"
    fps = cap.get(cv2.CAP_PROP_FPS)
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    return frames, fps, size


@pytest.mark.parametrize("suffix", [".mp4", ".avi"])
def test_writes_a_readable_video_with_every_frame(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    with VideoSink(path, fps=12.5, frame_size=(W, H)) as sink:
        for i in range(10):
            sink.write(frame(i))
        assert not path.exists()  # still being written: only the hidden temp file exists
        tmp = sink.tmp_path
        assert tmp is not None and tmp.exists() and tmp.parent == tmp_path and tmp.name.startswith(".")
    assert sink.frames_written == 10
    assert path.exists() and not tmp.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    frames, fps, size = read_back(path)
    assert len(frames) == 10
    assert size == (W, H)
    assert fps == pytest.approx(12.5, abs=0.01)
    means = [float(f.mean()) for f in frames]
    assert means == pytest.approx([20 + 20 * i for i in range(10)], abs=6)


def test_temp_name_is_unique_keeps_the_extension_and_ignores_a_planted_partial_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "session.partial.mp4").symlink_to(victim)  # the old predictable name, planted
    with VideoSink(tmp_path / "session.mp4", 30.0, (W, H)) as a, VideoSink(tmp_path / "session.mp4", 30.0, (W, H)) as b:
        assert a.tmp_path != b.tmp_path
        assert a.tmp_path is not None and a.tmp_path.suffix == ".mp4"
        a.write(frame(0))
        b.write(frame(1))
    assert victim.read_text() == "precious"


def test_a_symlink_target_is_replaced_and_the_link_kept(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "v.mp4"
    target.write_bytes(b"old")
    link = tmp_path / "v.mp4"
    link.symlink_to(target)
    with VideoSink(link, 10.0, (W, H)) as sink:
        sink.write(frame(0))
    assert link.is_symlink() and len(read_back(target)[0]) == 1


def test_timed_frames_fill_dropped_ones_so_the_video_lasts_as_long_as_the_session(tmp_path: Path) -> None:
    path = tmp_path / "rec.mp4"
    times = [0.0, 0.1, 0.5, 0.6, 1.9, 1.91, 2.0]  # a session that dropped frames (and one came early)
    with VideoSink(path, 10.0, (W, H)) as sink:
        for i, t in enumerate(times):
            sink.write(frame(i), t_s=100.0 + t)
    assert sink.frames_written == 21 and sink.frames_skipped == 1  # slots 0..20 at 10 fps: 2.0 s + one frame
    frames, fps, _ = read_back(path)
    assert len(frames) == 21 and fps == pytest.approx(10.0)
    means = [float(f.mean()) for f in frames]
    assert means[1] == pytest.approx(40, abs=6) and means[4] == pytest.approx(40, abs=6)  # frame 1 held to 0.4 s
    assert means[5] == pytest.approx(60, abs=6) and means[18] == pytest.approx(80, abs=6)
    assert means[19] == pytest.approx(100, abs=6) and means[20] == pytest.approx(140, abs=6)


def test_a_video_cut_short_by_a_file_size_limit_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    path.write_bytes(b"the old video")
    code = (
        "import resource, signal, sys, numpy as np\n"
        "from formcheck.sinks import VideoSink\n"
        "from formcheck.outputs import OutputError\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
        "rng = np.random.default_rng(0)\n"
        "try:\n"
        "    with VideoSink(sys.argv[1], 30.0, (160, 120)) as s:\n"
        "        for i in range(60): s.write(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))\n"
        "except OutputError as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stderr
    assert "old file was left as it was" in proc.stdout and "frames reached the disk" in proc.stdout
    assert path.read_bytes() == b"the old video"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]  # no temp file left


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    with pytest.raises(VideoError, match="does not exist"), VideoSink(missing / "out.mp4", 30.0, (W, H)):
        pass
    assert not missing.exists()


def test_unsupported_extension_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match=r"\.mp4"):
        VideoSink(tmp_path / "out.gif", 30.0, (W, H))


@pytest.mark.parametrize(("fps", "size"), [(0.0, (W, H)), (float("nan"), (W, H)), (30.0, (0, H))])
def test_bad_settings_are_rejected(tmp_path: Path, fps: float, size: tuple[int, int]) -> None:
    with pytest.raises(VideoError):
        VideoSink(tmp_path / "out.mp4", fps, size)


def test_wrong_frame_size_raises_instead_of_being_dropped_silently(tmp_path: Path) -> None:
    with VideoSink(tmp_path / "out.mp4", 30.0, (W, H)) as sink:
        sink.write(frame(0))
        with pytest.raises(ValueError, match="expected"):
            sink.write(np.zeros((H + 1, W, 3), np.uint8))


def test_an_error_inside_the_with_keeps_what_was_written(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "out.mp4"
    with (
        caplog.at_level(logging.WARNING, logger="formcheck.sinks.video"),
        pytest.raises(RuntimeError) as err,
        VideoSink(path, 10.0, (W, H)) as sink,
    ):
        for i in range(4):
            sink.write(frame(i))
        raise RuntimeError("pose model crashed")
    assert path.exists() and sink.tmp_path is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert len(read_back(path)[0]) == 4
    assert "first 4 frames" in caplog.text
    assert any(str(path) in note for note in err.value.__notes__)


def test_nothing_written_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with VideoSink(path, 30.0, (W, H)):
        pass
    assert not path.exists() and not list(tmp_path.iterdir())


def test_write_outside_with_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="not open"):
        VideoSink(tmp_path / "out.mp4", 30.0, (W, H)).write(frame(0))
