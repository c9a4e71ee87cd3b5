"""``formcheck tune``: replay a recording, move threshold sliders, see reps and faults change.

This module is the window and its loop; the session model is :mod:`formcheck.programs.tuning`, the
plot :mod:`formcheck.sinks.plot`, the video reader :mod:`formcheck.sources.seekable`.

The measures of the recording are computed once; moving a slider re-runs only the rep
checker over the whole recording (milliseconds for a clip, well under a second for a
30-minute session) and redraws the plot of the exercise's signal with the thresholds as
horizontal lines and the counted reps as shaded spans (green = as prescribed, red = faulty).

The parts are usable without a window (and tested that way):

- :class:`Knob` — a threshold as an integer slider position (float range → int steps).
- :class:`TunerSession` — current thresholds, re-scoring, per-frame checker states for the
  replay, what changed, and the profile TOML that keeps it.
- :func:`render_plot` / :class:`PlotView` — the signal plot as a BGR image (OpenCV drawing).
- :func:`compose` — the whole window image: replayed frame with the overlay, a panel with
  the thresholds and results, the plot, and the key help.

:func:`run_tuner` is the window (OpenCV highgui with trackbars). Keys: space play/pause,
←/→ or a/d seek 2 s, ,/. one frame, n/p next/previous rep, Home start, r reset thresholds,
s save the profile, q or Esc quit. A ``script`` (see :class:`ScriptedKeys`) can drive it
without a person, for tests and demos.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from formcheck.checkers.events import RepResult
from formcheck.errors import FormcheckError
from formcheck.pose.frame import PoseFrame
from formcheck.programs.tuning import (
    Knob,
    TuneRecording,
    TunerSession,
    _fmt,
    default_profile_path,
    knobs_for,
    prepare_recording,
    tunable_thresholds,
)
from formcheck.sinks.plot import (
    _FONT,
    AMBER,
    AXIS_TEXT,
    GREEN,
    GREY,
    PANEL,
    RED,
    THRESHOLD_COLORS,
    WHITE,
    YELLOW,
    PlotView,
    _text,
    plot_data,
    render_plot,
)
from formcheck.sources.seekable import SeekableVideo

# The window (this module) with, for its callers, the parts it is made of: the session
# model (formcheck.programs.tuning), the plot (formcheck.sinks.plot) and the video reader
# (formcheck.sources.seekable).
__all__ = [
    "GREEN", "RED", "THRESHOLD_COLORS", "Knob", "Layout", "PlotView", "ScriptedKeys", "TuneRecording", "TunerSession",
    "compose",
    "default_profile_path", "knobs_for", "plot_data", "prepare_recording", "render_plot", "run_tuner",
    "skeleton_canvas", "tunable_thresholds",
]  # fmt: skip




# --------------------------------------------------------------------------- window image


def skeleton_canvas(width: int, height: int) -> np.ndarray:
    """A dark canvas with a faint floor grid, for recordings without video (traces)."""
    img = np.empty((height, width, 3), np.uint8)
    img[:] = (48, 44, 40)
    step = max(40, min(width, height) // 12)
    for x in range(0, width, step):
        cv2.line(img, (x, 0), (x, height), (60, 56, 52), 1)
    for y in range(0, height, step):
        cv2.line(img, (0, y), (width, y), (60, 56, 52), 1)
    return img


def _fit(img: np.ndarray, w: int, h: int) -> np.ndarray:
    """``img`` scaled to fit (w, h), centred on a black background."""
    ih, iw = img.shape[:2]
    k = min(w / iw, h / ih)
    nw, nh = max(1, int(iw * k)), max(1, int(ih * k))
    out = np.zeros((h, w, 3), np.uint8)
    small = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    y, x = (h - nh) // 2, (w - nw) // 2
    out[y : y + nh, x : x + nw] = small
    return out


HELP = "space play/pause   <- -> or a/d seek 2 s   , . frame   n/p next/prev rep   r reset   s save   q quit"


def info_panel(session: TunerSession, width: int, height: int, t_now: float, message: str = "",
               save_path: Path | None = None) -> np.ndarray:  # fmt: skip
    """Thresholds (changed ones marked), the re-score's results and time, errors."""
    img = np.empty((height, width, 3), np.uint8)
    img[:] = PANEL
    x, y = 16, 34
    cfg = session.cfg
    _text(img, cfg.title, x, y, 0.8, WHITE, 2)
    y += 32
    rep = session.checker
    ok = sum(1 for r in rep.results if r.ok)
    by_side = rep.reps_by_side
    sides = f"  (L {by_side['left']}, R {by_side['right']})" if by_side else ""
    _text(img, f"reps {rep.reps}{sides}", x, y, 0.7, WHITE, 2)
    y += 26
    _text(img, f"{ok} as prescribed, {rep.reps - ok} faulty", x, y, 0.55, GREEN if ok == rep.reps else AMBER, 1)
    y += 22
    n = len(session.recording)
    _text(img, f"re-scored {n:,} frames in {session.rescore_ms:.0f} ms", x, y, 0.45, AXIS_TEXT)
    y += 30
    _text(img, "thresholds  (* = changed)", x, y, 0.5, AXIS_TEXT)
    y += 8
    for k in session.knobs:
        y += 22
        v = session.values[k.name]
        base = session.defaults.value(k.name)
        changed = base is None or v != base
        color = YELLOW if k.name == session.focus else (WHITE if changed else GREY)
        mark = "*" if changed else " "
        _text(img, f"{mark} {k.name}", x, y, 0.5, color, 1)
        val = f"{_fmt(v)} {k.unit}"
        tw = cv2.getTextSize(val, _FONT, 0.5, 1)[0][0]
        _text(img, val, width - 16 - tw, y, 0.5, color, 1)
    y += 30
    if session.error:
        for line in _wrap(session.error, width - 32, 0.5):
            _text(img, line, x, y, 0.5, RED, 1)
            y += 20
    # Faults of the reps, most frequent first.
    faults: dict[str, int] = {}
    for r in rep.results:
        for f in r.faults:
            faults[f] = faults.get(f, 0) + 1
    if faults and y < height - 60:
        _text(img, "faults", x, y, 0.5, AXIS_TEXT)
        for code, cnt in sorted(faults.items(), key=lambda kv: -kv[1])[:5]:
            y += 20
            if y > height - 40:
                break
            _text(img, f"{cnt} x {cfg.text(code)}", x, y, 0.45, AMBER)
        y += 10
    if message:
        _text(img, message, x, height - 38, 0.5, GREEN, 1)
    if save_path is not None:
        _text(img, f"s saves {save_path.name}", x, height - 14, 0.45, AXIS_TEXT)
    return img


