"""``formcheck fit``'s memory: each recording is kept as what the checker reads of it
(:class:`CheckerTrace`: times, the exercise's measure columns, people counts, the frames that
are not measurable), measured window by window, and re-scores exactly as the full
:class:`PreparedTrace` does — so fitting on it gives the same result, bit for bit."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from formcheck.errors import ConfigError
from formcheck.exercises.config import builtin_exercises, get_exercise
from formcheck.formats.trace import save_trace
from formcheck.formats.trace_windows import windows_of
from formcheck.measures.body import measure_index
from formcheck.pose.frame import PoseTrace
from formcheck.programs.fit import (
    Clip,
    Evaluator,
    Outcome,
    Param,
    fit_thresholds,
    leave_one_out,
    load_labels,
    prepare_clips,
)
from formcheck.programs.rescoring import CheckerTrace, PreparedTrace, WindowRows
from formcheck_testing import synthetic

EXERCISES = builtin_exercises()
WALL = get_exercise("wall_squat")



def messy(name: str) -> PoseTrace:
    """Every kind of frame issue, someone else after the person switch included."""
    return synthetic.messy(name, repeated_time=False, someone_else=True)


def assert_same_checker(a, b) -> None:
    assert a.events == b.events
    assert a.results == b.results
    assert (a.frames, a.measurable_frames, a.reps, a.t_first, a.t_last) == (
        b.frames, b.measurable_frames, b.reps, b.t_first, b.t_last,
    )  # fmt: skip
    assert Outcome.of(a) == Outcome.of(b)


def _overrides(cfg):
    """The exercise's thresholds as they are, and each of a few at either end of its range."""
    yield {}
    for name in list(cfg.thresholds)[:4]:
        t = cfg.thresholds[name]
        for v in (t.min, t.max):
            try:
                cfg.with_overrides({name: v})
            except ConfigError:  # an invalid combination
                continue
            yield {name: v}


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_a_compact_trace_rescores_every_exercise_as_the_prepared_trace_does(name: str) -> None:
    cfg = EXERCISES[name]
    trace = messy(name)
    full = PreparedTrace.from_trace(trace, cfg=cfg)
    for window in (37, 16_384):
        compact = CheckerTrace.from_trace(trace, cfg, window=window)
        assert len(compact) == len(trace)
        for values in _overrides(cfg):
            tuned = cfg.with_overrides(values)
            assert_same_checker(compact.checker(tuned), full.checker(tuned))


def test_a_compact_trace_read_from_a_file_in_windows_equals_the_whole_trace_s(tmp_path) -> None:
    trace = messy("wall_squat")
    trace.meta.extra = {}
    save_trace(trace, tmp_path / "t.npz")
    full = PreparedTrace.load(tmp_path / "t.npz", cfg=WALL)
    for window in (50, 16_384):
        compact = CheckerTrace.load(tmp_path / "t.npz", WALL, window=window)
        assert compact.issue_at.size > 0  # the dropout, the switch, the lost landmarks
        assert_same_checker(compact.checker(WALL), full.checker(WALL))


def test_a_compact_trace_keeps_only_the_measures_the_checker_reads_a_few_bytes_a_frame() -> None:
    trace = messy("wall_squat")
    compact = CheckerTrace.from_trace(trace, WALL)
    k = len(WALL.measures_used())
    assert sorted(compact.columns.tolist()) == sorted(measure_index(n) for n in WALL.measures_used())
    assert compact.values.shape == (len(trace), k) and compact.values.dtype == np.float64
    assert not hasattr(compact, "trace") and not hasattr(compact, "measures")  # no landmarks, no 63 columns
    per_frame = compact.nbytes / len(trace)
    assert per_frame <= 8 + 8 * k + 2 + 9 * compact.issue_at.size / len(trace) + 1e-9
    assert per_frame < 100  # PreparedTrace: ~2,700 bytes a frame with the trace


def test_a_compact_trace_refuses_another_exercise_but_takes_any_thresholds() -> None:
    compact = CheckerTrace.from_trace(messy("wall_squat"), WALL)
    compact.checker(WALL.with_overrides({"hold_s": 9.0}))
    with pytest.raises(ValueError, match="measured for wall_squat"):
        compact.checker(get_exercise("squat"))


