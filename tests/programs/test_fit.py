"""Fitting thresholds to labelled recordings: labels, agreement, and recovering a known
threshold from synthetic recordings, with leave-one-out."""

from __future__ import annotations

from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.errors import ConfigError
from formcheck.exercises.config import builtin_exercises, get_exercise
from formcheck.exercises.profiles import load_profile
from formcheck.formats.trace import save_trace
from formcheck.programs.fit import (
    Clip,
    Evaluator,
    Outcome,
    Param,
    Verdicts,
    agreement,
    default_params,
    fit_thresholds,
    leave_one_group_out,
    leave_one_out,
    load_labels,
    parse_param,
)
from formcheck.programs.rescoring import PreparedTrace
from formcheck_testing import synthetic

WALL = get_exercise("wall_squat")


def _session(reps: list[tuple[float, float]], seed: int):
    """Wall squats, one (depth_deg, hold_s) per rep, noisy like an estimator."""
    m = synthetic.Motion({"knee": 0.0, "lean": 0.0}).rest(2.0)
    for depth, hold in reps:
        synthetic.add_rep(m, {"knee": depth}, {"knee": 0.0}, out_s=2.0, hold_s=hold, back_s=3.0, rest_s=2.0)
    capture = synthetic.Capture(noise_world_m=0.005, seed=seed)
    trace = synthetic.render_motion(m, synthetic.wall_squat_pose, "feet", capture)
    trace.meta.extra = {}
    return trace


# --------------------------------------------------------------------------- labels


def test_labels_are_read_filtered_by_exercise_and_resolved_next_to_the_file(tmp_path):
    (tmp_path / "labels.toml").write_text(
        '[[clip]]\nfile = "a.mp4"\nexercise = "wall_squat"\nreps = 3\ncorrect = [true, false, true]\n\n'
        '[[clip]]\nfile = "b.npz"\nexercise = "heel_slide"\nreps = 4\nreps_accept = [4, 5]\n'
        "reps_by_side = { left = 2, right = 2 }\n",
        encoding="utf-8",
    )
    clips = load_labels(tmp_path / "labels.toml")
    assert [c.file for c in clips] == ["a.mp4", "b.npz"]
    assert clips[0].path == tmp_path / "a.mp4" and clips[0].reps_accept == (3,)
    assert clips[0].correct == (True, False, True)
    assert clips[1].reps_accept == (4, 5) and clips[1].reps_by_side == {"left": 2, "right": 2}
    only = load_labels(tmp_path / "labels.toml", "heel_slide", videos_dir=tmp_path / "vids")
    assert [c.path for c in only] == [tmp_path / "vids" / "b.npz"]


def test_the_shared_sample_labels_load(samples_dir):
    clips = load_labels(samples_dir / "labels.toml")
    assert len(clips) >= 10 and all(c.path.exists() for c in clips)
    assert {c.exercise for c in clips} >= {"wall_squat", "straight_leg_raise"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[clip]]\nexercise = "wall_squat"\n', "needs file"),
        ('[[clip]]\nfile = "a"\nexercise = "wall_squat"\nreps = "3"\n', "reps = '3' must be a whole number"),
        ('[[clip]]\nfile = "a"\nexercise = "wall_squat"\ncorrect = [1, 0]\n', "correct must be a list of true/false"),
        ('[[clip]]\nfile = "a"\nexercise = "wall_squat"\nreps_accept = 3\n', "reps_accept = 3 must be a list"),
    ],
)
def test_bad_labels_are_rejected_naming_the_file_and_clip(tmp_path, body, message):
    (tmp_path / "l.toml").write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        load_labels(tmp_path / "l.toml")
    assert str(tmp_path / "l.toml") in str(err.value)


# --------------------------------------------------------------------------- agreement


def test_agreement_averages_count_sides_and_per_rep_verdicts():
    clip = Clip("x", Path("x"), "heel_slide", 4, (4,), {"left": 2, "right": 2}, (True, True, False, False))
    perfect = agreement(clip, Outcome(4, {"left": 2, "right": 2}, (True, True, False, False)))
    assert perfect.score == 1.0 and perfect.count_error == 0
    one_off = agreement(clip, Outcome(3, {"left": 2, "right": 1}, (True, True, True)))
    # count wrong (0), sides wrong (0), verdicts 2 of max(4, 3) = 4 agree (0.5)
    assert one_off.score == pytest.approx(0.5 / 3)
    assert (one_off.count_ok, one_off.sides_ok, one_off.correct_agree, one_off.correct_total) == (False, False, 2, 4)
    assert one_off.count_error == 1
    counts_only = Clip("y", Path("y"), "wall_squat", 2, (2, 3))
    assert agreement(counts_only, Outcome(3, None, (False,) * 3)).score == 1.0


