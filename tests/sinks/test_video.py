"""The annotated video can be read back, and is never mistaken for complete when it is not."""

from __future__ import annotations

import logging
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
        assert not path.exists()  # still being written: only the .partial file exists
        assert sink.partial_path.exists()
    assert sink.frames_written == 10
    assert path.exists() and not sink.partial_path.exists()
    frames, fps, size = read_back(path)
    assert len(frames) == 10
    assert size == (W, H)
    assert fps == pytest.approx(12.5, abs=0.01)
    means = [float(f.mean()) for f in frames]
    assert means == pytest.approx([20 + 20 * i for i in range(10)], abs=6)


def test_partial_name_keeps_the_extension(tmp_path: Path) -> None:
    sink = VideoSink(tmp_path / "session.mp4", 30.0, (W, H))
    assert sink.partial_path == tmp_path / "session.partial.mp4"


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
    assert path.exists() and not sink.partial_path.exists()
    assert len(read_back(path)[0]) == 4
    assert "first 4 frames" in caplog.text
    assert any(str(path) in note for note in err.value.__notes__)


def test_nothing_written_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with VideoSink(path, 30.0, (W, H)) as sink:
        pass
    assert not path.exists() and not sink.partial_path.exists()


def test_write_outside_with_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="not open"):
        VideoSink(tmp_path / "out.mp4", 30.0, (W, H)).write(frame(0))
