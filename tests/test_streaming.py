"""Streaming the chain: a trace analysed window by window, every stateful stage's state
carried across windows (analysis.ChainCarry), gives bit for bit what analysing it whole
gives — measures, events, reps, the report — for every exercise of the catalog, whatever
the window size and wherever a window edge falls (inside a rep, on a jump, in a dropout)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from formcheck.analysis import (
    ChainCarry,
    analyze_trace,
    analyze_windows,
    is_segmented,
    trace_measures,
    window_measures,
)
from formcheck.exercises.config import builtin_exercises, get_exercise
from formcheck.formats import report as report_module
from formcheck.formats.report import SignalSeries, signal_frame_step
from formcheck.formats.trace import save_trace
from formcheck.formats.trace_windows import windows_of
from formcheck.pose.frame import PoseTrace
from formcheck.pose.sides import LIMBS, SideState, apply_swaps
from formcheck.pose.validate import PoseDataError
from formcheck.programs.rescoring import PreparedTrace, rescore_file, rescore_trace
from formcheck.smoothing.one_euro import OneEuroParams, SmoothingConfig
from formcheck_testing import synthetic

EXERCISES = builtin_exercises()


messy = synthetic.messy


def bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.ascontiguousarray(a, np.float64), np.ascontiguousarray(b, np.float64)
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


def windowed_measures(trace: PoseTrace, window: int, **kw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    carry = ChainCarry()
    parts = [window_measures(w, carry, **kw) for w in windows_of(trace, window)]
    assert carry.frames == len(trace)
    return tuple(np.concatenate([getattr(p, k) for p in parts]) for k in ("values", "usable", "img"))  # type: ignore[return-value]


def assert_same_checker(a, b) -> None:
    assert a.events == b.events
    assert a.results == b.results
    assert (a.frames, a.measurable_frames, a.reps) == (b.frames, b.measurable_frames, b.reps)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_exercise_analysed_in_windows_gives_the_whole_trace_result(name: str) -> None:
    trace, cfg = messy(name), EXERCISES[name]
    whole = analyze_trace(trace, cfg)
    for window in (97, 1000):
        chunked = analyze_windows(windows_of(trace, window), cfg, segmented=is_segmented(trace.meta.extra))
        assert_same_checker(chunked, whole)


@pytest.mark.parametrize("name", ["wall_squat", "squat", "straight_leg_raise", "bird_dog", "cat_cow"])
@pytest.mark.parametrize("window", [1, 2, 33, 256, 10_000])
def test_window_measures_equal_whole_trace_measures_bit_for_bit(name: str, window: int) -> None:
    if name not in EXERCISES:
        pytest.skip(f"{name} is not in the catalog")
    trace = messy(name)
    only = EXERCISES[name].measures_used()
    whole = trace_measures(trace, only=only)
    chunked = windowed_measures(trace, window, only=only)
    assert all(bits_equal(w, c) for w, c in zip(whole[::2], chunked[::2], strict=True))
    assert np.array_equal(whole[1], chunked[1])


def test_a_window_edge_inside_a_rep_does_not_change_the_rep() -> None:
    trace, cfg = synthetic.wall_squat(reps=3, noise_world_m=0.01, seed=2), get_exercise("wall_squat")
    whole = analyze_trace(trace, cfg)
    assert whole.reps == 3
    rep = whole.results[1]
    # An edge at the middle of the second rep, and one frame either side of it.
    mid = int(np.searchsorted(trace.t_s, 0.5 * (rep.start_s + rep.end_s)))
    for edge in (mid - 1, mid, mid + 1):
        first = PoseTrace(*(getattr(trace, k)[:edge] for k in _ARRAYS), meta=trace.meta)
        rest = PoseTrace(*(getattr(trace, k)[edge:] for k in _ARRAYS), meta=trace.meta)
        assert_same_checker(analyze_windows([first, rest], cfg), whole)


_ARRAYS = ("t_s", "image_xy", "world_xyz", "visibility", "presence", "n_people", "identity_jump")


def _cut_at(trace: PoseTrace, edges: list[int]) -> list[PoseTrace]:
    bounds = [0, *edges, len(trace)]
    return [
        PoseTrace(*(getattr(trace, k)[a:b] for k in _ARRAYS), meta=trace.meta) for a, b in itertools.pairwise(bounds)
    ]


@pytest.mark.parametrize("where", ["jump", "dropout_start", "dropout_end", "repeated_time"])
def test_a_window_edge_on_a_discontinuity_changes_nothing(where: str) -> None:
    trace, cfg = messy("wall_squat"), get_exercise("wall_squat")
    n = len(trace)
    absent = np.flatnonzero(trace.n_people == 0)
    edge = {"jump": n // 3, "dropout_start": int(absent[0]), "dropout_end": int(absent[-1]) + 1,
            "repeated_time": n - 20}[where]  # fmt: skip
    whole_m = trace_measures(trace, only=cfg.measures_used())
    for e in (edge - 1, edge, edge + 1):
        carry = ChainCarry()
        parts = [window_measures(w, carry, only=cfg.measures_used()) for w in _cut_at(trace, [e])]
        assert bits_equal(np.concatenate([p.values for p in parts]), whole_m[0])
        assert_same_checker(analyze_windows(_cut_at(trace, [e]), cfg), analyze_trace(trace, cfg))


def test_the_identity_guard_is_carried_across_windows() -> None:
    # A second person takes over after a jump and stays for a while; the window edge falls
    # while the other person is in view: frames stay "someone else" in the next window.
    trace = synthetic.wall_squat(reps=2, seed=3)
    n = len(trace)
    a, b = n // 3, n // 3 + 60
    trace.image_xy[a:b, :, 0] += 0.4  # someone else, further right
    trace.identity_jump[a] = True
    carry = ChainCarry()
    parts = [window_measures(w, carry) for w in _cut_at(trace, [a + 30])]
    whole = window_measures(trace, ChainCarry())
    other = np.concatenate([p.other for p in parts])
    assert other[a + 1 : b].all() and not other[:a].any()
    assert np.array_equal(other, whole.other)


def test_the_side_keeper_is_carried_so_a_swap_across_a_window_edge_stays_undone() -> None:
    # The estimator swaps the legs through the second raise's hold; a window edge falls inside
    # the swap. Carried, the keeper goes on undoing it (the whole trace's answer); started
    # afresh in the next window it would take the swapped labels for the truth.
    trace = synthetic.straight_leg_raise(reps=2, side=["left", "right"], noise_world_m=0.005, seed=2)
    rep = trace.meta.extra["reps"][1]
    a, b = (int(np.searchsorted(trace.t_s, t)) for t in (rep.hold_start_s, rep.hold_end_s))
    mask = np.zeros((len(trace), len(LIMBS)), dtype=bool)
    mask[a:b, 1] = True
    trace.image_xy, trace.world_xyz, trace.visibility, trace.presence = apply_swaps(
        (trace.image_xy, trace.world_xyz, trace.visibility, trace.presence), mask
    )
    cfg = EXERCISES["straight_leg_raise"]
    whole = window_measures(trace, ChainCarry(), only=cfg.measures_used())
    carry = ChainCarry()
    parts = [window_measures(w, carry, only=cfg.measures_used()) for w in _cut_at(trace, [a + 40])]
    assert bits_equal(np.concatenate([p.values for p in parts]), whole.values)
    assert bits_equal(np.concatenate([p.img for p in parts]), whole.img)
    first, second = _cut_at(trace, [a + 40])
    forgetful = ChainCarry()
    head = window_measures(first, forgetful, only=cfg.measures_used())
    forgetful.sides = SideState()  # everything carried but the keeper's state
    tail = window_measures(second, forgetful, only=cfg.measures_used())
    assert not bits_equal(np.concatenate([head.values, tail.values]), whole.values)
    assert_same_checker(analyze_windows(_cut_at(trace, [a + 40]), cfg), analyze_trace(trace, cfg))
    assert [r.side for r in analyze_trace(trace, cfg).results] == ["left", "right"]


def test_the_smoother_state_is_carried_so_a_fresh_start_per_window_would_differ() -> None:
    # Holds the test to something: restarting the smoother at each window changes the
    # measures (the carry is what makes them equal).
    trace = synthetic.wall_squat(reps=2, noise_world_m=0.01, seed=4)
    whole = trace_measures(trace)[0]
    restarted = np.concatenate([window_measures(w, ChainCarry()).values for w in windows_of(trace, 100)])
    carried = windowed_measures(trace, 100)[0]
    assert bits_equal(carried, whole)
    assert not bits_equal(restarted, whole)


@pytest.mark.parametrize(
    "smoothing",
    [
        SmoothingConfig(enabled=False),
        SmoothingConfig(image=OneEuroParams(0.3, 0.5, 1.0), world=OneEuroParams(2.0, 4.0, 0.5)),
    ],
)
def test_windows_equal_the_whole_trace_with_other_smoothing(smoothing: SmoothingConfig) -> None:
    trace, cfg = messy("squat"), get_exercise("squat")
    whole = trace_measures(trace, smoothing)
    assert bits_equal(windowed_measures(trace, 128, smoothing=smoothing)[0], whole[0])
    assert_same_checker(analyze_windows(windows_of(trace, 128), cfg, smoothing), analyze_trace(trace, cfg, smoothing))


def test_a_window_that_goes_back_in_time_is_refused() -> None:
    trace = synthetic.wall_squat(reps=1)
    first, rest = _cut_at(trace, [100])
    carry = ChainCarry()
    window_measures(first, carry)
    with pytest.raises(PoseDataError, match=r"must not go back.*frame 100"):
        window_measures(first, carry)
    window_measures(rest, carry)  # the right next window goes on


def test_an_empty_window_changes_nothing() -> None:
    trace, cfg = messy("wall_squat"), get_exercise("wall_squat")
    parts = _cut_at(trace, [300])
    empty = PoseTrace(*(getattr(trace, k)[:0] for k in _ARRAYS), meta=trace.meta)
    assert_same_checker(analyze_windows([parts[0], empty, parts[1]], cfg), analyze_trace(trace, cfg))


@pytest.mark.parametrize("name", ["wall_squat", "deep_squat"])
@pytest.mark.parametrize("segmented", [False, True])
def test_exact_3d_and_segmented_traces_stream_as_they_analyse_whole(name: str, segmented: bool) -> None:
    from formcheck.formats.mocap import MocapSpec, mocap_trace

    n = 300
    knee = 100.0 * 0.5 * (1 - np.cos(np.linspace(0, 2 * np.pi, n)))
    joints = {"knee_flex_left": knee, "knee_flex_right": 0.9 * knee, "hip_flex_left": 0.8 * knee,
              "hip_flex_right": 0.8 * knee, "trunk_pitch": 0.3 * knee}  # fmt: skip
    pos = synthetic.skeleton(joints, n)
    if segmented:
        pos = pos[80:220]
    trace = mocap_trace(pos, MocapSpec(units="m", up="+z", fps=100.0, segmented=segmented)).trace
    cfg = EXERCISES[name]
    whole = analyze_trace(trace, cfg)
    assert_same_checker(analyze_windows(windows_of(trace, 50), cfg, segmented=is_segmented(trace.meta.extra)), whole)


# ---------------------------------------------------------------------- rescoring a file


@pytest.mark.parametrize("window", [64, 1000, 100_000])
@pytest.mark.parametrize("signals", [False, True])
def test_rescoring_a_file_in_windows_gives_the_whole_trace_report(tmp_path, window: int, signals: bool) -> None:
    trace, cfg = messy("wall_squat", repeated_time=False), get_exercise("wall_squat")
    trace.meta.extra = {}
    path = tmp_path / "s.npz"
    save_trace(trace, path)
    whole = PreparedTrace.load(path, cfg=cfg)
    expected = whole.report(cfg, signals=signals)
    assert rescore_file(path, cfg, signals=signals, window=window) == expected
    assert rescore_trace(path, cfg, signals=signals) == expected


def test_rescoring_a_csv_trace_in_windows_gives_the_whole_trace_report(tmp_path) -> None:
    from formcheck.formats.trace import export_csv

    trace, cfg = synthetic.wall_squat(reps=2, noise_world_m=0.01, seed=6), get_exercise("wall_squat")
    trace.meta.extra = {}
    path = tmp_path / "s.csv"
    export_csv(trace, path)
    assert rescore_file(path, cfg, window=100) == PreparedTrace.load(path, cfg=cfg).report(cfg)


# ---------------------------------------------------------------------- signal decimation


def test_signal_frame_step_keeps_at_most_the_limit() -> None:
    limit = report_module.SIGNAL_MAX_FRAMES
    assert limit == 36_000
    assert [signal_frame_step(n) for n in (0, 1, limit, limit + 1, 2 * limit, 2 * limit + 1)] == [1, 1, 1, 2, 2, 3]
    assert signal_frame_step(324_000) == 9  # a 3-hour session at 30 fps: 36,000 points


def test_a_long_recording_s_signals_keep_every_step_th_frame(monkeypatch) -> None:
    monkeypatch.setattr(report_module, "SIGNAL_MAX_FRAMES", 100)
    t = np.arange(250) / 30.0
    s = SignalSeries.from_arrays(t, {"knee": np.arange(250.0)})
    assert s.frame_step == 3
    assert s.series["knee"] == tuple(float(v) for v in range(0, 250, 3))
    assert s.t_s == tuple(np.round(t[::3], 3).tolist())
    assert SignalSeries.from_dict(s.to_dict()) == s


def test_a_short_recording_s_signals_keep_every_frame_with_step_one() -> None:
    s = SignalSeries.from_arrays(np.arange(5) / 30.0, {"knee": np.array([1.0, np.nan, 3.0, 4.0, 5.0])})
    assert s.frame_step == 1 and s.series["knee"] == (1.0, None, 3.0, 4.0, 5.0)
    assert s.to_dict()["frame_step"] == 1
    assert SignalSeries.from_dict({"t_s": [0.0], "series": {"knee": [1.0]}}).frame_step == 1  # older reports


@pytest.mark.parametrize("window", [7, 100, 1000])
def test_decimated_signals_collected_in_windows_equal_the_whole_trace_s(monkeypatch, tmp_path, window: int) -> None:
    monkeypatch.setattr(report_module, "SIGNAL_MAX_FRAMES", 97)  # a step that no window size divides
    trace, cfg = synthetic.wall_squat(reps=2, noise_world_m=0.01, seed=7), get_exercise("wall_squat")
    trace.meta.extra = {}
    path = tmp_path / "s.npz"
    save_trace(trace, path)
    expected = PreparedTrace.load(path, cfg=cfg).report(cfg, signals=True)
    got = rescore_file(path, cfg, signals=True, window=window)
    assert got["signals"]["frame_step"] == signal_frame_step(len(trace)) > 1
    assert got == expected


def test_a_report_with_decimated_signals_validates_against_the_schema(monkeypatch, tmp_path) -> None:
    import json
    from pathlib import Path

    jsonschema = pytest.importorskip("jsonschema")
    monkeypatch.setattr(report_module, "SIGNAL_MAX_FRAMES", 50)
    trace, cfg = synthetic.wall_squat(reps=1), get_exercise("wall_squat")
    trace.meta.extra = {}
    path = tmp_path / "s.npz"
    save_trace(trace, path)
    got = rescore_file(path, cfg, signals=True, window=64)
    schema = json.loads((Path(__file__).resolve().parents[1] / "docs" / "report.schema.json").read_text())
    jsonschema.validate(got, schema)
    assert got["signals"]["frame_step"] > 1


def test_a_prepared_trace_keeps_who_was_someone_else_and_rescores_as_the_whole_trace() -> None:
    trace, cfg = messy("wall_squat"), get_exercise("wall_squat")
    n = len(trace)
    trace.image_xy[n // 3 : n // 3 + 40, :, 0] += 0.4  # someone else after the jump
    prepared = PreparedTrace.from_trace(trace, cfg=cfg)
    assert prepared.other is not None and prepared.other.any()
    assert_same_checker(prepared.checker(cfg), analyze_trace(trace, cfg))


# ---------------------------------------------------------------------- one window ahead


@pytest.mark.parametrize("name", ["wall_squat", "squat", "straight_leg_raise"])
def test_measuring_the_next_window_ahead_gives_the_same_result(name: str) -> None:
    trace, cfg = messy(name), EXERCISES[name]
    seen: list[int] = []
    ahead = analyze_windows(windows_of(trace, 100), cfg, ahead=True, on_window=lambda first, w, m: seen.append(first))
    assert_same_checker(ahead, analyze_trace(trace, cfg))
    assert seen == list(range(0, len(trace), 100))  # every window, in order


def test_bad_data_found_ahead_is_raised_to_the_caller() -> None:
    trace, cfg = synthetic.wall_squat(reps=1), get_exercise("wall_squat")
    first, rest = _cut_at(trace, [100])
    with pytest.raises(PoseDataError, match="must not go back"):
        analyze_windows([first, first, rest], cfg, ahead=True)


def test_a_caller_that_stops_early_leaves_no_helper_thread_behind() -> None:
    import threading

    trace, cfg = messy("wall_squat"), get_exercise("wall_squat")

    def stop(first: int, window: PoseTrace, measures) -> None:
        if first >= 200:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        analyze_windows(windows_of(trace, 100), cfg, ahead=True, on_window=stop)
    assert not [t for t in threading.enumerate() if t.name == "formcheck-window-ahead"]
