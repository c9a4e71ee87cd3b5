"""One Euro smoothing of a whole trace, fast, with results bit-identical to the live path.

The One Euro filter is a recursion in time, so a trace cannot be smoothed by one vectorized
expression; stepping it frame by frame costs ~20 numpy calls a frame whatever the number of
landmarks (30 µs: 1.6 s for a 30-minute session). But the filter *forgets*: its state
contracts by at least ``1 − a`` per frame (a ≈ 0.17 at 1 Hz and 30 fps), so after a few
hundred frames two runs started from different states hold bit-for-bit the same numbers.

:func:`smooth_flat` therefore cuts the trace into C chunks and steps them side by side, as
one (C, E) array, each chunk starting ``warmup`` frames early from a fresh state. After the
run it *checks* that every chunk's warmed-up state equals, bit for bit, the state the chunk
before it ended with on the same frame; the state (last output, smoothed derivative)
determines everything after it, so the chunk's outputs are then exactly those of the
sequential filter. A chunk that fails the check (rare: a slow cutoff, a long warm-up) is
recomputed from the true state. The arithmetic of a step is that of
:func:`formcheck.smoothing.one_euro.one_euro_step` operation by operation (IEEE results do not depend
on the array's shape), so ``LandmarkSmoother`` fed frame by frame, as live does, and this
batch path give identical numbers; ``tests/programs/test_rescoring.py`` and ``tests/test_analysis.py``
hold them to it.

Restarts follow :class:`formcheck.smoothing.one_euro.LandmarkSmoother`: a frame with an identity
jump starts the filter afresh, a frame without a person passes through unchanged and the
next frame starts afresh; a landmark that is NaN passes NaN and restarts on its next
finite value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from formcheck.pose.landmarks import N_LANDMARKS
from formcheck.smoothing.one_euro import _TWO_PI, SmoothingConfig, one_euro_step

#: Seconds of warm-up before a chunk's first output frame (the filter's memory at a 1 Hz
#: minimum cutoff has decayed far below one ulp by then; it scales with 1 / min_cutoff).
WARMUP_S_AT_1HZ = 12.0
#: Smallest chunk worth running side by side (shorter traces run as one chunk).
MIN_CHUNK = 256
#: Most chunks stepped side by side (beyond this the arrays outgrow the CPU caches).
MAX_CHUNKS = 96
#: Frames between checkpoints at which a re-run element may rejoin its chunk's trajectory.
CHECK_EVERY = 16


@dataclass(slots=True)
class FlatCarry:
    """The filter's state after a window's last frame, to go on with the next window exactly
    as if the two were one run (what :class:`LandmarkSmoother` keeps between frames).

    Attributes:
        t_s: time of the last frame (seconds).
        person: whether the last frame had a person (a frame after one without starts afresh).
        out: (E,) float64 last outputs (NaN where the element was NaN).
        dx: (E,) float64 smoothed derivatives after the last frame.
    """

    t_s: float
    person: bool
    out: np.ndarray
    dx: np.ndarray


def _params(config: SmoothingConfig, n_img: int, n_world: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    def per(attr: str) -> np.ndarray:
        image, world = getattr(config.image, attr), getattr(config.world, attr)
        return np.concatenate([np.full(n_img, image), np.full(n_world, world)])

    return per("min_cutoff_hz"), per("beta"), per("d_cutoff_hz")


def smooth_landmarks(
    t_s: np.ndarray,
    image_xy: np.ndarray,
    world_xyz: np.ndarray,
    has_person: np.ndarray,
    identity_jump: np.ndarray,
    config: SmoothingConfig = SmoothingConfig(),
    landmarks: Sequence[int] | np.ndarray | None = None,
    *,
    chunk: int | None = None,
    warmup: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed (T, 33, 2) image and (T, 33, 3) world float64 landmarks of a whole trace.

    Identical to feeding ``LandmarkSmoother`` one frame at a time for the landmarks in
    ``landmarks`` (default: all 33); the others are returned unsmoothed, which saves time
    when only the measures' landmarks matter.
    ``chunk``/``warmup`` (frames) override the automatic chunking (tests).
    """
    img, world, _carry = smooth_landmarks_window(
        t_s, image_xy, world_xyz, has_person, identity_jump, config, landmarks, None, chunk=chunk, warmup=warmup
    )
    return img, world