def _wrap(text: str, width: int, scale: float) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        cand = f"{cur} {w}".strip()
        if cv2.getTextSize(cand, _FONT, scale, 1)[0][0] > width and cur:
            lines.append(cur)
            cur = w
        else:
            cur = cand
    return [*lines, cur] if cur else lines


@dataclass(frozen=True, slots=True)
class Layout:
    width: int = 1280
    view_h: int = 480
    panel_w: int = 400
    plot_h: int = 300
    help_h: int = 28

    @property
    def height(self) -> int:
        return self.view_h + self.plot_h + self.help_h


def compose(
    view: np.ndarray,
    session: TunerSession,
    plot: np.ndarray,
    t_now: float,
    layout: Layout | None = None,
    message: str = "",
    save_path: Path | None = None,
    playing: bool = False,
) -> np.ndarray:
    """The whole window image: the replayed frame (already annotated) on the left, the info
    panel on the right, the plot below, the key help at the bottom."""
    lay = layout or Layout()
    img = np.zeros((lay.height, lay.width, 3), np.uint8)
    vw = lay.width - lay.panel_w
    img[: lay.view_h, :vw] = _fit(view, vw, lay.view_h)
    img[: lay.view_h, vw:] = info_panel(session, lay.panel_w, lay.view_h, t_now, message, save_path)
    img[lay.view_h : lay.view_h + lay.plot_h] = plot
    bar = img[lay.view_h + lay.plot_h :]
    bar[:] = (20, 20, 20)
    state = "playing" if playing else "paused"
    _text(bar, f"{state}   {HELP}", 12, 19, 0.48, AXIS_TEXT)
    return img


# --------------------------------------------------------------------------- the window

TRACKBAR_H = 20  # pixels a Qt trackbar row takes under the image
# waitKeyEx codes: X11 keysyms (Qt and GTK on Linux), Windows virtual keys, then letters.
KEY_LEFT = {65361, 2424832, ord("a"), ord("A")}
KEY_RIGHT = {65363, 2555904, ord("d"), ord("D")}
KEY_HOME = {65360, 2359296}
KEY_QUIT = {ord("q"), ord("Q"), 27}
KEY_NAMES = {
    "space": 32, "left": 65361, "right": 65363, "home": 65360, "esc": 27, "comma": ord(","), "period": ord("."),
}  # fmt: skip


