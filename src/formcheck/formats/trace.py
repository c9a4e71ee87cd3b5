"""Pose trace files: the native ``.npz`` format, CSV/NPZ import layouts and the trace cache.

A pose trace is T frames of the 33 BlazePose landmarks (see :mod:`formcheck.pose.frame`):
timestamps in seconds, normalized image x,y, world x,y,z in metres, visibility and presence.
It is what re-scoring and tuning read, so they never run pose inference again. The formats
are described for users in ``docs/trace-format.md``; in short:

- **Native** (:func:`save_trace` / :func:`load_trace`, ``.npz``): arrays ``t_s (T,) float64``,
  ``image_xy (T,33,2) float32``, ``world_xyz (T,33,3) float32``, ``visibility (T,33)
  float32``, ``presence (T,33) float32``, ``n_people (T,) int16``, ``identity_jump (T,)
  bool``, plus ``meta_json`` (a JSON string holding :class:`TraceMeta`), ``format`` =
  ``"formcheck-trace"`` and ``version`` = 1. Saving then loading is bit-exact.
- **CSV** (:func:`export_csv`, read by :func:`load_trace`): one row per frame, column
  ``t_s`` then per landmark ``<name>_x,<name>_y`` (image), ``<name>_wx,<name>_wy,<name>_wz``
  (world, metres), ``<name>_vis``, ``<name>_pres``, and optional ``n_people``,
  ``identity_jump``; leading ``# key: value`` lines carry the metadata.
- **Import NPZ**: an ``.npz`` without ``format``: ``t_s`` and ``world_xyz`` and/or
  ``image_xy``, the other arrays optional.

Imports (mocap, Kinect, … mapped to BlazePose-33) may give only world or only image
coordinates; the missing kind is synthesized (:func:`project_world_to_image`,
:func:`lift_image_to_world`) so that every measure has an input.

:class:`TraceCache` keeps traces keyed by the video's content hash and the model, so
scoring the same video twice runs inference once.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import logging
import math
import os
import re
import tempfile
import warnings
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
import platformdirs

from formcheck.errors import TraceError, VideoError
from formcheck.pose.frame import PoseTrace, TraceMeta
from formcheck.pose.landmarks import N_LANDMARKS, Landmark
from formcheck.sinks.outputs import OutputError, open_output

__all__ = [
    "CSV_FORMAT_NAME",
    "DEFAULT_FRAME_SIZE",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "LANDMARK_NAMES",
    "CacheTicket",
    "TraceCache",
    "default_cache_dir",
    "export_csv",
    "file_sha256",
    "lift_image_to_world",
    "load_trace",
    "project_world_to_image",
    "save_trace",
    "traces_equal",
]

log = logging.getLogger(__name__)

#: Value of the ``format`` array of a native trace file.
FORMAT_NAME = "formcheck-trace"
#: Version of the native and CSV layouts this module writes and reads.
FORMAT_VERSION = 1
#: Value of the optional ``# format:`` line of a trace CSV.
CSV_FORMAT_NAME = "formcheck-trace-csv"
#: Frame size (width, height) in pixels assumed by imports that do not state one.
DEFAULT_FRAME_SIZE = (1280, 720)
#: Fraction of the frame the body's bounding box fills when image x,y are synthesized.
BODY_FILL = 0.8
#: Trunk length (mid-shoulder to mid-hip), metres, assumed when lifting image x,y to world.
ASSUMED_TRUNK_M = 0.5

#: Lower-case landmark names, in index order (``LANDMARK_NAMES[25] == "left_knee"``).
LANDMARK_NAMES: tuple[str, ...] = tuple(lm.name.lower() for lm in Landmark)

# Native arrays: name -> (shape after the leading T axis, stored dtype).
_SPECS: dict[str, tuple[tuple[int, ...], type[np.generic]]] = {
    "t_s": ((), np.float64),
    "image_xy": ((N_LANDMARKS, 2), np.float32),
    "world_xyz": ((N_LANDMARKS, 3), np.float32),
    "visibility": ((N_LANDMARKS,), np.float32),
    "presence": ((N_LANDMARKS,), np.float32),
    "n_people": ((), np.int16),
    "identity_jump": ((), np.bool_),
}
_META_SCALARS = ("source", "model", "fps", "width", "height")
_IMPORT_NPZ_KEYS = frozenset(_SPECS) | {"meta_json", *_META_SCALARS}

# CSV columns per landmark: suffix -> (array name, component index).
_CSV_SUFFIXES: tuple[tuple[str, str, int], ...] = (
    ("x", "image_xy", 0),
    ("y", "image_xy", 1),
    ("wx", "world_xyz", 0),
    ("wy", "world_xyz", 1),
    ("wz", "world_xyz", 2),
    ("vis", "visibility", -1),
    ("pres", "presence", -1),
)
# Every valid CSV column name -> (array name, landmark index or -1, component or -1).
_CSV_COLUMNS: dict[str, tuple[str, int, int]] = {
    "t_s": ("t_s", -1, -1),
    "n_people": ("n_people", -1, -1),
    "identity_jump": ("identity_jump", -1, -1),
}
for _i, _name in enumerate(LANDMARK_NAMES):
    for _suffix, _array, _comp in _CSV_SUFFIXES:
        _CSV_COLUMNS[f"{_name}_{_suffix}"] = (_array, _i, _comp)
_META_KEY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:(.*)$")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

_LH, _RH = int(Landmark.LEFT_HIP), int(Landmark.RIGHT_HIP)
_LS, _RS = int(Landmark.LEFT_SHOULDER), int(Landmark.RIGHT_SHOULDER)


def _fail(path: Path, problem: str) -> TraceError:
    return TraceError(f"Cannot load pose trace {path}: {problem}.")


# --------------------------------------------------------------------------- writing


@contextlib.contextmanager
def _atomic_write(path: Path, text: bool) -> Iterator[IO[Any]]:
    """Yield a temp file in ``path``'s folder; on success it replaces ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") if text else os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            mode = 0o644  # mkstemp makes 0600 files; a trace is an ordinary document
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _canonical(trace: PoseTrace, path: Path, verb: str = "save") -> dict[str, np.ndarray]:
    """The trace's arrays cast to the stored dtypes, checked for shape and timestamps."""
    arrays: dict[str, np.ndarray] = {}
    for name, (_shape, dtype) in _SPECS.items():
        arrays[name] = np.ascontiguousarray(np.asarray(getattr(trace, name)), dtype=dtype)
    try:
        _check_shapes(arrays, path)
        _check_timestamps(arrays["t_s"], path)
    except TraceError as e:  # reword: the problem is in the trace being written
        raise TraceError(str(e).replace("Cannot load", f"Cannot {verb}", 1)) from None
    return arrays


