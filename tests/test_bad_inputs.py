"""The bad-input catalogue (docs/reliability.md): every bad input or fault a user can meet,
each pinned by its one-line message, its exit code and that no file outside the named
outputs changed (a snapshot of the working folder before and after).

Sections: outputs/write failures/signals (REL-A), videos/cache/two people/native logs (REL-B),
configuration/API/traces/models (REL-C). Each section is self-contained apart from the
shared helpers at the top.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import stat
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.formats.trace import save_trace
from formcheck_testing import synthetic

# ============================================================================ shared helpers


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder``: kind, mode, size, mtime and content hash (symlinks: target)."""
    out: dict[str, tuple] = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        st = p.lstat()
        if stat.S_ISLNK(st.st_mode):
            out[rel] = ("link", os.readlink(p))
        elif stat.S_ISREG(st.st_mode):
            out[rel] = ("file", stat.S_IMODE(st.st_mode), st.st_size, st.st_mtime_ns, _sha(p))
        else:
            out[rel] = ("other", stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))
    return out


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def changed(before: dict[str, tuple], after: dict[str, tuple]) -> set[str]:
    """Names added, removed or altered between two snapshots."""
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def assert_only_changed(before: dict[str, tuple], after: dict[str, tuple], allowed: Iterable[str] = ()) -> None:
    extra = changed(before, after) - set(allowed)
    assert not extra, f"files changed that were not named as outputs: {sorted(extra)}"


def one_line_error(err: str) -> str:
    """The stderr of a failed run: exactly one `formcheck: ...` line, no traceback."""
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.startswith("formcheck: ")]
    assert lines, err
    return lines[0]


# ============================================================ outputs, write failures (REL-A)

