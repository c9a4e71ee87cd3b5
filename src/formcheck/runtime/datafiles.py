"""Finding formcheck's own data files, and fetching big files (models, sample clips) safely.

The manifests (``models/manifest.toml``, ``sample_videos/labels.toml``) live at the top of
the repository, where people edit them; a wheel carries copies as ``formcheck/data/*.toml``
(pyproject ``force-include``). An editable install has no such copies, so the checkout is
the fallback.

Big files are never trusted by name: each has a sha256 in its manifest. A download (or a
copy from a shared folder) streams into a temporary file next to its destination and is
moved into place with ``os.replace`` only once its hash matches, so an interrupted or
corrupted transfer never leaves a file that looks usable.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import ssl
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

from tqdm import tqdm

from formcheck.errors import FormcheckError

_CHUNK_BYTES = 1 << 20
#: Longest wait for any one answer or read from the server.
_TIMEOUT_S = 30.0
#: Overall deadline of a download: this much plus the expected size at this slow rate. A
#: server that trickles a byte now and then defeats per-read timeouts and would otherwise
#: hold the download forever; past the deadline it fails, saying so.
_DEADLINE_BASE_S = 300.0
_DEADLINE_MIN_RATE_BPS = 20_000.0


class DeadlineExceeded(TimeoutError):
    """A download did not finish within its overall deadline (``done`` bytes received)."""

    def __init__(self, deadline_s: float, done: int, total: int | None) -> None:
        of = f" of {total}" if total else ""
        super().__init__(f"it did not finish within {deadline_s:g} s (the server sent only {done}{of} bytes)")
        self.deadline_s, self.done, self.total = deadline_s, done, total


def download_deadline_s(size_bytes: int | None) -> float:
    """The default overall deadline of downloading ``size_bytes`` (unknown size: 1 GB)."""
    return _DEADLINE_BASE_S + (size_bytes if size_bytes else 1 << 30) / _DEADLINE_MIN_RATE_BPS

#: sha256 of files already hashed in this process, keyed by (path, size, mtime): models are
#: looked up on every run and hashing 30 MB each time would be wasted work.
_digests: dict[tuple[str, int, int], str] = {}


def checkout_root() -> Path | None:
    """The repository root when formcheck runs from a source checkout (``src/`` layout), else None.

    Why: in a checkout, data belongs in the project's own folders (``sample_videos/``);
    an installed package has no such folder and uses the user's data folder instead.
    """
    package_dir = Path(__file__).resolve().parents[1]  # src/formcheck (this file is in runtime/)
    root = package_dir.parents[1]
    if package_dir.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def load_data_toml(packaged: str, checkout: str) -> dict[str, Any]:
    """Parses a data file shipped with formcheck.

    Args:
        packaged: name under ``formcheck/data/`` in an installed wheel (``models.toml``).
        checkout: path relative to the repository root (``models/manifest.toml``), used by
            editable installs, where the wheel's copy does not exist.
    """
    resource = resources.files("formcheck") / "data" / packaged
    if resource.is_file():
        return tomllib.loads(resource.read_text(encoding="utf-8"))
    root = checkout_root()
    if root is not None and (root / checkout).is_file():
        return tomllib.loads((root / checkout).read_text(encoding="utf-8"))
    raise FormcheckError(
        f"formcheck's data file {packaged} is missing (neither formcheck/data/{packaged} nor {checkout} "
        "in a source checkout was found); the installation is incomplete: reinstall formcheck."
    )


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK_BYTES):
            h.update(chunk)
    return h.hexdigest()


def _key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, hashed once per process unless the file changes (size or mtime)."""
    key = _key(path)
    digest = _digests.get(key)
    if digest is None:
        digest = _digests[key] = _hash_file(path)
    return digest