def _meta_dict(meta: TraceMeta) -> dict[str, Any]:
    return {
        "source": str(meta.source),
        "model": str(meta.model),
        "fps": float(meta.fps),
        "width": int(meta.width),
        "height": int(meta.height),
        "extra": meta.extra,
    }


def _json_value(obj: Any) -> Any:
    """JSON for what ``meta.extra`` may hold besides JSON values: dataclasses (e.g. the
    synthetic generator's scripted reps) become objects, numpy values numbers or lists."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, np.generic | np.ndarray):
        return obj.tolist()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _meta_json(meta: TraceMeta, path: Path) -> str:
    try:
        return json.dumps(_meta_dict(meta), ensure_ascii=False, default=_json_value)
    except (TypeError, ValueError) as e:
        raise TraceError(f"Cannot save pose trace {path}: meta.extra must hold only JSON values ({e}).") from None


def save_trace(trace: PoseTrace, path: Path | str) -> None:
    """Write ``trace`` to ``path`` in the native ``.npz`` format, atomically.

    Landmark arrays are stored as float32 (``image_xy`` (T, 33, 2) normalized, ``world_xyz``
    (T, 33, 3) metres, ``visibility``/``presence`` (T, 33)), ``t_s`` (T,) seconds as float64,
    ``n_people`` as int16 and ``identity_jump`` as bool; ``trace.meta.extra`` must be
    JSON-serializable. A path ending in ``.csv`` is written with :func:`export_csv` instead.
    The file is written to a temporary file in the same folder and renamed over ``path``,
    so a reader never sees half a file. Raises :class:`TraceError` when the trace is
    inconsistent (shapes, non-increasing timestamps) or the file cannot be written.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        export_csv(trace, path)
        return
    payload: dict[str, np.ndarray] = dict(_canonical(trace, path))
    payload["meta_json"] = np.array(_meta_json(trace.meta, path))
    payload["format"] = np.array(FORMAT_NAME)
    payload["version"] = np.array(FORMAT_VERSION, dtype=np.int32)
    try:
        with open_output(path, "wb", what="pose trace", allow_stdout=False) as f:
            np.savez_compressed(f, **payload)  # type: ignore[arg-type]
    except OSError as e:
        raise TraceError(f"Cannot save pose trace {path}: {e.strerror or e}.") from None


def _csv_meta_value(value: str) -> str:
    """A string meta value as written after ``# key: ``; JSON-quoted when stripping would alter it."""
    if value != value.strip() or "\n" in value or "\r" in value or value.startswith('"'):
        return json.dumps(value, ensure_ascii=False)
    return value


def export_csv(trace: PoseTrace, path: Path | str) -> Path:
    """Write ``trace`` in the CSV layout (see ``docs/trace-format.md``), atomically.

    Every landmark gets all seven columns (``_x,_y,_wx,_wy,_wz,_vis,_pres``); float32 values
    are written with 9 significant digits and ``t_s`` with Python's shortest exact repr, so
    :func:`load_trace` reads back exactly the same trace (NaN as ``nan``). Returns ``path``.
    """
    path = Path(path)
    a = _canonical(trace, path, "export")
    t = len(a["t_s"])
    body = np.concatenate(
        [
            np.concatenate(
                [a["image_xy"], a["world_xyz"], a["visibility"][..., None], a["presence"][..., None]], axis=2
            ).reshape(t, N_LANDMARKS * 7),
            a["n_people"][:, None],
            a["identity_jump"][:, None],
        ],
        axis=1,
        dtype=np.float64,
    )
    header = ["t_s", *(f"{n}_{s}" for n in LANDMARK_NAMES for s, _a, _c in _CSV_SUFFIXES), "n_people", "identity_jump"]
    row_fmt = ",".join(["%.9g"] * (N_LANDMARKS * 7) + ["%d", "%d"])
    meta = trace.meta
    lines = [
        f"# format: {CSV_FORMAT_NAME}",
        f"# version: {FORMAT_VERSION}",
        f"# source: {_csv_meta_value(str(meta.source))}",
        f"# model: {_csv_meta_value(str(meta.model))}",
        f"# fps: {float(meta.fps)!r}",
        f"# width: {int(meta.width)}",
        f"# height: {int(meta.height)}",
    ]
    try:
        lines.append(f"# extra: {json.dumps(meta.extra, ensure_ascii=False, default=_json_value)}")
    except (TypeError, ValueError) as e:
        raise TraceError(f"Cannot export pose trace {path}: meta.extra must hold only JSON values ({e}).") from None
    lines.append(",".join(header))
    times = a["t_s"].tolist()
    try:
        with open_output(path, "w", what="pose trace", allow_stdout=False) as f:
            f.write("\n".join(lines) + "\n")
            for start in range(0, t, 1024):
                chunk = body[start : start + 1024].tolist()
                f.write(
                    "".join(
                        f"{ti!r},{row_fmt % tuple(row)}\n"
                        for ti, row in zip(times[start : start + 1024], chunk, strict=True)
                    )
                )
    except OSError as e:
        raise TraceError(f"Cannot export pose trace {path}: {e.strerror or e}.") from None
    return path


