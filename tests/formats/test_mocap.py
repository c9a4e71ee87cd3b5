"""Motion-capture import: declared units, axes, time base and missing markers are converted
and checked; impossible ones are refused with a message saying what to declare instead."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis import analyze_trace, trace_measures
from formcheck.errors import TraceError
from formcheck.exercises.config import get_exercise
from formcheck.formats.mocap import MocapSpec, mocap_trace
from formcheck.formats.trace import load_trace, save_trace
from formcheck.measures.body import measure_index
from formcheck.pose.landmarks import Landmark as L
from formcheck.programs.rescoring import PreparedTrace
from formcheck_testing import synthetic

FPS = 100.0


def _squat_zup(n: int = 300, depth_deg: float = 100.0) -> np.ndarray:
    """(n, 33, 3) metres, z up (synthetic's gravity frame: x forward, y left, z up): one squat."""
    knee = depth_deg * 0.5 * (1 - np.cos(np.linspace(0, 2 * np.pi, n)))
    joints = {"knee_flex_left": knee, "knee_flex_right": knee, "hip_flex_left": 0.8 * knee,
              "hip_flex_right": 0.8 * knee, "trunk_pitch": 0.3 * knee}  # fmt: skip
    return synthetic.skeleton(joints, n)


def _knee(trace) -> np.ndarray:
    return trace_measures(trace)[0][:, measure_index("knee_flex_left_deg")]


def test_world_data_in_mm_with_z_up_becomes_metres_y_down_exact_and_synthesised():
    pos = _squat_zup() * 1000.0
    imp = mocap_trace(pos, MocapSpec(units="mm", up="+z", fps=FPS))
    tr = imp.trace
    assert imp.warnings == []
    assert tr.meta.extra["world_exact"] is True and tr.meta.extra["synthesized"] == "image_xy"
    assert tr.t_s[1] == pytest.approx(0.01) and tr.meta.fps == FPS
    w = tr.world_xyz
    # metres, origin between the hips, the head above (smaller y than) the ankles
    assert np.allclose(0.5 * (w[:, L.LEFT_HIP] + w[:, L.RIGHT_HIP]), 0.0, atol=1e-6)
    assert (w[:, L.NOSE, 1] < w[:, L.LEFT_ANKLE, 1]).all()
    assert 0.3 < np.linalg.norm(w[0, L.LEFT_HIP] - w[0, L.LEFT_KNEE]) < 0.6
    assert np.nanmax(_knee(tr)) == pytest.approx(100.0, abs=1.0)


def test_exact_input_is_measured_in_3d_from_any_view_with_no_image_blending():
    pos = _squat_zup()
    side = mocap_trace(pos, MocapSpec(units="m", up="+z", fps=FPS)).trace
    front = mocap_trace(pos, MocapSpec(units="m", up="+z", fps=FPS, yaw_deg=90.0)).trace
    assert np.nanmax(_knee(side)) == pytest.approx(100.0, abs=1.0)
    assert np.nanmax(_knee(front)) == pytest.approx(100.0, abs=1.0)
    # Side-on, an inexact trace trusts the image; an exact one never looks at it.
    for tr in (side, mocap_trace(pos, MocapSpec(units="m", up="+z", fps=FPS, exact=False)).trace):
        tr.image_xy[:, L.LEFT_ANKLE, 0] = tr.image_xy[:, L.LEFT_KNEE, 0]  # a flattened, wrong picture
    assert np.nanmax(_knee(side)) == pytest.approx(100.0, abs=1.0)
    inexact = mocap_trace(pos, MocapSpec(units="m", up="+z", fps=FPS, exact=False)).trace
    inexact.image_xy[:, L.LEFT_ANKLE, 0] = inexact.image_xy[:, L.LEFT_KNEE, 0]
    assert abs(np.nanmax(_knee(inexact)) - 100.0) > 10.0


def test_the_report_says_the_image_was_synthesised(tmp_path):
    tr = mocap_trace(_squat_zup(), MocapSpec(units="m", up="+z", fps=FPS)).trace
    save_trace(tr, tmp_path / "s.npz")
    report = PreparedTrace.load(tmp_path / "s.npz").report(get_exercise("deep_squat"))
    assert report["synthesized"] == "image_xy" and "synthesised" in report["input_note"]
    assert report["world_exact"] is True
    assert load_trace(tmp_path / "s.npz").meta.extra["world_exact"] is True


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (MocapSpec(units="m", up="+z", fps=FPS), "units = 'mm'"),  # millimetres read as metres
        (MocapSpec(units="mm", up="+y", fps=FPS), "up axis is wrong"),
    ],
)
def test_impossible_scales_and_axes_are_refused_saying_what_to_declare(spec, message):
    pos = _squat_zup() * 1000.0
    if spec.up == "+y":  # a y-up recording is declared y up by mistake... as seen upside down
        pos = pos[..., [0, 2, 1]] * np.array([1.0, -1.0, 1.0])
    with pytest.raises(TraceError, match=message):
        mocap_trace(pos, spec)


