"""Give freed heap memory back to the system after a long window-by-window pass.

Measuring a recording window by window allocates and frees the same large temporaries per
window; the small arrays kept between them sit on the heap among the freed blocks, and
glibc's allocator keeps those pages resident. After measuring a 3-hour trace, the process
held ~120 MB it no longer used for 20 MB of kept data (docs/performance.md, "Memory of
rescore / tune / fit"). ``malloc_trim`` returns such whole free pages; on other C
libraries (macOS, Windows, musl) there is nothing to call and this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc
        return None


def release_free_memory() -> None:
    """Return the heap's free pages to the system (glibc ``malloc_trim(0)``; else a no-op)."""
    trim = _trim()
    if trim is not None:
        trim(0)
