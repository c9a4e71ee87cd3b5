"""Frame sources: container timestamps, clear errors, newest-frame live reading."""

from __future__ import annotations

import time

import numpy as np
import pytest

from formcheck.errors import VideoError
from formcheck.sources.video import CameraSource, VideoFileSource, open_live_source, open_source

WALL_SIT = "wall_sit_front_studio_wahoo.mp4"  # 23.976 fps: index/24 would drift


def test_file_timestamps_come_from_the_container_not_a_rounded_fps(samples_dir):
    src = VideoFileSource(samples_dir / WALL_SIT)
    ts = np.array([t for t, _ in src])
    src.close()
    assert ts[0] == 0.0
    assert np.all(np.diff(ts) > 0)
    assert len(ts) == 723
    # frame 600 of a 24000/1001 fps video is at 25.025 s; index / 24 would say 25.0
    assert ts[600] == pytest.approx(600 * 1001 / 24000, abs=1e-3)


def test_time_range_yields_only_frames_inside_it(samples_dir):
    src = VideoFileSource(samples_dir / WALL_SIT, start_s=10.0, end_s=12.0)
    ts = [t for t, _ in src]
    assert ts[0] == pytest.approx(10.0, abs=0.05) and ts[-1] < 12.0
    assert len(ts) == pytest.approx(48, abs=1)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(VideoError, match="no such file"):
        open_source(tmp_path / "nope.mp4")


def test_folder_is_a_clear_error(tmp_path):
    with pytest.raises(VideoError, match="folder"):
        open_source(tmp_path)


def test_corrupt_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(np.random.default_rng(1).integers(0, 255, 5000, np.uint8)))
    with pytest.raises(VideoError, match=r"broken\.mp4"):
        open_source(bad)


def test_live_file_source_keeps_only_the_newest_frame_when_the_consumer_is_slow(samples_dir):
    src = open_live_source(str(samples_dir / "straight_leg_raise_supine_side_count_overlay.mp4"))
    assert isinstance(src, CameraSource)
    taken = []
    try:
        for t, _frame in src:
            taken.append(t)
            time.sleep(0.2)  # a consumer much slower than the 30 fps "camera" (a pace, not a measurement)
            if len(taken) == 8:
                break
    finally:
        src.close()
    assert np.all(np.diff(taken) > 0)  # each frame once, in order: never a backlog replayed
    assert src.dropped >= len(taken) - 1  # between two takes, at least one frame was passed over


# ------------------------------------------------ damaged and odd files (issue 10: REL-B)


def test_a_clip_cut_short_yields_what_decodes_and_says_where_it_stopped(test_videos):
    whole = test_videos.mp4(frames=60, fps=10.0)
    cut = test_videos.cut(whole, 0.4)
    src = VideoFileSource(cut)
    ts = [t for t, _ in src]
    assert src.info.frames == 60  # the index at the front still states the whole length
    assert 5 < len(ts) < 40
    assert src.stopped_early == (pytest.approx(ts[-1]), pytest.approx(6.0))
    full = VideoFileSource(whole)
    assert len(list(full)) == 60 and full.stopped_early is None


def test_a_range_after_the_cut_is_incomplete_too(test_videos):
    cut = test_videos.cut(test_videos.mp4(frames=60, fps=10.0), 0.4)
    src = VideoFileSource(cut, start_s=5.0)
    assert list(src) == [] and src.stopped_early is not None


def test_a_file_cut_before_its_index_cannot_be_opened(test_videos):
    cut = test_videos.cut(test_videos.mp4(frames=60, faststart=False), 0.5)
    with pytest.raises(VideoError, match="truncated"):
        VideoFileSource(cut)


@pytest.mark.parametrize(("name", "kind"), [("photo.png", "PNG"), ("photo.jpg", "JPEG"), ("photo.bmp", "BMP")])
def test_a_still_image_is_not_a_video(test_videos, name, kind):
    with pytest.raises(VideoError, match=f"not a video \\(a {kind} still image\\)"):
        VideoFileSource(test_videos.still(name))


def test_a_one_frame_file_is_a_still_image(test_videos):
    with pytest.raises(VideoError, match="not a video"):
        VideoFileSource(test_videos.mp4(frames=1))


def test_an_audio_file_has_no_video_stream(test_videos):
    with pytest.raises(VideoError, match="has no video stream \\(WAV audio\\)"):
        VideoFileSource(test_videos.wav())