# --------------------------------------------------------------------------- validation


def _check_shapes(arrays: Mapping[str, np.ndarray], path: Path) -> None:
    t_s = arrays["t_s"]
    if t_s.ndim != 1:
        raise _fail(path, f"t_s has shape {t_s.shape}; expected (T,), one timestamp per frame")
    t = t_s.shape[0]
    for name, arr in arrays.items():
        if name not in _SPECS or name == "t_s":
            continue
        want = (t, *_SPECS[name][0])
        if arr.shape != want:
            if arr.ndim >= 1 and arr.shape[1:] == want[1:]:
                raise _fail(path, f"{name} has {arr.shape[0]} frames but t_s has {t}")
            raise _fail(path, f"{name} has shape {arr.shape}; expected {want}")


def _check_timestamps(t_s: np.ndarray, path: Path) -> None:
    bad = np.flatnonzero(~np.isfinite(t_s))
    if bad.size:
        raise _fail(path, f"timestamp of frame {bad[0]} is {float(t_s[bad[0]])}; timestamps must be finite seconds")
    if t_s.size > 1:
        d = np.diff(t_s)
        bad = np.flatnonzero(~(d > 0))
        if bad.size:
            i = int(bad[0])
            raise _fail(
                path,
                f"timestamps must strictly increase, but frame {i + 1} (t_s={float(t_s[i + 1])!r}) "
                f"follows frame {i} (t_s={float(t_s[i])!r})",
            )


def _as_dtype(name: str, arr: np.ndarray, path: Path, lenient: bool) -> np.ndarray:
    """Cast a loaded array to its stored dtype after checking its kind.

    ``lenient`` (import layouts) also accepts integers for float arrays, integral floats for
    ``n_people`` and 0/1 numbers for ``identity_jump``.
    """
    dtype = _SPECS[name][1]
    kind = arr.dtype.kind
    if dtype is np.bool_:
        if kind == "b":
            return arr.astype(np.bool_)
        if lenient and kind in "iuf" and np.all((arr == 0) | (arr == 1)):
            return arr.astype(np.bool_)
        raise _fail(path, f"{name} must be booleans (or 0/1), not {arr.dtype}")
    if dtype is np.int16:
        if kind in "iu" or (
            lenient and kind == "f" and np.all(np.isnan(arr) | (np.isfinite(arr) & (arr == np.round(arr))))
        ):
            return arr if kind == "f" else arr.astype(np.int16)
        raise _fail(path, f"{name} must be integers, not {arr.dtype}")
    if kind == "f" or (lenient and kind in "iu"):
        return arr.astype(dtype)
    raise _fail(path, f"{name} must be numbers, not {arr.dtype}")


