"""Reading a trace a window at a time: the windows of a native .npz are exactly the slices of
what load_trace reads (same dtypes, same values), for any window size; bad files are refused
with load_trace's messages; other layouts are read whole and cut."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from formcheck.errors import TraceError
from formcheck.formats.trace import export_csv, load_trace, save_trace
from formcheck.formats.trace_windows import DEFAULT_WINDOW, TraceWindows
from formcheck_testing import synthetic

_ARRAYS = ("t_s", "image_xy", "world_xyz", "visibility", "presence", "n_people", "identity_jump")


@pytest.fixture
def trace_file(tmp_path):
    trace = synthetic.wall_squat(reps=2, noise_world_m=0.01, seed=1)
    trace.meta.extra = {"note": "kept"}
    trace.image_xy[40:50, 25] = np.nan
    path = tmp_path / "t.npz"
    save_trace(trace, path)
    return path


def _joined(windows: TraceWindows) -> dict[str, np.ndarray]:
    parts = list(windows)
    return {k: np.concatenate([getattr(w, k) for w in parts]) for k in _ARRAYS}


@pytest.mark.parametrize("window", [1, 7, 256, 10**6])
def test_native_windows_are_the_slices_of_the_loaded_trace(trace_file, window: int) -> None:
    whole = load_trace(trace_file)
    windows = TraceWindows(trace_file, window)
    assert windows.streamed and len(windows) == len(whole)
    assert windows.meta == whole.meta
    sizes = [len(w) for w in windows]
    assert all(s == window for s in sizes[:-1]) and 0 < sizes[-1] <= window and sum(sizes) == len(whole)
    got = _joined(windows)
    for k in _ARRAYS:
        want = getattr(whole, k)
        assert got[k].dtype == want.dtype
        assert np.array_equal(got[k], want, equal_nan=want.dtype.kind == "f")


def test_windows_can_be_read_more_than_once_and_are_writable(trace_file) -> None:
    windows = TraceWindows(trace_file, 100)
    first, again = _joined(windows), _joined(windows)
    assert all(np.array_equal(first[k], again[k], equal_nan=True) for k in _ARRAYS)
    w = next(iter(windows))
    w.image_xy[0, 0, 0] = 0.5  # a copy, not the read-only file buffer


def test_the_default_window_is_16384_frames() -> None:
    assert DEFAULT_WINDOW == 16_384


def test_a_csv_trace_is_read_whole_and_cut_into_windows(tmp_path) -> None:
    trace = synthetic.wall_squat(reps=1, seed=2)
    path = tmp_path / "t.csv"
    export_csv(trace, path)
    whole = load_trace(path)
    windows = TraceWindows(path, 50)
    assert not windows.streamed
    got = _joined(windows)
    assert all(np.array_equal(got[k], getattr(whole, k), equal_nan=True) for k in _ARRAYS)


def _rewrite(src, dst, change) -> None:
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    np.savez_compressed(dst, **arrays)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("world_xyz"), "missing array world_xyz"),
        (lambda a: a.update(image_xy=a["image_xy"][:-1]), "image_xy has .* frames but t_s has"),
        (lambda a: a.update(visibility=a["visibility"][:, :5]), r"visibility has shape"),
        (lambda a: a.update(presence=a["presence"].astype(np.int32)), "presence must be numbers"),
        (lambda a: a.update(t_s=a["t_s"][::-1].copy()), "timestamps must strictly increase"),
        (lambda a: a.update(format=np.array("other")), "unknown format"),
        (lambda a: a.update(version=np.array(99, dtype=np.int32)), "unsupported trace format version 99"),
    ],
)
def test_a_bad_native_file_is_refused_as_load_trace_refuses_it(trace_file, tmp_path, change, message) -> None:
    bad = tmp_path / "bad.npz"
    _rewrite(trace_file, bad, change)
    with pytest.raises(TraceError, match=message) as from_load:
        load_trace(bad)
    with pytest.raises(TraceError, match=message) as from_windows:
        list(TraceWindows(bad, 64))
    assert str(from_windows.value) == str(from_load.value)


def test_a_truncated_landmark_stream_is_a_trace_error(trace_file, tmp_path) -> None:
    # The header says T frames but the data ends early: found while streaming, not a crash.
    bad = tmp_path / "short.npz"
    with zipfile.ZipFile(trace_file) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "world_xyz.npy":
                data = data[: len(data) // 2]
            zout.writestr(item, data)
    windows = TraceWindows(bad, 64)
    with pytest.raises(TraceError, match="corrupt"):
        list(windows)


def test_a_missing_file_is_refused(tmp_path) -> None:
    with pytest.raises(TraceError, match="does not exist"):
        TraceWindows(tmp_path / "none.npz")