def test_an_animated_gif_is_a_video_with_its_frame_times(test_videos):
    src = VideoFileSource(test_videos.gif(frames=12, frame_ms=100))
    ts = [t for t, _ in src]
    assert src.info.fps == pytest.approx(10.0)
    assert ts == pytest.approx([0.1 * i for i in range(12)], abs=1e-6)
    assert src.stopped_early is None


def test_the_sample_gif_plays_at_10_fps(samples_dir):
    src = VideoFileSource(samples_dir / "bird_dog_side_white_studio.gif")
    ts = np.array([t for t, _ in src])
    assert len(ts) == 42 and np.allclose(np.diff(ts), 0.1)


@pytest.mark.parametrize("deg", [90, 180, 270])
def test_a_rotated_phone_clip_is_decoded_upright(test_videos, deg):
    """The red edge is the picture's left; a clip stored sideways with a display rotation
    must come out as it is shown (rotated ``deg`` clockwise), in every decoding path."""
    plain = VideoFileSource(test_videos.mp4("plain.mp4"))
    _, upright = next(iter(plain))
    import cv2

    expected = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[deg]
    want = cv2.rotate(upright, expected)
    path = test_videos.mp4("rot.mp4", rotate_deg=deg)
    for src in (VideoFileSource(path), VideoFileSource(path, start_s=1.0, threads=1)):  # whole, and a seek
        _t, frame = next(iter(src))
        assert frame.shape == want.shape
        assert (src.info.width, src.info.height) == (want.shape[1], want.shape[0])
        red = (frame[..., 2] > 150) & (frame[..., 0] < 100)  # the red edge, in every frame
        assert np.mean(red == ((want[..., 2] > 150) & (want[..., 0] < 100))) > 0.97
    first = next(iter(VideoFileSource(path)))[1]
    assert np.mean(np.abs(first.astype(int) - want.astype(int))) < 8  # the same picture, upright


def test_rotation_is_done_here_when_the_backend_does_not(monkeypatch):
    from formcheck.sources import video as v

    class Cap:
        def __init__(self, meta, auto):
            self.props = {v.cv2.CAP_PROP_ORIENTATION_META: meta, v.cv2.CAP_PROP_ORIENTATION_AUTO: auto}

        def set(self, prop, value):
            return False  # this backend cannot rotate

        def get(self, prop):
            return self.props[prop]

    assert v._orientation_fix(Cap(90.0, 0.0)) == v.cv2.ROTATE_90_CLOCKWISE
    assert v._orientation_fix(Cap(270.0, 0.0)) == v.cv2.ROTATE_90_COUNTERCLOCKWISE
    assert v._orientation_fix(Cap(0.0, 0.0)) is None
    assert v._orientation_fix(Cap(90.0, 1.0)) is None  # the backend rotates already


@pytest.mark.parametrize(("head", "says"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "not a video (a PNG still image)"),
    (b"\xff\xd8\xff\xe0" + bytes(64), "not a video (a JPEG still image)"),
    (b"II*\x00" + bytes(64), "not a video (a TIFF still image)"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(64), "not a video (a WebP image)"),
    (b"RIFF\x10\x00\x00\x00WAVEfmt " + bytes(64), "has no video stream (WAV audio)"),
    (b"ID3\x04\x00" + bytes(64), "has no video stream (MP3 audio)"),
    (b"fLaC" + bytes(64), "has no video stream (FLAC audio)"),
    (b"OggS\x00\x02" + bytes(22) + b"\x01vorbis" + bytes(64), "has no video stream (Ogg audio)"),
    # an MP4 (M4A) whose only track is sound
    (b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A mp42" + b"\x00\x00\x00\x21hdlr" + bytes(8) + b"soun" + bytes(64),
     "has no video stream (audio only)"),
])  # fmt: skip
def test_headers_of_stills_and_audio_are_named(tmp_path, head, says):
    from formcheck.sources.video import sniff_non_video

    p = tmp_path / "f.bin"
    p.write_bytes(head)
    assert sniff_non_video(p) == says


def test_headers_of_videos_are_left_to_the_decoder(tmp_path, test_videos):
    from formcheck.sources.video import sniff_non_video

    assert sniff_non_video(test_videos.mp4()) is None
    assert sniff_non_video(test_videos.gif()) is None
    ogv = tmp_path / "v.ogv"
    ogv.write_bytes(b"OggS\x00\x02" + bytes(22) + b"\x80theora" + bytes(64))
    assert sniff_non_video(ogv) is None
