"""The overlay a person sees while exercising: skeleton, rep counter, hold countdown, cue.

The person may be lying on the floor 2-3 m from a laptop, so everything that matters is
large, high-contrast and always in the same place: the counter top-right, the hold ring
under it, the current cue in a band along the bottom (amber when formcheck cannot measure
them, with what to fix). Drawing decides nothing: it renders a :class:`CheckerState` and
a smoothed :class:`PoseFrame` exactly as the checker reported them.

Speed: the overlay must cost well under the pose model (< 1.5 ms at 720p), so sizes and
layouts are computed once per frame size, text measurements and line wrapping are cached
per string, and only small regions (panels, bands) are darkened, in place; the full frame
is never copied or blended.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import cv2
import numpy as np

from formcheck.checkers.events import CheckerState, RepResult
from formcheck.measures.body import MIN_VISIBILITY, landmark_usable
from formcheck.pose.frame import PoseFrame
from formcheck.pose.landmarks import SKELETON_EDGES

if TYPE_CHECKING:
    from formcheck.exercises.config import ExerciseConfig

__all__ = ["Annotator", "OverlayInfo"]

Color = tuple[int, int, int]

# BGR colours, chosen for contrast on video and on the dark panels.
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
GREY: Color = (165, 165, 165)
LIGHT: Color = (215, 215, 215)
DARK: Color = (40, 40, 40)
TRACK: Color = (90, 90, 90)
YELLOW: Color = (40, 230, 255)
GREEN: Color = (90, 210, 60)
AMBER: Color = (0, 170, 255)
RED: Color = (60, 60, 225)
BONE: Color = (250, 235, 200)  # pale blue-white: visible on skin, clothes and floors
JOINT_OK: Color = GREEN
JOINT_BAD: Color = (40, 110, 255)  # orange-red: "this part of you is not seen well"

_FONT = cv2.FONT_HERSHEY_DUPLEX
_AA = cv2.LINE_AA
_CAP_H = cv2.getTextSize("H", _FONT, 1.0, 1)[0][1]  # cap height (px) at scale 1
_SHIFT = 4  # sub-pixel bits for lines and circles: smooth anti-aliased skeleton
_ONE = 1 << _SHIFT

_RESULT_SHOW_S = 3.0  # the last rep's verdict stays on screen this long after it ends
_PANEL_DIM = 0.25  # panels keep 25 % of the video's brightness behind them

_EDGE_A = np.array([a for a, _ in SKELETON_EDGES], dtype=np.intp)
_EDGE_B = np.array([b for _, b in SKELETON_EDGES], dtype=np.intp)
_JOINTS = np.array(sorted({int(i) for e in SKELETON_EDGES for i in e}), dtype=np.intp)


@dataclass(frozen=True, slots=True)
class OverlayInfo:
    """Per-frame facts from the loop around the checker, drawn when present.

    Attributes:
        fps: frames processed per second (debug line).
        latency_ms: capture-to-display latency in milliseconds (debug line).
        dropped: frames skipped so far to stay on the newest one (debug line).
        paused: draws a large "Paused" in the middle.
        message: a short notice shown in the middle (e.g. "Saved", "Stopped: it hurts").
        keys: the keys legend shown under the title (e.g. "p: it hurts - stop   q: quit").
        status: one line shown above the legend (e.g. a routine's progress).
    """

    fps: float | None = None
    latency_ms: float | None = None
    dropped: int | None = None
    paused: bool = False
    message: str = ""
    keys: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True)
class _Font:
    scale: float
    thick: int

    @property
    def cap(self) -> int:
        """Cap height in pixels."""
        return round(_CAP_H * self.scale)


def _font(cap_px: float, weight: float = 0.085) -> _Font:
    """The font whose capital letters are ``cap_px`` tall, stroke ~``weight`` of that."""
    scale = max(cap_px, 6.0) / _CAP_H
    return _Font(scale, max(1, round(cap_px * weight)))


@lru_cache(maxsize=2048)
def _text_w(text: str, scale: float, thick: int) -> int:
    return cv2.getTextSize(text, _FONT, scale, thick)[0][0]


@lru_cache(maxsize=256)
def _fit(text: str, font: _Font, max_w: int, max_lines: int = 2) -> tuple[tuple[str, ...], _Font]:
    """Wrap ``text`` into at most ``max_lines`` lines no wider than ``max_w``, shrinking
    the font only if wrapping is not enough (long cues on narrow portrait frames)."""
    words = text.split()
    best: tuple[str, ...] = (text,)
    if _text_w(text, font.scale, font.thick) > max_w and len(words) > 1 and max_lines > 1:
        # Split into two lines, as balanced as possible.
        splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
        best = min(splits, key=lambda ab: max(_text_w(s, font.scale, font.thick) for s in ab))
    widest = max(_text_w(s, font.scale, font.thick) for s in best)
    if widest > max_w:
        k = max_w / widest
        font = _Font(font.scale * k, max(1, round(font.thick * k)))
    return best, font


def _put(img: np.ndarray, text: str, x: int, y: int, font: _Font, color: Color, outline: int = 0) -> None:
    """Text with its baseline at ``y``; ``outline`` px of black around it for contrast on video."""
    if outline:
        cv2.putText(img, text, (x, y), _FONT, font.scale, BLACK, font.thick + 2 * outline, _AA)
    cv2.putText(img, text, (x, y), _FONT, font.scale, color, font.thick, _AA)


def _dim(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, keep: float = _PANEL_DIM) -> None:
    """Darken a rectangle in place (a cheap alpha blend with black, on that region only)."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 > x0 and y1 > y0:
        roi = img[y0:y1, x0:x1]
        cv2.convertScaleAbs(roi, dst=roi, alpha=keep)


def _check_glyph(img: np.ndarray, cx: int, cy: int, size: int, color: Color, thick: int) -> None:
    """A check mark (cv2's Hershey fonts have no ✓), centred on (cx, cy), ``size`` px wide."""
    s = size / 2
    pts = np.array([[cx - s, cy], [cx - s * 0.3, cy + s * 0.65], [cx + s, cy - s * 0.7]]) * _ONE
    cv2.polylines(img, [pts.astype(np.int32)], False, color, thick, _AA, _SHIFT)


def _cross_glyph(img: np.ndarray, cx: int, cy: int, size: int, color: Color, thick: int) -> None:
    s = round(size * 0.4)
    cv2.line(img, (cx - s, cy - s), (cx + s, cy + s), color, thick, _AA)
    cv2.line(img, (cx - s, cy + s), (cx + s, cy - s), color, thick, _AA)


class _Layout:
    """Every size that depends only on the frame size, computed once.

    Sizes follow the short side of the frame, so a portrait phone video (1080x1920), a
    landscape webcam (1280x720) and a square crop all get text of the same apparent size
    relative to what fits; long text is wrapped, then shrunk, to fit the width.
    """

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h
        u = min(w, h)
        self.u = u
        self.m = max(4, round(0.025 * u))  # margin from the frame edge
        self.pad = max(3, round(0.018 * u))  # padding inside panels
        self.counter = _font(0.11 * u, 0.1)
        self.caption = _font(0.024 * u, 0.09)
        self.title = _font(0.03 * u, 0.08)
        self.signal = _font(0.045 * u, 0.09)
        self.cue = _font(0.068 * u, 0.1)
        self.prompt = _font(0.068 * u, 0.1)
        self.badge = _font(0.032 * u, 0.09)
        self.ring_num = _font(0.08 * u, 0.11)
        self.debug = _font(0.02 * u, 0.08)
        self.center = _font(0.06 * u, 0.1)
        self.outline = max(1, round(0.004 * u))
        self.bone = max(2, round(0.006 * u))
        self.joint_r = max(2, round(0.008 * u))
        self.ring_r = round(0.1 * u)
        self.ring_t = max(3, round(0.018 * u))
        self.text_max_w = w - 2 * self.m - 2 * self.pad


class Annotator:
    """Draws a checker's state and the smoothed skeleton onto video frames, in place.

    Configure once per session (exercise title, frame size), then call :meth:`annotate`
    on every frame. The same annotator serves the live window and the annotated video.

    Args:
        exercise_title: shown top-left, e.g. "Wall squat".
        frame_size: (width, height) in pixels of the frames to be annotated; frames of
            another size still work (the layout is recomputed once for them).
        debug: also draw fps / latency / dropped frames from :class:`OverlayInfo`.
        signal_label: name of the measured signal shown next to its value ("knee" →
            "knee 42°"); empty shows just the value.
        fault_texts: plain words for fault codes ("hold_short" → "Hold was shorter than
            prescribed"); unknown codes are shown with underscores turned into spaces.
        min_visibility: joints whose visibility/presence is below this (or that lie
            outside the image) are drawn as "not seen" when ``usable`` is not passed.
    """

    def __init__(
        self,
        exercise_title: str,
        frame_size: tuple[int, int],
        debug: bool = False,
        *,
        signal_label: str = "",
        fault_texts: Mapping[str, str] | None = None,
        min_visibility: float = MIN_VISIBILITY,
    ) -> None:
        w, h = frame_size
        if w <= 0 or h <= 0:
            raise ValueError(f"frame_size must be positive (width, height), got {frame_size!r}")
        self.title = exercise_title
        self.debug = debug
        self.signal_label = signal_label
        self.fault_texts = dict(fault_texts or {})
        self.min_visibility = min_visibility
        self._lay = _Layout(int(w), int(h))
        self._counter_left = self._lay.w

    @classmethod
    def for_exercise(cls, cfg: ExerciseConfig, frame_size: tuple[int, int], debug: bool = False) -> Annotator:
        """An annotator labelled from an exercise definition (title, signal name, fault words)."""
        signal = cfg.rep.signal.replace("_{side}", "").removesuffix(f"_{cfg.rep.unit}")
        return cls(
            cfg.title,
            frame_size,
            debug,
            signal_label=signal.replace("_", " "),
            fault_texts=cfg.texts,
        )

    @property
    def frame_size(self) -> tuple[int, int]:
        return self._lay.w, self._lay.h

    # ------------------------------------------------------------------ public
    def annotate(
        self,
        frame_bgr: np.ndarray,
        pose: PoseFrame | None,
        state: CheckerState,
        extra: OverlayInfo | None = None,
        *,
        usable: np.ndarray | None = None,
    ) -> np.ndarray:
        """Draw the overlay on ``frame_bgr`` (H, W, 3 uint8, modified in place) and return it.

        Args:
            pose: the smoothed landmarks of this frame, or None when there are none.
            state: the checker's snapshot after this frame.
            extra: loop facts (fps, latency, pause, a message), optional.
            usable: (33,) bool, which landmarks the measures could use; when given, joints
                are coloured by it, so the person sees which body part is not seen.
        """
        if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3 or frame_bgr.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 BGR frame, got {frame_bgr.shape} {frame_bgr.dtype}")
        h, w = frame_bgr.shape[:2]
        lay = self._lay
        if (w, h) != (lay.w, lay.h):
            lay = self._lay = _Layout(w, h)
        if pose is not None:
            self._skeleton(frame_bgr, pose, usable)
        y = self._counter(frame_bgr, state)
        title_bottom = self._title_panel(frame_bgr, state, right_limit=self._counter_left)
        y = self._last_rep(frame_bgr, state, y)
        if state.phase == "hold" and state.hold_target_s:
            self._hold_ring(frame_bgr, state, y)
        band_top = self._cue_band(frame_bgr, state)
        if extra is not None:
            if self.debug:
                self._debug_line(frame_bgr, extra, band_top)
            self._notes(frame_bgr, (extra.status, extra.keys), title_bottom, self._counter_left)
            self._center(frame_bgr, extra)
        return frame_bgr

    # ------------------------------------------------------------------ parts
    def _skeleton(self, img: np.ndarray, pose: PoseFrame, usable: np.ndarray | None) -> None:
        lay = self._lay
        xy = pose.image_xy
        finite = np.isfinite(xy).all(axis=1)
        if not finite.any():
            return
        if usable is None:
            usable = landmark_usable(xy, pose.visibility, pose.presence, self.min_visibility)
        # Fixed-point pixels; clipped so far-off landmarks cannot overflow int32.
        px = np.nan_to_num(xy * (lay.w * _ONE, lay.h * _ONE), nan=0.0)
        px = np.clip(px, -4 * lay.u * _ONE, 8 * lay.u * _ONE).astype(np.int32)

        a, b = _EDGE_A, _EDGE_B
        ok_edge = finite[a] & finite[b]
        good = ok_edge & usable[a] & usable[b]
        bad = ok_edge & ~good
        segs = np.stack((px[a], px[b]), axis=1)  # (E, 2, 2)
        if ok_edge.any():  # the dark underlay needs no anti-aliasing (invisible) and costs 3x less without
            cv2.polylines(img, list(segs[ok_edge]), False, BLACK, lay.bone + 2 * lay.outline, cv2.LINE_8, _SHIFT)
        if good.any():
            cv2.polylines(img, list(segs[good]), False, BONE, lay.bone, _AA, _SHIFT)
        if bad.any():
            cv2.polylines(img, list(segs[bad]), False, GREY, lay.bone, _AA, _SHIFT)
        r = lay.joint_r * _ONE
        for j in _JOINTS[finite[_JOINTS]]:
            c = (int(px[j, 0]), int(px[j, 1]))
            cv2.circle(img, c, r + lay.outline * _ONE, BLACK, -1, cv2.LINE_8, _SHIFT)
            cv2.circle(img, c, r, JOINT_OK if usable[j] else JOINT_BAD, -1, _AA, _SHIFT)

    def _counter(self, img: np.ndarray, s: CheckerState) -> int:
        """Rep counter panel, top-right. Returns the y below it for the next element."""
        lay = self._lay
        f = lay.counter
        done = s.target_reps > 0 and s.reps >= s.target_reps
        parts: list[tuple[str, Color]]
        if s.reps_by_side is not None:
            parts = []
            for i, (side, n) in enumerate(s.reps_by_side.items()):
                active = s.side == side
                side_done = s.target_reps > 0 and n >= s.target_reps
                num_color = GREEN if side_done else (WHITE if active or s.side is None else GREY)
                parts.append((("  " if i else "") + side[:1].upper() + " ", YELLOW if active else GREY))
                parts.append((str(n), num_color))
            caption = f"of {s.target_reps} per side" if s.target_reps > 0 else "reps"
        else:
            parts = [(str(s.reps), GREEN if done else WHITE)]
            if s.target_reps > 0:
                parts.append((f" / {s.target_reps}", GREY))
            caption = "reps"
        widths = [_text_w(t, f.scale, f.thick) for t, _ in parts]
        cw = _text_w(caption, lay.caption.scale, lay.caption.thick)
        inner_w = max(sum(widths), cw)
        x1 = lay.w - lay.m
        x0 = x1 - inner_w - 2 * lay.pad
        y0 = lay.m
        base = y0 + lay.pad + f.cap
        cap_base = base + lay.pad + lay.caption.cap
        y1 = cap_base + lay.pad
        _dim(img, x0, y0, x1, y1)
        x = x1 - lay.pad - sum(widths)
        for (text, color), tw in zip(parts, widths, strict=True):
            _put(img, text, x, base, f, color)
            x += tw
        _put(img, caption, x1 - lay.pad - cw, cap_base, lay.caption, GREY)
        self._counter_left = x0
        return y1 + lay.pad

    def _title_panel(self, img: np.ndarray, s: CheckerState, right_limit: int) -> int:
        """Exercise title and the live signal value, top-left. Returns the y below it."""
        lay = self._lay
        max_w = max(right_limit - 2 * lay.m - 2 * lay.pad, lay.u // 5)
        (title,), tf = _fit(self.title, lay.title, max_w, 1)
        value = self._signal_text(s)
        sf = lay.signal
        deg = s.unit == "deg" and s.signal is not None
        deg_r = max(2, round(sf.cap * 0.17))
        vw = _text_w(value, sf.scale, sf.thick) + (2 * deg_r + sf.thick if deg else 0)
        tw = _text_w(title, tf.scale, tf.thick)
        x0, y0 = lay.m, lay.m
        t_base = y0 + lay.pad + tf.cap
        v_base = t_base + lay.pad + sf.cap
        _dim(img, x0, y0, x0 + max(tw, vw) + 2 * lay.pad, v_base + lay.pad)
        x = x0 + lay.pad
        _put(img, title, x, t_base, tf, LIGHT)
        _put(img, value, x, v_base, sf, WHITE)
        if deg:  # cv2's fonts have no "°": draw a small ring
            dx = x + _text_w(value, sf.scale, sf.thick) + deg_r
            cv2.circle(img, (dx, v_base - sf.cap + deg_r), deg_r, WHITE, max(1, sf.thick // 2 + 1), _AA)
        return v_base + lay.pad

    def _notes(self, img: np.ndarray, lines: Sequence[str], top: int, right_limit: int) -> None:
        """Small lines (routine status, keys legend) on a dimmed strip under the title panel."""
        lay = self._lay
        f = lay.caption
        max_w = max(right_limit - 2 * lay.m - 2 * lay.pad, lay.u // 4)
        rows = [(line, fit) for text in lines if text for fitted, fit in [_fit(text, f, max_w)] for line in fitted]
        if not rows:
            return
        line_h = f.cap + lay.pad
        x0, y0 = lay.m, top + lay.pad // 2
        w = max(_text_w(t, ft.scale, ft.thick) for t, ft in rows)
        _dim(img, x0, y0, x0 + w + 2 * lay.pad, y0 + len(rows) * line_h + lay.pad)
        y = y0
        for i, (text, ft) in enumerate(rows):
            y += line_h
            _put(img, text, x0 + lay.pad, y, ft, YELLOW if i == 0 and lines[0] else WHITE)

    def _signal_text(self, s: CheckerState) -> str:
        label = f"{self.signal_label} " if self.signal_label else ""
        if s.signal is None or not math.isfinite(s.signal):
            return f"{label}--"
        if s.unit == "deg":
            return f"{label}{s.signal:.0f}"
        return f"{label}{s.signal:.0f} {s.unit}" if abs(s.signal) >= 10 else f"{label}{s.signal:.1f} {s.unit}"

    def _last_rep(self, img: np.ndarray, s: CheckerState, y: int) -> int:
        """The verdict on the rep just finished, for a few seconds: ✓ or ✗ and why."""
        rep: RepResult | None = s.last_rep
        if rep is None or not 0.0 <= s.t_s - rep.end_s <= _RESULT_SHOW_S:
            return y
        lay = self._lay
        f = lay.badge
        side = f"{rep.side[:1].upper()} " if rep.side else ""
        text = f"{side}rep {rep.index}" if rep.ok else self._fault_text(rep.faults[0])
        glyph = round(f.cap * 1.3)
        gap = lay.pad
        max_w = lay.w - 2 * lay.m - 2 * lay.pad - glyph - gap
        (text,), f = _fit(text, f, max(max_w, lay.u // 5), 1)
        tw = _text_w(text, f.scale, f.thick)
        x1 = lay.w - lay.m
        x0 = x1 - tw - glyph - gap - 2 * lay.pad
        y1 = y + 2 * lay.pad + glyph
        _dim(img, x0, y, x1, y1)
        gx, gy = x0 + lay.pad + glyph // 2, y + lay.pad + glyph // 2
        color = GREEN if rep.ok else AMBER
        if rep.ok:
            _check_glyph(img, gx, gy, glyph, color, max(2, f.thick + 1))
        else:
            _cross_glyph(img, gx, gy, glyph, color, max(2, f.thick + 1))
        _put(img, text, x0 + lay.pad + glyph + gap, gy + f.cap // 2, f, color if not rep.ok else WHITE)
        return y1 + lay.pad

    def _fault_text(self, code: str) -> str:
        return self.fault_texts.get(code) or code.replace("_", " ").capitalize()

    def _hold_ring(self, img: np.ndarray, s: CheckerState, y: int) -> None:
        """Hold countdown: a ring that fills up, with the whole seconds left inside."""
        lay = self._lay
        target = float(s.hold_target_s or 0.0)
        held = min(max(s.hold_s, 0.0), target)
        left = target - held
        r, t = lay.ring_r, lay.ring_t
        cx = lay.w - lay.m - r - t
        cy = y + r + t
        # Filled discs and a filled sector: ~10x cheaper in cv2 than thick anti-aliased arcs.
        outer, inner = r + t // 2, r - t // 2
        cv2.circle(img, (cx, cy), r + t, DARK, -1, _AA)
        cv2.circle(img, (cx, cy), outer, TRACK, -1, _AA)
        sweep = 360.0 * held / target if target > 0 else 360.0
        if sweep > 0.5:
            cv2.ellipse(img, (cx, cy), (outer, outer), -90.0, 0.0, sweep, GREEN, -1, _AA)
        cv2.circle(img, (cx, cy), inner, DARK, -1, _AA)
        if left <= 1e-6:
            if not s.rep_faults:  # the tick means "as prescribed", nothing else
                _check_glyph(img, cx, cy, round(r * 0.9), GREEN, max(3, t))
            return
        f = lay.ring_num
        num = str(math.ceil(left - 1e-6))
        nw = _text_w(num, f.scale, f.thick)
        _put(img, num, cx - nw // 2, cy + f.cap // 2 - lay.caption.cap // 2, f, WHITE)
        cf = lay.caption
        label = "hold"
        lw = _text_w(label, cf.scale, cf.thick)
        _put(img, label, cx - lw // 2, cy + f.cap // 2 + cf.cap + lay.pad // 2, cf, GREY)

    def _cue_band(self, img: np.ndarray, s: CheckerState) -> int:
        """The current cue, big, on a band along the bottom. Returns the band's top y."""
        lay = self._lay
        if not s.measurable:
            text = s.cues[0][1] if s.cues else "Formcheck cannot see you well enough"
            font, fg, bg = lay.prompt, BLACK, AMBER
        elif s.phase == "stopped":
            text, font, fg, bg = "Stopped", lay.prompt, WHITE, RED
        elif s.cues:
            text, font, fg, bg = s.cues[0][1], lay.cue, YELLOW, None
        elif s.advice:  # camera advice that does not stop the count: small, and never over a form cue
            text, font, fg, bg = s.advice[0][1], lay.caption, WHITE, None
        else:
            return lay.h
        lines, font = _fit(text, font, lay.text_max_w)
        line_h = font.cap + round(font.cap * 0.55)
        band_h = len(lines) * line_h + 2 * lay.pad + round(font.cap * 0.45)
        y0 = lay.h - lay.m - band_h
        x0, x1 = lay.m, lay.w - lay.m
        if bg is None:
            _dim(img, x0, y0, x1, y0 + band_h, 0.15)
        else:  # opaque: burned-in captions of the video must not show through a warning
            cv2.rectangle(img, (x0, y0), (x1 - 1, y0 + band_h - 1), bg, -1)  # 30x faster than numpy
        yb = y0 + lay.pad + round(font.cap * 0.2)
        for line in lines:
            yb += line_h
            lw = _text_w(line, font.scale, font.thick)
            _put(img, line, (lay.w - lw) // 2, yb - round(font.cap * 0.3), font, fg)
        return y0

    def _debug_line(self, img: np.ndarray, info: OverlayInfo, bottom: int) -> None:
        lay = self._lay
        parts = []
        if info.fps is not None:
            parts.append(f"{info.fps:.1f} fps")
        if info.latency_ms is not None:
            parts.append(f"{info.latency_ms:.0f} ms latency")
        if info.dropped is not None:
            parts.append(f"{info.dropped} dropped")
        if parts:
            # A dimmed strip instead of an outline: OpenCV's glyph advance grows with stroke
            # thickness, so a thick outline under small text drifts out of register.
            text = "   ".join(parts)
            y = bottom - lay.pad
            tw = _text_w(text, lay.debug.scale, lay.debug.thick)
            half = lay.pad // 2
            _dim(img, lay.m - half, y - round(lay.debug.cap) - half, lay.m + tw + half, y + lay.pad)
            _put(img, text, lay.m, y, lay.debug, WHITE)

    def _center(self, img: np.ndarray, info: OverlayInfo) -> None:
        """The "Paused" notice and short messages, in a panel in the middle of the picture."""
        lines: Sequence[str] = [t for t in ("Paused" if info.paused else "", info.message) if t]
        if not lines:
            return
        lay = self._lay
        fitted = [_fit(t, lay.center, lay.text_max_w) for t in lines]
        rows = [(line, f) for ls, f in fitted for line in ls]
        line_h = [f.cap + lay.pad * 2 for _, f in rows]
        widths = [_text_w(t, f.scale, f.thick) for t, f in rows]
        total_h = sum(line_h) + lay.pad * 2
        bw = max(widths) + 4 * lay.pad
        y = (lay.h - total_h) // 2
        x0 = (lay.w - bw) // 2
        _dim(img, x0, y, x0 + bw, y + total_h, 0.2)
        y += lay.pad
        for (text, f), lh, tw in zip(rows, line_h, widths, strict=True):
            y += lh
            _put(img, text, (lay.w - tw) // 2, y - lay.pad, f, WHITE)
