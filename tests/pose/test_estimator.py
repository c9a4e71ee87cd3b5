"""The MediaPipe wrapper on real frames: shapes, landmarks on the body in any frame shape."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

from formcheck.errors import ModelError
from formcheck.pose.estimator import PoseEstimator
from formcheck.pose.landmarks import Landmark as L

pytestmark = pytest.mark.real


def _frame(path, t_s: float) -> np.ndarray:
    cap = cv2.VideoCapture(str(path))
    cap.set(cv2.CAP_PROP_POS_MSEC, t_s * 1000)
    ok, frame = cap.read()
    cap.release()
    assert ok
    return frame


def _pose_on_still(models_dir, frame: np.ndarray):
    """VIDEO mode on a still (repeated a few times so tracking settles)."""
    with PoseEstimator(models_dir / "pose_landmarker_full.task") as est:
        for i in range(4):
            pose = est.detect(frame, i / 30)
    return pose


def test_pose_frame_has_the_documented_shapes(models_dir, samples_dir):
    pose = _pose_on_still(models_dir, _frame(samples_dir / "wall_sit_front_studio_wahoo.mp4", 10.0))
    assert pose.image_xy.shape == (33, 2) and pose.world_xyz.shape == (33, 3)
    assert pose.visibility.shape == (33,) and pose.presence.shape == (33,)
    assert pose.n_people == 1 and pose.has_person
    # World coordinates are metres around the hips: a knee is tens of centimetres away.
    assert 0.2 < np.linalg.norm(pose.world_xyz[L.LEFT_KNEE] - pose.world_xyz[L.LEFT_HIP]) < 0.7


@pytest.mark.parametrize(
    ("clip", "t_s"),
    [
        ("wall_sit_front_studio_wahoo.mp4", 10.0),  # landscape 1920x1080
        ("knee_to_chest_alternating_supine_side_home.mp4", 3.0),  # portrait 1080x1920
    ],
)
def test_landmarks_land_on_the_same_body_points_in_a_square_crop(models_dir, samples_dir, clip, t_s):
    """The Tasks API warns it assumes square ROIs ("NORM_RECT without IMAGE_DIMENSIONS"):
    landmarks of a full frame and of a square crop of it must agree in pixels."""
    frame = _frame(samples_dir / clip, t_s)
    h, w = frame.shape[:2]
    full = _pose_on_still(models_dir, frame)
    body = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE]
    px_full = full.image_xy[body] * (w, h)
    side = min(w, h)
    cx, cy = np.nanmean(px_full, axis=0)
    x0 = int(np.clip(cx - side / 2, 0, w - side))
    y0 = int(np.clip(cy - side / 2, 0, h - side))
    crop = np.ascontiguousarray(frame[y0 : y0 + side, x0 : x0 + side])
    sq = _pose_on_still(models_dir, crop)
    px_sq = sq.image_xy[body] * side + (x0, y0)
    err = np.linalg.norm(px_full - px_sq, axis=1)
    assert np.max(err) < 0.04 * side, f"landmarks moved by {err.round(1)} px between frame shapes"


def test_a_file_that_is_not_a_model_is_a_clear_error(tmp_path):
    bogus = tmp_path / "pose_landmarker_full.task"
    bogus.write_bytes(b"definitely not a model")
    with pytest.raises(ModelError, match="could not be loaded"):
        PoseEstimator(bogus)


def test_mediapipe_imports_without_pyplot_and_pyplot_works_afterwards():
    # In a fresh interpreter: this one may have imported either already.
    code = (
        "import sys\n"
        "from formcheck.pose.estimator import import_mediapipe\n"
        "mp = import_mediapipe()\n"
        "assert mp.Image is not None\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
        "import matplotlib.pyplot as plt\n"
        "from mediapipe.tasks.python.vision import drawing_utils\n"
        "assert drawing_utils.plt.figure is plt.figure\n"
        "assert type(sys.modules['matplotlib']).__name__ == 'module'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
