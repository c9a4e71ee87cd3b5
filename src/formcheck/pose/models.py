"""Which MediaPipe pose landmarker bundle to run, and where it is: downloaded on first use.

The bundles (6–31 MB) are in neither the wheel nor the repository; ``models/manifest.toml``
names them with their official URL and sha256. A model given by name (``lite``, ``full``,
``heavy``) is looked up, in order, in

1. the folder the caller passes (``--model-dir``),
2. the folder in ``$FORMCHECK_MODEL_DIR`` (offline machines; tests and CI point it at a
   shared copy),
3. the user cache folder, where downloads go.

A bundle found by name is checked against the manifest's sha256 (once per process), so a
truncated or different file is reported here in plain words instead of failing obscurely
inside MediaPipe. A model given as a path is the user's choice and is only checked to be a
pose landmarker bundle.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from formcheck.errors import ModelError
from formcheck.runtime.datafiles import download as download_file
from formcheck.runtime.datafiles import file_sha256, load_data_toml

MODEL_DIR_ENV = "FORMCHECK_MODEL_DIR"
DEFAULT_MODEL = "full"

#: Members every pose landmarker bundle holds (a .task file is a zip of TFLite models).
_BUNDLE_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")
_CACHE = "the cache folder"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model bundle from the manifest, and where it is on this machine.

    Attributes:
        name: short name used on the command line and in the API (``lite``, ``full``, ``heavy``).
        file: file name of the bundle (``pose_landmarker_full.task``).
        url: official download address.
        sha256: hex digest of the official file.
        size_bytes: size of the official file.
        licence: SPDX licence of the bundle.
        path: where the bundle was found locally (by ``list_models``); None when nowhere.
        verified: True when the file at ``path`` matches ``sha256``.
    """

    name: str
    file: str
    url: str
    sha256: str
    size_bytes: int
    licence: str = ""
    path: Path | None = None
    verified: bool = False


@functools.cache
def _manifest_entries() -> tuple[ModelInfo, ...]:
    data = load_data_toml("models.toml", "models/manifest.toml")
    entries = []
    for i, entry in enumerate(data.get("model", []), start=1):
        try:
            entries.append(
                ModelInfo(
                    name=entry["name"],
                    file=entry["file"],
                    url=entry["url"],
                    sha256=entry["sha256"],
                    size_bytes=int(entry["size"]),
                    licence=entry.get("licence", ""),
                )
            )
        except KeyError as e:
            raise ModelError(f"The models manifest's entry {i} has no {e.args[0]!r}; reinstall formcheck.") from None
    return tuple(entries)


def manifest() -> dict[str, ModelInfo]:
    """The known bundles by name, in manifest order (lite, full, heavy)."""
    return {m.name: m for m in _manifest_entries()}


def model_cache_dir() -> Path:
    """Where downloaded bundles are kept: ``<user cache>/formcheck/models``."""
    return Path(platformdirs.user_cache_dir("formcheck")) / "models"


def _search_dirs(model_dir: Path | None) -> list[tuple[Path, str]]:
    """Folders to look in, in order, each with how it was chosen (for messages)."""
    dirs = []
    if model_dir is not None:
        dirs.append((Path(model_dir).expanduser(), "the model folder given"))
    if env := os.environ.get(MODEL_DIR_ENV):
        dirs.append((Path(env).expanduser(), MODEL_DIR_ENV))
    dirs.append((model_cache_dir(), _CACHE))
    return dirs


def _is_official(path: Path, info: ModelInfo) -> bool:
    # The size check spares hashing a file that cannot match.
    try:
        return path.stat().st_size == info.size_bytes and file_sha256(path) == info.sha256
    except OSError as e:
        raise ModelError(f"Cannot read the model file {path}: {e.strerror or e}.") from None


def _advice(info: ModelInfo) -> str:
    return (
        f"Check your internet connection; or download {info.url} yourself, put it in a folder "
        f"and set {MODEL_DIR_ENV} to that folder."
    )


def resolve_model(
    spec: str | Path = DEFAULT_MODEL, model_dir: Path | None = None, download: bool = True, progress: bool = True
) -> Path:
    """Path of a verified pose landmarker bundle, downloading it when needed.

    Args:
        spec: ``lite``, ``full`` or ``heavy``, or the path of a ``.task`` file.
        model_dir: a folder to look in before ``$FORMCHECK_MODEL_DIR`` and the cache.
        download: fetch a missing named model into the cache folder (else raise).
        progress: show a progress bar on stderr while downloading.

    Raises:
        ModelError: unknown name, missing or invalid file, a file whose sha256 differs from
            the manifest, or a failed download; the message says what to do.
    """
    models = manifest()
    if isinstance(spec, str) and spec in models:
        return _resolve_name(models[spec], model_dir, download, progress)
    return _check_bundle(spec, models)