def smooth_landmarks_window(
    t_s: np.ndarray,
    image_xy: np.ndarray,
    world_xyz: np.ndarray,
    has_person: np.ndarray,
    identity_jump: np.ndarray,
    config: SmoothingConfig = SmoothingConfig(),
    landmarks: Sequence[int] | np.ndarray | None = None,
    carry: FlatCarry | None = None,
    *,
    chunk: int | None = None,
    warmup: int | None = None,
) -> tuple[np.ndarray, np.ndarray, FlatCarry | None]:
    """:func:`smooth_landmarks` of one window of a longer trace, going on from ``carry``
    (the state the previous window ended with; None: the trace starts here). Returns the
    window's smoothed landmarks and the state to go on with: windows smoothed one after
    another give, bit for bit, what smoothing the whole trace at once gives. The carry is
    None when smoothing is off (there is no state)."""
    n = int(t_s.shape[0])
    lms = np.arange(N_LANDMARKS) if landmarks is None else np.unique(np.asarray(landmarks, dtype=np.intp))
    everything = lms.size == N_LANDMARKS
    if not config.enabled or lms.size == 0:
        return np.asarray(image_xy, dtype=np.float64), np.asarray(world_xyz, dtype=np.float64), None
    if n == 0:
        return np.asarray(image_xy, dtype=np.float64), np.asarray(world_xyz, dtype=np.float64), carry
    k = lms.size
    # Flat column indices: fancy indexing one axis of a 2-D array is many times faster
    # than indexing the landmark axis of a 3-D one.
    cols_img = (lms[:, None] * 2 + np.arange(2)).ravel()
    cols_world = (lms[:, None] * 3 + np.arange(3)).ravel()
    flat_img = np.reshape(image_xy, (n, N_LANDMARKS * 2))
    flat_world = np.reshape(world_xyz, (n, N_LANDMARKS * 3))
    x = np.empty((n, 5 * k))
    x[:, : 2 * k] = flat_img if everything else flat_img[:, cols_img]
    x[:, 2 * k :] = flat_world if everything else flat_world[:, cols_world]
    out, carry = smooth_flat_window(
        np.asarray(t_s, dtype=np.float64), x, has_person, identity_jump, *_params(config, 2 * k, 3 * k),
        carry=carry, chunk=chunk, warmup=warmup,
    )  # fmt: skip
    if everything:
        return out[:, : 2 * k].reshape(n, k, 2), out[:, 2 * k :].reshape(n, k, 3), carry
    img = flat_img.astype(np.float64)
    world = flat_world.astype(np.float64)
    img[:, cols_img] = out[:, : 2 * k]
    world[:, cols_world] = out[:, 2 * k :]
    return img.reshape(n, N_LANDMARKS, 2), world.reshape(n, N_LANDMARKS, 3), carry


def smooth_flat(
    t_s: np.ndarray,
    x: np.ndarray,
    has_person: np.ndarray,
    identity_jump: np.ndarray,
    min_cutoff: np.ndarray,
    beta: np.ndarray,
    d_cutoff: np.ndarray,
    *,
    chunk: int | None = None,
    warmup: int | None = None,
) -> np.ndarray:
    """One Euro over (T, E) values ``x`` with per-element parameters (E,) → (T, E) float64."""
    return smooth_flat_window(
        t_s, x, has_person, identity_jump, min_cutoff, beta, d_cutoff, chunk=chunk, warmup=warmup
    )[0]