def test_a_body_never_upright_is_warned_about():
    # z up declared as y down: the person seems to lie on their side throughout.
    imp = mocap_trace(_squat_zup() * 1000.0, MocapSpec(units="mm", up="-y", fps=FPS))
    assert any("never upright" in w for w in imp.warnings)


def test_a_y_up_recording_declared_y_up_imports_upright():
    pos = _squat_zup()[..., [1, 2, 0]]  # (left, up, forward): y up
    tr = mocap_trace(pos, MocapSpec(units="m", up="+y", fps=FPS)).trace
    assert (tr.world_xyz[:, L.NOSE, 1] < tr.world_xyz[:, L.LEFT_ANKLE, 1]).all()


def test_millisecond_timestamps_declared_as_seconds_are_refused_and_accepted_when_declared():
    pos = _squat_zup()
    t_ms = np.arange(len(pos)) * 10.0
    with pytest.raises(TraceError, match="milliseconds: declare time_unit = 'ms'"):
        mocap_trace(pos, MocapSpec(units="m", up="+z"), t=t_ms)
    tr = mocap_trace(pos, MocapSpec(units="m", up="+z", time_unit="ms"), t=t_ms).trace
    assert tr.t_s[-1] == pytest.approx(2.99)
    with pytest.raises(TraceError, match="no time base"):
        mocap_trace(pos, MocapSpec(units="m", up="+z"))


def test_missing_marker_sentinels_become_missing_not_positions():
    pos = _squat_zup() * 1000.0
    pos[150, L.LEFT_KNEE] = -32768.0
    with pytest.raises(TraceError, match="declare the missing-marker sentinel"):
        mocap_trace(pos, MocapSpec(units="mm", up="+z", fps=FPS))
    tr = mocap_trace(pos, MocapSpec(units="mm", up="+z", fps=FPS, missing=-32768)).trace
    assert np.isnan(tr.world_xyz[150, L.LEFT_KNEE]).all() and tr.visibility[150, L.LEFT_KNEE] == 0.0


def test_vicon_zeros_for_a_missing_marker_are_warned_about_or_dropped_when_declared():
    pos = _squat_zup()
    pos[100:110, L.LEFT_ANKLE] = 0.0  # Vicon writes 0,0,0 for a marker it lost
    imp = mocap_trace(pos, MocapSpec(units="m", up="+z", fps=FPS))
    assert any("exactly at (0, 0, 0)" in w for w in imp.warnings)
    clean = mocap_trace(pos, MocapSpec(units="m", up="+z", fps=FPS, zero_is_missing=True))
    assert clean.warnings == [] and np.isnan(clean.trace.world_xyz[100:110, L.LEFT_ANKLE]).all()
    assert np.nanmax(_knee(clean.trace)) == pytest.approx(100.0, abs=1.0)


def test_bad_declarations_are_refused():
    with pytest.raises(TraceError, match="units = 'inch'"):
        MocapSpec(units="inch")
    with pytest.raises(TraceError, match="up = 'z'"):
        MocapSpec(up="z")
    with pytest.raises(TraceError, match="not a motion-capture frame rate"):
        MocapSpec(fps=0.1)


def test_a_segmented_repetition_is_one_finished_rep_without_padding():
    # Cut from a longer recording part-way down (knee ~55°) to part-way up: no standing
    # before or after it.
    pos = _squat_zup(n=300)[80:220]
    cfg = get_exercise("deep_squat")
    seg = mocap_trace(pos, MocapSpec(units="m", up="+z", fps=FPS, segmented=True)).trace
    c = analyze_trace(seg, cfg)
    assert c.reps == 1 and c.results[0].finished and "unfinished" not in c.results[0].faults
    plain = mocap_trace(pos, MocapSpec(units="m", up="+z", fps=FPS)).trace
    assert analyze_trace(plain, cfg).reps == 0  # never seen standing: not an attempt
