"""Writing the files a user names as outputs: one set of rules for every writer.

Every file formcheck writes because the user asked for it (``--json``, ``--csv``,
``--trace-out``, ``--video-out``, ``live --record``, profiles saved by ``tune``/``fit``)
goes through this module, so that an output never damages anything the user did not name:

- ``-`` means stdout (where the option allows it: :func:`open_output` with ``allow_stdout``).
- ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N`` and ``/proc/self/fd/N`` are written to that
  file descriptor directly (never reopened, truncated or replaced).
- An existing FIFO or character device is *written through*: opened and written, never
  replaced by a regular file. A socket, block device or other special file is refused.
- A symlink is followed; its final target is what gets written (replaced atomically).
- A folder, a path under a regular file, a missing name: one clear :class:`OutputError`.
- A regular file (or a new one) is replaced atomically: the data goes to a unique temp file
  created exclusively (``mkstemp``) in the target's folder, is flushed and fsync'd, then
  ``os.replace``'d over the target. On any failure (full disk, file-size limit, Ctrl-C) the
  temp file is removed and the old file is left exactly as it was.
- Permissions: a new file gets ``0o666 & ~umask`` (like any program's output); replacing an
  existing regular file keeps that file's permission bits (a report made private stays private).
- An output that is the same file as an input (same inode: also through a symlink or a
  hardlink), or two outputs that are the same file, are refused by :func:`check_outputs`
  before any work starts.

API (all raise :class:`OutputError`, a :class:`~formcheck.errors.FormcheckError` whose
``exit_code`` is 3, with a message naming the option and the path):

- ``check_outputs({"--json": path, ...}, inputs=[...])``: the up-front check, in the CLI, before
  any work. ``None`` values are skipped; ``"-"`` is stdout.
- ``write_text(path, text, what="--json")`` / ``write_bytes(path, data, what=...)``: the whole file.
- ``with open_output(path, "w"|"wb", what=...) as f:`` a file object for streamed writes.
- ``PendingOutput(path, what=..., suffix=".mp4")`` for writers that need a *file name* (OpenCV's
  VideoWriter, ``np.savez``): write to ``.tmp_path``, then ``.commit()`` (atomic replace, or copy
  into a FIFO/device) or ``.discard()`` (temp removed, target untouched). Also a context manager:
  commit on success, discard on an exception.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from formcheck.errors import FormcheckError

__all__ = [
    "OUTPUT_EXIT_CODE",
    "OutputError",
    "PendingOutput",
    "check_output",
    "check_outputs",
    "is_stdout",
    "new_file_mode",
    "open_output",
    "write_bytes",
    "write_text",
]

#: Exit code of a run in which an output could not be written (docs/reliability.md).
OUTPUT_EXIT_CODE = 3

_FD_ALIASES = {"/dev/stdout": 1, "/dev/stderr": 2}
_FD_PATH_RE = re.compile(r"^/(?:dev/fd|proc/self/fd|proc/(\d+)/fd)/(\d+)$")


class OutputError(FormcheckError):
    """An output file cannot or may not be written; the old file (if any) is intact."""

    exit_code = OUTPUT_EXIT_CODE


def new_file_mode() -> int:
    """Permission bits of a new file under the current umask (``0o666 & ~umask``)."""
    umask = _current_umask()
    return 0o666 & ~umask


def _current_umask() -> int:
    try:  # Linux: read it without changing it (os.umask is a set, racy between threads)
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def _describe(what: str, path: Path | str) -> str:
    return f"Cannot write {what} {path}" if what else f"Cannot write {path}"


def _os_problem(e: OSError) -> str:
    if e.errno == errno.EFBIG:
        return "the file size limit was reached"
    if e.errno == errno.ENOSPC:
        return "the disk is full"
    if e.errno == errno.EDQUOT:
        return "the disk quota is exceeded"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.EROFS:
        return "the file system is read-only"
    return (e.strerror or str(e)).lower()


def _fd_of(path: str) -> int | None:
    """The file descriptor a path names directly (``/dev/stdout``, ``/dev/fd/3``), if any."""
    if path in _FD_ALIASES:
        return _FD_ALIASES[path]
    m = _FD_PATH_RE.match(path)
    if m and (m.group(1) is None or int(m.group(1)) == os.getpid()):
        return int(m.group(2))
    return None


@dataclass(frozen=True, slots=True)
class _Target:
    """Where an output path really goes."""

    kind: str  # "stdout" | "fd" | "stream" (FIFO/char device) | "file" (regular, new or existing)
    path: Path  # the path to write (a symlink's final target for "file")
    fd: int | None = None
    mode: int | None = None  # permission bits of the existing regular file


def _resolve(path: str | os.PathLike[str], what: str, allow_stdout: bool = True) -> _Target:
    text = os.fspath(path)
    if text == "-":
        if not allow_stdout:
            raise OutputError(f"{what} cannot be '-' (stdout): name a file.")
        return _Target("stdout", Path("-"), fd=1)
    if not text:
        raise OutputError(f"{what} is an empty path: name a file.")
    fd = _fd_of(text)
    if fd is not None:
        try:
            os.fstat(fd)
        except OSError:
            raise OutputError(f"{_describe(what, text)}: file descriptor {fd} is not open.") from None
        return _Target("fd", Path(text), fd=fd)
    p = Path(text)
    head = _describe(what, p)
    try:
        st = os.stat(p)  # follows symlinks
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise OutputError(f"{head}: a part of the path before the name is a file, not a folder.") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise OutputError(f"{head}: the symlink points in a loop.") from None
        raise OutputError(f"{head}: {_os_problem(e)}.") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(f"{head}: it is a folder; name a file inside it.")
        if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
            return _Target("stream", p)
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(f"{head}: it is a special file (socket or block device); not written.")
        real = Path(os.path.realpath(p))
        return _Target("file", real, mode=stat.S_IMODE(st.st_mode) & 0o777)
    # A new file: a dangling symlink is followed to where it points.
    real = Path(os.path.realpath(p)) if p.is_symlink() else p
    parent = real.parent
    for folder in (parent, *parent.parents):
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                raise OutputError(f"{head}: {folder} is a file, not a folder.")
            break
    return _Target("file", real)


def is_stdout(path: str | os.PathLike[str] | None) -> bool:
    """Whether an output path names this process's stdout (``-``, ``/dev/stdout``, ``/dev/fd/1``)."""
    return path is not None and (os.fspath(path) == "-" or _fd_of(os.fspath(path)) == 1)


