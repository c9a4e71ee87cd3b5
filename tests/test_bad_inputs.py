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

from formcheck import synthetic
from formcheck.cli import main
from formcheck.trace import save_trace

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
        pytest.skip("root may write into any folder (tests/test_outputs.py covers the failing write)")
    (work / "ro").mkdir()
    (work / "ro").chmod(0o555)
    before = snapshot(work)
    assert main(_rescore(work, "--json", str(work / "ro" / "r.json"))) == EXIT_OUTPUT
    assert "is not writable" in one_line_error(capsys.readouterr().err)
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


# ===================================== configuration, API, traces, models (REL-C)
