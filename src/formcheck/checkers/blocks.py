"""Small time-based building blocks for checkers. All time comes from timestamps."""

from __future__ import annotations

from collections import deque


class Dwell:
    """Tracks how long a condition has been continuously true (seconds, from timestamps)."""

    __slots__ = ("since",)

    def __init__(self) -> None:
        self.since: float | None = None

    def update(self, cond: bool, t: float) -> float:
        """Feed the condition at time t; returns seconds it has held (0 when false)."""
        if not cond:
            self.since = None
            return 0.0
        if self.since is None:
            self.since = t
        return t - self.since

    def held(self, cond: bool, t: float, min_s: float) -> bool:
        """Feed the condition at time t; True once it has held for at least ``min_s``.

        Never True while the condition is false, even for ``min_s = 0`` (a valid setting
        meaning "at once"): comparing :meth:`update`'s 0.0 against 0 would say it held.
        """
        return self.update(cond, t) >= min_s and cond

    def reset(self) -> None:
        self.since = None


class SlopeMeter:
    """Rate of change of a signal (unit/s) as the slope over the last ``window_s`` seconds.

    A window slope is far steadier than a frame-to-frame difference, and costs O(1).
    """

    __slots__ = ("_buf", "window_s")

    def __init__(self, window_s: float = 0.3) -> None:
        self.window_s = window_s
        self._buf: deque[tuple[float, float]] = deque()

    def update(self, t: float, v: float) -> float:
        buf = self._buf
        buf.append((t, v))
        while len(buf) > 2 and t - buf[1][0] >= self.window_s:
            buf.popleft()
        t0, v0 = buf[0]
        return (v - v0) / (t - t0) if t > t0 else 0.0

    def reset(self) -> None:
        self._buf.clear()


class HoldTimer:
    """Longest continuous stretch of a condition, tolerating dips up to ``grace_s``.

    Time between two samples both inside the hold counts (so a short gap with no
    measurable frames inside a hold is bridged; the caller decides how long a gap may be).
    """

    __slots__ = ("grace_s", "last_true", "longest", "start")

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.start: float | None = None
        self.last_true: float | None = None
        self.longest = 0.0

    def update(self, cond: bool, t: float) -> float:
        """Returns the current hold's duration (0 when not holding)."""
        if cond:
            if self.start is None:
                self.start = t
            self.last_true = t
        elif self.start is not None and self.last_true is not None and t - self.last_true > self.grace_s:
            self._close()
        if self.start is None or self.last_true is None:
            return 0.0
        cur = self.last_true - self.start
        self.longest = max(self.longest, cur)
        return cur

    @property
    def holding(self) -> bool:
        return self.start is not None

    def _close(self) -> None:
        if self.start is not None and self.last_true is not None:
            self.longest = max(self.longest, self.last_true - self.start)
        self.start = self.last_true = None


class Hysteresis:
    """A boolean that turns on above ``on`` and off only below ``off`` (``off`` < ``on``)."""

    __slots__ = ("off", "on", "state")

    def __init__(self, on: float, off: float) -> None:
        self.on, self.off, self.state = on, off, False

    def update(self, x: float) -> bool:
        if self.state:
            if x < self.off:
                self.state = False
        elif x > self.on:
            self.state = True
        return self.state


class SlidingMin:
    """Minimum of a signal over the last ``window_s`` seconds (monotonic deque, amortised O(1))."""

    __slots__ = ("_q", "window_s")

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._q: deque[tuple[float, float]] = deque()  # increasing values

    def update(self, t: float, x: float) -> float:
        q = self._q
        while q and q[-1][1] >= x:
            q.pop()
        q.append((t, x))
        while q[0][0] < t - self.window_s:
            q.popleft()
        return q[0][1]

    def reset(self) -> None:
        self._q.clear()


#: A rest level must last this long (s) to count: one glitched frame does not set it.
REST_OUTLIER_S = 0.2


class RestLevel:
    """A signal's rest level: its lowest value over ``window_s``, where a value counts only
    once it has lasted ``outlier_s`` (the minimum of the running maximum over ``outlier_s``:
    one low outlier frame — a landmark glitch — cannot set the rest level)."""

    __slots__ = ("_hi", "_lo")

    def __init__(self, window_s: float, outlier_s: float) -> None:
        self._lo = SlidingMin(window_s)
        self._hi = SlidingMin(outlier_s)  # of −x: a running maximum

    def update(self, t: float, x: float) -> float:
        return self._lo.update(t, -self._hi.update(t, -x))

    def reset(self) -> None:
        self._lo.reset()
        self._hi.reset()