def check_output(path: str | os.PathLike[str] | None, what: str = "", *, allow_stdout: bool = True) -> None:
    """Raise OutputError now if ``path`` can be seen not to be writable as an output
    (a folder, under a file, a socket, an unwritable folder), before any work is done."""
    if path is None:
        return
    target = _resolve(path, what, allow_stdout)
    if target.kind != "file":
        return
    folder = _existing_folder(target.path.parent)
    if folder is not None and not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{_describe(what, path)}: the folder {folder} is not writable.")


def _existing_folder(folder: Path) -> Path | None:
    for f in (folder, *folder.parents):
        if f.is_dir():
            return f
    return None


def check_outputs(
    outputs: Mapping[str, str | os.PathLike[str] | None],
    inputs: Iterable[str | os.PathLike[str]] = (),
    *,
    allow_stdout: Iterable[str] = ("--json", "--csv"),
) -> None:
    """The up-front check of a command's outputs (``{option: path}``), before any work.

    Refuses an output that is the same file as an input (same inode, so also through a
    symlink or hardlink), two outputs that are the same file, and anything
    :func:`check_output` refuses. ``allow_stdout`` names the options for which ``-`` is stdout.
    """
    stdout_ok = set(allow_stdout)
    in_ids: dict[tuple[int, int], str] = {}
    for src in inputs:
        ident = _file_id(src)
        if ident is not None:
            in_ids.setdefault(ident, os.fspath(src))
    seen: dict[tuple[int, int] | str, str] = {}
    for what, path in outputs.items():
        if path is None:
            continue
        check_output(path, what, allow_stdout=what in stdout_ok)
        text = os.fspath(path)
        if text == "-" or _fd_of(text) is not None:
            continue
        ident = _file_id(path)
        if ident is not None and ident in in_ids:
            raise OutputError(
                f"{_describe(what, text)}: it is the input {in_ids[ident]}; writing there would destroy it. "
                "Name another file."
            )
        key: tuple[int, int] | str = ident if ident is not None else os.path.realpath(text)
        if key in seen:
            raise OutputError(f"{what} and {seen[key]} name the same file {text}: give each its own file.")
        if ident is None or not _is_stream(path):
            seen[key] = what


