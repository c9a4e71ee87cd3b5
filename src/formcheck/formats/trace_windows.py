"""Reading a pose trace a window of frames at a time, so memory is bounded by the window.

A 3-hour recording at 30 fps is 324,000 frames: its landmark arrays take ~300 MB as stored
(float32) and several times that once smoothed and measured in float64. Re-scoring does not
need them all at once: every stage of the chain is either per frame or carries a small state
from one frame to the next (:class:`formcheck.analysis.ChainCarry`). :class:`TraceWindows`
hands out the trace as consecutive :class:`PoseTrace` windows of ``window`` frames.

For a native ``.npz`` (:func:`formcheck.formats.trace.save_trace`) the four landmark arrays
are decompressed as streams, ``window`` rows at a time, never whole; the per-frame scalars
(``t_s`` float64, ``n_people``, ``identity_jump``: 11 bytes a frame, 3.6 MB for 3 hours) are
read whole, as the report's duration needs every timestamp. The file is validated as
:func:`~formcheck.formats.trace.load_trace` validates it (same messages). Other layouts (CSV,
the import NPZ) are read whole with ``load_trace`` and then cut into windows: imports are
completed from both kinds of coordinates at once, and are short recordings.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from formcheck.errors import TraceError
from formcheck.formats.trace import (
    _SPECS,
    _as_dtype,
    _check_native_header,
    _check_timestamps,
    _fail,
    _meta_from_mapping,
    _scalar_str,
    load_trace,
)
from formcheck.pose.frame import PoseTrace, TraceMeta

__all__ = ["DEFAULT_WINDOW", "LANDMARK_ARRAYS", "TraceWindows", "windows_of"]

#: Frames per window (~15 MB of stored landmarks; ~60 MB at the peak of the chain's work on it).
DEFAULT_WINDOW = 16_384
#: The per-landmark arrays, streamed a window at a time.
LANDMARK_ARRAYS = ("image_xy", "world_xyz", "visibility", "presence")
_SCALARS = ("t_s", "n_people", "identity_jump")


def _read_header(f: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    """An .npy header: shape, Fortran order, dtype (numpy writes version 1.0; 2.0 for huge headers)."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f)
    raise ValueError(f"unsupported .npy version {version[0]}.{version[1]}")


class _NpyStream:
    """Rows of one ``.npy`` member of an ``.npz``, read front to back without loading it."""

    def __init__(self, zf: zipfile.ZipFile, name: str, path: Path) -> None:
        self.name = name
        self._f: IO[bytes] = zf.open(f"{name}.npy")
        try:
            shape, fortran, dtype = _read_header(self._f)
        except Exception as e:  # a damaged header: as load_trace says it
            self._f.close()
            raise _fail(path, f"the file is corrupt or not a trace ({e or type(e).__name__})") from None
        if dtype.hasobject:
            self._f.close()
            raise _fail(path, "it holds Python objects (pickles), which formcheck never loads")
        self.shape: tuple[int, ...] = tuple(shape)
        self.dtype = dtype
        self.fortran = bool(fortran)
        self._row_bytes = int(np.prod(self.shape[1:], dtype=np.int64)) * dtype.itemsize

    def read(self, rows: int) -> np.ndarray:
        data = self._f.read(rows * self._row_bytes)
        if len(data) != rows * self._row_bytes:
            raise EOFError(f"{self.name} ends early")
        return np.frombuffer(data, dtype=self.dtype).reshape(rows, *self.shape[1:])

    def close(self) -> None:
        self._f.close()


