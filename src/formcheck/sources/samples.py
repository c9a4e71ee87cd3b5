"""Real sample clips with hand-made labels, fetched on demand and verified by sha256.

Why: a new user should be able to try formcheck on a real recording without a webcam,
and tests and benchmarks need real clips with known rep counts. The clips are never part
of the project; ``sample_videos/labels.toml`` lists each one with its labels, public
source URL and sha256. A clip is taken from ``$FORMCHECK_SAMPLES_DIR`` when that folder
holds it (CI points it at a shared copy), else downloaded from its source. Fetched clips
go to the project's ``sample_videos/`` folder in a source checkout, else to the user's
data folder.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import platformdirs

from formcheck.errors import ConfigError, VideoError
from formcheck.runtime.datafiles import checkout_root, copy_verified, download, file_sha256, load_data_toml

SAMPLES_DIR_ENV = "FORMCHECK_SAMPLES_DIR"


@dataclass(frozen=True, slots=True)
class SampleSource:
    """Where a clip was published: a file at a commit of a public GitHub repository."""

    repo: str
    commit: str
    path: str


@dataclass(frozen=True, slots=True)
class SampleClip:
    """One ``[[clip]]`` of ``labels.toml``.

    Attributes:
        file: file name (``squat_side_stock_livingroom.mp4``); ``name`` is it without ``.mp4``.
        exercise: the exercise performed (labels' own names, e.g. ``wall_squat``, ``squat``).
        view: camera view (``side``, ``front``, ``three-quarter front``).
        reps: complete repetitions a careful human counts.
        reps_accept: every count that is defensible (clips may start or end mid-rep).
        url: public download address.
        sha256: hex digest of the file.
        fps: frame rate of the file.
        size: frame size as ``"WIDTHxHEIGHT"`` pixels.
        hold_s: labelled hold times in seconds, approximate (±1 s).
        reps_by_side: reps per side (``{"left": 2, "right": 2}``) for alternating exercises.
        form: form of each rep in order, as labelled ("correct", "incorrect: …").
        notes: what makes the clip hard (overlays, cuts, a second person…).
        source: the repository, commit and path the file was published at.
    """

    file: str
    exercise: str
    view: str
    reps: int
    reps_accept: tuple[int, ...]
    url: str
    sha256: str
    fps: float | None = None
    size: str | None = None
    hold_s: tuple[float, ...] | None = None
    reps_by_side: dict[str, int] | None = None
    form: tuple[str, ...] | None = None
    notes: str | None = None
    source: SampleSource | None = None

    @property
    def name(self) -> str:
        return Path(self.file).stem


_FIELDS = {f.name for f in fields(SampleClip)}


def _parse_clip(entry: dict[str, Any], index: int) -> SampleClip:
    where = f"sample_videos/labels.toml, clip {index} ({entry.get('file', '?')})"
    if unknown := sorted(set(entry) - _FIELDS):
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(_FIELDS))}.")
    values = dict(entry)
    for key, kind in (("reps_accept", int), ("hold_s", float), ("form", str)):
        if key in values:
            values[key] = tuple(kind(v) for v in values[key])
    try:
        if "source" in values:
            values["source"] = SampleSource(**values["source"])
        return SampleClip(**values)
    except TypeError as e:
        raise ConfigError(f"{where}: {e}.") from None


@functools.cache
def _load_clips() -> tuple[SampleClip, ...]:
    data = load_data_toml("samples.toml", "sample_videos/labels.toml")
    return tuple(_parse_clip(entry, i) for i, entry in enumerate(data.get("clip", []), start=1))


def clips() -> list[SampleClip]:
    """All sample clips, in the order of ``labels.toml``."""
    return list(_load_clips())


def find_clip(name: str) -> SampleClip:
    """The clip called ``name``, with or without ``.mp4``; unknown names raise VideoError."""
    stem = name.removesuffix(".mp4")
    known = {clip.name: clip for clip in clips()}
    if stem in known:
        return known[stem]
    close = difflib.get_close_matches(stem, known, n=3)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    raise VideoError(f"There is no sample clip called {name!r}.{hint} Run `formcheck samples` to list them.")


def samples_dir() -> Path:
    """Where fetched clips go: ``sample_videos/`` of a source checkout, else the user data folder."""
    root = checkout_root()
    if root is not None:
        return root / "sample_videos"
    return Path(platformdirs.user_data_dir("formcheck")) / "sample_videos"


def _shared_copy(clip: SampleClip) -> Path | None:
    """The clip in ``$FORMCHECK_SAMPLES_DIR`` when that folder has it; a wrong file there is an error."""
    env = os.environ.get(SAMPLES_DIR_ENV)
    if not env:
        return None
    path = Path(env).expanduser() / clip.file
    if not path.is_file():
        return None
    if file_sha256(path) != clip.sha256:
        raise VideoError(
            f"{path} (found through {SAMPLES_DIR_ENV}) is not the expected sample clip: its sha256 does not match "
            f"{clip.sha256}. Replace it with the file from {clip.url} or remove it."
        )
    return path


def local_path(clip: SampleClip) -> Path | None:
    """Where the clip already is on this machine (not hashed; use ``sample_path`` for a verified path)."""
    env = os.environ.get(SAMPLES_DIR_ENV)
    for folder in ([Path(env).expanduser()] if env else []) + [samples_dir()]:
        if (folder / clip.file).is_file():
            return folder / clip.file
    return None


def _fetch(clip: SampleClip, dest: Path, progress: bool) -> Path:
    """Puts a verified copy of the clip at ``dest``: kept if already there, else copied or downloaded."""
    if dest.is_file() and file_sha256(dest) == clip.sha256:
        return dest
    what = f"sample clip {clip.file}"
    shared = _shared_copy(clip)
    if shared is not None:
        return copy_verified(shared, dest, clip.sha256, what=what, error=VideoError, progress=progress)
    advice = (
        f"Check your internet connection; or download it yourself, save it as {dest} "
        f"(or in a folder named by {SAMPLES_DIR_ENV})."
    )
    return download(clip.url, dest, clip.sha256, what=what, advice=advice, error=VideoError, progress=progress)


def sample_path(name: str, progress: bool = True) -> Path:
    """A local, verified path of the sample clip ``name`` (``.mp4`` optional), fetching it if needed.

    A copy in ``$FORMCHECK_SAMPLES_DIR`` is used where it is; otherwise the clip is
    fetched into ``samples_dir()``.
    """
    clip = find_clip(name)
    shared = _shared_copy(clip)
    if shared is not None:
        return shared
    return _fetch(clip, samples_dir() / clip.file, progress)


def fetch_samples(names: Iterable[str] | None = None, dest: Path | None = None, progress: bool = True) -> list[Path]:
    """Puts verified copies of the named clips (all when None) into ``dest`` (default ``samples_dir()``).

    Each clip is copied from ``$FORMCHECK_SAMPLES_DIR`` when it is there, else downloaded
    from its source; clips already in ``dest`` with the right sha256 are kept.
    """
    selected = clips() if names is None else [find_clip(n) for n in names]
    folder = samples_dir() if dest is None else Path(dest).expanduser()
    return [_fetch(clip, folder / clip.file, progress) for clip in selected]