class ScriptedKeys:
    """A scripted person at the keyboard: steps separated by spaces or ';'.

    - ``wait:SECONDS`` — let the window run (and play) that long;
    - ``key:K`` — press a key: a letter, ``space``, ``left``, ``right``, ``home``, ``esc``,
      ``comma``, ``period``;
    - ``set:NAME=VALUE`` — move the trackbar of threshold NAME to VALUE (its callback runs);
    - ``shot:PATH`` — save the window's image as a PNG.

    The window quits when the script ends. Real key presses are still read.
    """

    def __init__(self, script: str) -> None:
        self.steps = [s for s in re.split(r"[;\s]+", script.strip()) if s]
        for s in self.steps:
            kind, _, arg = s.partition(":")
            if kind not in ("wait", "key", "set", "shot") or not arg:
                raise FormcheckError(f"tune script: bad step {s!r}; use wait:S, key:K, set:NAME=VALUE or shot:PATH")
        self._until = 0.0

    def next(self, now: float) -> tuple[str, str] | None:
        """The next due action as (kind, argument), or None while waiting."""
        while self.steps and now >= self._until:
            kind, _, arg = self.steps.pop(0).partition(":")
            if kind == "wait":
                self._until = now + float(arg)
                continue
            if kind == "key":
                code = KEY_NAMES.get(arg.lower(), ord(arg[0]) if len(arg) == 1 else None)
                if code is None:
                    raise FormcheckError(f"tune script: unknown key {arg!r}")
                return "key", str(code)
            return kind, arg
        if not self.steps and now >= self._until:
            return "key", str(ord("q"))
        return None




