"""``formcheck import``: pose data from other systems → pose traces.

- ``formcheck import uiprmd FILE.npz --out DIR [--view side|front]``: the UI-PRMD subset,
  one trace per repetition and a labels.toml per movement (:mod:`formcheck.formats.uiprmd`).
- ``formcheck import mocap FILE.npz --units mm --up +z --fps 100 --out TRACE.npz``: any
  33-landmark motion-capture recording with declared units, axes, time base and missing-marker
  sentinel (:mod:`formcheck.formats.mocap`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import motion capture (any 33-landmark mocap, or the UI-PRMD data set) as pose traces",
        description="Convert motion-capture data to pose traces (docs/trace-format.md, 'Motion capture').",
    )
    kinds = p.add_subparsers(dest="kind", metavar="KIND")
    u = kinds.add_parser(
        "uiprmd",
        help="UI-PRMD (Vicon, mapped to MediaPipe's landmarks): one trace per repetition, labels per movement",
        description=(
            "Writes DIR/<movement>_<exercise>/<sNN>_<correct|incorrect>_e<NN>.npz, one trace per repetition "
            "(exact 3-D, segmented), and a labels.toml per movement with each rep's correct/incorrect label and "
            "group = \"sNN\" (the subject), for `formcheck fit labels.toml -e EXERCISE --group-by group`."
        ),
    )
    u.add_argument("file", type=Path, metavar="FILE.npz")
    u.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write into")
    u.add_argument("--view", choices=("side", "front"), default="side", help="the synthetic camera's view")
    u.add_argument("--movement", action="append", default=None, metavar="mNN", help="only these movements")
    u.add_argument("--overwrite", action="store_true", help="replace traces and labels already in DIR")
    u.set_defaults(func=run_uiprmd)

    m = kinds.add_parser(
        "mocap",
        help="a motion-capture recording: positions (frames, markers, 3) with declared units, axes and time base",
        description=(
            "Reads an .npz with `positions` (T, K, 3) and optionally `index` (K,) (the MediaPipe landmark of each "
            "row; default: K = 33 in landmark order) and `t` (T,) timestamps. Refuses impossible scales, times and "
            "axes, warns on suspicious ones, and writes a pose trace whose angles are measured in 3-D."
        ),
    )
    m.add_argument("file", type=Path, metavar="FILE.npz")
    m.add_argument("--out", type=Path, required=True, metavar="TRACE.npz")
    m.add_argument("--units", choices=("m", "cm", "mm"), required=True, help="length unit of the positions")
    m.add_argument("--up", choices=("+y", "-y", "+z", "-z", "+x", "-x"), required=True, help="the axis pointing up")
    m.add_argument("--fps", type=float, default=None, help="frame rate (when the file has no timestamps)")
    m.add_argument("--time-unit", choices=("s", "ms"), default="s", help="unit of the timestamps `t`")
    m.add_argument("--missing", type=float, default=None, help="the value that means 'marker missing'")
    m.add_argument("--zero-is-missing", action="store_true", help="a marker at exactly 0,0,0 is missing (Vicon)")
    m.add_argument("--segmented", action="store_true", help="the recording is exactly one repetition")
    m.add_argument("--yaw", type=float, default=0.0, metavar="DEG", help="turn the body about the vertical axis")
    m.add_argument("--not-exact", action="store_true", help="the 3-D positions are estimates, not measurements")
    m.set_defaults(func=run_mocap)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_uiprmd(args: argparse.Namespace) -> int:
    from formcheck.formats.uiprmd import import_uiprmd

    def said(code: str, n: int) -> None:
        print(f"  {code}: {n} repetitions")

    print(f"importing {args.file} ({args.view} view) into {args.out}")
    written, warnings = import_uiprmd(
        args.file, args.out, args.view, args.movement, overwrite=args.overwrite, on_movement=said
    )
    for w in warnings:
        print(f"  warning: {w}", file=sys.stderr)
    for code, labels in written.items():
        print(f"{code}: {labels}")
    return 0


def run_mocap(args: argparse.Namespace) -> int:
    import zipfile

    import numpy as np

    from formcheck.errors import TraceError
    from formcheck.formats.mocap import MocapSpec, mocap_trace
    from formcheck.formats.trace import save_trace

    try:
        with np.load(args.file, allow_pickle=False) as z:
            if "positions" not in z.files:
                raise TraceError(f"{args.file}: no `positions` array (frames, markers, 3); it has {', '.join(z.files)}")
            pos = z["positions"]
            index = z["index"] if "index" in z.files else None
            t = z["t"] if "t" in z.files else None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise TraceError(f"{args.file}: cannot read ({e})") from None
    spec = MocapSpec(
        units=args.units, up=args.up, fps=args.fps, time_unit=args.time_unit, missing=args.missing,
        zero_is_missing=args.zero_is_missing, exact=not args.not_exact, segmented=args.segmented,
        yaw_deg=args.yaw, source=args.file.name,
    )  # fmt: skip
    try:
        imp = mocap_trace(pos, spec, t=t, index=index)
    except TraceError as e:
        raise TraceError(f"{args.file}: {e}") from None
    for w in imp.warnings:
        print(f"formcheck: warning: {args.file}: {w}", file=sys.stderr)
    save_trace(imp.trace, args.out)
    tr = imp.trace
    dur = float(tr.t_s[-1] - tr.t_s[0]) if len(tr) > 1 else 0.0
    print(f"{args.out}: {len(tr)} frames, {dur:.2f} s, exact 3-D{', one repetition' if args.segmented else ''}")
    return 0
