"""HTML pages: self-contained, escaped, and rendered by a real browser (headless Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
from itertools import count
from pathlib import Path

import numpy as np
import pytest

from formcheck.checkers.events import RepResult
from formcheck.cli import main
from formcheck.exercises.config import get_exercise
from formcheck.formats.trace import load_trace
from formcheck.history import HistoryRecorder, SessionInfo, connect
from formcheck.pages.progress import progress_data, progress_page
from formcheck.pages.recording import PageInfo, recording_page
from formcheck.programs.rescoring import rescore_trace

EVIL = 'Ann <script>alert("x")</script> & "co"'


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return exe


def _render(page: Path, png: Path) -> tuple[np.ndarray, str]:
    """Chromium's screenshot of the page and its console log (one CONSOLE line per message)."""
    import cv2

    cmd = [_chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--enable-logging=stderr", "--v=0", "--window-size=1200,2400", f"--screenshot={png}",
           page.resolve().as_uri()]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    img = cv2.imread(str(png))
    assert img is not None
    return img, "\n".join(line for line in proc.stderr.splitlines() if ":CONSOLE" in line)


def _blue(img: np.ndarray) -> int:
    """Pixels of the plots' signal line colour (#1f6feb)."""
    return int((np.abs(img.astype(int) - (0xEB, 0x6F, 0x1F)).max(axis=2) < 40).sum())


@pytest.fixture
def squat(tmp_path):
    """A synthetic wall squat, saved and re-scored as a user would."""
    from formcheck.formats.trace import save_trace
    from formcheck_testing.synthetic import wall_squat

    path = tmp_path / "squat.npz"
    save_trace(wall_squat(reps=3), path)
    cfg = get_exercise("wall_squat")
    return cfg, load_trace(path), rescore_trace(path, cfg)


def test_recording_page_escapes_user_strings_and_embeds_everything(squat):
    cfg, trace, report = squat
    assert report["reps"] == 3
    html = recording_page(report, cfg, trace, None, PageInfo(EVIL, "notes <b>bold</b>"))
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "notes &lt;b&gt;bold&lt;/b&gt;" in html
    srcs = re.findall(r'src="([^"]+)"', html)
    assert len(srcs) == 1 and srcs[0].startswith("data:image/png;base64,")  # the plot, embedded
    assert html.count("<tr><td class=n>") == 3
    assert f"formcheck {report['formcheck_version']}" in html and "Wall squat" in html


def test_recording_page_plots_the_reports_own_signal_series(tmp_path, monkeypatch):
    """The plot draws the report's SignalSeries (what the checker saw), not a second measuring of the trace."""
    import formcheck.analysis
    from formcheck.formats.trace import save_trace
    from formcheck_testing.synthetic import wall_squat

    path = tmp_path / "squat.npz"
    save_trace(wall_squat(reps=3), path)
    cfg = get_exercise("wall_squat")
    report = rescore_trace(path, cfg, signals=True)

    def no_second_chain(*a, **k):
        raise AssertionError("the page measured the trace again")

    monkeypatch.setattr(formcheck.analysis, "trace_measures", no_second_chain)
    html = recording_page(report, cfg, load_trace(path))
    assert html.count("data:image/png;base64,") == 1
    with pytest.raises(AssertionError, match="measured the trace again"):  # without a series it must measure
        recording_page({k: v for k, v in report.items() if k != "signals"}, cfg, load_trace(path))


def test_rescore_html_keeps_signals_out_of_the_json_unless_asked(squat, tmp_path):
    _cfg, _trace, _report = squat  # the fixture saved the trace here
    trace = tmp_path / "squat.npz"
    out, page = tmp_path / "r.json", tmp_path / "r.html"
    assert main(["rescore", str(trace), "-e", "wall_squat", "--html", str(page), "--json", str(out),
                 "--patient", "Ann"]) == 0  # fmt: skip
    import json

    data = json.loads(out.read_text())
    assert "signals" not in data and data["patient"]["name"] == "Ann" and data["generated_utc"].endswith("+00:00")
    assert page.read_text().count("data:image/png;base64,") == 1