def _session(holds: list[float], seed: int) -> PoseTrace:
    m = synthetic.Motion({"knee": 0.0, "lean": 0.0}).rest(2.0)
    for hold in holds:
        synthetic.add_rep(m, {"knee": 45.0}, {"knee": 0.0}, out_s=2.0, hold_s=hold, back_s=3.0, rest_s=2.0)
    capture = synthetic.Capture(noise_world_m=0.005, seed=seed)
    trace = synthetic.render_motion(m, synthetic.wall_squat_pose, "feet", capture)
    trace.meta.extra = {}
    return trace


def test_fitting_on_compact_traces_gives_the_fit_on_prepared_traces() -> None:
    scripted = [[4.9, 9.0, 6.1, 7.5], [6.9, 5.6, 7.8, 4.4], [9.5, 6.3, 5.2, 7.1]]
    traces = [_session(hs, seed=i) for i, hs in enumerate(scripted)]
    full = [PreparedTrace.from_trace(t, cfg=WALL) for t in traces]
    compact = [CheckerTrace.from_trace(t, WALL, window=101) for t in traces]
    labels = [tuple(r.hold_s >= 8.0 for r in p.checker(WALL).results) for p in full]
    clips = [Clip(f"s{i}", Path(f"s{i}"), "wall_squat", 4, (4,), None, lab) for i, lab in enumerate(labels)]
    params = [Param("hold_s", 2.0, 15.0, 0.1), Param("target_min_deg", 20.0, 60.0, 0.5)]
    for fast in (True, False):  # the fault models and the checker alone
        a = fit_thresholds(WALL, clips, full, params, evaluator=Evaluator(WALL, clips, full, params, fast=fast))
        b = fit_thresholds(WALL, clips, compact, params, evaluator=Evaluator(WALL, clips, compact, params, fast=fast))
        assert (a.values, a.plateaus, a.evaluations) == (b.values, b.plateaus, b.evaluations)
        assert (a.before, a.after) == (b.before, b.after)
    assert leave_one_out(WALL, clips, full, params).folds == leave_one_out(WALL, clips, compact, params).folds


def test_fit_reads_trace_files_window_by_window_into_compact_traces(tmp_path) -> None:
    save_trace(_session([6.0, 9.0], seed=3), tmp_path / "a.npz")
    (tmp_path / "labels.toml").write_text('[[clip]]\nfile = "a.npz"\nexercise = "wall_squat"\nreps = 2\n')
    said: list[str] = []
    (prepared,) = prepare_clips(load_labels(tmp_path / "labels.toml"), WALL, on_status=said.append)
    assert isinstance(prepared, CheckerTrace) and said == ["a.npz: trace file"]
    assert_same_checker(prepared.checker(WALL), PreparedTrace.load(tmp_path / "a.npz", cfg=WALL).checker(WALL))


_MANIFEST = Path(__file__).resolve().parents[2] / "sample_videos" / "labels.toml"
_CLIPS = tomllib.loads(_MANIFEST.read_text(encoding="utf-8"))["clip"]


@pytest.mark.real
@pytest.mark.parametrize("clip", [c["file"] for c in _CLIPS])
def test_a_compact_trace_of_a_real_clip_rescores_as_the_prepared_trace(real_trace, clip: str) -> None:
    cfg = EXERCISES[next(c for c in _CLIPS if c["file"] == clip)["exercise"]]
    trace = real_trace(clip)
    full = PreparedTrace.from_trace(trace, cfg=cfg)
    compact = CheckerTrace.from_trace(trace, cfg, window=256)
    for values in _overrides(cfg):
        tuned = cfg.with_overrides(values)
        assert_same_checker(compact.checker(tuned), full.checker(tuned))


@pytest.mark.parametrize("total", [None, 10, 7, 12])  # unknown, exact, too few, too many
def test_window_rows_join_the_pieces_whatever_total_was_announced(total) -> None:
    rows = WindowRows(total, (2,), np.float32)
    pieces = [np.full((k, 2), k, np.float64) for k in (4, 1, 5)]
    for p in pieces:
        rows.add(p)
    out = rows.array()
    assert out.dtype == np.float32 and np.array_equal(out, np.concatenate(pieces))


def test_a_compact_trace_of_unsized_windows_equals_the_one_of_the_trace() -> None:
    trace = messy("wall_squat")
    unsized = (w for w in windows_of(trace, 100))
    compact = CheckerTrace.from_windows(unsized, WALL)
    assert_same_checker(compact.checker(WALL), CheckerTrace.from_trace(trace, WALL).checker(WALL))
