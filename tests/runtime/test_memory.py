"""Freed heap pages pinned by small live blocks go back to the system after a windowed pass."""

from __future__ import annotations

import pytest

from formcheck.runtime.memory import _trim, release_free_memory


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        return int(next(line for line in f if line.startswith("VmRSS:")).split()[1]) / 1024


@pytest.mark.skipif(_trim() is None, reason="not glibc: there is no malloc_trim to call")
def test_freed_blocks_between_kept_ones_are_returned_to_the_system() -> None:
    # A window's temporaries (64 KB: on the heap, below the mmap threshold) with a small array
    # kept after each, as the per-window pieces of a measured recording were.
    temporaries, kept = [], []
    for _ in range(1600):
        temporaries.append(bytearray(64 * 1024))  # zero-filled: resident
        kept.append(bytearray(2048))
    del temporaries  # ~100 MB freed, but the kept blocks pin the heap: still resident
    before = _rss_mb()
    release_free_memory()
    after = _rss_mb()
    assert before - after > 50, (before, after)
    assert all(len(b) == 2048 for b in kept)  # what is still in use is untouched