def _meta_from_mapping(d: Any, path: Path, where: str) -> tuple[TraceMeta, set[str]]:
    """TraceMeta from a decoded ``meta_json`` object; also returns the keys it stated."""
    if not isinstance(d, dict):
        raise _fail(path, f"{where} must be a JSON object")
    meta = TraceMeta()
    for key in ("source", "model"):
        if key in d:
            if not isinstance(d[key], str):
                raise _fail(path, f"{where}: {key} must be a string")
            setattr(meta, key, d[key])
    if "fps" in d:
        if isinstance(d["fps"], bool) or not isinstance(d["fps"], int | float) or not d["fps"] >= 0:
            raise _fail(path, f"{where}: fps must be a number >= 0, not {d['fps']!r}")
        meta.fps = float(d["fps"])
    for key in ("width", "height"):
        if key in d:
            v = d[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise _fail(path, f"{where}: {key} must be a whole number of pixels >= 0, not {v!r}")
            setattr(meta, key, v)
    if "extra" in d:
        if not isinstance(d["extra"], dict):
            raise _fail(path, f"{where}: extra must be a JSON object")
        meta.extra = d["extra"]
    return meta, {k for k in d if k in (*_META_SCALARS, "extra")}


def _scalar_str(arr: np.ndarray, name: str, path: Path) -> str:
    if arr.dtype.kind != "U" or arr.size != 1:
        raise _fail(path, f"{name} must be a single string")
    return str(arr.reshape(())[()])


# --------------------------------------------------------------------------- loading


def load_trace(path: Path | str) -> PoseTrace:
    """Read a pose trace: native ``.npz``, the import NPZ layout, or the CSV layout.

    The reader is chosen by suffix (``.npz``, ``.csv``); other suffixes are sniffed (a zip
    is read as NPZ, text as CSV). Everything is validated; any problem raises
    :class:`TraceError` naming the file: missing arrays or columns, wrong shapes, frame
    counts that disagree, non-finite or non-increasing timestamps, an unknown format or
    version. Pickled data is never loaded.

    Returns:
        A :class:`PoseTrace` with ``t_s`` (T,) float64 seconds, ``image_xy`` (T, 33, 2),
        ``world_xyz`` (T, 33, 3) metres, ``visibility``/``presence`` (T, 33) float32,
        ``n_people`` (T,) int16 and ``identity_jump`` (T,) bool.
    """
    path = Path(path)
    if not path.exists():
        raise _fail(path, "the file does not exist")
    if not path.is_file():
        raise _fail(path, "it is not a file")
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError as e:
        raise _fail(path, e.strerror or str(e)) from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _load_csv(path)
    if suffix == ".npz" or head in _ZIP_MAGIC:
        if head not in _ZIP_MAGIC:
            raise _fail(path, "it is not an .npz file (not a zip archive); it may be truncated or corrupt")
        return _load_npz(path)
    if head[:1] == b"#" or head.lower().startswith(b"t_s"):
        return _load_csv(path)
    raise _fail(path, "unknown file type; a pose trace is an .npz or .csv file (see docs/trace-format.md)")


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {name: z[name] for name in z.files}
    except Exception as e:  # zip, zlib, npy-header and pickle refusals all land here
        msg = str(e) or type(e).__name__
        if "allow_pickle" in msg:
            msg = "it holds Python objects (pickles), which formcheck never loads"
        raise _fail(path, f"the file is corrupt or not a trace ({msg})") from None


def _load_npz(path: Path) -> PoseTrace:
    raw = _read_npz(path)
    if "format" in raw or "version" in raw:
        return _load_native(path, raw)
    unknown = sorted(set(raw) - _IMPORT_NPZ_KEYS)
    if unknown:
        raise _fail(
            path,
            f"unknown arrays {', '.join(unknown)}; an import .npz holds t_s, image_xy and/or world_xyz, "
            f"and optionally visibility, presence, n_people, identity_jump, meta_json, {', '.join(_META_SCALARS)}",
        )
    if "t_s" not in raw:
        raise _fail(path, "the t_s array (frame timestamps, seconds) is missing")
    arrays = {name: _as_dtype(name, raw[name], path, lenient=True) for name in _SPECS if name in raw}
    if "image_xy" not in arrays and "world_xyz" not in arrays:
        raise _fail(path, "it has neither image_xy (T,33,2) nor world_xyz (T,33,3) landmarks")
    _check_shapes(arrays, path)
    _check_timestamps(arrays["t_s"], path)
    stated: set[str] = set()
    meta = TraceMeta()
    if "meta_json" in raw:
        try:
            d = json.loads(_scalar_str(raw["meta_json"], "meta_json", path))
        except json.JSONDecodeError as e:
            raise _fail(path, f"meta_json is not valid JSON ({e})") from None
        meta, stated = _meta_from_mapping(d, path, "meta_json")
    scalars: dict[str, Any] = {}
    for key in _META_SCALARS:
        if key in raw:
            arr = raw[key]
            if arr.size != 1:
                raise _fail(path, f"{key} must be a single value")
            v = arr.reshape(())[()]
            scalars[key] = v.item() if isinstance(v, np.generic) else v
            if key in ("width", "height") and isinstance(scalars[key], float) and scalars[key].is_integer():
                scalars[key] = int(scalars[key])
    if scalars:
        d = _meta_dict(meta) | scalars
        meta, _all = _meta_from_mapping(d, path, "the metadata arrays")
        stated |= set(scalars)
    return _complete_import(path, arrays, meta, stated)


def _check_native_header(path: Path, raw: Mapping[str, np.ndarray], names: Collection[str]) -> None:
    """Refuses a native trace whose format, version or set of arrays (``names``) is not this formcheck's."""
    if "format" not in raw:
        raise _fail(path, "the format array is missing")
    fmt = _scalar_str(raw["format"], "format", path)
    if fmt != FORMAT_NAME:
        raise _fail(path, f"unknown format {fmt!r}; expected {FORMAT_NAME!r}")
    if "version" not in raw:
        raise _fail(path, "the version array is missing")
    ver = raw["version"]
    if ver.dtype.kind not in "iu" or ver.size != 1:
        raise _fail(path, f"version must be a single integer, not {ver.dtype} {ver.shape}")
    version = int(ver.reshape(())[()])
    if version != FORMAT_VERSION:
        newer = " (written by a newer formcheck; please upgrade)" if version > FORMAT_VERSION else ""
        raise _fail(
            path, f"unsupported trace format version {version}; this formcheck reads version {FORMAT_VERSION}{newer}"
        )
    missing = [name for name in (*_SPECS, "meta_json") if name not in names]
    if missing:
        raise _fail(path, f"missing array{'s' if len(missing) > 1 else ''} {', '.join(missing)}")


def _load_native(path: Path, raw: dict[str, np.ndarray]) -> PoseTrace:
    _check_native_header(path, raw, raw)
    arrays = {name: _as_dtype(name, raw[name], path, lenient=False) for name in _SPECS}
    _check_shapes(arrays, path)
    _check_timestamps(arrays["t_s"], path)
    try:
        d = json.loads(_scalar_str(raw["meta_json"], "meta_json", path))
    except json.JSONDecodeError as e:
        raise _fail(path, f"meta_json is not valid JSON ({e})") from None
    meta, _stated = _meta_from_mapping(d, path, "meta_json")
    return PoseTrace(meta=meta, **arrays)


def _parse_csv_meta(path: Path, key: str, value: str, lineno: int) -> Any:
    where = f"line {lineno}"
    if key in ("source", "model"):
        if value.startswith('"'):
            try:
                v = json.loads(value)
            except json.JSONDecodeError:
                raise _fail(path, f"{where}: {key} starts with a quote but is not a valid JSON string") from None
            if not isinstance(v, str):
                raise _fail(path, f"{where}: {key} must be a string")
            return v
        return value
    if key == "fps":
        try:
            v = float(value)
        except ValueError:
            raise _fail(path, f"{where}: fps {value!r} is not a number") from None
        if not v >= 0:
            raise _fail(path, f"{where}: fps must be >= 0, not {value}")
        return v
    if key in ("width", "height"):
        try:
            f = float(value)
        except ValueError:
            f = -1.0
        if not (f >= 0 and f.is_integer()):
            raise _fail(path, f"{where}: {key} must be a whole number of pixels, not {value!r}")
        return int(f)
    if key == "extra":
        try:
            v = json.loads(value)
        except json.JSONDecodeError as e:
            raise _fail(path, f"{where}: extra is not valid JSON ({e})") from None
        if not isinstance(v, dict):
            raise _fail(path, f"{where}: extra must be a JSON object")
        return v
    if key == "format":
        if value != CSV_FORMAT_NAME:
            raise _fail(path, f"{where}: unknown format {value!r}; expected {CSV_FORMAT_NAME!r}")
        return value
    if key == "version":
        try:
            v = int(value)
        except ValueError:
            raise _fail(path, f"{where}: version {value!r} is not a whole number") from None
        if v != FORMAT_VERSION:
            raise _fail(
                path, f"{where}: unsupported trace CSV version {v}; this formcheck reads version {FORMAT_VERSION}"
            )
        return v
    return value


def _fill_blank_cells(text: str) -> str:
    """CSV text with every empty cell written as ``nan`` (plain string operations: fast)."""
    text = text.replace(",,", ",nan,").replace(",,", ",nan,")  # twice: runs of empty cells
    text = text.replace("\n,", "\nnan,").replace(",\r\n", ",nan\r\n").replace(",\n", ",nan\n")
    if text.startswith(","):
        text = "nan" + text
    if text.endswith(","):
        text += "nan"
    return text


def _read_csv_rows(path: Path, skip: int, header: list[str]) -> np.ndarray:
    """(T, C) float64 data rows; fast C parser first, a careful one for messages and blanks."""
    ncol = len(header)

    def fast(source: Any, skiprows: int) -> np.ndarray | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = np.loadtxt(
                    source,
                    delimiter=",",
                    skiprows=skiprows,
                    dtype=np.float64,
                    ndmin=2,
                    comments="#",
                    encoding="utf-8-sig",
                )
        except ValueError:
            return None
        if data.size == 0:
            return np.empty((0, ncol))
        return data if data.shape[1] == ncol else None

    data = fast(path, skip)
    if data is not None:
        return data
    with path.open("r", encoding="utf-8-sig", newline="") as f:  # blank cells (missing values) -> nan
        for _ in range(skip):
            f.readline()
        text = _fill_blank_cells(f.read())
    data = fast(io.StringIO(text), 0)
    del text
    if data is not None:
        return data
    rows: list[list[float]] = []
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        for _ in range(skip):
            f.readline()
        reader = csv.reader(f)
        for fields in reader:
            lineno = skip + reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()) or fields[0].lstrip().startswith("#"):
                continue
            if len(fields) != ncol:
                raise _fail(path, f"line {lineno} has {len(fields)} fields but the header has {ncol} columns")
            row = []
            for name, cell in zip(header, fields, strict=True):
                cell = cell.strip()
                if not cell:
                    row.append(math.nan)
                    continue
                try:
                    row.append(float(cell))
                except ValueError:
                    raise _fail(path, f"line {lineno}, column {name}: {cell!r} is not a number") from None
            rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(len(rows), ncol)


