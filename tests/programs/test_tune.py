"""The tuner's parts, without a window: sliders, re-scoring, profile diffs, the plot image."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.errors import FormcheckError
from formcheck.exercises.config import get_exercise
from formcheck.exercises.profiles import apply_profile, load_profile
from formcheck.formats.trace import save_trace
from formcheck.measures.body import MEASURE_NAMES, measure_index
from formcheck.programs.rescoring import PreparedTrace
from formcheck.programs.tune import (
    GREEN,
    RED,
    THRESHOLD_COLORS,
    Knob,
    Layout,
    PlotView,
    ScriptedKeys,
    TuneRecording,
    TunerSession,
    compose,
    knobs_for,
    plot_data,
    render_plot,
    skeleton_canvas,
    tunable_thresholds,
)
from formcheck_testing import synthetic

WALL = get_exercise("wall_squat")


@pytest.fixture(scope="module")
def wall_trace():
    return synthetic.wall_squat(reps=3, hold_s=6.0, noise_world_m=0.005, seed=2)


@pytest.fixture(scope="module")
def session_parts(wall_trace):
    return TuneRecording.from_trace(wall_trace, WALL)


@pytest.fixture
def session(session_parts) -> TunerSession:
    return TunerSession(session_parts, WALL)


def test_the_tunable_thresholds_are_counting_band_hold_speed_then_rules():
    assert tunable_thresholds(WALL) == [
        "start_deg", "end_deg", "target_min_deg", "target_max_deg", "hold_s", "max_return_speed_deg_s",
        "max_trunk_lean_deg",
    ]  # fmt: skip
    slr = tunable_thresholds(get_exercise("straight_leg_raise"))
    assert {"max_raised_knee_flex_deg", "min_other_knee_flex_deg"} <= set(slr)


@pytest.mark.parametrize("exercise", ["wall_squat", "straight_leg_raise", "heel_slide"])
def test_every_knob_maps_its_threshold_to_a_trackbar_position_and_back(exercise):
    cfg = get_exercise(exercise)
    for knob in knobs_for(cfg):
        value = cfg.value(knob.name)
        assert knob.pos_min <= knob.to_pos(value) <= knob.pos_max
        assert knob.to_value(knob.to_pos(value)) == pytest.approx(value, abs=knob.step / 2)
        assert knob.to_value(knob.pos_min) >= cfg.thresholds[knob.name].min
        assert knob.to_value(knob.pos_max) <= cfg.thresholds[knob.name].max


def test_knob_positions_are_values_in_steps_even_below_zero():
    k = Knob("start_deg", -10.0, 45.0, 1.0, "deg")
    assert (k.pos_min, k.pos_max, k.to_pos(5.0), k.to_value(-7)) == (-10, 45, 5, -7.0)
    hold = Knob.for_threshold(WALL.thresholds["hold_s"])
    assert hold.step == 0.1 and hold.to_pos(8.0) == 80 and hold.to_value(83) == 8.3
    assert hold.label == "hold_s (s x0.1)"


def test_changing_a_threshold_recounts_the_whole_recording(session):
    assert session.checker.reps == 3 and all(r.ok for r in session.results)
    assert session.set("hold_s", 8.0)
    assert [r.faults for r in session.results] == [("hold_short",)] * 3
    assert session.changed() == {"hold_s": 8.0}
    assert session.rescore_ms > 0 and len(session.states) == len(session.recording)
    assert session.state_at(10**9).reps == 3  # clamped to the last frame


def test_an_invalid_combination_is_reported_and_keeps_the_last_valid_result(session):
    session.set("hold_s", 8.0)
    assert not session.set("end_deg", 30.0)
    assert "end_deg = 30 must be below start_deg = 25" in session.error
    assert session.cfg.value("end_deg") == 12 and session.cfg.value("hold_s") == 8
    assert session.set("end_deg", 20.0) and session.error == ""
    session.reset()
    assert session.changed() == {} and all(r.ok for r in session.results)


def test_every_knob_of_an_exercise_with_a_seated_variant_can_be_moved():
    # The tuner re-applies every knob's value: the lying piriformis stretch's start_deg = 95 is
    # not the seated variant's own start (at most 60), so every move used to be "invalid".
    cfg = get_exercise("piriformis_stretch")
    trace = synthetic.piriformis_stretch(reps=2, hold_s=21.0)
    session = TunerSession(TuneRecording.from_trace(trace, cfg), cfg, record_states=False)
    assert session.checker.reps == 2
    assert session.set("hold_s", 25.0) and session.error == ""
    assert [r.faults for r in session.results] == [("hold_short",)] * 2


def test_saving_writes_only_changed_values_and_merges_into_an_existing_profile(session, tmp_path):
    path = tmp_path / "smith.toml"
    path.write_text('[profile]\nname = "Mrs Smith"\n\n[heel_slide]\nmax_speed_deg_s = 40\n', encoding="utf-8")
    session.set("hold_s", 8.0)
    session.set("target_max_deg", 60.0)
    session.save(path)
    prof = load_profile(path)
    assert prof.name == "Mrs Smith"
    assert prof.for_exercise("heel_slide") == {"max_speed_deg_s": 40.0}  # kept
    assert prof.for_exercise("wall_squat") == {"hold_s": 8.0, "target_max_deg": 60.0}
    assert apply_profile(WALL, prof).thresholds == session.cfg.thresholds
    text = path.read_text(encoding="utf-8")
    assert "target_min_deg" not in text  # unchanged values are not written


def test_a_profile_loaded_at_start_is_kept_when_saving(session_parts, tmp_path):
    start = WALL.with_overrides({"hold_s": 7.0})
    s = TunerSession(session_parts, start)
    assert s.changed() == {"hold_s": 7.0}  # differs from the package value
    s.set("start_deg", 22.0)
    assert s.changed() == {"start_deg": 22.0, "hold_s": 7.0}


def test_the_plot_shades_ok_reps_green_faulty_reps_red_and_draws_thresholds(session):
    view = PlotView(1000, 300)
    data = plot_data(session)
    img = view.render(data, t_now=float(session.recording.t_s[0]) + 1.0)
    assert img.shape == (300, 1000, 3) and img.dtype == np.uint8
    rep = session.results[0]
    tw = view.window(data, 0.0)
    x = view._x((rep.start_s + rep.end_s) / 2, tw)
    strip = img[view.top + 1 : view.top + 4, x - 3 : x + 3]  # the solid strip on top of the span
    assert np.all(strip == np.array(GREEN, np.uint8))
    # The start threshold is a dashed orange line at its height, labelled on the right.
    yr = view._yrange(data, np.ones(len(data.t_s), bool))
    y = view._y(session.cfg.value("start_deg"), yr)
    row = img[y, view.left : view.w - view.right]
    assert (np.abs(row.astype(int) - THRESHOLD_COLORS["start"]).sum(axis=1) < 60).mean() > 0.3

    session.set("hold_s", 8.0)
    img2 = render_plot(session, 1000, 300)
    assert np.all(img2[view.top + 1 : view.top + 4, x - 3 : x + 3] == np.array(RED, np.uint8))


def test_the_plot_follows_the_playhead_on_long_recordings(wall_trace):
    long = synthetic.concat([wall_trace] * 6)  # ~4 minutes
    s = TunerSession(TuneRecording.from_trace(long, WALL), WALL, record_states=False)
    view = PlotView(800, 240)
    data = plot_data(s)
    a0, b0 = view.window(data, 5.0)
    a1, b1 = view.window(data, 200.0)
    assert b0 - a0 == b1 - a1 < long.t_s[-1] - long.t_s[0]
    assert a0 <= 5.0 <= b0 and a1 <= 200.0 <= b1


def test_focusing_a_rule_threshold_plots_its_measure(session):
    session.set("max_trunk_lean_deg", 15.0)
    data = plot_data(session)
    assert data.extra is not None and data.extra[0] == "trunk lean deg" and data.extra[2] == 15.0


def test_the_window_image_has_view_panel_plot_and_help(session):
    lay = Layout(width=1200, view_h=450, panel_w=380, plot_h=260)
    plot = render_plot(session, lay.width, lay.plot_h, t_now=3.0)
    img = compose(skeleton_canvas(640, 360), session, plot, 3.0, lay, "saved x")
    assert img.shape == (lay.height, 1200, 3)
    assert np.array_equal(img[lay.view_h : lay.view_h + lay.plot_h], plot)
    panel = img[: lay.view_h, 1200 - 380 :]
    assert (panel.max(axis=2) > 200).sum() > 500  # text on the panel


def test_scripted_keys_play_back_in_order_then_quit():
    keys = ScriptedKeys("key:space wait:0.5 set:hold_s=8; shot:/tmp/x.png")
    assert keys.next(0.0) == ("key", "32")
    assert keys.next(0.0) is None  # waiting
    assert keys.next(0.6) == ("set", "hold_s=8")
    assert keys.next(0.6) == ("shot", "/tmp/x.png")
    assert keys.next(0.7) == ("key", str(ord("q")))
    with pytest.raises(FormcheckError, match="bad step"):
        ScriptedKeys("press:q")


def test_a_per_side_rule_is_plotted_for_each_reps_own_side():
    cfg = get_exercise("straight_leg_raise")
    trace = synthetic.straight_leg_raise(reps=2, side="alternating", seed=3)
    s = TunerSession(TuneRecording.from_trace(trace, cfg), cfg, record_states=False)
    s.set("max_raised_knee_flex_deg", 12.0)
    data = plot_data(s)
    assert data.extra is not None and data.extra[0] == "knee flex (rep's side) deg"
    series, t = data.extra[1], trace.t_s
    for r in s.results:
        during = series[(t > r.start_s) & (t < r.end_s)]
        assert np.nanmax(during) < 12.0  # the raised (straight) knee, not the other, bent one
    assert np.isnan(series[t < s.results[0].start_s]).all()


def test_the_tune_recording_scores_and_draws_what_the_whole_prepared_trace_does(wall_trace):
    whole = PreparedTrace.from_trace(wall_trace, cfg=WALL)
    for window in (41, 16_384):
        rec = TuneRecording.from_trace(wall_trace, WALL, window=window)
        states: list = []
        a, b = rec.checker(WALL, on_frame=lambda _i, c, kept=states: kept.append(c.state())), whole.checker(WALL)
        assert a.results == b.results and a.events == b.events and len(states) == len(wall_trace)
        assert np.array_equal(rec.usable, whole.measures[1])
        assert rec.draw_xy.dtype == np.float32
        assert np.allclose(rec.draw_xy, whole.measures[2], atol=1e-6, equal_nan=True)
        knee = whole.measures[0][:, measure_index("knee_flex_deg")]
        assert np.array_equal(rec.series("knee_flex_deg"), knee, equal_nan=True)
    assert rec.report(WALL)["reps"] == whole.report(WALL)["reps"] == 3


def test_a_trace_file_is_tuned_from_its_windows_keeping_a_few_hundred_bytes_a_frame(wall_trace, tmp_path):
    save_trace(wall_trace, tmp_path / "t.npz")
    rec = TuneRecording.load(tmp_path / "t.npz", WALL, window=64)
    whole = TuneRecording.from_trace(wall_trace, WALL)
    assert rec.trace_path == str(tmp_path / "t.npz") and rec.report(WALL)["trace"] == rec.trace_path
    assert rec.checker(WALL).results == whole.checker(WALL).results
    assert np.array_equal(rec.draw_xy, whole.draw_xy, equal_nan=True)
    assert not hasattr(rec, "trace") and rec.nbytes / len(rec) < 400  # the trace and 63 float64 columns: ~2,700


def test_a_measure_the_exercise_does_not_read_is_not_kept_for_the_plot(session_parts):
    assert "ankle_left_deg" in MEASURE_NAMES
    with pytest.raises(KeyError, match="ankle_left_deg"):
        session_parts.series("ankle_left_deg")