def test_params_default_to_the_thresholds_of_correctness_never_those_of_counting():
    assert [p.name for p in default_params(WALL)] == [
        "target_min_deg", "target_max_deg", "hold_s", "max_return_speed_deg_s", "max_trunk_lean_deg",
    ]  # fmt: skip
    assert not {"start_deg", "end_deg", "min_phase_s"} & {p.name for p in default_params(get_exercise("deep_squat"))}
    assert parse_param("hold_s=2:15", WALL) == Param("hold_s", 2.0, 15.0, 0.1)
    for bad, msg in [("hold_s=2", "NAME=LO:HI"), ("holds=2:3", "not a threshold"), ("hold_s=9:3", "increasing"),
                     ("hold_s=0:500", "inside 0 to 120 s"), ("hold_s=a:3", "must be numbers")]:  # fmt: skip
        with pytest.raises(ConfigError, match=msg):
            parse_param(bad, WALL)


# --------------------------------------------------------------------------- recovery


def _measured_holds(prepared: list[PreparedTrace]) -> list[float]:
    return [r.hold_s for p in prepared for r in p.checker(WALL).results]


def test_fit_recovers_a_known_hold_threshold_and_generalizes_leave_one_out():
    # The person's prescription: a rep is right only when held >= 8 s (as formcheck measures
    # the hold). Four sessions with holds on both sides of it; the labels follow that rule.
    true_hold = 8.0
    scripted = [[4.9, 9.0, 6.1, 7.5], [6.9, 5.6, 7.8, 4.4], [9.5, 6.3, 5.2, 7.1], [5.9, 8.2, 6.6, 4.0]]
    prepared = [PreparedTrace.from_trace(_session([(45.0, h) for h in hs], seed=i)) for i, hs in enumerate(scripted)]
    clips = []
    for i, p in enumerate(prepared):
        holds = [r.hold_s for r in p.checker(WALL).results]
        assert len(holds) == 4
        clips.append(Clip(f"s{i}", Path(f"s{i}"), "wall_squat", 4, (4,), None, tuple(h >= true_hold for h in holds)))
    measured = sorted(_measured_holds(prepared))
    below = max(h for h in measured if h < true_hold)
    above = min(h for h in measured if h >= true_hold)
    assert above - below < 1.2  # the data pin the threshold down to about a second

    params = [Param("hold_s", 2.0, 15.0, 0.1)]
    res = fit_thresholds(WALL, clips, prepared, params)
    fitted = res.values["hold_s"]
    assert below < fitted <= above
    assert abs(fitted - true_hold) <= 0.6
    assert res.before_mean < 1.0 and res.after_mean == 1.0

    loo = leave_one_out(WALL, clips, prepared, params)
    assert loo.after_mean == 1.0 > loo.before_mean
    assert all(abs(v["hold_s"] - true_hold) <= 1.0 for v, _b, _a in loo.folds)


def test_fit_recovers_a_known_depth_threshold_among_several_parameters():
    # Reps deeper than 40 degrees are right; the default target_min (35) accepts shallower ones.
    true_min = 40.0
    depths = [[30, 44, 37, 52], [47, 33, 42, 38], [36, 50, 43, 31]]
    prepared = [PreparedTrace.from_trace(_session([(d, 6.0) for d in ds], seed=10 + i)) for i, ds in enumerate(depths)]
    clips = [
        Clip(f"d{i}", Path(f"d{i}"), "wall_squat", 4, (4,), None, tuple(d >= true_min for d in ds))
        for i, ds in enumerate(depths)
    ]
    params = [parse_param(s, WALL) for s in ("target_min_deg=20:60", "target_max_deg=40:90", "hold_s=2:10")]
    res = fit_thresholds(WALL, clips, prepared, params)
    assert res.after_mean == 1.0
    assert 38.0 < res.values["target_min_deg"] <= 42.5
    # Every rep is held 6 s: hold_s goes to the middle of the values that pass them all.
    assert res.plateaus["hold_s"][0] == 2.0 and 5.0 < res.values["hold_s"] < res.plateaus["hold_s"][1]
    loo = leave_one_out(WALL, clips, prepared, params)
    assert loo.after_mean > loo.before_mean


def test_invalid_combinations_are_skipped_not_fatal():
    prepared = [PreparedTrace.from_trace(_session([(45.0, 6.0)] * 2, seed=1))]
    clips = [Clip("a", Path("a"), "wall_squat", 2, (2,))]
    res = fit_thresholds(WALL, clips, prepared, [Param("end_deg", 0.0, 50.0, 0.5), Param("start_deg", 10.0, 60.0, 0.5)])
    assert res.values["end_deg"] < res.values["start_deg"]
    assert res.after_mean == 1.0