def _load_csv(path: Path) -> PoseTrace:
    stated: dict[str, Any] = {}
    unknown_meta: dict[str, str] = {}
    header: list[str] | None = None
    skip = 0
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as f:
            while True:
                line = f.readline()
                if not line:
                    break
                skip += 1
                s = line.strip()
                if not s:
                    continue
                if s.startswith("#"):
                    m = _META_KEY_RE.match(s[1:].strip())
                    if m:
                        key, value = m.group(1).lower(), m.group(2).strip()
                        if key in (*_META_SCALARS, "extra", "format", "version"):
                            stated[key] = _parse_csv_meta(path, key, value, skip)
                        else:
                            unknown_meta[key] = value
                    continue
                header = [c.strip().lower() for c in next(csv.reader([s]))]
                break
        if header is None:
            raise _fail(path, "it has no header line (expected t_s,<landmark>_x,…; see docs/trace-format.md)")
        dup = sorted({c for c in header if header.count(c) > 1})
        if dup:
            raise _fail(path, f"duplicate columns {', '.join(dup)}")
        unknown = [c for c in header if c not in _CSV_COLUMNS]
        if unknown:
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise _fail(
                path,
                f"unknown columns {', '.join(unknown[:5])}{more}; columns are t_s, n_people, identity_jump and "
                "<landmark>_x/_y/_wx/_wy/_wz/_vis/_pres with lower-case BlazePose names such as left_knee",
            )
        if "t_s" not in header:
            raise _fail(path, "the t_s column (frame timestamps, seconds) is missing")
        data = _read_csv_rows(path, skip, header)
    except UnicodeDecodeError:
        raise _fail(path, "it is not a UTF-8 text file") from None
    except OSError as e:
        raise _fail(path, e.strerror or str(e)) from None

    col = {name: i for i, name in enumerate(header)}
    t = data.shape[0]
    for n in LANDMARK_NAMES:
        for group in (("x", "y"), ("wx", "wy", "wz")):
            have = [f"{n}_{s}" in col for s in group]
            if any(have) and not all(have):
                cols = ",".join(f"{n}_{s}" for s in group)
                raise _fail(path, f"landmark {n} has only some of the columns {cols}; give all or none")
    arrays: dict[str, np.ndarray] = {"t_s": data[:, col["t_s"]].copy()}
    _check_timestamps(arrays["t_s"], path)
    for name in ("image_xy", "world_xyz", "visibility", "presence"):
        shape, dtype = _SPECS[name]
        if any(_CSV_COLUMNS[c][0] == name for c in header):
            arr = np.full((t, *shape), np.nan)
            for c in header:
                a, lm, comp = _CSV_COLUMNS[c]
                if a == name:
                    if comp >= 0:
                        arr[:, lm, comp] = data[:, col[c]]
                    else:
                        arr[:, lm] = data[:, col[c]]
            arrays[name] = arr.astype(dtype)
    if "image_xy" not in arrays and "world_xyz" not in arrays:
        raise _fail(
            path,
            "it has no landmark coordinates; give <landmark>_x,<landmark>_y (image) and/or "
            "<landmark>_wx,<landmark>_wy,<landmark>_wz (world, metres) columns",
        )
    if "n_people" in col:
        arrays["n_people"] = _as_dtype("n_people", data[:, col["n_people"]], path, lenient=True)
    if "identity_jump" in col:
        jump = data[:, col["identity_jump"]]
        arrays["identity_jump"] = _as_dtype("identity_jump", np.where(np.isnan(jump), 0.0, jump), path, lenient=True)

    meta = TraceMeta()
    for key in _META_SCALARS:
        if key in stated:
            setattr(meta, key, stated[key])
    meta.extra = {**unknown_meta, **stated.get("extra", {})}
    return _complete_import(path, arrays, meta, set(stated))