@pytest.mark.real
def test_score_html_page_has_key_frames_and_renders_in_chromium(samples_dir, models_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(models_dir))
    page = tmp_path / "bridge.html"
    clip = samples_dir / "glute_bridge_side_home.mp4"
    assert main(["score", str(clip), "-e", "bridge", "--no-progress", "--no-history", "--patient", EVIL,
                 "--html", str(page)]) == 0  # fmt: skip
    html = page.read_text(encoding="utf-8")
    srcs = re.findall(r'src="([^"]+)"', html)
    n_reps = html.count("<tr><td class=n>")
    assert n_reps >= 1 and len(srcs) == 1 + n_reps  # the plot and one key frame per rep
    assert all(s.startswith("data:image/") for s in srcs) and "<script>" not in html
    # Each key frame is its own rep's moment, inside that rep.
    row = r"<tr><td class=n>(\d+)</td><td>[^<]*</td><td class=n>([\d.]+)</td><td class=n>([\d.]+)</td>"
    rows = re.findall(row, html)
    shots = [float(t) for t in re.findall(r"#\d+ at ([\d.]+) s", html)]
    assert len(shots) == n_reps
    for (_i, start, end), t in zip(rows, shots, strict=True):
        assert float(start) - 0.05 <= t <= float(end) + 0.05
    img, console = _render(page, tmp_path / "bridge.png")
    assert console == ""
    assert _blue(img) > 500  # the signal plot was decoded and drawn
    # A page that breaks the rules is caught the same way (the check can fail).
    bad = tmp_path / "bad.html"
    bad.write_text(html.replace("</main>", '<img src="http://example.invalid/x.png"></main>'), encoding="utf-8")
    assert "Content Security Policy" in _render(bad, tmp_path / "bad.png")[1]


def _rep(i: int, side: str | None, peak: float, faults=()) -> RepResult:
    return RepResult(i, side, 2.0 * i, 2.0 * i + 1.5, "deg", peak, 5.0, 4.0, 40.0, 30.0, tuple(faults))


def _history(path: Path) -> None:
    for day in (1, 2, 4):
        n = count()
        clock = lambda d=day, n=n: f"2026-11-0{d}T09:{next(n):02d}:00+00:00"  # noqa: E731
        rec = HistoryRecorder(path, SessionInfo(patient=EVIL), clock=clock)
        sq = rec.begin_set(get_exercise("wall_squat"), "0", "lite")
        for i in range(1, 11):
            sq.add_rep(_rep(i, None, 40.0 + day, ("too_fast",) if i == 3 else ()))
        sq.end({"complete": True})
        slr = rec.begin_set(get_exercise("straight_leg_raise"), "0", "lite")  # per side: 10 each prescribed
        for i in range(1, 11):
            slr.add_rep(_rep(i, "left" if i % 2 else "right", 30.0))
        if day == 4:
            slr.add_pain_stop(12.5)
        slr.end({"complete": True})
        rec.close()


def test_progress_counts_days_dose_and_pain_stops(tmp_path):
    db = tmp_path / "h.db"
    _history(db)
    data = progress_data(connect(db))
    sq, slr = data["wall_squat"], data["straight_leg_raise"]
    from datetime import date

    assert sq.adherence(date(2026, 11, 1), date(2026, 11, 4)) == (3, 4)
    assert [d.sets_dose_met for d in sq.days.values()] == [1, 1, 1]
    assert [d.sets_dose_met for d in slr.days.values()] == [0, 0, 0]  # 5 per side is not 10 per side
    assert [round(sum(d.peaks) / len(d.peaks)) for d in sq.days.values()] == [41, 42, 44]
    assert dict(sq.fault_counts) == {"too_fast": 3}
    assert [t for _at, t in slr.pain_stops] == [12.5]


@pytest.mark.real
def test_progress_command_writes_a_page_chromium_renders(tmp_path):
    db = tmp_path / "h.db"
    _history(db)
    out = tmp_path / "progress.html"
    assert main(["progress", "--db", str(db), "--patient", EVIL, "--html", str(out)]) == 0
    html = out.read_text()
    assert "<script>" not in html and "1 pain stop" in html and "3 of 4" in html
    img, console = _render(out, tmp_path / "progress.png")
    assert console == "" and _blue(img) > 200
    html_all = progress_page(connect(db))
    assert "every patient" in html_all


@pytest.mark.real
def test_live_html_and_json_carry_patient_time_model_and_version(samples_dir, models_dir, tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(models_dir))
    profile = tmp_path / "ann.toml"
    profile.write_text('[profile]\nname = "Ann"\nnotes = "after knee surgery <2025>"\n', encoding="utf-8")
    page, rep = tmp_path / "live.html", tmp_path / "live.json"
    clip = samples_dir / "bridge_side_physioplus.mp4"
    assert main(["live", "-e", "bridge", "--source", str(clip), "--no-window", "--no-history", "--profile",
                 str(profile), "--html", str(page), "--json", str(rep)]) == 0  # fmt: skip
    data = json.loads(rep.read_text())
    assert data["patient"] == {"name": "Ann", "notes": "after knee surgery <2025>", "profile": str(profile)}
    assert data["generated_utc"].endswith("+00:00") and data["model"] == "lite" and data["formcheck_version"]
    html = page.read_text(encoding="utf-8")
    assert "<b>Ann</b>" in html and "after knee surgery &lt;2025&gt;" in html and "model: lite" in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 1  # the plot of the live trace