def test_fit_cli_prints_before_after_leave_one_out_and_writes_the_profile(tmp_path, capsys):
    lines = []
    for i, hs in enumerate([[5.0, 9.5, 6.0], [9.0, 4.5, 10.0], [6.5, 11.0, 5.5]]):
        save_trace(_session([(45.0, h) for h in hs], seed=20 + i), tmp_path / f"s{i}.npz")
        verdicts = ", ".join("true" if h >= 8 else "false" for h in hs)
        lines.append(f'[[clip]]\nfile = "s{i}.npz"\nexercise = "wall_squat"\nreps = 3\ncorrect = [{verdicts}]\n')
    (tmp_path / "labels.toml").write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "fitted.toml"
    rc = main(["fit", str(tmp_path / "labels.toml"), "-e", "wall_squat", "--param", "hold_s=2:15", "--out", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "agreement: 0.72 -> 1.00 (fitted on all 3 clips)" in text
    assert "leave-one-out agreement: 0.72 (current thresholds) -> 1.00 (fitted)" in text
    fitted = load_profile(out).for_exercise("wall_squat")
    assert set(fitted) == {"hold_s"} and 8.0 < fitted["hold_s"] < 11.5


@pytest.mark.parametrize("calibrate", [False, True])
def test_fit_starts_from_a_valid_combination_for_every_builtin_exercise(calibrate):
    # The shipped defaults are where every fit starts: they must never be "not a valid combination".
    for name, cfg in builtin_exercises().items():
        params = default_params(cfg, calibrate=calibrate)
        start = {p.name: float(cfg.value(p.name)) for p in params}
        assert Evaluator(cfg, [], [], params).config(start) == cfg, name


def test_fit_cli_runs_on_the_piriformis_stretch_whose_seated_variant_has_its_own_target(tmp_path, capsys):
    # Used to fail with "the starting thresholds are not a valid combination": the lying
    # target_min_deg = 100 was pushed onto the seated variant's own target (at most 90).
    save_trace(synthetic.piriformis_stretch(reps=2, hold_s=21.0), tmp_path / "p.npz")
    (tmp_path / "labels.toml").write_text(
        '[[clip]]\nfile = "p.npz"\nexercise = "piriformis_stretch"\nreps = 2\nreps_by_side = { left = 1, right = 1 }\n',
        encoding="utf-8",
    )
    assert main(["fit", str(tmp_path / "labels.toml"), "-e", "piriformis_stretch", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "searching: target_min_deg 60..170, hold_s 0..120" in text
    assert "agreement: 1.00 -> 1.00 (fitted on all 1 clips)" in text


def test_fit_cli_says_when_no_clip_is_labelled_for_the_exercise(tmp_path, capsys):
    (tmp_path / "l.toml").write_text('[[clip]]\nfile = "a.mp4"\nexercise = "heel_slide"\nreps = 1\n', encoding="utf-8")
    assert main(["fit", str(tmp_path / "l.toml"), "-e", "wall_squat"]) == 1
    assert "no clips labelled as wall_squat" in capsys.readouterr().err


# --------------------------------------------------------------------------- generalising


def test_labels_carry_groups_and_rep_times(tmp_path):
    (tmp_path / "l.toml").write_text(
        '[[clip]]\nfile = "a.npz"\nexercise = "wall_squat"\nreps = 2\ncorrect = [true, false]\n'
        'rep_spans_s = [[1.0, 4.5], [6, 9]]\ngroup = "s01"\nsession = "monday"\n',
        encoding="utf-8",
    )
    (c,) = load_labels(tmp_path / "l.toml")
    assert c.group == "s01" and c.fields["session"] == "monday"
    assert c.rep_spans_s == ((1.0, 4.5), (6.0, 9.0))
    (tmp_path / "bad.toml").write_text(
        '[[clip]]\nfile = "a.npz"\nexercise = "wall_squat"\ncorrect = [true]\nrep_spans_s = [[2, 1]]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="rep_spans_s must be a list of"):
        load_labels(tmp_path / "bad.toml")


def test_verdicts_are_matched_to_labelled_reps_by_time_overlap_so_a_missed_rep_shifts_nothing():
    clip = Clip("x", Path("x"), "wall_squat", 3, (3,), None, (True, False, True), ((0, 2), (3, 5), (6, 8)))
    missed_first = Outcome(2, None, (False, True), ((3.2, 5.1), (6.1, 7.9)))
    s = agreement(clip, missed_first)
    assert s.pairs == ((True, None), (False, False), (True, True))
    assert (s.correct_agree, s.correct_total) == (2, 3)
    v = Verdicts.of([s])
    # the correct rep never counted is a miss; the incorrect one flagged, the last correct one ok
    assert (v.correct_ok, v.correct_n, v.incorrect_flagged, v.incorrect_n, v.unmatched) == (1, 2, 1, 1, 1)
    assert v.balanced_accuracy == pytest.approx(0.75)


def test_a_clip_labelled_as_one_rep_is_matched_to_the_rep_found_in_it():
    clip = Clip("x", Path("x"), "deep_squat", 1, (1,), None, (False,))
    assert agreement(clip, Outcome(1, None, (True,), ((0.4, 2.0),), (0.0, 2.5))).pairs == ((False, True),)
    assert agreement(clip, Outcome(0, None, (), (), (0.0, 2.5))).pairs == ((False, None),)


def _grouped(tmp_path: Path) -> tuple[list[Clip], list[PreparedTrace]]:
    """Two people, two sessions each of three wall squats; a rep is right when held >= 8 s
    (formcheck measures those holds as 10.3 s or more, the others as 8.5 s or less)."""
    holds = [[5.0, 9.5, 6.0], [9.0, 4.5, 10.0], [6.5, 11.0, 5.5], [8.8, 4.0, 7.0]]
    clips, prepared = [], []
    for i, hs in enumerate(holds):
        prepared.append(PreparedTrace.from_trace(_session([(45.0, h) for h in hs], seed=40 + i)))
        clips.append(Clip(f"p{i}", Path(f"p{i}"), "wall_squat", 3, (3,), None, tuple(h >= 8.0 for h in hs),
                          fields={"group": f"person{i // 2}"}))  # fmt: skip
    return clips, prepared


def test_leave_one_group_out_fits_without_each_group_and_scores_it(tmp_path):
    clips, prepared = _grouped(tmp_path)
    params = [Param("hold_s", 2.0, 15.0, 0.1)]
    res = leave_one_group_out(WALL, clips, prepared, "group", params)
    assert [f.group for f in res.folds] == ["person0", "person1"]
    assert res.before.balanced_accuracy < 1.0 and res.after.balanced_accuracy == 1.0
    assert res.after.n == 12 and all(8.0 < f.values["hold_s"] < 10.3 for f in res.folds)
    with pytest.raises(ConfigError, match="no team"):
        leave_one_group_out(WALL, clips, prepared, "team", params)


def test_the_fitted_value_is_the_centre_of_its_plateau_not_an_edge(tmp_path):
    clips, prepared = _grouped(tmp_path)
    res = fit_thresholds(WALL, clips, prepared, [Param("hold_s", 2.0, 15.0, 0.1)], tolerance_reps=0)
    a, b = res.plateaus["hold_s"]
    assert a >= 8.5 and b <= 10.4 and b - a > 1.5
    assert res.values["hold_s"] == pytest.approx((a + b) / 2, abs=0.1)


def test_fit_cli_reports_leave_one_group_out_and_always_writes_out(tmp_path, capsys):
    lines = []
    for i, hs in enumerate([[5.0, 9.5, 6.0], [9.0, 4.5, 10.0], [6.5, 11.0, 5.5], [8.8, 4.0, 7.0]]):
        save_trace(_session([(45.0, h) for h in hs], seed=40 + i), tmp_path / f"s{i}.npz")
        verdicts = ", ".join("true" if h >= 8 else "false" for h in hs)
        lines.append(f'[[clip]]\nfile = "s{i}.npz"\nexercise = "wall_squat"\nreps = 3\ncorrect = [{verdicts}]\n'
                     f'group = "g{i // 2}"\n')  # fmt: skip
    (tmp_path / "labels.toml").write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "fitted.toml"
    args = ["fit", str(tmp_path / "labels.toml"), "-e", "wall_squat", "--param", "hold_s=2:15", "--group-by", "group"]
    assert main([*args, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "leave-one-group-out balanced accuracy: 1.00" in text
    assert "reps counted: 12 (labelled: 12)" in text
    hold = load_profile(out).for_exercise("wall_squat")["hold_s"]
    assert 8.5 < hold < 10.3
    # Fitting again from the fitted profile changes nothing, and --out is still written.
    again = tmp_path / "again.toml"
    assert main([*args, "--profile", str(out), "--out", str(again)]) == 0
    text = capsys.readouterr().out
    assert "nothing to change" in text and "(nothing changed: the current thresholds)" in text
    assert load_profile(again).for_exercise("wall_squat") == {"hold_s": hold}
