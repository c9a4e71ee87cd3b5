"""Full-window cards between the sets of a routine: what comes next, the rest countdown,
the summary. Drawn on a plain background in the live window's size; they decide nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from formcheck.sinks.overlay import (
    _AA,
    GREEN,
    GREY,
    LIGHT,
    RED,
    TRACK,
    WHITE,
    YELLOW,
    Color,
    _fit,
    _font,
    _put,
    _text_w,
)

__all__ = ["Card", "draw_card"]

_BG: Color = (38, 32, 28)


@dataclass(frozen=True, slots=True)
class Card:
    """What a card shows.

    Attributes:
        heading: the big line at the top ("Rest", "Next: Wall squat", "Routine done").
        lines: body text, one entry per paragraph (wrapped to fit).
        countdown_s: whole seconds left, drawn big in a ring (None: no countdown).
        total_s: the countdown's full length (for the ring).
        progress: (steps done, steps in all) for the progress bar at the bottom.
        keys: the keys legend at the very bottom.
        alert: draw the heading in red (a pain stop).
    """

    heading: str
    lines: Sequence[str] = ()
    countdown_s: int | None = None
    total_s: float | None = None
    progress: tuple[int, int] | None = None
    keys: str = ""
    alert: bool = False


def draw_card(card: Card, size: tuple[int, int]) -> np.ndarray:
    """The card as a (H, W, 3) BGR image of ``size`` = (width, height)."""
    w, h = size
    img = np.empty((h, w, 3), np.uint8)
    img[:] = _BG
    u = min(w, h)
    m = max(8, round(0.05 * u))
    max_w = w - 2 * m
    y = m
    lines, f = _fit(card.heading, _font(0.075 * u, 0.1), max_w)
    for line in lines:
        y += f.cap + round(0.4 * f.cap)
        _put(img, line, m, y, f, RED if card.alert else YELLOW)
    y += round(0.04 * u)
    right = w - m
    if card.countdown_s is not None:  # the ring sits on the right; text keeps to its left
        r = round(0.16 * u)
        cx, cy = w - m - r, y + r
        t = max(2, round(0.03 * u))
        cv2.circle(img, (cx, cy), r, TRACK, t, _AA)
        if card.total_s:
            frac = max(0.0, min(1.0, card.countdown_s / card.total_s))
            cv2.ellipse(img, (cx, cy), (r, r), -90, 0, 360 * frac, GREEN, t, _AA)
        num = str(card.countdown_s)
        nf = _font(0.13 * u, 0.11)
        _put(img, num, cx - _text_w(num, nf.scale, nf.thick) // 2, cy + nf.cap // 2, nf, WHITE)
        right = cx - r - m
    body = _font(0.04 * u, 0.09)
    for para in card.lines:
        rows, bf = _fit(para, body, right - m, 3)
        for row in rows:
            y += bf.cap + round(0.55 * bf.cap)
            _put(img, row, m, y, bf, LIGHT)
        y += round(0.35 * bf.cap)
    bottom = h - m
    if card.keys:
        kf = _font(0.028 * u, 0.09)
        (kline,), kf = _fit(card.keys, kf, max_w, 1)
        _put(img, kline, m, bottom, kf, WHITE)
        bottom -= kf.cap + round(0.03 * u)
    if card.progress is not None:
        done, total = card.progress
        bar_h = max(6, round(0.025 * u))
        cv2.rectangle(img, (m, bottom - bar_h), (w - m, bottom), TRACK, -1)
        if total and done > 0:
            x1 = m + round((w - 2 * m) * done / total)
            cv2.rectangle(img, (m, bottom - bar_h), (x1, bottom), GREEN, -1)
        pf = _font(0.028 * u, 0.09)
        _put(img, f"{done} of {total} exercises done", m, bottom - bar_h - round(0.6 * pf.cap), pf, GREY)
    return img
