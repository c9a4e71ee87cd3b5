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
            time.sleep(0.2)  # a consumer six times slower than the 30 fps "camera"
            if len(taken) == 8:
                break
    finally:
        src.close()
    assert src.dropped >= 20  # ~5 frames arrive per 0.2 s; all but the newest are dropped
    gaps = np.diff(taken)
    assert np.all(gaps > 0.15)  # every frame taken is fresh, never a backlog
    assert np.all(gaps < 0.4)
