"""UI-PRMD (University of Idaho Physical Rehabilitation Movement Data) → one pose trace per rep.

The input is the Vicon subset mapped onto MediaPipe's landmark indices (``../shared/uiprmd``,
its README gives the layout): positions in millimetres with −32768 for a missing marker, y
down, 100 frames/s, one slice of frames per repetition with its movement, subject and a
correct / deliberately incorrect label.

:func:`import_uiprmd` writes, per movement, a folder ``<movement>_<exercise>/`` with one
trace per repetition (exact 3-D, segmented: see :mod:`formcheck.formats.mocap`) and a
``labels.toml`` (the format of :mod:`formcheck.programs.fit`) giving each rep ``reps = 1``, its
``correct`` label and ``group = "sNN"`` (the subject), for ``fit --group-by group``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from formcheck.errors import FormcheckError, TraceError
from formcheck.formats.mocap import MocapSpec, mocap_trace
from formcheck.formats.trace import save_trace

__all__ = ["MOVEMENTS", "VIEWS", "UiprmdData", "import_uiprmd", "load_uiprmd", "rep_trace"]

#: movement code → (formcheck exercise, UI-PRMD's name). Movements without a catalog exercise
#: are labelled with their own name (they can be imported, not fitted).
MOVEMENTS = {
    "m01": ("deep_squat", "deep squat"),
    "m02": ("hurdle_step", "hurdle step"),
    "m03": ("inline_lunge", "inline lunge"),
    "m04": ("side_lunge", "side lunge"),
    "m05": ("sit_to_stand", "sit to stand"),
    "m06": ("standing_leg_raise", "standing active straight leg raise"),
}
#: Synthetic camera: the body turned about the vertical axis (the data faces the camera).
VIEWS = {"front": 0.0, "side": -90.0}
MISSING = -32768
_ARRAYS = ("landmarks_mm", "mp_index", "fps", "rep_movement", "rep_subject", "rep_episode", "rep_correct",
           "rep_start", "rep_length")  # fmt: skip


@dataclass(slots=True)
class UiprmdData:
    """The arrays of the file (see ../shared/uiprmd/README.md)."""

    landmarks_mm: np.ndarray  # (K, 3, N) int16
    mp_index: np.ndarray  # (K,)
    fps: float
    movement: np.ndarray  # (R,) str
    subject: np.ndarray  # (R,) int
    episode: np.ndarray
    correct: np.ndarray  # (R,) bool
    start: np.ndarray
    length: np.ndarray
    ref_angles_ddeg: np.ndarray | None = None  # (4, N) int16
    ref_angle_names: tuple[str, ...] = ()
    source: str = ""

    def __len__(self) -> int:
        return int(self.movement.shape[0])


def load_uiprmd(path: Path | str) -> UiprmdData:
    """Read the file; TraceError (naming the file) when it is not the UI-PRMD layout."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [a for a in _ARRAYS if a not in z.files]
            if missing:
                raise TraceError(f"{path}: not the UI-PRMD layout (missing {', '.join(missing)})")
            d = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise TraceError(f"{path}: cannot read ({e})") from None
    lm = d["landmarks_mm"]
    if lm.ndim != 3 or lm.shape[1] != 3 or lm.shape[0] != d["mp_index"].shape[0]:
        raise TraceError(f"{path}: landmarks_mm has shape {lm.shape}, expected (markers, 3, frames)")
    start, length = d["rep_start"].astype(np.int64), d["rep_length"].astype(np.int64)
    if np.any(start < 0) or np.any(length < 2) or np.any(start + length > lm.shape[2]):
        raise TraceError(f"{path}: repetition frames outside the recording")
    ref = d.get("ref_angles_ddeg")
    return UiprmdData(
        landmarks_mm=lm,
        mp_index=d["mp_index"].astype(np.intp),
        fps=float(d["fps"]),
        movement=d["rep_movement"].astype(str),
        subject=d["rep_subject"].astype(int),
        episode=d["rep_episode"].astype(int),
        correct=d["rep_correct"].astype(bool),
        start=start,
        length=length,
        ref_angles_ddeg=ref,
        ref_angle_names=tuple(d["ref_angle_names"].astype(str)) if "ref_angle_names" in d else (),
        source=path.name,
    )