class TraceWindows:
    """A trace file read as consecutive windows of at most ``window`` frames.

    Attributes (known once constructed, before any window is read):
        path: the file.
        meta: its :class:`TraceMeta`.
        t_s: (T,) float64 timestamps of the whole recording.
        window: frames per window.

    Iterating yields :class:`PoseTrace` windows (the same arrays and dtypes as ``load_trace``
    gives, sliced); each iteration reads the file afresh, so a ``TraceWindows`` can be run
    through more than once. Raises :class:`TraceError` as ``load_trace`` does.
    """

    def __init__(self, path: str | Path, window: int = DEFAULT_WINDOW) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1 frame, not {window}")
        self.path = Path(path)
        self.window = int(window)
        self._whole: PoseTrace | None = None
        self._native = self._is_native()
        if self._native:
            self.meta, self._scalars = self._read_native_head()
            self.t_s = self._scalars["t_s"]
        else:
            self._whole = load_trace(self.path)
            self.meta, self.t_s = self._whole.meta, self._whole.t_s

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def streamed(self) -> bool:
        """Whether the landmark arrays are read a window at a time (a native ``.npz``)."""
        return self._native

    def __iter__(self) -> Iterator[PoseTrace]:
        if self._whole is not None:
            yield from _cut(self._whole, self.window)
            return
        yield from self._native_windows()

    # ------------------------------------------------------------------ native npz

    def _is_native(self) -> bool:
        """A native trace file: a zip holding ``format.npy`` (anything else goes to load_trace)."""
        if self.path.suffix.lower() == ".csv" or not self.path.is_file():
            return False
        try:
            with zipfile.ZipFile(self.path) as zf:
                names = set(zf.namelist())
        except (OSError, zipfile.BadZipFile):
            return False
        return "format.npy" in names or "version.npy" in names

    def _read_native_head(self) -> tuple[TraceMeta, dict[str, np.ndarray]]:
        path = self.path
        small: dict[str, np.ndarray] = {}
        try:
            with np.load(path, allow_pickle=False) as z:
                files = set(z.files)
                for name in ("format", "version", "meta_json", *_SCALARS):
                    if name in files:
                        small[name] = z[name]
        except Exception as e:  # zip, zlib, npy-header and pickle refusals all land here
            msg = str(e) or type(e).__name__
            if "allow_pickle" in msg:
                msg = "it holds Python objects (pickles), which formcheck never loads"
            raise _fail(path, f"the file is corrupt or not a trace ({msg})") from None
        _check_native_header(path, small, files)
        scalars = {name: _as_dtype(name, small[name], path, lenient=False) for name in _SCALARS}
        t_s = scalars["t_s"]
        if t_s.ndim != 1:
            raise _fail(path, f"t_s has shape {t_s.shape}; expected (T,), one timestamp per frame")
        n = t_s.shape[0]
        for name in ("n_people", "identity_jump"):
            if scalars[name].shape != (n,):
                raise _shape_error(path, name, scalars[name].shape, (n,))
        _check_timestamps(t_s, path)
        # The landmark arrays' headers, checked now so a bad file fails before any work.
        with zipfile.ZipFile(path) as zf:
            for name in LANDMARK_ARRAYS:
                stream = _NpyStream(zf, name, path)
                stream.close()
                want = (n, *_SPECS[name][0])
                if stream.shape != want:
                    raise _shape_error(path, name, stream.shape, want)
                if stream.dtype.kind != "f":
                    raise _fail(path, f"{name} must be numbers, not {stream.dtype}")
                if stream.fortran and n > 1:  # save_trace never writes one; rows would be columns
                    raise _fail(path, f"{name} is stored in Fortran order; write it with save_trace")
        try:
            d = json.loads(_scalar_str(small["meta_json"], "meta_json", path))
        except json.JSONDecodeError as e:
            raise _fail(path, f"meta_json is not valid JSON ({e})") from None
        meta, _stated = _meta_from_mapping(d, path, "meta_json")
        return meta, scalars

    def _native_windows(self) -> Iterator[PoseTrace]:
        n, path = len(self), self.path
        try:
            with zipfile.ZipFile(path) as zf:
                streams = [_NpyStream(zf, name, path) for name in LANDMARK_ARRAYS]
                try:
                    for start in range(0, n, self.window):
                        stop = min(n, start + self.window)
                        arrays = {s.name: _landmark_rows(s, stop - start) for s in streams}
                        scal = {name: self._scalars[name][start:stop] for name in _SCALARS}
                        yield PoseTrace(meta=self.meta, **scal, **arrays)
                finally:
                    for s in streams:
                        s.close()
        except (OSError, EOFError, zipfile.BadZipFile, ValueError) as e:
            # zlib.error is a subclass of neither; it is caught below.
            raise _fail(path, f"the file is corrupt or not a trace ({e or type(e).__name__})") from None
        except Exception as e:
            if type(e).__module__ == "zlib":
                raise _fail(path, f"the file is corrupt or not a trace ({e})") from None
            raise


def _landmark_rows(stream: _NpyStream, rows: int) -> np.ndarray:
    """The next ``rows`` rows of a landmark array, in its stored dtype (float32), writable."""
    return stream.read(rows).astype(_SPECS[stream.name][1])  # a copy: frombuffer's array is read-only


def _shape_error(path: Path, name: str, shape: tuple[int, ...], want: tuple[int, ...]) -> TraceError:
    if len(shape) >= 1 and tuple(shape[1:]) == tuple(want[1:]):
        return _fail(path, f"{name} has {shape[0]} frames but t_s has {want[0]}")
    return _fail(path, f"{name} has shape {tuple(shape)}; expected {tuple(want)}")


def _cut(trace: PoseTrace, window: int) -> Iterator[PoseTrace]:
    names = ("t_s", "image_xy", "world_xyz", "visibility", "presence", "n_people", "identity_jump")
    for start in range(0, len(trace), window):
        sl = slice(start, start + window)
        yield PoseTrace(meta=trace.meta, **{name: getattr(trace, name)[sl] for name in names})


def windows_of(trace: PoseTrace, window: int = DEFAULT_WINDOW) -> Iterator[PoseTrace]:
    """An in-memory trace as consecutive windows (views, no copies)."""
    yield from _cut(trace, window)