def smooth_flat_window(
    t_s: np.ndarray,
    x: np.ndarray,
    has_person: np.ndarray,
    identity_jump: np.ndarray,
    min_cutoff: np.ndarray,
    beta: np.ndarray,
    d_cutoff: np.ndarray,
    *,
    carry: FlatCarry | None = None,
    chunk: int | None = None,
    warmup: int | None = None,
) -> tuple[np.ndarray, FlatCarry]:
    """:func:`smooth_flat` of one window, going on from ``carry`` (None: a fresh start);
    returns the (T, E) outputs and the state after the window's last frame (T ≥ 1)."""
    n, e = x.shape
    person = np.asarray(has_person, dtype=bool)
    times = np.asarray(t_s, dtype=np.float64)
    dt = np.ones(n)
    dt[1:] = times[1:] - times[:-1]
    # A frame starts the filter afresh after a reset (identity jump, no person here or in
    # the frame before), at the start, and when time does not advance (as _OneEuroCore.step).
    fresh = np.asarray(identity_jump, dtype=bool) | ~person
    fresh[1:] |= ~person[:-1] | ~(dt[1:] > 0)
    if carry is None:
        fresh[0] = True
    else:  # the window's first frame goes on from the previous window's last, as any other frame
        dt[0] = times[0] - carry.t_s
        fresh[0] |= not carry.person or not dt[0] > 0
    dt[fresh] = 1.0  # unused there; keeps divisions quiet
    d = np.asarray(d_cutoff, dtype=np.float64)
    # As _OneEuroCore: a_d = 1 / (1 + 1 / ((2π · d) · dt)), one per frame (or per frame and element).
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if np.all(d == d[0]):
            a_d = (1.0 / (1.0 + 1.0 / ((_TWO_PI * float(d[0])) * dt)))[:, None]
        else:
            a_d = 1.0 / (1.0 + 1.0 / np.multiply.outer(dt, _TWO_PI * d))
    one_minus_a_d = 1.0 - a_d
    nan_x = np.isnan(x).any(axis=1)
    nan_step = nan_x.copy()
    nan_step[1:] |= nan_x[:-1]  # a NaN output (= NaN input) is the next frame's prev
    if carry is not None:
        nan_step[0] = True  # the carried outputs may hold NaN
    f = _Frames(x, dt, fresh, a_d, one_minus_a_d, nan_step)

    mc = np.ascontiguousarray(min_cutoff, dtype=np.float64)
    b = np.ascontiguousarray(beta, dtype=np.float64)
    if warmup is None:
        fps = 1.0 / float(np.median(dt[~fresh])) if (~fresh).any() else 30.0
        warmup = int(np.ceil(WARMUP_S_AT_1HZ * fps / max(float(mc.min()), 1e-3)))
    if chunk is None:
        chunk = max(MIN_CHUNK, 4 * warmup, -(-n // MAX_CHUNKS))
    c = max(1, -(-n // chunk))
    if c == 1:
        chunk, warmup = n, 0
    else:
        chunk = -(-n // c)  # the same number of chunks, as little padding as possible
    w = int(warmup)
    starts = np.arange(c) * chunk
    out = np.empty((c, chunk, e))
    init_out = np.empty((c, e))  # state each chunk's first output frame was computed from
    init_dx = np.empty((c, e))
    final_dx = np.empty((c, e))  # derivative state after each chunk's last frame
    dx_ck = np.empty((-(-chunk // CHECK_EVERY), c, e))  # derivative state at checkpoints
    _run_chunks(f, starts, w, chunk, mc, b, out, init_out, init_dx, final_dx, dx_ck, carry)
    res = out.reshape(c * chunk, e)[:n]

    # Exact iff every chunk started from the state its predecessor ended with, bit for bit.
    # Lanes (chunk, element) that did not are recomputed from the true state until they
    # meet the chunk's own trajectory again (same state at a checkpoint); that may change
    # the chunk's final state, hence the loop (each round makes at least one more chunk exact).
    linked = np.array([s < n and not fresh[s] for s in starts])
    linked[0] = False
    for _round in range(c):
        bad_c, bad_e = [], []
        for ci in np.flatnonzero(linked):
            s = starts[ci]
            diff = (init_out[ci].view(np.int64) != res[s - 1].view(np.int64)) | (
                init_dx[ci].view(np.int64) != final_dx[ci - 1].view(np.int64)
            )
            if diff.any():
                el = np.flatnonzero(diff)
                bad_c.append(np.full(el.size, ci))
                bad_e.append(el)
        if not bad_c:
            break
        lc, le = np.concatenate(bad_c), np.concatenate(bad_e)
        p_out, p_dx = res[starts[lc] - 1, le], final_dx[lc - 1, le]
        init_out[lc, le], init_dx[lc, le] = p_out, p_dx
        _run_lanes(f, starts, lc, le, chunk, mc[le], b[le], p_out, p_dx, res, dx_ck, final_dx)
    # final_dx of the last chunk is the state after the trace's last frame (_run_chunks, _run_lanes).
    return res, FlatCarry(float(times[-1]), bool(person[-1]), res[-1].copy(), final_dx[c - 1].copy())


class _Frames:
    """Per-frame inputs of the filter, shared by the chunked and the per-lane runs."""

    __slots__ = ("a_d", "dt", "fresh", "nan_step", "one_minus_a_d", "x")

    def __init__(self, x, dt, fresh, a_d, one_minus_a_d, nan_step) -> None:
        self.x, self.dt, self.fresh = x, dt, fresh
        self.a_d, self.one_minus_a_d, self.nan_step = a_d, one_minus_a_d, nan_step


def _restarts(o, xj, prev, dxn, nanmask, fresh) -> None:
    """NaN handling of ``_OneEuroCore.step`` per element (elements restarting after a NaN
    take the new value, NaN derivatives become 0), then frames that start afresh."""
    np.isnan(prev, nanmask)
    np.copyto(o, xj, where=nanmask)
    np.isnan(dxn, nanmask)
    np.copyto(dxn, 0.0, where=nanmask)
    if fresh is not None:
        np.copyto(o, xj, where=fresh)
        np.copyto(dxn, 0.0, where=fresh)


def _run_chunks(
    f: _Frames,
    starts: np.ndarray,
    w: int,
    chunk: int,
    min_cutoff: np.ndarray,
    beta: np.ndarray,
    out: np.ndarray,
    init_out: np.ndarray,
    init_dx: np.ndarray,
    final_dx: np.ndarray,
    dx_ck: np.ndarray,
    carry: FlatCarry | None = None,
) -> None:
    """Step C chunks side by side as (C, E) arrays, each from a fresh state ``w`` frames
    before its start; the first chunk from ``carry`` when given (exact by construction).
    Outputs go to ``out`` (C, chunk, E); the derivative state every :data:`CHECK_EVERY`
    frames to ``dx_ck``; ``final_dx`` gets each chunk's state after its last frame (for the
    last chunk, after the trace's last frame, not after the padding that follows it)."""
    n, e = f.x.shape
    c = starts.size
    frame = starts[None, :] - w + np.arange(w + chunk)[:, None]  # (J, C)
    pad = (frame < 0) | (frame >= n)
    frame = np.clip(frame, 0, n - 1)
    fresh = f.fresh[frame] | pad
    fresh[0] = True
    if carry is not None:
        fresh[w, 0] = f.fresh[0]  # the first chunk's first frame goes on from the carried state
    fresh_any = fresh.any(axis=1).tolist()
    nan_any = f.nan_step[frame].any(axis=1).tolist()
    fresh_col = fresh[:, :, None]
    xj, b1, b2, dxn = (np.empty((c, e)) for _ in range(4))
    dx = np.zeros((c, e))
    nanmask = np.empty((c, e), dtype=bool)
    warm = np.zeros((2, c, e))
    prev = warm[1]
    a_d, omad, dt = f.a_d, f.one_minus_a_d, f.dt
    k = CHECK_EVERY
    j_last = w + (n - 1 - int(starts[-1]))  # step of the trace's last frame in the last chunk
    last_dx = np.zeros(e)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j in range(w + chunk):
            if j == w and carry is not None:
                prev[0] = carry.out  # (a warm-up buffer: the first chunk's warm-up was padding)
                dx[0] = carry.dx
            fr = frame[j]
            np.take(f.x, fr, axis=0, out=xj)
            o = out[:, j - w] if j >= w else warm[j % 2]
            one_euro_step(xj, prev, dx, dxn, dt[fr][:, None], a_d[fr], omad[fr], min_cutoff, beta, o, b1, b2)
            if nan_any[j] or fresh_any[j]:
                _restarts(o, xj, prev, dxn, nanmask, fresh_col[j] if fresh_any[j] else None)
            prev = o
            dx, dxn = dxn, dx
            if j == w - 1:
                init_out[...] = o
                init_dx[...] = dx
            elif j >= w and (j - w) % k == k - 1:
                dx_ck[(j - w) // k] = dx
            if j == j_last:
                last_dx[...] = dx[-1]
    if w == 0:
        init_out[...] = np.nan  # every chunk starts afresh (only one chunk)
        init_dx[...] = 0.0
    final_dx[...] = dx
    final_dx[-1] = last_dx


def _run_lanes(
    f: _Frames,
    starts: np.ndarray,
    chunk_of: np.ndarray,
    elem: np.ndarray,
    chunk: int,
    min_cutoff: np.ndarray,
    beta: np.ndarray,
    init_out: np.ndarray,
    init_dx: np.ndarray,
    res: np.ndarray,
    dx_ck: np.ndarray,
    final_dx: np.ndarray,
) -> None:
    """Re-run single elements (lanes) of chunks from given states: lane r is element
    ``elem[r]`` of chunk ``chunk_of[r]``. Each lane overwrites the chunk's trajectory
    (``res``, ``dx_ck``) until, at a checkpoint, its state equals the trajectory's: from
    there on they are the same. A lane that never meets it sets the chunk's ``final_dx``."""
    n = f.x.shape[0]
    first = starts[chunk_of]
    lane_c, lane_e = chunk_of.copy(), elem.copy()
    mc, b = min_cutoff.copy(), beta.copy()
    prev, dx = init_out.copy(), init_dx.copy()
    per_elem_ad = f.a_d.shape[1] > 1
    k = CHECK_EVERY
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j in range(chunk):
            r = first.size
            if r == 0:
                return
            fr = first + j
            ended = fr >= n
            if ended.any():  # the trace ends inside this (last) chunk
                final_dx[lane_c[ended], lane_e[ended]] = dx[ended]
                keep = ~ended
                first, lane_c, lane_e, mc, b, prev, dx, fr = (
                    a[keep] for a in (first, lane_c, lane_e, mc, b, prev, dx, fr)
                )  # fmt: skip
                if first.size == 0:
                    return
            xj = f.x[fr, lane_e]
            adj = f.a_d[fr, lane_e] if per_elem_ad else f.a_d[fr, 0]
            omadj = f.one_minus_a_d[fr, lane_e] if per_elem_ad else f.one_minus_a_d[fr, 0]
            o, b1, b2, dxn = (np.empty(fr.size) for _ in range(4))
            one_euro_step(xj, prev, dx, dxn, f.dt[fr], adj, omadj, mc, b, o, b1, b2)
            fresh = f.fresh[fr] if j else np.zeros(fr.size, dtype=bool)  # lanes continue from their state
            if f.nan_step[fr].any() or fresh.any():
                _restarts(o, xj, prev, dxn, np.empty(fr.size, dtype=bool), fresh if fresh.any() else None)
            prev, dx = o, dxn
            if j % k == k - 1 or j == chunk - 1:
                same = res[fr, lane_e].view(np.int64) == o.view(np.int64)
                if j % k == k - 1:
                    ck = dx_ck[j // k, lane_c, lane_e]
                    same &= ck.view(np.int64) == dx.view(np.int64)
                    dx_ck[j // k, lane_c[~same], lane_e[~same]] = dx[~same]
                else:
                    same[:] = False
                res[fr, lane_e] = o
                if j == chunk - 1:
                    final_dx[lane_c, lane_e] = dx
                    return
                if same.any():
                    keep = ~same
                    first, lane_c, lane_e, mc, b, prev, dx = (a[keep] for a in (first, lane_c, lane_e, mc, b, prev, dx))
            else:
                res[fr, lane_e] = o