EXIT_OUTPUT = 3


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A working folder holding a saved pose trace (``squat.npz``, 3 synthetic wall squats)."""
    folder = tmp_path / "work"
    folder.mkdir()
    save_trace(synthetic.wall_squat(reps=3, seed=1), folder / "squat.npz")
    return folder


def _rescore(work: Path, *extra: str) -> list[str]:
    return ["rescore", str(work / "squat.npz"), "-e", "wall_squat", *extra]


def test_json_onto_the_input_is_refused_before_any_work(work, capsys):
    before = snapshot(work)
    assert main(_rescore(work, "--json", str(work / "squat.npz"))) == EXIT_OUTPUT
    out, err = capsys.readouterr()
    assert "is the input" in one_line_error(err) and "squat.npz" in err
    assert "reps:" not in out  # refused before scoring
    assert_only_changed(before, snapshot(work))


def test_json_onto_a_symlink_or_hardlink_of_the_input_is_refused(work, capsys):
    (work / "link.json").symlink_to(work / "squat.npz")
    os.link(work / "squat.npz", work / "hard.json")
    before = snapshot(work)
    for name in ("link.json", "hard.json"):
        assert main(_rescore(work, "--json", str(work / name))) == EXIT_OUTPUT
        assert "is the input" in one_line_error(capsys.readouterr().err)
    assert_only_changed(before, snapshot(work))


def test_json_and_csv_naming_the_same_file_are_refused(work, capsys):
    before = snapshot(work)
    assert main(_rescore(work, "--json", str(work / "r.txt"), "--csv", str(work / "r.txt"))) == EXIT_OUTPUT
    assert "name the same file" in one_line_error(capsys.readouterr().err)
    assert_only_changed(before, snapshot(work))


def test_json_onto_a_folder_is_one_clear_line(work, capsys):
    (work / "out").mkdir()
    before = snapshot(work)
    assert main(_rescore(work, "--json", str(work / "out"))) == EXIT_OUTPUT
    assert "it is a folder" in one_line_error(capsys.readouterr().err)
    assert_only_changed(before, snapshot(work))


def test_json_under_a_regular_file_is_one_clear_line(work, capsys):
    (work / "notes.txt").write_text("mine")
    before = snapshot(work)
    assert main(_rescore(work, "--json", str(work / "notes.txt" / "r.json"))) == EXIT_OUTPUT
    assert "is a file, not a folder" in one_line_error(capsys.readouterr().err)
    assert_only_changed(before, snapshot(work))


def test_json_through_a_symlink_replaces_its_target_and_keeps_the_link(work, capsys):
    (work / "real.json").write_text("old")
    (work / "link.json").symlink_to("real.json")
    before = snapshot(work)
    assert main(_rescore(work, "--json", str(work / "link.json"))) == 0
    assert (work / "link.json").is_symlink() and os.readlink(work / "link.json") == "real.json"
    assert json.loads((work / "real.json").read_text())["exercise"] == "wall_squat"
    assert_only_changed(before, snapshot(work), {"real.json"})


def test_json_into_a_fifo_is_written_through_and_the_fifo_stays(work, capsys):
    fifo = work / "report.fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    before = snapshot(work)
    assert main(_rescore(work, "--json", str(fifo))) == 0
    data, _ = reader.communicate(timeout=60)
    assert json.loads(data)["reps"] == 3
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert_only_changed(before, snapshot(work))


def test_csv_into_a_character_device_is_written_through_not_replaced(work, capsys):
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    node = work / "null"
    os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # a private /dev/null, inside tmp
    before = snapshot(work)
    assert main(_rescore(work, "--csv", str(node))) == 0
    assert stat.S_ISCHR(node.lstat().st_mode) and stat.S_IMODE(node.lstat().st_mode) == 0o600
    assert_only_changed(before, snapshot(work))


def test_json_to_dev_stdout_goes_to_stdout(work, capfd):
    assert main(_rescore(work, "--json", "/dev/stdout")) == 0
    out = capfd.readouterr().out
    assert json.loads(out)["exercise"] == "wall_squat"  # the JSON alone: no summary mixed in


def test_new_outputs_follow_the_umask_and_replaced_ones_keep_their_mode(work, capsys):
    old = os.umask(0o027)
    try:
        assert main(_rescore(work, "--json", str(work / "new.json"), "--csv", str(work / "r.csv"))) == 0
        assert stat.S_IMODE((work / "new.json").stat().st_mode) == 0o640
        (work / "r.csv").chmod(0o600)
        assert main(_rescore(work, "--csv", str(work / "r.csv"))) == 0
        assert stat.S_IMODE((work / "r.csv").stat().st_mode) == 0o600
    finally:
        os.umask(old)


def _run_limited(args: list[str], cwd: Path, fsize_bytes: int) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess whose files may not grow beyond ``fsize_bytes`` (a full disk, in effect)."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_bytes, fsize_bytes))

    return subprocess.run(
        [sys.executable, "-m", "formcheck", *args],
        cwd=cwd, preexec_fn=limit, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_json_onto_a_full_disk_keeps_the_old_file_and_still_prints_the_summary(work):
    old = "x" * 100
    (work / "r.json").write_text(old)
    before = snapshot(work)
    proc = _run_limited(_rescore(work, "--json", str(work / "r.json")), work, 512)
    assert proc.returncode == EXIT_OUTPUT, proc.stderr
    line = one_line_error(proc.stderr)
    assert "r.json" in line and "file size limit" in line and "old file was left as it was" in line
    assert "reps: 3" in proc.stdout  # what was measured is still reported
    assert (work / "r.json").read_text() == old
    assert_only_changed(before, snapshot(work))


def test_score_outputs_are_checked_before_any_work(work, capsys):
    clip = work / "clip.mp4"
    clip.write_bytes(b"not decoded: the outputs are refused first")
    (work / "notes.txt").write_text("mine")
    cases = [
        (["--json", str(clip)], "is the input"),
        (["--video-out", str(work / "notes.txt" / "v.mp4")], "is a file, not a folder"),
        (["--trace-out", str(clip)], "is the input"),
        (["--video-out", str(work / "v.gif")], "unsupported extension"),
        (["--video-out", str(work / "typo" / "v.mp4")], "does not exist"),
        (["--json", str(work / "r.json"), "--csv", str(work / "r.json")], "name the same file"),
    ]
    before = snapshot(work)
    for extra, message in cases:
        assert main(["score", str(clip), "-e", "squat", "--no-progress", *extra]) == EXIT_OUTPUT, extra
        assert message in one_line_error(capsys.readouterr().err), extra
    assert_only_changed(before, snapshot(work))


def test_json_into_an_unwritable_folder_is_refused_before_any_work(work, capsys):
    if os.geteuid() == 0:
        pytest.skip("root may write into any folder (tests/sinks/test_outputs.py covers the failing write)")
    (work / "ro").mkdir()
    (work / "ro").chmod(0o555)
    before = snapshot(work)
    assert main(_rescore(work, "--json", str(work / "ro" / "r.json"))) == EXIT_OUTPUT
    assert "is not writable" in one_line_error(capsys.readouterr().err)
    assert_only_changed(before, snapshot(work))


def test_a_batch_folder_output_that_is_a_file_is_refused_before_any_work(work, capsys):
    clips = [work / "a.mp4", work / "b.mp4"]
    for clip in clips:
        clip.write_bytes(b"not decoded")
    (work / "notes.txt").write_text("mine")
    before = snapshot(work)
    for option in ("--trace-out", "--video-out"):
        args = ["score", *map(str, clips), "-e", "squat", "--no-progress", option, str(work / "notes.txt")]
        assert main(args) == EXIT_OUTPUT
        assert "is a file, not a folder" in one_line_error(capsys.readouterr().err)
    assert_only_changed(before, snapshot(work))


SHORT_CLIP = "bridge_side_physioplus.mp4"  # 3 s


@pytest.fixture
def short_clips(samples_dir: Path, models_dir: Path, tmp_path: Path, monkeypatch) -> Path:
    """A folder with two copies of a 3 s real clip (a.mp4, b.mp4); its own trace cache."""
    if not (samples_dir / SHORT_CLIP).is_file():
        pytest.skip(f"{SHORT_CLIP} is absent")
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4"):
        (folder / name).write_bytes((samples_dir / SHORT_CLIP).read_bytes())
    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(models_dir))
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "cache"))
    return folder


@pytest.mark.real
def test_video_out_onto_a_full_disk_keeps_the_old_video_and_the_scoring(short_clips):
    (short_clips / "v.mp4").write_bytes(b"the old video")
    before = snapshot(short_clips)
    # --no-history: under the file-size limit the history database would fail too (one more line)
    args = ["score", "a.mp4", "-e", "bridge", "--model", "lite", "--no-progress", "--jobs", "1", "--no-history"]
    proc = _run_limited([*args, "--video-out", "v.mp4", "--json", "r.json"], short_clips, 100_000)
    assert proc.returncode == EXIT_OUTPUT, proc.stderr
    line = one_line_error(proc.stderr)
    assert "Cannot write video v.mp4 (the old file was left as it was)" in line and "frames reached the disk" in line
    assert "reps: 1" in proc.stdout  # the scoring was not thrown away
    report = json.loads((short_clips / "r.json").read_text())
    assert report["complete"] is True and report["reps"] == 1 and "frames reached the disk" in report["video_out_error"]
    assert (short_clips / "v.mp4").read_bytes() == b"the old video"
    assert_only_changed(before, snapshot(short_clips), {"r.json"})


@pytest.mark.real
def test_a_batch_goes_on_when_its_traces_cannot_be_written(short_clips):
    (short_clips / "traces").mkdir()
    before = snapshot(short_clips)
    args = ["score", "a.mp4", "b.mp4", "-e", "bridge", "--model", "lite", "--no-progress", "--jobs", "1",
            "--no-history"]  # under the file-size limit the history database would fail too (one more line)
    proc = _run_limited([*args, "--trace-out", "traces", "--json", "r.json"], short_clips, 20_000)
    assert proc.returncode == EXIT_OUTPUT, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("formcheck: ")]
    assert len(errors) == 2 and all("file size limit" in ln for ln in errors) and "Traceback" not in proc.stderr
    assert "a.mp4: bridge" in proc.stdout and "b.mp4: bridge" in proc.stdout
    reports = json.loads((short_clips / "r.json").read_text())
    assert [r["reps"] for r in reports] == [1, 1] and all(r["complete"] for r in reports)
    assert_only_changed(before, snapshot(short_clips), {"r.json"})


# ======================================= videos, cache, two people, native logs (REL-B)


EXIT_INCOMPLETE = 4


@pytest.fixture
def odd(test_videos, tmp_path: Path, monkeypatch) -> tuple[Path, object]:
    """(folder, maker): a working folder of odd files (test_videos), its own trace cache."""
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(test_videos.folder)
    return test_videos.folder, test_videos


def _score(*args: str) -> int:
    return main(["score", *args, "-e", "squat", "--model", "lite", "--no-progress", "--jobs", "1"])


@pytest.mark.parametrize(("make", "message"), [
    (lambda v: v.still("photo.png"), "photo.png: not a video (a PNG still image)"),
    (lambda v: v.still("photo.jpg"), "photo.jpg: not a video (a JPEG still image)"),
    (lambda v: v.mp4("one.mp4", frames=1), "one.mp4: not a video (a single still image)"),
    (lambda v: v.wav("voice.wav"), "voice.wav: has no video stream (WAV audio)"),
    (lambda v: v.cut(v.mp4("late_index.mp4", faststart=False), 0.5, "cut.mp4"),
     "cut.mp4: cannot open it as a video (unknown format, or a corrupt or truncated file)"),
])  # fmt: skip
def test_not_a_video_is_one_line_and_exit_1(odd, capfd, make, message):
    folder, maker = odd
    video = make(maker)
    before = snapshot(folder)
    assert _score(video.name, "--json", "r.json") == 1
    out, err = capfd.readouterr()
    assert one_line_error(err) == f"formcheck: {message}"
    assert out == ""  # no summary of nothing
    report = json.loads((folder / "r.json").read_text())
    assert report["complete"] is False and report["frames"] == 0 and report["error"] == message
    assert_only_changed(before, snapshot(folder), {"r.json"})


def test_the_other_person_in_a_trace_is_not_scored_and_the_report_says_so(work, capfd):
    import dataclasses

    import numpy as np

    still = synthetic.squat(reps=0, seed=3, start_s=12.0)
    stranger = synthetic.squat(reps=3, seed=3)
    n = min(len(still), len(stranger))
    xy = still.image_xy[:n].copy()
    start = int(np.searchsorted(still.t_s, 1.0))
    xy[start:] = stranger.image_xy[start:n] * 0.75 + [0.3, 0.1]  # someone else, smaller, aside
    jump = np.zeros(n, dtype=bool)
    jump[start] = True
    cut = {f: getattr(still, f)[:n] for f in ("t_s", "world_xyz", "visibility", "presence", "n_people")}
    save_trace(dataclasses.replace(still, **cut, image_xy=xy, identity_jump=jump), work / "two.npz")
    before = snapshot(work)
    assert main(["rescore", str(work / "two.npz"), "-e", "squat", "--json", str(work / "r.json")]) == 0
    report = json.loads((work / "r.json").read_text())
    assert report["reps"] == 0 and report["measurable_frames"] == start
    assert [c["code"] for c in report["cues"]] == ["person_switched"]
    assert "Someone else is in view" in report["cues"][0]["text"]
    assert_only_changed(before, snapshot(work), {"r.json"})


@pytest.mark.real
def test_a_video_cut_short_is_scored_as_far_as_it_decodes_exit_4(odd, samples_dir, models_dir, capfd, monkeypatch):
    folder, maker = odd
    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(models_dir))
    maker.cut(samples_dir / "squat_side_stock_livingroom.mp4", 0.3, "cut.mp4")
    before = snapshot(folder)
    assert _score("cut.mp4", "--json", "r.json") == EXIT_INCOMPLETE
    out, err = capfd.readouterr()
    assert "INCOMPLETE: cut.mp4: decoding stopped at 4.0 s of 13.8 s (the file is truncated or corrupt)" in out
    assert "Traceback" not in err
    report = json.loads((folder / "r.json").read_text())
    assert report["complete"] is False and report["frames"] == 101 and report["input_incomplete"] is True
    assert_only_changed(before, snapshot(folder), {"r.json"})
    assert main(["cache"]) == 0 and "0 traces" in capfd.readouterr().out  # never cached as whole


@pytest.mark.real
def test_an_animated_gif_is_scored_at_its_own_frame_times(odd, samples_dir, models_dir, capfd, monkeypatch):
    folder, _ = odd
    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(models_dir))
    (folder / "bird.gif").write_bytes((samples_dir / "bird_dog_side_white_studio.gif").read_bytes())
    assert main(["score", "bird.gif", "-e", "bird_dog", "--model", "lite", "--no-progress", "--jobs", "1",
                 "--json", "r.json"]) == 0  # fmt: skip
    report = json.loads((folder / "r.json").read_text())
    assert report["complete"] is True and report["frames"] == 42 and report["duration_s"] == pytest.approx(4.2)


@pytest.mark.real
def test_the_cache_serves_the_same_video_and_never_a_same_size_same_mtime_replacement(short_clips, capfd, monkeypatch):
    import os

    def inference() -> str:
        assert main(["score", "a.mp4", "-e", "bridge", "--model", "lite", "--no-progress", "--jobs", "1",
                     "--json", str(short_clips.parent / "r.json")]) == 0  # fmt: skip
        return json.loads((short_clips.parent / "r.json").read_text())["inference"]

    monkeypatch.chdir(short_clips)
    assert inference() == "ran"
    assert inference() == "cached"
    video = short_clips / "a.mp4"
    st = video.stat()
    data = bytearray(video.read_bytes())
    data[len(data) // 2] ^= 0x01  # other content (a flipped bit in the picture data)
    video.write_bytes(bytes(data))
    os.utime(video, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    assert inference() == "ran"
    assert main(["cache"]) == 0 and "2 traces" in capfd.readouterr().out


@pytest.mark.real
def test_score_prints_no_native_log_lines_and_debug_shows_them(short_clips):
    env = {**os.environ, "FORMCHECK_NATIVE_LOGS": ""}
    args = [sys.executable, "-m", "formcheck", "score", "a.mp4", "-e", "bridge", "--model", "lite", "--no-progress",
            "--no-cache", "--jobs", "2"]  # fmt: skip
    proc = subprocess.run(args, cwd=short_clips, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "reps: 1" in proc.stdout
    debug = subprocess.run([args[0], "-m", "formcheck", "--debug", *args[3:]], cwd=short_clips, env=env,
                           capture_output=True, text=True, timeout=600)  # fmt: skip
    assert debug.returncode == 0 and "DestroyAccelerator" in debug.stderr


@pytest.mark.real
def test_a_missing_camera_is_the_formcheck_message_alone(models_dir, tmp_path):
    env = {**os.environ, "FORMCHECK_NATIVE_LOGS": "", "FORMCHECK_MODEL_DIR": str(models_dir)}
    proc = subprocess.run([sys.executable, "-m", "formcheck", "live", "-e", "squat", "--source", "97", "--no-window"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "formcheck: cannot open camera 97: is it connected and not used by another program?"
    ]


@pytest.mark.real
def test_a_rotated_phone_clip_is_scored_upright(odd, samples_dir, models_dir, monkeypatch):
    """The squat clip stored sideways with a 90° display rotation (as a phone held upright
    records) scores like the original: 3 reps, none flagged leaning_forward."""
    folder, maker = odd
    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(models_dir))
    maker.phone_copy(samples_dir / "squat_side_stock_livingroom.mp4", "phone.mp4")
    before = snapshot(folder)
    assert _score("phone.mp4", "--json", "r.json") == 0
    report = json.loads((folder / "r.json").read_text())
    assert report["reps"] == 3 and all(r["ok"] for r in report["rep_details"])
    assert not any("leaning_forward" in r["faults"] for r in report["rep_details"])
    assert_only_changed(before, snapshot(folder), {"r.json"})


# ===================================== configuration, API, traces, models (REL-C)


def _work_exercise(folder: Path, name: str, edit) -> Path:
    """A copy of the built-in exercise ``name``'s TOML in ``folder``, text changed by ``edit``."""
    from importlib import resources

    text = (resources.files("formcheck.exercises") / f"{name}.toml").read_text(encoding="utf-8")
    path = folder / f"my_{name}.toml"
    data = edit(text)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