def _save_stream(
    stream: BinaryIO,
    dest: Path,
    sha256: str,
    *,
    total: int | None,
    progress: bool,
    deadline_s: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Streams into ``dest`` atomically when the content's sha256 is ``sha256``.

    Returns the content's actual sha256; when it differs nothing is written at all (the
    temporary file is removed, also on errors and Ctrl-C). With ``deadline_s``, raises
    :class:`DeadlineExceeded` once that long has passed on ``clock`` (checked after every
    read; a read returns what has arrived, so a trickle cannot hold one read for long).
    """
    end = clock() + deadline_s if deadline_s is not None else None
    # read1 returns as soon as some bytes are there; read(n) would wait for all n of them.
    read = getattr(stream, "read1", stream.read)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        bar = tqdm(
            total=total,
            desc=dest.name,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=sys.stderr,
            disable=not progress,
        )
        done = 0
        with os.fdopen(fd, "wb") as out, bar:
            while chunk := read(_CHUNK_BYTES):
                h.update(chunk)
                out.write(chunk)
                bar.update(len(chunk))
                done += len(chunk)
                if end is not None and clock() > end:
                    raise DeadlineExceeded(deadline_s, done, total)  # type: ignore[arg-type]
        digest = h.hexdigest()
        if digest == sha256:
            tmp.chmod(0o644)  # mkstemp makes it private; the result is an ordinary file
            os.replace(tmp, dest)
            _digests[_key(dest)] = digest
        return digest
    finally:
        tmp.unlink(missing_ok=True)


def _network_reason(e: BaseException) -> str:
    if isinstance(e, urllib.error.HTTPError):
        return f"the server answered HTTP {e.code} {e.reason}"
    if isinstance(e, urllib.error.URLError):
        reason = e.reason
        return getattr(reason, "strerror", None) or str(reason)
    if isinstance(e, DeadlineExceeded):
        return str(e)
    if isinstance(e, TimeoutError):
        return f"no answer within {_TIMEOUT_S:g} s"
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def download(
    url: str,
    dest: Path,
    sha256: str,
    *,
    what: str,
    advice: str,
    error: type[FormcheckError],
    size_bytes: int | None = None,
    progress: bool = True,
    deadline_s: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Path:
    """Downloads ``url`` to ``dest`` with a progress bar on stderr, verifying its sha256.

    Args:
        what: names the file for people ("pose model 'full'").
        advice: what to do when it fails (a manual route that works offline).
        error: the exception type raised, with a message saying what happened plus ``advice``.
        size_bytes: expected size, for the progress bar when the server sends no length.
        deadline_s: overall time limit (default :func:`download_deadline_s` of the size);
            each read also times out after ``_TIMEOUT_S`` without data.
        clock: monotonic seconds (tests inject one).

    Returns ``dest``, which then holds exactly the expected bytes; on any failure nothing
    is left at ``dest`` or beside it.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "formcheck"})
    if deadline_s is None:
        deadline_s = download_deadline_s(size_bytes)
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else size_bytes
            digest = _save_stream(
                response, dest, sha256, total=total, progress=progress, deadline_s=deadline_s, clock=clock
            )
    except (urllib.error.URLError, http.client.HTTPException, ssl.SSLError, ConnectionError, TimeoutError) as e:
        raise error(f"Could not download the {what} from {url}: {_network_reason(e)}. {advice}") from None
    except OSError as e:
        reason = e.strerror or e
        raise error(f"Could not save the {what} to {dest}: {reason}. Check that the folder is writable.") from None
    if digest != sha256:
        raise error(
            f"The {what} downloaded from {url} is not the expected file (sha256 {digest}, expected {sha256}); "
            f"nothing was saved. The download was corrupted or the file at that address changed. {advice}"
        )
    return dest


def copy_verified(
    src: Path, dest: Path, sha256: str, *, what: str, error: type[FormcheckError], progress: bool = True
) -> Path:
    """Copies ``src`` to ``dest`` atomically, checking the copy's sha256 as it is written."""
    try:
        with src.open("rb") as f:
            digest = _save_stream(f, dest, sha256, total=src.stat().st_size, progress=progress)
    except OSError as e:
        raise error(f"Could not copy the {what} from {src} to {dest}: {e.strerror or e}.") from None
    if digest != sha256:
        raise error(f"{src} is not the expected {what} (sha256 {digest}, expected {sha256}); nothing was copied.")
    return dest
