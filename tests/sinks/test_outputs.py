"""formcheck.sinks.outputs: what an output path is decides how it is written, and a failure never
damages what was there. formcheck.runtime.interrupts: SIGTERM/SIGHUP end a run like Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import stat
import threading
from pathlib import Path

import pytest

from formcheck.formats.trace import load_trace, save_trace
from formcheck.runtime import interrupts
from formcheck.sinks.outputs import OutputError, PendingOutput, check_outputs, new_file_mode, open_output, write_text
from formcheck_testing.synthetic import wall_squat


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), open_output(target, "w") as f:
        f.write("half a report")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    (tmp_path / "link.json").symlink_to("sub/real.json")
    (tmp_path / "sub").mkdir()
    write_text(tmp_path / "link.json", "x")
    assert (tmp_path / "sub" / "real.json").read_text() == "x" and (tmp_path / "link.json").is_symlink()


def test_a_symlink_loop_and_a_socket_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OutputError, match="loop"):
        write_text(tmp_path / "a", "x", what="--json")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "s.sock"))
        with pytest.raises(OutputError, match="special file"):
            write_text(tmp_path / "s.sock", "x", what="--json")


def test_dev_fd_paths_write_to_that_descriptor_without_reopening_it(tmp_path: Path) -> None:
    r, w = os.pipe()
    try:
        write_text(f"/dev/fd/{w}", "through the pipe\n", what="--json")
        assert os.read(r, 100) == b"through the pipe\n"
    finally:
        os.close(r)
        os.close(w)


def test_a_binary_output_into_a_fifo_is_copied_in_and_the_fifo_kept(tmp_path: Path) -> None:
    fifo = tmp_path / "t.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    with PendingOutput(fifo, what="video", suffix=".mp4") as out:
        out.tmp_path.write_bytes(b"\x00video bytes")
        assert out.tmp_path.parent != tmp_path  # the temp file is not next to a FIFO
    reader.join(timeout=60)
    assert got == [b"\x00video bytes"] and stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.fifo"]


def test_a_saved_trace_follows_the_umask_and_loads(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        assert new_file_mode() == 0o600
        save_trace(wall_squat(reps=1, seed=0), tmp_path / "t.npz")
        assert stat.S_IMODE((tmp_path / "t.npz").stat().st_mode) == 0o600
    finally:
        os.umask(old)
    save_trace(wall_squat(reps=1, seed=0), tmp_path / "u.npz")
    assert stat.S_IMODE((tmp_path / "u.npz").stat().st_mode) == 0o666 & ~old
    assert len(load_trace(tmp_path / "u.npz")) > 0


def test_outputs_may_not_be_inputs_but_stdout_may_be_named_twice(tmp_path: Path) -> None:
    data = tmp_path / "in.npz"
    data.write_bytes(b"x")
    check_outputs({"--json": "-", "--csv": "-"}, inputs=[data])
    with pytest.raises(OutputError, match="is the input"):
        check_outputs({"--trace-out": tmp_path / "." / "in.npz"}, inputs=[data])
    with pytest.raises(OutputError, match="cannot be '-'"):
        check_outputs({"--trace-out": "-"}, inputs=[data])


# ------------------------------------------------------------------------------ signals


@pytest.fixture
def signals_not_ignored():
    """The ending signals at their defaults for the test: a runner started with nohup or in the
    background (`&`) hands them down ignored, and handle_signals rightly keeps an inherited ignore."""
    sigs = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
    old = {s: signal.getsignal(s) for s in sigs}
    for s in sigs:
        signal.signal(s, signal.default_int_handler if s == signal.SIGINT else signal.SIG_DFL)
    yield
    for s, handler in old.items():
        signal.signal(s, handler)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_interrupt_like_ctrl_c_and_are_named(sig: signal.Signals, signals_not_ignored) -> None:
    with interrupts.handle_signals():
        with pytest.raises(KeyboardInterrupt) as err:
            os.kill(os.getpid(), sig)
            signal.sigtimedwait([], 0)  # let the handler run here
        assert isinstance(err.value, interrupts.Terminated)
        assert interrupts.ended_by() == sig.name
        assert interrupts.interruption_text(err.value) == f"ended by {sig.name}"
        os.kill(os.getpid(), signal.SIGTERM)  # a second one while finishing is ignored
        signal.sigtimedwait([], 0)
    assert signal.getsignal(sig) is not interrupts._on_signal  # handlers restored
    assert interrupts.ended_by() is None


def test_a_signal_while_outputs_are_written_is_recorded_not_raised(signals_not_ignored) -> None:
    with interrupts.handle_signals():
        with interrupts.deferred():
            os.kill(os.getpid(), signal.SIGINT)
            signal.sigtimedwait([], 0)
        assert interrupts.ended_by() == "SIGINT"
        assert interrupts.interruption_text() == interrupts.INTERRUPTED
    assert interrupts.ended_by() is None


def test_an_unwritable_folder_is_one_clear_error_and_the_old_file_stays(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # as an immutable folder does, even for root
    monkeypatch.setattr("formcheck.sinks.outputs.tempfile.mkstemp", refuse)
    with pytest.raises(OutputError, match=r"Cannot write --json .*r\.json: permission denied\."):
        write_text(target, "new", what="--json")
    assert target.read_text() == "old"