# --------------------------------------------------------------------------- import synthesis


def project_world_to_image(world_xyz: np.ndarray, aspect: float) -> np.ndarray:
    """Synthesize normalized image x,y from world landmarks by orthographic projection.

    World x,y are projected along the world z axis (in MediaPipe's convention z is the
    camera's depth axis, x to the right, y down), so the synthetic camera sees the body
    the way the world frame's x-y plane does: a subject moving side-on to that plane appears
    side-on. One scale and one centre are used for the whole trace (movement is preserved):
    the bounding box of all finite landmarks over all frames is centred and fills
    :data:`BODY_FILL` (80 %) of the frame height, or of its width if it would not fit
    otherwise, so every landmark lies inside the frame.

    Args:
        world_xyz: (T, 33, 3) metres, NaN where missing.
        aspect: width / height of the synthetic frame.

    Returns:
        (T, 33, 2) float32 normalized image x,y; NaN where the world point is NaN.
    """
    xy = np.asarray(world_xyz, dtype=np.float64)[..., :2]
    out = np.full(xy.shape, np.nan, dtype=np.float32)
    finite = np.isfinite(xy).all(axis=-1)
    if not finite.any():
        return out
    pts = xy[finite]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = max(float(hi[1] - lo[1]), float(hi[0] - lo[0]) / aspect)
    scale = BODY_FILL / span if span > 0 else 1.0  # image heights per metre
    centre = 0.5 * (lo + hi)
    u = 0.5 + scale * (xy[..., 0] - centre[0]) / aspect
    v = 0.5 + scale * (xy[..., 1] - centre[1])
    out[...] = np.stack([u, v], axis=-1)
    return out


def lift_image_to_world(image_xy: np.ndarray, aspect: float) -> np.ndarray:
    """Approximate world landmarks from normalized image x,y alone (z = 0).

    The image is made isotropic (x scaled by ``aspect``), translated so the origin is the
    mid-hip point of each frame (MediaPipe's world origin; the image centre in frames without
    both hips) and scaled to metres assuming the median trunk length (mid-shoulder to mid-hip)
    over the trace is :data:`ASSUMED_TRUNK_M` (0.5 m; 1 image height = 1 m if the trunk is
    never seen). z is 0: angles become those of the body projected on the image plane, right
    for movement in that plane (a side view of a squat or leg raise) and underestimated for
    movement towards the camera; lengths (lift height) are only as good as the trunk guess.

    Args:
        image_xy: (T, 33, 2) normalized image x,y, NaN where missing.
        aspect: frame width / height.

    Returns:
        (T, 33, 3) float32 metres, x right, y down, z = 0; NaN where the image point is NaN.
    """
    iso = np.array(image_xy, dtype=np.float64, copy=True)
    iso[..., 0] *= aspect
    mid_hip = 0.5 * (iso[:, _LH] + iso[:, _RH])
    mid_sh = 0.5 * (iso[:, _LS] + iso[:, _RS])
    trunk = np.sqrt(np.sum((mid_sh - mid_hip) ** 2, axis=-1))
    good = np.isfinite(trunk) & (trunk > 0)
    k = ASSUMED_TRUNK_M / float(np.median(trunk[good])) if good.any() else 1.0
    centre = np.array([0.5 * aspect, 0.5])
    origin = np.where(np.isfinite(mid_hip).all(axis=-1, keepdims=True), mid_hip, centre)
    w = (iso - origin[:, None, :]) * k
    z = np.where(np.isfinite(w).all(axis=-1), 0.0, np.nan)
    return np.concatenate([w, z[..., None]], axis=-1).astype(np.float32)


def _complete_import(path: Path, arrays: dict[str, np.ndarray], meta: TraceMeta, stated: set[str]) -> PoseTrace:
    """Fill the optional parts of an imported trace (see docs/trace-format.md)."""
    t = arrays["t_s"].shape[0]
    image, world = arrays.get("image_xy"), arrays.get("world_xyz")
    synthesize = image is None or world is None
    if ("width" not in stated or "height" not in stated) or (synthesize and not (meta.width > 0 and meta.height > 0)):
        meta.width, meta.height = DEFAULT_FRAME_SIZE
        meta.extra["frame_size_assumed"] = True
    if "fps" not in stated and t >= 2:
        meta.fps = float(1.0 / np.median(np.diff(arrays["t_s"])))

    finite = np.ones((t, N_LANDMARKS), dtype=bool)
    for given in (image, world):
        if given is not None:
            finite &= np.isfinite(given).all(axis=-1)
    for name in ("visibility", "presence"):
        given = arrays.get(name)
        if given is None:
            arrays[name] = finite.astype(np.float32)
        else:
            if np.any((given < 0) | (given > 1)):
                raise _fail(path, f"{name} values must lie in [0, 1] (NaN = default)")
            arrays[name] = np.where(np.isnan(given), finite, given).astype(np.float32)
    default_people = finite.any(axis=1).astype(np.int16)
    people = arrays.get("n_people")
    if people is None:
        arrays["n_people"] = default_people
    else:
        people = np.where(np.isnan(people), default_people, people) if people.dtype.kind == "f" else people
        if np.any(people < 0):
            raise _fail(path, "n_people must be >= 0")
        arrays["n_people"] = people.astype(np.int16)
    arrays.setdefault("identity_jump", np.zeros(t, dtype=bool))

    if image is None:
        assert world is not None
        arrays["image_xy"] = project_world_to_image(world, meta.aspect)
        meta.extra["synthesized"] = "image_xy"
    elif world is None:
        arrays["world_xyz"] = lift_image_to_world(image, meta.aspect)
        meta.extra["synthesized"] = "world_xyz"
    arrays = {name: np.ascontiguousarray(arrays[name], dtype=_SPECS[name][1]) for name in _SPECS}
    _check_shapes(arrays, path)
    return PoseTrace(meta=meta, **arrays)