def run_tuner(
    session: TunerSession,
    video: Path | None = None,
    out: Path | None = None,
    script: str | None = None,
    layout: Layout | None = None,
) -> int:
    """Open the tuner window; returns 0 when the user quits. Saves on ``s`` to ``out``."""
    layout = layout or Layout()
    from formcheck.programs.live import _check_display
    from formcheck.sinks.overlay import Annotator, OverlayInfo
    from formcheck.sinks.window import use_system_fonts

    _check_display()
    use_system_fonts()
    rec = session.recording
    n = len(rec)
    if n == 0:
        raise FormcheckError("the recording has no frames")
    out = out or default_profile_path(session.cfg.name)
    keys = ScriptedKeys(script) if script else None
    frames = SeekableVideo(video) if video is not None else None
    w = rec.meta.width or 1280
    h = rec.meta.height or 720
    if frames is None:  # a skeleton on a canvas the shape of the original frames, at most 1280 wide
        k = min(1.0, 1280 / w, 960 / h)
        w, h = int(w * k), int(h * k)
    t_s, usable, draw_xy = rec.t_s, rec.usable, rec.draw_xy  # smoothed where usable
    unseen_world, unseen = np.full((33, 3), np.nan), np.zeros(33)  # not drawn: ``usable`` says what was seen
    annotator = Annotator.for_exercise(session.cfg, (w, h))
    plot = PlotView(layout.width, layout.plot_h)
    win = f"formcheck tune - {session.cfg.title}"
    pending: dict[str, int] = {}

    cv2.namedWindow(win, cv2.WINDOW_NORMAL | cv2.WINDOW_GUI_NORMAL | cv2.WINDOW_KEEPRATIO)
    for knob in session.knobs:
        cv2.createTrackbar(knob.label, win, 0, knob.pos_max, lambda pos, name=knob.name: pending.__setitem__(name, pos))
        cv2.setTrackbarMin(knob.label, win, knob.pos_min)
        cv2.setTrackbarPos(knob.label, win, knob.to_pos(session.values[knob.name]))
    pending.clear()  # creating trackbars may call back
    cv2.resizeWindow(win, layout.width, layout.height + TRACKBAR_H * len(session.knobs))

    i, playing = 0, False
    message, message_until = "", 0.0
    last_tick = time.monotonic()
    canvas = skeleton_canvas(w, h) if frames is None else None
    shown: np.ndarray | None = None
    try:
        while True:
            now = time.monotonic()
            # Playback at the recording's own pace.
            if playing:
                target_t = float(t_s[i]) + (now - last_tick)
                j = int(np.searchsorted(t_s, target_t, side="right")) - 1
                if j > i:
                    i = min(j, n - 1)
                    last_tick = now
                if i >= n - 1:
                    playing = False
            else:
                last_tick = now
            if pending:
                for name, pos in list(pending.items()):
                    session.values[name] = session.knob(name).to_value(pos)
                    session.focus = name
                pending.clear()
                session.apply()
            base = frames.get(i) if frames is not None else None
            if base is None:
                base = canvas.copy() if canvas is not None else skeleton_canvas(w, h)
            elif base.shape[1] != w or base.shape[0] != h:
                base = cv2.resize(base, (w, h))
            pose = PoseFrame(float(t_s[i]), draw_xy[i], unseen_world, unseen, unseen, int(rec.n_people[i]), False)
            if message and now > message_until:
                message = ""
            info = OverlayInfo(message="")
            view = annotator.annotate(base, pose if pose.has_person else None, session.state_at(i), info,
                                      usable=usable[i])  # fmt: skip
            t_now = float(t_s[i])
            plot_img = plot.render(plot_data(session), t_now, key=(session.version, session.focus))
            shown = compose(view, session, plot_img, t_now, layout, message, out, playing)
            cv2.imshow(win, shown)
            key = cv2.waitKeyEx(15)
            if key == -1 and keys is not None:
                action = keys.next(time.monotonic())
                if action is not None:
                    kind, arg = action
                    if kind == "key":
                        key = int(arg)
                    elif kind == "set":
                        name, _, val = arg.partition("=")
                        knob = session.knob(name)
                        cv2.setTrackbarPos(knob.label, win, knob.to_pos(float(val)))
                        if name not in pending:  # the backend did not call back: apply it ourselves
                            pending[name] = knob.to_pos(float(val))
                    elif kind == "shot":
                        Path(arg).parent.mkdir(parents=True, exist_ok=True)
                        cv2.imwrite(arg, shown)
            if key == -1:
                if cv2.getWindowProperty(win, cv2.WND_PROP_VISIBLE) < 1:
                    break
                continue
            k8 = key if key < 256 else -1  # special keys (arrows: 65361 = 0xFF51) are not letters
            if k8 in KEY_QUIT:
                break
            if k8 == 32:
                playing = not playing
                if playing and i >= n - 1:
                    i = 0
            elif key in KEY_LEFT:
                i = _seek(t_s, i, -2.0)
            elif key in KEY_RIGHT:
                i = _seek(t_s, i, 2.0)
            elif key in KEY_HOME:
                i = 0
            elif k8 == ord(","):
                i = max(0, i - 1)
            elif k8 == ord("."):
                i = min(n - 1, i + 1)
            elif k8 in (ord("n"), ord("p")):
                i = _jump_rep(t_s, session.results, i, forward=k8 == ord("n"))
            elif k8 in (ord("r"), ord("R")):
                session.reset()
                for knob in session.knobs:
                    cv2.setTrackbarPos(knob.label, win, knob.to_pos(session.values[knob.name]))
                pending.clear()
                message, message_until = "thresholds reset", now + 2.5
            elif k8 in (ord("s"), ord("S")):
                try:
                    path = session.save(out)
                    message = f"saved {path}"
                except (FormcheckError, OSError) as e:
                    message = f"cannot save: {e}"
                message_until = now + 4.0
                print(f"formcheck: {message}")
    finally:
        if frames is not None:
            frames.close()
        cv2.destroyWindow(win)
        cv2.waitKey(1)
    return 0


def _seek(t_s: np.ndarray, i: int, dt: float) -> int:
    j = int(np.searchsorted(t_s, float(t_s[i]) + dt))
    return min(max(j, 0), len(t_s) - 1)


def _jump_rep(t_s: np.ndarray, reps: Sequence[RepResult], i: int, forward: bool) -> int:
    t = float(t_s[i])
    starts = [r.start_s for r in reps]
    if forward:
        nxt = [s for s in starts if s > t + 1e-6]
        target = nxt[0] if nxt else None
    else:
        prv = [s for s in starts if s < t - 0.5]
        target = prv[-1] if prv else None
    if target is None:
        return i
    return min(int(np.searchsorted(t_s, target)), len(t_s) - 1)
