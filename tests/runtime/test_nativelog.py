"""The native-log filter: MediaPipe/TFLite, OpenCV and FFmpeg lines are dropped, the rest kept."""

from __future__ import annotations

import pytest

from formcheck.runtime.nativelog import NoiseFilter, is_noise

NATIVE = [
    b"INFO: [accelerator_registry.cc:43] DestroyAccelerator: ptr=0x7f1b54005950, name=CpuAccelerator",
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
    b"W0000 00:00:1733300000.123456   12345 inference_feedback_manager.cc:114] Feedback manager requires a model",
    b"I0000 00:00:1733300000.123456   12345 gl_context.cc:357] GL version: 3.2",
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    b"[ WARN:0@0.169] global cap_v4l.cpp:915 open VIDEOIO(V4L2:/dev/video7): can't open camera by index",
    b"[ERROR:0@0.177] global obsensor_uvc_stream_channel.cpp:163 getStreamChannelGroup Camera index out of range",
    b"[h264 @ 0x5611a0519dc0] Invalid NAL unit size (11694 > 10124).",
    b"[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5611a01f7600] stream 1, offset 0xbfb68: partial file",
]

KEPT = [
    b"formcheck: cannot open camera 7: is it connected and not used by another program?",
    b"Traceback (most recent call last):",
    b"Segmentation fault",
    b"INFO: something a plugin printed without a source location",
    b"> a quoted line on its own",
]


@pytest.mark.parametrize("line", NATIVE)
def test_native_lines_are_noise(line):
    assert is_noise(line)
    assert not NoiseFilter().keep(line)


@pytest.mark.parametrize("line", KEPT)
def test_other_lines_are_kept(line):
    assert not is_noise(line)
    assert NoiseFilter().keep(line)


def test_an_opencv_exception_dump_is_dropped_whole_and_what_follows_is_kept():
    dump = [
        b"[ WARN:0@0.176] global cap.cpp:435 open VIDEOIO(FFMPEG): raised OpenCV exception:",
        b"",
        b"OpenCV(5.1.0) /io/opencv/modules/videoio/src/cap_ffmpeg_impl.hpp:1225: error: (-2:Unspecified error) in f",
        b"> VIDEOIO/FFMPEG: Camera index out of range (expected: 'index < device_list->nb_devices'), where",
        b">     'index' is 7",
        b"> must be less than",
        b">     'device_list->nb_devices' is 0",
        b"",
        b"",
        b"formcheck: cannot open camera 7: is it connected and not used by another program?",
        b"",
    ]
    f = NoiseFilter()
    assert [line for line in dump if f.keep(line)] == [dump[-2], dump[-1]]


@pytest.mark.real
def test_a_landmarker_left_open_is_closed_quietly_at_exit(models_dir, tmp_path):
    """MediaPipe's finalizer, run during interpreter shutdown, printed a traceback and native
    lines; formcheck closes what is still open first."""
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from formcheck.pose.estimator import PoseEstimator\n"
        f"est = PoseEstimator({str(models_dir / 'pose_landmarker_lite.task')!r})\n"
        "est.detect(np.zeros((64, 64, 3), np.uint8), 0.0)\n"
        "print('done')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "FORMCHECK_NATIVE_LOGS": ""})  # fmt: skip
    assert proc.returncode == 0 and proc.stdout == "done\n"
    assert "Exception ignored" not in proc.stderr and "Traceback" not in proc.stderr
