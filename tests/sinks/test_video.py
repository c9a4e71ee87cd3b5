"""The annotated video can be read back, and is never mistaken for complete when it is not."""

from __future__ import annotations

import logging
import re
import shutil
import signal
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.errors import VideoError
from formcheck.runtime.interrupts import Terminated, handle_signals
from formcheck.sinks import video as video_sink
from formcheck.sinks.video import VideoSink

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


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".avi"])
def test_writes_a_readable_video_with_every_frame(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    with VideoSink(path, fps=12.5, frame_size=(W, H)) as sink:
        for i in range(10):
            sink.write(frame(i))
        assert not path.exists()  # still being written: only the hidden temp file exists
        tmp = sink.tmp_path
        assert tmp is not None and tmp.exists() and tmp.parent == tmp_path and tmp.name.startswith(".")
    assert sink.frames_written == 10
    assert sink.codec == ("MJPG" if suffix == ".avi" else "h264" if video_sink.h264_available() else "mp4v")
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
        "from formcheck.sinks.video import VideoSink\n"
        "from formcheck.sinks.outputs import OutputError\n"
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
    assert "old file was left as it was" in proc.stdout and "of 60 frames reached the disk" in proc.stdout
    assert proc.stderr == "" or not video_sink.h264_available()  # the one line is all the user sees (no FFmpeg noise)
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


# ---------------------------------------------------------------- H.264 (.mp4 through PyAV)
needs_h264 = pytest.mark.skipif(not video_sink.h264_available(), reason="PyAV with libx264 is not installed")


def moving_scene(i: int, w: int = 640, h: int = 360) -> np.ndarray:
    """A deterministic frame like an annotated clip: a still textured background, a bar that
    moves and a line of text, so codecs are compared on what they really get."""
    yy, xx = np.mgrid[0:h, 0:w]
    f = np.stack([(xx * 255 // w), (yy * 255 // h), ((xx + yy) % 64) * 4], axis=-1).astype(np.uint8)
    x = (i * 7) % (w - 40)
    f[h // 3 : 2 * h // 3, x : x + 40] = (0, 200, 255)
    cv2.putText(f, f"rep {i // 10}", (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
    return f


def write_scene(path: Path, n: int = 60, realtime: bool = False) -> VideoSink:
    with VideoSink(path, 30.0, (640, 360), realtime=realtime) as sink:
        for i in range(n):
            sink.write(moving_scene(i))
    return sink


@needs_h264
def test_mp4_is_h264_yuv420p_with_the_index_first_and_every_frame_at_its_time(tmp_path: Path) -> None:
    import av

    path = tmp_path / "rec.mp4"
    times = [0.0, 0.1, 0.5, 0.6]  # frame 1 is held from 0.1 s to 0.4 s (dropped frames)
    with VideoSink(path, 10.0, (W, H)) as sink:
        for i, t in enumerate(times):
            sink.write(frame(i), t_s=t)
    assert sink.codec == "h264" and sink.frames_written == 7
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.codec_context.width, stream.codec_context.height) == (W, H)
        decoded = [(float(f.pts * f.time_base), float(f.to_ndarray(format="bgr24").mean())) for f in c.decode(stream)]
    assert [t for t, _ in decoded] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    assert [m for _, m in decoded] == pytest.approx([20, 40, 40, 40, 40, 60, 80], abs=6)
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: a browser can start before the end


@needs_h264
def test_h264_at_29_97_fps_keeps_the_exact_rate(tmp_path: Path) -> None:
    import av

    path = tmp_path / "ntsc.mp4"
    with VideoSink(path, 30000 / 1001, (W, H)) as sink:
        for i in range(5):
            sink.write(frame(i))
    with av.open(str(path)) as c:
        assert c.streams.video[0].average_rate == Fraction(30000, 1001)
        assert c.streams.video[0].frames == 5


@needs_h264
def test_h264_is_much_smaller_than_mpeg4_part2_of_the_same_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h264 = write_scene(tmp_path / "h264.mp4")
    monkeypatch.setattr(video_sink, "h264_available", lambda: False)
    mp4v = write_scene(tmp_path / "mp4v.mp4")
    assert (h264.codec, mp4v.codec) == ("h264", "mp4v")
    ratio = (tmp_path / "h264.mp4").stat().st_size / (tmp_path / "mp4v.mp4").stat().st_size
    assert ratio < 0.35, f"H.264 is {ratio:.2f} of the MPEG-4 Part 2 size"


def test_without_h264_mp4_falls_back_to_mpeg4_part2_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(video_sink, "h264_available", lambda: False)
    path = tmp_path / "out.mp4"
    with caplog.at_level(logging.WARNING, logger="formcheck.sinks.video"), VideoSink(path, 10.0, (W, H)) as sink:
        for i in range(3):
            sink.write(frame(i))
    assert sink.codec == "mp4v" and len(read_back(path)[0]) == 3
    assert len(caplog.records) == 1 and "MPEG-4 Part 2" in caplog.text and "\n" not in caplog.text.strip()


@needs_h264
def test_an_odd_frame_size_is_padded_to_what_yuv420p_needs(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    with VideoSink(path, 10.0, (W - 1, H - 1)) as sink:
        for i in range(3):
            sink.write(np.full((H - 1, W - 1, 3), 20 + 20 * i, np.uint8))
    frames, _, size = read_back(path)
    assert size == (W, H) and [float(f.mean()) for f in frames] == pytest.approx([20, 40, 60], abs=6)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAGE = """<!doctype html><html><head><title>pending</title></head><body>
<video id="v" src="{src}" muted autoplay preload="auto"></video>
<script>
const v = document.getElementById('v');
v.addEventListener('loadeddata', () => {{
  document.title = `loaded ${{v.readyState}} ${{v.duration}} ${{v.videoWidth}} ${{v.videoHeight}}`;
}});
v.addEventListener('error', () => {{ document.title = `error ${{v.error && v.error.code}}`; }});
</script></body></html>"""


def chromium_title(tmp_path: Path, video: Path) -> str:
    """The page title after headless Chromium loaded a page playing ``video``."""
    page = tmp_path / "page.html"
    page.write_text(PAGE.format(src=video.name))
    assert CHROMIUM is not None
    proc = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
            "--autoplay-policy=no-user-gesture-required", "--virtual-time-budget=15000", "--dump-dom", page.as_uri(),
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r"<title>(.*?)</title>", proc.stdout)
    assert found is not None, proc.stderr[-2000:]
    return found.group(1)


@needs_h264
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("realtime", [False, True], ids=["recorded", "live"])
def test_the_mp4_plays_in_headless_chromium(tmp_path: Path, realtime: bool) -> None:
    assert write_scene(tmp_path / "rec.mp4", n=45, realtime=realtime).codec == "h264"  # 1.5 s at 30 fps
    state, ready, duration, width, height = chromium_title(tmp_path, tmp_path / "rec.mp4").split()
    assert state == "loaded" and int(ready) >= 2  # HAVE_CURRENT_DATA: a decoded frame
    assert float(duration) == pytest.approx(1.5, abs=0.05)
    assert (int(width), int(height)) == (640, 360)


class _SignalAfterEncoding:
    """The encoder's stream, with SIGTERM arriving once, after one encode call has returned
    its packets and before they are written: where an interruption used to lose a frame."""

    def __init__(self, stream, at_call: int) -> None:
        self._stream, self._left = stream, at_call

    def encode(self, frame):
        packets = self._stream.encode(frame)
        self._left -= 1
        if self._left == 0:
            signal.raise_signal(signal.SIGTERM)
        return packets

    def __getattr__(self, name):
        return getattr(self._stream, name)


@pytest.mark.skipif(not video_sink.h264_available(), reason="PyAV's libx264 encoder is not there")
def test_a_signal_during_a_frame_is_raised_after_it_so_every_counted_frame_is_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "live.mp4"
    with handle_signals(), pytest.raises(Terminated), VideoSink(path, 10.0, (W, H), realtime=True) as sink:
        sink._writer._stream = _SignalAfterEncoding(sink._writer._stream, at_call=6)
        for i in range(10):
            sink.write(frame(i), t_s=i / 10)
    frames, _fps, _size = read_back(path)
    assert len(frames) == sink.frames_written == 6  # the sixth frame was finished, then the signal ended the run