def _file_id(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _is_stream(path: str | os.PathLike[str]) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


# ------------------------------------------------------------------------------ writing


def _fd_file(fd: int, binary: bool) -> IO[Any]:
    """A file object on a dup of ``fd`` (closing it leaves ``fd`` open)."""
    if fd in (1, 2) and not binary:
        stream = sys.stdout if fd == 1 else sys.stderr
        stream.flush()
    return os.fdopen(os.dup(fd), "wb" if binary else "w", encoding=None if binary else "utf-8")


@contextmanager
def open_output(
    path: str | os.PathLike[str], mode: str = "w", *, what: str = "", allow_stdout: bool = True
) -> Iterator[IO[Any]]:
    """A file object writing the output ``path`` by the module's rules (text ``"w"`` or
    binary ``"wb"``). A regular file is replaced only if the ``with`` block ends normally."""
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    binary = mode == "wb"
    target = _resolve(path, what, allow_stdout)
    head = _describe(what, path)
    if target.kind == "stdout" and not binary:
        yield sys.stdout
        sys.stdout.flush()
        return
    if target.kind in ("stdout", "fd"):
        assert target.fd is not None
        try:
            f = _fd_file(target.fd, binary)
        except OSError as e:
            raise OutputError(f"{head}: {_os_problem(e)}.") from None
        with _reword(head), f:
            yield f
        return
    if target.kind == "stream":
        try:
            f = open(target.path, mode, **({} if binary else {"encoding": "utf-8", "newline": ""}))  # noqa: SIM115
        except OSError as e:
            raise OutputError(f"{head}: {_os_problem(e)}.") from None
        with _reword(head), f:
            yield f
        return
    pending = PendingOutput(path, what=what, _target=target)
    try:
        text_args: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": ""}
        with _reword(head + " (the old file was left as it was)"), os.fdopen(pending.take_fd(), mode, **text_args) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        pending.discard()
        raise
    pending.commit()


@contextmanager
def _reword(head: str) -> Iterator[None]:
    """OSError while writing → OutputError saying what and why (no traceback)."""
    try:
        yield
    except OutputError:
        raise
    except BrokenPipeError:
        raise
    except OSError as e:
        raise OutputError(f"{head}: {_os_problem(e)}.") from None


def write_text(path: str | os.PathLike[str], text: str, *, what: str = "", allow_stdout: bool = True) -> None:
    """Write a whole text output (UTF-8, newlines as given)."""
    with open_output(path, "w", what=what, allow_stdout=allow_stdout) as f:
        f.write(text)


def write_bytes(path: str | os.PathLike[str], data: bytes, *, what: str = "", allow_stdout: bool = True) -> None:
    """Write a whole binary output."""
    with open_output(path, "wb", what=what, allow_stdout=allow_stdout) as f:
        f.write(data)


class PendingOutput:
    """A temp file in the output's folder, for writers that need a file name.

    ``tmp_path`` is created exclusively (``mkstemp``, a unique name ``.<name>.XXXX.tmp<suffix>``;
    ``suffix`` keeps an extension a writer picks its format by). :meth:`commit` fsyncs it and
    replaces the target atomically (a FIFO/character device/``/dev/stdout`` target gets the
    bytes copied into it instead); :meth:`discard` removes it and leaves the target alone.
    Used as a context manager it commits on success and discards on an exception.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        what: str = "",
        suffix: str = "",
        _target: _Target | None = None,
    ) -> None:
        self.path = Path(os.fspath(path))
        self.what = what
        self._target = _target if _target is not None else _resolve(path, what, allow_stdout=False)
        self._head = _describe(what, path)
        folder = self._target.path.parent if self._target.kind == "file" else None
        try:
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(
                dir=folder, prefix=f".{self._target.path.name}." if folder is not None else ".formcheck-out.",
                suffix=".tmp" + suffix,
            )  # fmt: skip
        except OSError as e:
            raise OutputError(f"{self._head}: {_os_problem(e)}.") from None
        self._fd: int | None = fd
        self.tmp_path = Path(name)
        self.done = False

    def take_fd(self) -> int:
        """The temp file's open descriptor (the caller owns and closes it); once only."""
        fd, self._fd = self._fd, None
        if fd is None:
            raise RuntimeError("take_fd() was already called")
        return fd

    def release_fd(self) -> None:
        """Close the temp file's descriptor (for writers that open ``tmp_path`` by name)."""
        self._close_fd()

    def _close_fd(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def commit(self) -> Path:
        """Put the written temp file in place; returns the path written. On failure the
        temp file is removed, the old file is intact and OutputError says why."""
        if self.done:
            return self.path
        self._close_fd()
        target = self._target
        try:
            if target.kind == "file":
                with open(self.tmp_path, "rb+") as f:
                    os.fsync(f.fileno())
                os.chmod(self.tmp_path, target.mode if target.mode is not None else new_file_mode())
                os.replace(self.tmp_path, target.path)
                _fsync_folder(target.path.parent)
            else:
                with open(self.tmp_path, "rb") as src:
                    if target.fd is not None:
                        if target.fd in (1, 2):
                            (sys.stdout if target.fd == 1 else sys.stderr).flush()
                        with os.fdopen(os.dup(target.fd), "wb") as dst:
                            shutil.copyfileobj(src, dst)
                    else:
                        with open(target.path, "wb") as dst:
                            shutil.copyfileobj(src, dst)
                self.tmp_path.unlink(missing_ok=True)
        except OSError as e:
            self.tmp_path.unlink(missing_ok=True)
            self.done = True
            keep = " (the old file was left as it was)" if target.kind == "file" else ""
            raise OutputError(f"{self._head}{keep}: {_os_problem(e)}.") from None
        self.done = True
        return self.path

    def discard(self) -> None:
        """Remove the temp file; the target is untouched."""
        self._close_fd()
        self.tmp_path.unlink(missing_ok=True)
        self.done = True

    def __enter__(self) -> PendingOutput:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: some file systems refuse to open folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
