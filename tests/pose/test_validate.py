"""Pose data is checked where the API takes it: rescore_trace, analyze_trace, trace_measures,
PreparedTrace and Analyzer.update each refuse NaN/backward timestamps and out-of-range values."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis import Analyzer, analyze_trace, trace_measures
from formcheck.errors import FormcheckError
from formcheck.exercises.config import get_exercise
from formcheck.pose.frame import PoseTrace
from formcheck.pose.validate import PoseDataError
from formcheck.programs.rescoring import PreparedTrace, rescore_trace
from formcheck_testing import synthetic

WALL = get_exercise("wall_squat")


def trace() -> PoseTrace:
    return synthetic.wall_squat(reps=2, seed=4)


ENTRY_POINTS = {
    "rescore_trace": lambda tr: rescore_trace(tr, WALL),
    "analyze_trace": lambda tr: analyze_trace(tr, WALL),
    "trace_measures": lambda tr: trace_measures(tr),
    "PreparedTrace": lambda tr: PreparedTrace.from_trace(tr),
}


def _nan_time(tr: PoseTrace) -> None:
    tr.t_s[40] = np.nan


def _backwards(tr: PoseTrace) -> None:
    tr.t_s[41] = tr.t_s[40] - 0.5


def _visibility(tr: PoseTrace) -> None:
    tr.visibility[12, 3] = 5.0


def _people(tr: PoseTrace) -> None:
    tr.n_people[9] = -3


def _inf(tr: PoseTrace) -> None:
    tr.image_xy[30, 25, 1] = np.inf


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize(("damage", "message"), [
    (_nan_time, "the timestamp of frame 40 is nan; timestamps must be finite seconds"),
    (_backwards, "timestamps must not go back, but frame 41"),
    (_visibility, "visibility of frame 12 holds 5; allowed: 0 to 1 (or NaN)"),
    (_people, "frame 9 says -3 people; allowed: 0 to 1000"),
    (_inf, "image_xy of frame 30 holds inf; allowed: NaN (missing) or up to 100 frame sizes from the origin"),
])  # fmt: skip
def test_every_entry_point_refuses_bad_pose_data_in_one_sentence(entry, damage, message) -> None:
    tr = trace()
    damage(tr)
    with pytest.raises(PoseDataError) as err:
        ENTRY_POINTS[entry](tr)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert isinstance(err.value, FormcheckError) and isinstance(err.value, ValueError)  # CLI-printable


def test_a_repeated_timestamp_is_tolerated_as_a_camera_can_deliver_one() -> None:
    tr = trace()
    tr.t_s[50] = tr.t_s[49]
    report = rescore_trace(tr, WALL)
    assert report["reps"] == 2
    assert all(r["start_s"] <= r["end_s"] for r in report["rep_details"])


def test_the_live_analyzer_refuses_a_frame_from_the_past_and_a_reset_starts_time_afresh() -> None:
    tr = trace()
    a = Analyzer(WALL, tr.meta.aspect)
    for i in range(20):
        a.update(tr.frame(i))
    with pytest.raises(PoseDataError, match=r"is before the previous one"):
        a.update(tr.frame(5))
    with pytest.raises(PoseDataError, match=r"n_people=-1"):
        f = tr.frame(20)
        a.update(type(f)(f.t_s, f.image_xy, f.world_xyz, f.visibility, f.presence, n_people=-1))
    a.checker.reset()
    a.smoother.reset()
    a.update(tr.frame(0))  # a fresh set starts from any time
    assert a.checker.frames == 1