def _resolve_name(info: ModelInfo, model_dir: Path | None, download: bool, progress: bool) -> Path:
    damaged_cache_copy = False
    for folder, origin in _search_dirs(model_dir):
        path = folder / info.file
        if not path.is_file():
            continue
        if _is_official(path, info):
            return path
        if origin == _CACHE:
            damaged_cache_copy = True  # our own copy: a fresh download replaces it
            break
        raise ModelError(
            f"{path} (found through {origin}) is not the official {info.name} pose model: its sha256 does not "
            f"match {info.sha256}. It is damaged or a different version; replace it with the file from "
            f"{info.url} or remove it."
        )
    if not download:
        state = "is damaged" if damaged_cache_copy else "is not downloaded yet"
        raise ModelError(
            f"The {info.name} pose model ({info.file}) {state}. Run `formcheck models fetch {info.name}`, "
            f"or download {info.url}, put it in a folder and set {MODEL_DIR_ENV} to that folder."
        )
    return download_file(
        info.url,
        model_cache_dir() / info.file,
        info.sha256,
        what=f"{info.name} pose model",
        advice=_advice(info),
        error=ModelError,
        size_bytes=info.size_bytes,
        progress=progress,
    )


def _check_bundle(spec: str | Path, models: dict[str, ModelInfo]) -> Path:
    """An explicit model path: it must exist and be a pose landmarker bundle (a zip of TFLite models)."""
    path = Path(spec).expanduser()
    if not path.exists():
        if path.suffix == "" and len(path.parts) == 1:
            raise ModelError(
                f"Unknown pose model {str(spec)!r}: use one of {', '.join(models)}, or the path of a .task file."
            )
        raise ModelError(f"The model file {path} does not exist.")
    if path.is_dir():
        raise ModelError(f"{path} is a folder; give the path of a pose landmarker .task file, or use --model-dir.")
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as bundle:
                members = set(bundle.namelist())
                damaged = _checked_member(path, bundle) if all(m in members for m in _BUNDLE_MEMBERS) else None
        else:
            members, damaged = set(), None
    except (OSError, zipfile.BadZipFile) as e:
        raise ModelError(f"Cannot read the model file {path}: {e.strerror if isinstance(e, OSError) else e}.") from None
    if not all(m in members for m in _BUNDLE_MEMBERS):
        raise ModelError(
            f"{path} is not a MediaPipe pose landmarker model bundle (.task). Use one of {', '.join(models)} "
            "or a pose_landmarker_*.task file from MediaPipe."
        )
    if damaged is not None:
        # MediaPipe loads a bundle with flipped bytes in its weights without a word and then
        # finds nobody in any frame: a damaged file must be refused here.
        raise ModelError(
            f"The model file {path} is damaged: {damaged} fails its checksum (the file was corrupted when it was "
            f"copied or downloaded). Download it again, or use one of {', '.join(models)}."
        )
    return path.resolve()


#: Bundles whose checksums passed in this process, by (path, size, mtime): a video scored in
#: chunks resolves the model once per chunk.
_crc_ok: set[tuple[str, int, int]] = set()


def _checked_member(path: Path, bundle: zipfile.ZipFile) -> str | None:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key in _crc_ok:
        return None
    damaged = _damaged_member(bundle)
    if damaged is None:
        _crc_ok.add(key)
    return damaged


def _damaged_member(bundle: zipfile.ZipFile) -> str | None:
    """The first member of a zip whose data does not match its CRC-32 (or cannot be
    decompressed), else None. Reads the whole bundle (~0.1 s for the heavy model)."""
    for info in bundle.infolist():
        try:
            with bundle.open(info) as f:
                while f.read(1 << 20):
                    pass
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError):
            return info.filename
    return None


def list_models(model_dir: Path | None = None) -> list[ModelInfo]:
    """Every bundle of the manifest with where it is locally (``path`` None when nowhere).

    Nothing is downloaded; a file found is hashed (once per process) to fill ``verified``.
    """
    found = []
    for info in manifest().values():
        for folder, _ in _search_dirs(model_dir):
            path = folder / info.file
            if path.is_file():
                info = dataclasses.replace(info, path=path, verified=_is_official(path, info))
                break
        found.append(info)
    return found