def rep_trace(data: UiprmdData, r: int, view: str = "side", warnings: list[str] | None = None):
    """The pose trace of repetition ``r`` (exact 3-D, segmented), seen from ``view``."""
    if view not in VIEWS:
        raise FormcheckError(f"view {view!r}: choose one of {', '.join(VIEWS)}")
    s, n = int(data.start[r]), int(data.length[r])
    pos = np.transpose(data.landmarks_mm[:, :, s : s + n], (2, 0, 1)).astype(np.float64)  # (T, K, 3)
    name = rep_name(data, r)
    spec = MocapSpec(
        units="mm", up="-y", fps=data.fps, missing=MISSING, exact=True, segmented=True,
        yaw_deg=VIEWS[view], source=f"UI-PRMD {data.movement[r]} {name} ({view} view, Vicon)",
    )  # fmt: skip
    imp = mocap_trace(pos, spec, index=data.mp_index)
    imp.trace.meta.extra.update(
        {"dataset": "UI-PRMD", "movement": str(data.movement[r]), "subject": int(data.subject[r]),
         "episode": int(data.episode[r]), "view": view}
    )  # fmt: skip
    if warnings is not None:
        warnings.extend(f"{name}: {w}" for w in imp.warnings)
    return imp.trace


def rep_name(data: UiprmdData, r: int) -> str:
    label = "correct" if data.correct[r] else "incorrect"
    return f"s{data.subject[r]:02d}_{label}_e{data.episode[r]:02d}"


def movement_dir(code: str) -> str:
    ex = MOVEMENTS.get(code, (code, code))[0]
    return f"{code}_{ex}"


def import_uiprmd(
    path: Path | str,
    out_dir: Path | str,
    view: str = "side",
    movements: Iterable[str] | None = None,
    overwrite: bool = False,
    on_movement: Callable[[str, int], None] | None = None,
) -> tuple[dict[str, Path], list[str]]:
    """Write one trace per repetition and a labels.toml per movement under ``out_dir``.

    Returns (movement code → its labels.toml, warnings). Existing files are not replaced
    unless ``overwrite``: a FormcheckError names the first one.
    """
    data = load_uiprmd(path)
    out_dir = Path(out_dir)
    wanted = sorted(set(data.movement.tolist()) if movements is None else set(movements))
    have = sorted(set(data.movement.tolist()))
    unknown = [m for m in wanted if m not in have]
    if unknown:
        raise FormcheckError(f"{path}: no movement {', '.join(unknown)}; it has {', '.join(have)}")
    warnings: list[str] = []
    written: dict[str, Path] = {}
    for code in wanted:
        rows = [r for r in range(len(data)) if data.movement[r] == code]
        rows.sort(key=lambda r: (data.subject[r], not data.correct[r], data.episode[r]))
        folder = out_dir / movement_dir(code)
        labels = folder / "labels.toml"
        targets = [labels, *(folder / f"{rep_name(data, r)}.npz" for r in rows)]
        if not overwrite:
            exists = next((p for p in targets if p.exists()), None)
            if exists is not None:
                raise FormcheckError(f"{exists} exists; import into an empty folder or pass --overwrite")
        folder.mkdir(parents=True, exist_ok=True)
        exercise, title = MOVEMENTS.get(code, (code, code))
        lines = [
            f"# UI-PRMD {code} ({title}), {view} view: one trace per repetition, imported from {data.source}.",
            "# correct = [true] done correctly, [false] deliberately incorrect; group = the subject.",
            "# Fit: formcheck fit labels.toml -e " + exercise + " --group-by group",
            "",
        ]
        for r in rows:
            trace = rep_trace(data, r, view, warnings)
            name = rep_name(data, r)
            save_trace(trace, folder / f"{name}.npz")
            lines += [
                "[[clip]]",
                f'file = "{name}.npz"',
                f'exercise = "{exercise}"',
                "reps = 1",
                f"correct = [{'true' if data.correct[r] else 'false'}]",
                f'group = "s{data.subject[r]:02d}"',
                "",
            ]
        labels.write_text("\n".join(lines), encoding="utf-8")
        written[code] = labels
        if on_movement is not None:
            on_movement(code, len(rows))
    return written, warnings