def traces_equal(a: PoseTrace, b: PoseTrace) -> bool:
    """True when both traces hold the same dtypes, shapes, values (NaN == NaN) and metadata."""
    for name in _SPECS:
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        if x.dtype != y.dtype or x.shape != y.shape:
            return False
        if not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
            return False
    return _meta_dict(a.meta) == _meta_dict(b.meta)


# --------------------------------------------------------------------------- cache


def file_sha256(path: Path | str, block_size: int = 1 << 20) -> str:
    """Hex sha256 of a file's content, read in 1 MiB blocks (memory stays flat)."""
    h = hashlib.sha256()
    buf = bytearray(block_size)
    view = memoryview(buf)
    with Path(path).open("rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


def default_cache_dir() -> Path:
    """Folder of the trace cache: ``$FORMCHECK_CACHE_DIR/traces`` when that variable is set,
    else ``<platformdirs user cache dir for "formcheck">/traces``."""
    root = os.environ.get("FORMCHECK_CACHE_DIR")
    base = Path(root).expanduser() if root else Path(platformdirs.user_cache_dir("formcheck"))
    return base / "traces"


def _cache_disabled() -> bool:
    return os.environ.get("FORMCHECK_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no", "off")


#: Default size cap of the trace cache (``FORMCHECK_CACHE_MAX_SIZE`` overrides it).
DEFAULT_CACHE_MAX_BYTES = 2 << 30
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """Bytes from a size such as ``2G``, ``500MB``, ``1.5GiB``, ``123456`` (binary units);
    ValueError if it is not one."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    unit = m.group(2).lower().removesuffix("b").removesuffix("i") if m else ""
    if m is None or unit not in _SIZE_UNITS or (m.group(2).lower().endswith("ib") and not unit):
        raise ValueError(f"{text!r} is not a size (e.g. 2G, 500M, 1000000)")
    return int(float(m.group(1)) * _SIZE_UNITS[unit])


def _cache_max_bytes() -> int:
    text = os.environ.get("FORMCHECK_CACHE_MAX_SIZE", "").strip()
    if not text:
        return DEFAULT_CACHE_MAX_BYTES
    try:
        return parse_size(text)
    except ValueError as e:
        log.warning("ignoring FORMCHECK_CACHE_MAX_SIZE: %s", e)
        return DEFAULT_CACHE_MAX_BYTES


def _file_ident(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """What identifies one version of a file: device, inode, size, mtime and ctime (ns).

    The ctime cannot be set back by a user (unlike the mtime, which ``touch -r`` or a copy
    tool restores): any write or replacement of the file gives a new ctime or inode.
    """
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclasses.dataclass(frozen=True, slots=True)
class CacheTicket:
    """A video's content hash taken before it is decoded, with the file's identity then.

    A result is stored under ``digest`` only if the file still has that identity (or the
    same content) after scoring: a video replaced or rewritten while it was being scored
    never lands in the cache under either content's hash.
    """

    path: str
    digest: str
    ident: tuple[int, int, int, int, int]


@dataclasses.dataclass(frozen=True, slots=True)
class CacheInfo:
    root: Path
    entries: int
    size_bytes: int
    max_bytes: int
    hashed_files: int


class TraceCache:
    """Pose traces of videos already seen, so scoring a video twice runs inference once.

    An entry is ``<root>/<key>.npz`` (the native format), where the key is a sha256 over
    the video's *content* hash, the model id and ``extra`` (e.g. ``"poses=1"``): renaming or
    copying a video still hits, re-encoding it or changing the model misses. Hashing a
    large video takes seconds, so each file's hash is remembered in ``<root>/hashes.json``
    against the file's identity (absolute path, device, inode, size, mtime and ctime): any
    change to the file, even one that restores size and mtime, makes it hashed again.

    The cache keeps at most ``max_bytes`` of traces (default 2 GiB, or
    ``FORMCHECK_CACHE_MAX_SIZE`` such as ``500M``), evicting the least recently used. Its
    folder is the user's only (0700, files 0600): the index lists every video's path.
    Setting ``FORMCHECK_NO_CACHE=1`` turns the cache off (``get`` returns None, ``put``
    does nothing).
    """

    INDEX_NAME = "hashes.json"
    INDEX_VERSION = 2
    MAX_INDEX_ENTRIES = 2000

    def __init__(self, root: Path | str | None = None, max_bytes: int | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.max_bytes = _cache_max_bytes() if max_bytes is None else int(max_bytes)
        self._memo: dict[tuple[str, tuple[int, ...]], str] = {}

    @staticmethod
    def enabled() -> bool:
        """False when ``FORMCHECK_NO_CACHE`` is set (to anything but 0/false/no/off)."""
        return not _cache_disabled()

    def _ensure_root(self) -> None:
        """Create the folder user-only, and make an existing one so (older versions left 0755)."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.root.stat().st_mode & 0o077:
            os.chmod(self.root, 0o700)

    # -- content hashes

    def _index_path(self) -> Path:
        return self.root / self.INDEX_NAME

    def _read_index(self) -> dict[str, Any]:
        try:
            d = json.loads(self._index_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        files = d.get("files") if isinstance(d, dict) and d.get("version") == self.INDEX_VERSION else None
        return files if isinstance(files, dict) else {}

    def _remember(self, name: str, ident: tuple[int, ...], digest: str) -> None:
        files = self._read_index()
        files.pop(name, None)
        files[name] = {"ident": list(ident), "sha256": digest}
        while len(files) > self.MAX_INDEX_ENTRIES:
            files.pop(next(iter(files)))
        try:
            self._ensure_root()
            with _atomic_write(self._index_path(), text=True) as f:
                json.dump({"version": self.INDEX_VERSION, "files": files}, f, indent=0)
            os.chmod(self._index_path(), 0o600)
        except OSError as e:  # a read-only cache only costs a re-hash next time
            log.debug("cannot update %s: %s", self._index_path(), e)

    def ticket(self, path: Path | str) -> CacheTicket:
        """The file's content hash and identity now (hashing it unless the index knows it).

        Raises :class:`VideoError` when the file cannot be read.
        """
        p = Path(path)
        try:
            st = p.stat()
            name = str(p.resolve())
        except OSError as e:
            raise VideoError(f"Cannot read video {p}: {e.strerror or e}.") from None
        ident = _file_ident(st)
        digest = self._memo.get((name, ident))
        if digest is None:
            entry = self._read_index().get(name)
            if isinstance(entry, dict) and entry.get("ident") == list(ident) and isinstance(entry.get("sha256"), str):
                digest = entry["sha256"]
            else:
                try:
                    digest = file_sha256(p)
                    after = _file_ident(p.stat())
                except OSError as e:
                    raise VideoError(f"Cannot read video {p}: {e.strerror or e}.") from None
                if after != ident:  # changed while hashing: the hash is of neither version
                    return CacheTicket(name, "", ident)
                self._remember(name, ident, digest)
            self._memo[(name, ident)] = digest
        return CacheTicket(name, digest, ident)

    def content_hash(self, path: Path | str) -> str:
        """sha256 (hex) of a file's content, memoized by the file's identity (see the class).

        Raises :class:`VideoError` when the file cannot be read.
        """
        return self.ticket(path).digest or file_sha256(path)

    def unchanged(self, ticket: CacheTicket) -> bool:
        """Whether the file a ticket was taken of still holds the content it had then."""
        if not ticket.digest:
            return False
        try:
            now = self.ticket(ticket.path)
        except VideoError:
            return False
        return now.digest == ticket.digest

    # -- entries

    def _key_of(self, digest: str, model_id: str, extra: str) -> str:
        ident = json.dumps([FORMAT_VERSION, digest, str(model_id), str(extra)])
        return hashlib.sha256(ident.encode("utf-8")).hexdigest()

    def key(self, video_path: Path | str, model_id: str, extra: str = "") -> str:
        """Cache key (64 hex digits) of a video's trace under a model id and ``extra``."""
        return self._key_of(self.content_hash(video_path), model_id, extra)

    def path_for(self, key: str) -> Path:
        """File of the entry with this key (whether or not it exists)."""
        return self.root / f"{key}.npz"

    def get(
        self, video_path: Path | str, model_id: str, extra: str = "", ticket: CacheTicket | None = None
    ) -> PoseTrace | None:
        """The cached trace of this video and model, or None.

        With ``ticket`` (from :meth:`ticket`) the video is looked up by the content it had
        then. A corrupt or unreadable entry is deleted and reported as a miss, never as an
        error. ``meta.source`` of the returned trace is set to ``video_path``.
        """
        if _cache_disabled():
            return None
        digest = ticket.digest if ticket is not None else self.content_hash(video_path)
        if not digest:
            return None
        entry = self.path_for(self._key_of(digest, model_id, extra))
        if not entry.is_file():
            return None
        try:
            trace = load_trace(entry)
        except TraceError as e:
            log.warning("discarding corrupt trace cache entry: %s", e)
            with contextlib.suppress(OSError):
                entry.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(entry)  # the entry's mtime is its last use: eviction goes by it
        trace.meta.source = str(video_path)
        return trace

    def put(
        self,
        video_path: Path | str,
        model_id: str,
        trace: PoseTrace,
        extra: str = "",
        ticket: CacheTicket | None = None,
    ) -> Path | None:
        """Store ``trace`` for this video and model; returns the entry's path.

        With ``ticket`` (taken before the video was decoded) nothing is stored unless the
        file still holds the content it had then. Returns None (and stores nothing) when
        the cache is disabled, the video changed, or the cache cannot be written; a cache
        that cannot be written is logged, never raised, so it never costs a run.
        """
        if _cache_disabled():
            return None
        if ticket is not None and not self.unchanged(ticket):
            log.warning("%s changed while it was scored: its trace is not cached", video_path)
            return None
        digest = ticket.digest if ticket is not None else self.content_hash(video_path)
        entry = self.path_for(self._key_of(digest, model_id, extra))
        try:
            self._ensure_root()
            save_trace(trace, entry)
            os.chmod(entry, 0o600)
        except (TraceError, OutputError, OSError) as e:
            log.warning("cannot write to the trace cache: %s", e)
            return None
        self.evict(keep=entry)
        return entry

    def _entries(self) -> list[tuple[float, int, Path]]:
        out = []
        if self.root.is_dir():
            for p in self.root.glob("*.npz"):
                with contextlib.suppress(OSError):
                    st = p.stat()
                    out.append((st.st_mtime, st.st_size, p))
        return sorted(out)

    def evict(self, keep: Path | None = None) -> int:
        """Delete least recently used entries until the cache is within ``max_bytes``
        (``keep`` goes last); returns how many were deleted."""
        entries = self._entries()
        total = sum(size for _t, size, _p in entries)
        entries.sort(key=lambda e: (e[2] == keep, e[0]))
        n = 0
        for _t, size, p in entries:
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                p.unlink()
                total -= size
                n += 1
        return n

    def info(self) -> CacheInfo:
        """Where the cache is, how many entries and bytes it holds, its cap."""
        entries = self._entries()
        return CacheInfo(self.root, len(entries), sum(s for _t, s, _p in entries), self.max_bytes,
                         len(self._read_index()))  # fmt: skip

    def clear(self) -> int:
        """Delete every cached trace (and the hash index); returns how many traces were removed."""
        n = 0
        if self.root.is_dir():
            for p in self.root.glob("*.npz"):
                with contextlib.suppress(OSError):
                    p.unlink()
                    n += 1
            with contextlib.suppress(OSError):
                self._index_path().unlink()
        self._memo.clear()
        return n