@pytest.fixture
def user_config(tmp_path: Path, monkeypatch) -> Path:
    """An empty user exercise folder (``$XDG_CONFIG_HOME/formcheck/exercises``)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    folder = tmp_path / "config" / "formcheck" / "exercises"
    folder.mkdir(parents=True)
    return folder


def _target_reps(value: str):
    return lambda text: text.replace("target_reps = 10", f"target_reps = {value}", 1)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.encode("utf-8") + "# r\xe9p\n".encode("latin-1"),
     r"my_wall_squat\.toml: the exercise file is not UTF-8 text \(byte 0xe9 at offset \d+\); save it as UTF-8"),
    (_target_reps('"ten"'),
     r"my_wall_squat\.toml \[exercise\]: target_reps = 'ten'; allowed: a whole number from 1 to 1000"),
    (_target_reps("1e400"),
     r"my_wall_squat\.toml \[exercise\]: target_reps = inf; allowed: a whole number from 1 to 1000"),
    (lambda t: t.replace("[rep]\n", '[rep]\ncodes = "oops"\n', 1),
     r"my_wall_squat\.toml \[rep\]: codes = 'oops' must be a table"),
    (lambda t: t.replace("max_return_speed_deg_s", "max_return_sped_deg_s"),
     r"my_wall_squat\.toml \[thresholds\.max_return_sped_deg_s\]: no check of this exercise reads "
     r"'max_return_sped_deg_s' \(a misspelling\?\); the thresholds it reads: .*max_return_speed_deg_s"),
    (lambda t: t.replace("value = 45, min = 5", "value = 1e400, min = 5", 1),
     r"max_return_speed_deg_s in WORK/my_wall_squat\.toml: inf is not a finite number; allowed: 5 to 500 deg/s"),
])  # fmt: skip
def test_a_bad_exercise_file_is_one_line_naming_file_key_and_what_is_allowed(work, user_config, capsys, edit, message):
    import re

    path = _work_exercise(work, "wall_squat", edit)
    before = snapshot(work)
    assert main(["rescore", str(work / "squat.npz"), "-e", "wall_squat", "--exercises-file", str(path)]) == 1
    out, err = capsys.readouterr()
    where = re.escape(str(work))
    message = message.replace("WORK", where) if "WORK" in message else f"{where}/{message}"
    assert re.fullmatch(f"formcheck: {message}.*", one_line_error(err)), err
    assert out == ""
    assert_only_changed(before, snapshot(work))


@pytest.mark.parametrize(("profile", "message"), [
    ("[profile]\nname = \"Mme Lef\xe8vre\"\n".encode("latin-1"),
     "p.toml: the profile file is not UTF-8 text (byte 0xe8 at offset 25); save it as UTF-8"),
    (b"[wall_squat]\nhold_s = 1e400\n", "p.toml [wall_squat]: hold_s = inf is not a finite number"),
    (b"[wall_squat]\ntarget_reps = \"ten\"\n", "p.toml [wall_squat]: target_reps = 'ten' is not a number"),
    (b"[wall_squat]\nmax_return_sped_deg_s = 20\n",
     "max_return_sped_deg_s (WORK/p.toml [wall_squat]): not a threshold of wall_squat; valid keys: cue_delay_s"),
])  # fmt: skip
def test_a_bad_profile_is_one_line_naming_file_key_and_what_is_allowed(work, user_config, capsys, profile, message):
    (work / "p.toml").write_bytes(profile)
    before = snapshot(work)
    assert main(["rescore", str(work / "squat.npz"), "-e", "wall_squat", "--profile", str(work / "p.toml")]) == 1
    line = one_line_error(capsys.readouterr().err)
    message = message.replace("WORK", str(work))
    assert line.startswith(f"formcheck: {message}" if message.startswith("max_") else f"formcheck: {work}/{message}")
    assert_only_changed(before, snapshot(work))


@pytest.mark.parametrize(("setting", "message"), [
    ("hold_s=1e400", "hold_s in --set: '1e400' is not a finite number; allowed: 0 to 120 s"),
    ("hold_s=nan", "hold_s in --set: 'nan' is not a finite number; allowed: 0 to 120 s"),
    ("max_return_sped_deg_s=20", "max_return_sped_deg_s (--set): not a threshold of wall_squat; valid keys: "),
])  # fmt: skip
def test_a_bad_set_is_one_line(work, user_config, capsys, setting, message):
    before = snapshot(work)
    assert main(["rescore", str(work / "squat.npz"), "-e", "wall_squat", "--set", setting]) == 1
    assert one_line_error(capsys.readouterr().err).startswith(f"formcheck: {message}")
    assert_only_changed(before, snapshot(work))


def test_a_broken_file_in_the_user_exercise_folder_is_skipped_with_a_warning(work, user_config, capfd):
    (user_config / "broken.toml").write_text("[exercise\nname =", encoding="utf-8")
    (user_config / "latin1.toml").write_bytes("# caf\xe9\n".encode("latin-1"))
    _work_exercise(user_config, "bridge", lambda t: t.replace('name = "bridge"', 'name = "my_bridge"'))
    assert main(["exercises", "--brief"]) == 0
    out, err = capfd.readouterr()
    assert "wall_squat" in out and "my_bridge" in out  # the others are all there
    warnings = [ln for ln in err.splitlines() if ln.startswith("formcheck: warning: ")]
    assert len(warnings) == 2 and "Traceback" not in err
    assert f"{user_config}/broken.toml: not valid TOML" in warnings[0] and warnings[0].endswith("was skipped)")
    assert f"{user_config}/latin1.toml: the exercise file is not UTF-8 text" in warnings[1]
    assert main(["rescore", str(work / "squat.npz"), "-e", "wall_squat"]) == 0  # other commands too
    # A file named on the command line is the user's choice: broken, it is an error.
    assert main(["exercises", "--exercises-file", str(user_config / "broken.toml")]) == 1


def _bad_trace(folder: Path, change) -> Path:
    trace = synthetic.wall_squat(reps=3, seed=1)
    change(trace)
    path = folder / "bad.npz"
    save_trace(trace, path)
    return path


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.visibility.__setitem__((5, 0), 5.0),
     "Invalid pose data (WORK/bad.npz): visibility of frame 5 holds 5; allowed: 0 to 1 (or NaN)."),
    (lambda t: t.n_people.__setitem__(7, -3),
     "Invalid pose data (WORK/bad.npz): frame 7 says -3 people; allowed: 0 to 1000."),
    (lambda t: setattr(t.meta, "width", 0),
     "Cannot load pose trace WORK/bad.npz: its frame size is 0x720 pixels; width and height must be above 0."),
    (lambda t: t.world_xyz.__setitem__((3, 0, 0), 1500.0),
     "Invalid pose data (WORK/bad.npz): world_xyz of frame 3 holds 1500; allowed: NaN (missing) or up to 100 m"),
])  # fmt: skip
def test_a_native_trace_with_values_out_of_range_is_one_line(work, user_config, capsys, change, message):
    path = _bad_trace(work, change)
    before = snapshot(work)
    assert main(["rescore", str(path), "-e", "wall_squat", "--json", str(work / "r.json")]) == 1
    assert one_line_error(capsys.readouterr().err).startswith("formcheck: " + message.replace("WORK", str(work)))
    assert_only_changed(before, snapshot(work))


def test_a_trace_in_which_nothing_is_measurable_is_not_a_normal_success(work, user_config, capsys):
    import numpy as np

    path = _bad_trace(work, lambda t: t.visibility.__setitem__(slice(None), np.float32(0.0)))
    before = snapshot(work)
    assert main(["rescore", str(path), "-e", "wall_squat", "--json", str(work / "r.json")]) == 1
    out = capsys.readouterr().out
    assert "WARNING: nothing was measurable: in none of the 1141 frames" in out
    report = json.loads((work / "r.json").read_text())
    assert report["complete"] is False and report["nothing_measurable"] is True and report["reps"] == 0
    assert report["error"].startswith("nothing was measurable")
    assert_only_changed(before, snapshot(work), {"r.json"})


def test_a_corrupted_custom_model_is_refused_with_a_clear_line(test_videos, tmp_path, user_config, capfd, monkeypatch):
    import io
    import zipfile

    folder = test_videos.folder
    video = test_videos.mp4("clip.mp4", frames=20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:  # stored members: flipped bytes stay flipped
        z.writestr("pose_detector.tflite", b"detector " * 500)
        z.writestr("pose_landmarks_detector.tflite", b"landmarks " * 500)
    data = bytearray(buf.getvalue())
    data[len(data) // 4] ^= 0xFF  # inside pose_detector.tflite's data
    (folder / "bad.task").write_bytes(bytes(data))
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(folder)
    before = snapshot(folder)
    rc = main(["score", video.name, "-e", "squat", "--model", "bad.task", "--no-progress", "--jobs", "1",
               "--json", "r.json"])  # fmt: skip
    err = capfd.readouterr().err
    assert rc == 1
    assert one_line_error(err) == (
        "formcheck: The model file bad.task is damaged: pose_detector.tflite fails its checksum (the file was "
        "corrupted when it was copied or downloaded). Download it again, or use one of lite, full, heavy."
    )
    assert_only_changed(before, snapshot(folder), {"r.json"})
