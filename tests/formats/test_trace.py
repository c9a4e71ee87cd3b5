"""Pose trace files: native npz, CSV and NPZ imports, validation, and the trace cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from formcheck.analysis import trace_measures
from formcheck.errors import TraceError
from formcheck.formats import trace as tr
from formcheck.formats.trace import TraceCache, export_csv, load_trace, save_trace, traces_equal
from formcheck.measures.body import measure_index
from formcheck.pose.frame import PoseFrame, PoseTrace, TraceMeta
from formcheck.pose.landmarks import N_LANDMARKS, Landmark
from formcheck_testing import synthetic

L = Landmark


def random_trace(t: int = 40, seed: int = 0, meta: TraceMeta | None = None) -> PoseTrace:
    """T frames of random landmarks with NaN holes (missing landmarks and whole frames)."""
    rng = np.random.default_rng(seed)
    frames = []
    times = np.cumsum(rng.uniform(0.01, 0.05, t)) + 12.345678901234
    for i in range(t):
        if i % 13 == 5:
            frames.append(PoseFrame.empty(float(times[i])))
            continue
        img = rng.uniform(-0.1, 1.1, (N_LANDMARKS, 2))
        world = rng.normal(0, 0.5, (N_LANDMARKS, 3))
        missing = rng.random(N_LANDMARKS) < 0.1
        img[missing] = np.nan
        world[missing] = np.nan
        frames.append(
            PoseFrame(
                float(times[i]),
                img,
                world,
                rng.random(N_LANDMARKS),
                rng.random(N_LANDMARKS),
                int(rng.integers(1, 3)),
                bool(rng.random() < 0.1),
            )
        )
    meta = meta or TraceMeta(
        source="clips/wall squat ü.mp4",
        model="full",
        fps=29.97,
        width=1920,
        height=1080,
        extra={"poses": 2, "a": [1, None]},
    )
    return PoseTrace.from_frames(frames, meta)


def test_npz_round_trip_is_bit_exact(tmp_path: Path) -> None:
    trace = random_trace()
    path = tmp_path / "sub" / "t.npz"
    save_trace(trace, path)
    back = load_trace(path)
    assert traces_equal(trace, back)
    for name in ("t_s", "image_xy", "world_xyz", "visibility", "presence", "n_people", "identity_jump"):
        a, b = getattr(trace, name), getattr(back, name)
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes(), name
    assert back.meta == trace.meta
    assert [p.name for p in path.parent.iterdir()] == ["t.npz"]  # no temp file left behind


def test_synthetic_trace_saves_with_its_scripted_reps_as_json(tmp_path: Path) -> None:
    trace = synthetic.heel_slide(reps=2)
    rep = trace.meta.extra["reps"][0]  # a RepScript dataclass
    for path in (tmp_path / "s.npz", tmp_path / "s.csv"):
        (save_trace if path.suffix == ".npz" else export_csv)(trace, path)
        back = load_trace(path)
        assert back.meta.extra["reps"][0]["hold_start_s"] == rep.hold_start_s
        assert len(back.meta.extra["reps"]) == 2
        assert np.array_equal(back.t_s, trace.t_s)


def test_native_file_contents(tmp_path: Path) -> None:
    path = tmp_path / "t.npz"
    save_trace(random_trace(5), path)
    with np.load(path, allow_pickle=False) as z:
        assert str(z["format"]) == "formcheck-trace" and int(z["version"]) == 1
        assert z["image_xy"].dtype == np.float32 and z["t_s"].dtype == np.float64
        assert z["n_people"].dtype == np.int16 and z["identity_jump"].dtype == bool
        assert '"fps": 29.97' in str(z["meta_json"])


def test_empty_trace_round_trips(tmp_path: Path) -> None:
    trace = PoseTrace.from_frames([])
    save_trace(trace, tmp_path / "e.npz")
    back = load_trace(tmp_path / "e.npz")
    assert len(back) == 0 and back.image_xy.shape == (0, 33, 2)
    export_csv(trace, tmp_path / "e.csv")
    assert len(load_trace(tmp_path / "e.csv")) == 0


def test_csv_round_trip_is_exact(tmp_path: Path) -> None:
    trace = random_trace(meta=TraceMeta(source='  "odd"\nname ', model="lite", fps=30.0, width=0, height=0))
    trace.image_xy[3, 4] = [np.inf, -0.0]
    path = export_csv(trace, tmp_path / "t.csv")
    assert path == tmp_path / "t.csv"
    back = load_trace(path)
    assert traces_equal(trace, back)
    assert back.meta.source == trace.meta.source
    assert np.signbit(back.image_xy[3, 4, 1])
    # also through save_trace's .csv dispatch, with the default meta
    trace2 = random_trace(7, seed=3)
    save_trace(trace2, tmp_path / "u.csv")
    assert traces_equal(trace2, load_trace(tmp_path / "u.csv"))


def test_csv_with_blanks_uses_defaults_and_meta_comments(tmp_path: Path) -> None:
    path = tmp_path / "mocap.csv"
    path.write_text(
        "# exported by hand: yes\n# fps: 50\n# subject: P01\n"
        "t_s,left_knee_x,left_knee_y,left_knee_vis,nose_x,nose_y\n"
        "0.0,0.5,0.5,,0.4,0.2\n"
        "0.02,,,,0.4,0.2\n"
        "0.04,0.5,0.6,0.25,nan,NaN\n"
    )
    t = load_trace(path)
    k, n = int(L.LEFT_KNEE), int(L.NOSE)
    assert t.meta.fps == 50.0 and t.meta.extra["subject"] == "P01"
    assert (t.meta.width, t.meta.height) == (1280, 720) and t.meta.extra["frame_size_assumed"]
    assert t.visibility[:, k].tolist() == [1.0, 0.0, 0.25]
    assert t.visibility[:, n].tolist() == [1.0, 1.0, 0.0]
    assert t.presence[:, k].tolist() == [1.0, 0.0, 1.0]
    assert t.n_people.tolist() == [1, 1, 1] and not t.identity_jump.any()
    assert np.isnan(t.image_xy[:, int(L.RIGHT_KNEE)]).all() and t.visibility[:, int(L.RIGHT_KNEE)].max() == 0
    assert t.meta.extra["synthesized"] == "world_xyz"
    assert t.world_xyz[0, k, 2] == 0.0 and np.isnan(t.world_xyz[1, k]).all()


# --- imports with only one kind of coordinates -------------------------------------------------


def _side_view_world(knee_left_deg: float, knee_right_deg: float, lying: bool = False) -> np.ndarray:
    """(33, 3) metres: a person side-on to the x-y plane (y down), knees flexed as given."""
    w = np.full((N_LANDMARKS, 3), np.nan)
    for side, zc, flex in (("LEFT", 0.1, knee_left_deg), ("RIGHT", -0.1, knee_right_deg)):
        hip = np.array([0.0, 0.0, zc])
        knee = hip + np.array([0.0, 0.45, 0.0])
        a = np.radians(flex)
        ankle = knee + 0.42 * np.array([-np.sin(a), np.cos(a), 0.0])
        w[L[f"{side}_HIP"]] = hip
        w[L[f"{side}_KNEE"]] = knee
        w[L[f"{side}_ANKLE"]] = ankle
        w[L[f"{side}_SHOULDER"]] = hip + np.array([0.02, -0.5, 0.0])
    w[L.NOSE] = [0.05, -0.7, 0.0]
    if lying:  # rotate 90° in the x-y plane: the trunk becomes horizontal
        w[:, :2] = np.stack([w[:, 1], -w[:, 0]], axis=1)
    return w


def _write_csv(path: Path, t_s: np.ndarray, cols: dict[str, np.ndarray], comments: str = "") -> Path:
    names = list(cols)
    lines = [comments.rstrip("\n")] if comments else []
    lines.append(",".join(["t_s", *names]))
    for i, t in enumerate(t_s):
        lines.append(
            ",".join([repr(float(t)), *("" if np.isnan(cols[n][i]) else repr(float(cols[n][i])) for n in names)])
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def _world_cols(worlds: np.ndarray) -> dict[str, np.ndarray]:
    cols = {}
    for lm in Landmark:
        if np.isfinite(worlds[:, lm]).any():
            for c, s in enumerate(("wx", "wy", "wz")):
                cols[f"{lm.name.lower()}_{s}"] = worlds[:, lm, c]
    return cols


def _measure(trace: PoseTrace, name: str) -> np.ndarray:
    res = trace_measures(trace)
    values = res[0] if isinstance(res, tuple) else res
    return values[:, measure_index(name)]


@pytest.mark.parametrize("lying", [False, True])
def test_world_only_csv_gives_measures(tmp_path: Path, lying: bool) -> None:
    t_s = np.arange(60) / 30.0
    worlds = np.stack([_side_view_world(40.0, 70.0, lying) for _ in t_s])
    path = _write_csv(tmp_path / "kinect.csv", t_s, _world_cols(worlds), "# source: kinect v2\n")
    trace = load_trace(path)
    assert trace.meta.extra["synthesized"] == "image_xy" and trace.meta.source == "kinect v2"
    assert (trace.meta.width, trace.meta.height) == (1280, 720)
    assert trace.meta.fps == pytest.approx(30.0)
    finite = np.isfinite(trace.image_xy).all(axis=-1)
    assert np.all((trace.image_xy[finite] >= 0.0999) & (trace.image_xy[finite] <= 0.9001))
    np.testing.assert_allclose(_measure(trace, "knee_flex_left_deg"), 40.0, atol=1e-3)
    np.testing.assert_allclose(_measure(trace, "knee_flex_right_deg"), 70.0, atol=1e-3)
    lean = _measure(trace, "trunk_lean_deg")
    upright_deg = np.degrees(np.arctan2(0.02, 0.5))  # the shoulders sit 2 cm ahead of the hips
    np.testing.assert_allclose(lean, 90.0 - upright_deg if lying else upright_deg, atol=1e-3)


def test_world_only_projection_fills_80_percent_of_height(tmp_path: Path) -> None:
    worlds = np.stack([_side_view_world(0.0, 0.0)] * 3)
    img = tr.project_world_to_image(worlds, 16 / 9)
    ys = img[..., 1][np.isfinite(img[..., 1])]
    assert ys.max() - ys.min() == pytest.approx(0.8, abs=1e-6)
    assert (ys.max() + ys.min()) / 2 == pytest.approx(0.5, abs=1e-6)


def test_image_only_csv_lifts_to_world_with_aspect(tmp_path: Path) -> None:
    """A 45° shin on a 16:9 frame must read 45°, not 60°: the lift uses the aspect ratio."""
    aspect = 1920 / 1080
    t_s = np.arange(20) * 0.04
    iso = {  # isotropic image coordinates (units of image height)
        "left_hip": (0.9, 0.3),
        "left_knee": (0.9, 0.55),
        "left_ankle": (0.9 - 0.25 * np.sin(np.radians(45)), 0.55 + 0.25 * np.cos(np.radians(45))),
        "left_shoulder": (0.9, 0.05),
        "right_hip": (0.92, 0.3),
        "right_shoulder": (0.92, 0.05),
    }
    cols = {}
    for name, (x, y) in iso.items():
        cols[f"{name}_x"] = np.full(len(t_s), x / aspect)
        cols[f"{name}_y"] = np.full(len(t_s), y)
    path = _write_csv(tmp_path / "pose2d.csv", t_s, cols, "# width: 1920\n# height: 1080\n")
    trace = load_trace(path)
    assert trace.meta.extra["synthesized"] == "world_xyz" and "frame_size_assumed" not in trace.meta.extra
    np.testing.assert_allclose(_measure(trace, "knee_flex_left_deg"), 45.0, atol=1e-3)
    assert np.all(trace.world_xyz[:, int(L.LEFT_KNEE), 2] == 0.0)
    # world is in metres: the trunk is scaled to 0.5 m, origin between the hips
    w = trace.world_xyz[0]
    trunk = np.linalg.norm((w[L.LEFT_SHOULDER] + w[L.RIGHT_SHOULDER]) / 2 - (w[L.LEFT_HIP] + w[L.RIGHT_HIP]) / 2)
    assert trunk == pytest.approx(0.5, abs=1e-5)
    np.testing.assert_allclose((w[L.LEFT_HIP] + w[L.RIGHT_HIP]) / 2, 0.0, atol=1e-6)


def test_import_npz_layout(tmp_path: Path) -> None:
    t_s = np.arange(10) / 100.0
    worlds = np.stack([_side_view_world(30.0, 30.0)] * 10).astype(np.float64)
    path = tmp_path / "mocap.npz"
    np.savez(path, t_s=t_s, world_xyz=worlds, width=np.array(640), height=np.array(480), source=np.array("vicon"))
    trace = load_trace(path)
    assert (trace.meta.width, trace.meta.height, trace.meta.source) == (640, 480, "vicon")
    assert trace.meta.fps == pytest.approx(100.0)
    assert trace.world_xyz.dtype == np.float32 and trace.image_xy.shape == (10, 33, 2)
    np.testing.assert_allclose(_measure(trace, "knee_flex_left_deg"), 30.0, atol=1e-3)
    # a formcheck trace without meta/format is accepted as an import
    full = random_trace(8)
    arrays = {n: getattr(full, n) for n in ("t_s", "image_xy", "world_xyz", "visibility", "presence", "n_people")}
    np.savez_compressed(tmp_path / "bare.npz", **arrays)
    bare = load_trace(tmp_path / "bare.npz")
    for n, a in arrays.items():
        assert np.array_equal(getattr(bare, n), a, equal_nan=a.dtype.kind == "f"), n


# --- validation --------------------------------------------------------------------------------


def _native_arrays(trace: PoseTrace) -> dict[str, np.ndarray]:
    path = Path(os.devnull)
    arrays = dict(tr._canonical(trace, path))
    arrays["meta_json"] = np.array("{}")
    arrays["format"] = np.array("formcheck-trace")
    arrays["version"] = np.array(1)
    return arrays


def _bad_npz(tmp_path: Path, name: str, **changes: np.ndarray | None) -> Path:
    arrays = _native_arrays(random_trace(6))
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    path = tmp_path / name
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"image_xy": np.zeros((6, 33, 3), np.float32)}, "image_xy has shape (6, 33, 3); expected (6, 33, 2)"),
        ({"world_xyz": np.zeros((5, 33, 3), np.float32)}, "world_xyz has 5 frames but t_s has 6"),
        ({"visibility": None}, "missing array visibility"),
        ({"t_s": np.array([0.0, 0.1, 0.2, 0.15, 0.3, 0.4])}, "frame 3 (t_s=0.15) follows frame 2 (t_s=0.2)"),
        ({"t_s": np.array([0.0, 0.1, 0.1, 0.2, 0.3, 0.4])}, "strictly increase"),
        ({"t_s": np.array([0.0, np.nan, 0.1, 0.2, 0.3, 0.4])}, "timestamp of frame 1 is nan"),
        ({"format": np.array("something-else")}, "unknown format 'something-else'"),
        ({"version": np.array(2)}, "unsupported trace format version 2"),
        ({"meta_json": np.array("{not json")}, "meta_json is not valid JSON"),
        ({"meta_json": np.array('{"width": "wide"}')}, "width must be a whole number"),
        ({"n_people": np.zeros(6, np.float32)}, "n_people must be integers"),
        ({"image_xy": np.array([None] * 6, dtype=object)}, "never loads"),
    ],
)
def test_invalid_native_files(tmp_path: Path, changes: dict, message: str) -> None:
    path = _bad_npz(tmp_path, "broken_trace.npz", **changes)
    with pytest.raises(TraceError) as exc:
        load_trace(path)
    assert "broken_trace.npz" in str(exc.value)
    assert message in str(exc.value)


def test_corrupt_and_missing_files(tmp_path: Path) -> None:
    good = tmp_path / "good.npz"
    save_trace(random_trace(), good)
    data = good.read_bytes()
    cases = {
        "garbage.npz": os.urandom(200),
        "truncated.npz": data[: len(data) // 2],
        "flipped.npz": data[:200] + bytes(b ^ 0xFF for b in data[200:260]) + data[260:],
        "binary.csv": b"\x00\xff\xfe" * 50,
        "noheader.csv": b"# fps: 30\n\n",
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(TraceError, match=name.replace(".", r"\.")):
            load_trace(tmp_path / name)
    with pytest.raises(TraceError, match=r"nothere\.npz: the file does not exist"):
        load_trace(tmp_path / "nothere.npz")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(TraceError, match="unknown file type"):
        load_trace(tmp_path / "x.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("t_s,left_knee_x,left_knee_y\n0.1,0.5,0.5\n0.05,0.5,0.5\n", "frame 1 (t_s=0.05) follows frame 0 (t_s=0.1)"),
        ("t_s,left_kne_x,left_knee_y\n0,0.5,0.5\n", "unknown columns left_kne_x"),
        ("t_s,left_knee_x\n0,0.5\n", "landmark left_knee has only some of the columns left_knee_x,left_knee_y"),
        ("t_s,left_knee_vis\n0,1\n", "has no landmark coordinates"),
        ("left_knee_x,left_knee_y\n0.5,0.5\n", "t_s column"),
        ("t_s,left_knee_x,left_knee_y\n0,0.5,abc\n", "line 2, column left_knee_y: 'abc' is not a number"),
        ("t_s,left_knee_x,left_knee_y\n0,0.5,0.5\n1,0.5\n", "line 3 has 2 fields but the header has 3 columns"),
        ("t_s,left_knee_x,left_knee_x\n0,1,1\n", "duplicate columns left_knee_x"),
        ("# version: 2\nt_s,nose_x,nose_y\n0,1,1\n", "unsupported trace CSV version 2"),
        ("# width: wide\nt_s,nose_x,nose_y\n0,1,1\n", "line 1: width must be a whole number"),
        ("t_s,nose_x,nose_y,nose_vis\n0,1,1,80\n", "visibility values must lie in [0, 1]"),
        ("t_s,nose_x,nose_y\n0,1,1\nnan,1,1\n", "timestamp of frame 1 is nan"),
    ],
)
def test_invalid_csv(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad_import.csv"
    path.write_text(text)
    with pytest.raises(TraceError) as exc:
        load_trace(path)
    assert "bad_import.csv" in str(exc.value) and message in str(exc.value)


def test_save_rejects_inconsistent_trace(tmp_path: Path) -> None:
    trace = random_trace(5)
    trace.t_s = trace.t_s[::-1].copy()
    with pytest.raises(TraceError, match=r"Cannot save pose trace .*out\.npz: timestamps must strictly increase"):
        save_trace(trace, tmp_path / "out.npz")
    assert not list(tmp_path.iterdir())
    trace = random_trace(5)
    trace.meta.extra["obj"] = object()
    with pytest.raises(TraceError, match="JSON"):
        save_trace(trace, tmp_path / "out.npz")
    assert not list(tmp_path.iterdir())


# --- cache -------------------------------------------------------------------------------------


@pytest.fixture
def video(tmp_path: Path) -> Path:
    p = tmp_path / "clip.mp4"
    p.write_bytes(os.urandom(3 * 1024 * 1024 + 17))  # several 1 MiB blocks
    return p


@pytest.fixture(autouse=True)
def _cache_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORMCHECK_NO_CACHE", raising=False)
    monkeypatch.delenv("FORMCHECK_CACHE_DIR", raising=False)


def test_cache_hit_and_miss(tmp_path: Path, video: Path) -> None:
    import hashlib

    cache = TraceCache(tmp_path / "cache")
    assert cache.content_hash(video) == hashlib.sha256(video.read_bytes()).hexdigest()
    assert cache.get(video, "full", "poses=1") is None
    trace = random_trace()
    entry = cache.put(video, "full", trace, "poses=1")
    assert entry is not None and entry.is_file() and entry.parent == tmp_path / "cache"
    hit = TraceCache(tmp_path / "cache").get(video, "full", "poses=1")
    assert hit is not None and hit.meta.source == str(video)
    hit.meta.source = trace.meta.source
    assert traces_equal(hit, trace)
    assert cache.get(video, "lite", "poses=1") is None
    assert cache.get(video, "full", "poses=2") is None
    # a copy of the video (same content, other path) hits
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(video.read_bytes())
    assert cache.get(copy, "full", "poses=1") is not None
    assert cache.clear() == 1 and cache.get(video, "full", "poses=1") is None


def test_cache_key_changes_with_model_extra_and_content(tmp_path: Path, video: Path) -> None:
    cache = TraceCache(tmp_path / "cache")
    k = cache.key(video, "full")
    assert k == cache.key(video, "full") and len(k) == 64
    assert k != cache.key(video, "heavy")
    assert k != cache.key(video, "a" * 64)
    assert k != cache.key(video, "full", "poses=2")
    st = video.stat()
    data = bytearray(video.read_bytes())
    data[1000] ^= 1
    video.write_bytes(bytes(data))  # same size: only the mtime tells it changed
    os.utime(video, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert cache.key(video, "full") != k


def test_content_hash_is_memoized_on_disk(tmp_path: Path, video: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "cache"
    digest = TraceCache(root).content_hash(video)
    assert (root / "hashes.json").is_file()

    def boom(path: Path | str, block_size: int = 0) -> str:
        raise AssertionError("re-hashed an unchanged file")

    monkeypatch.setattr(tr, "file_sha256", boom)
    assert TraceCache(root).content_hash(video) == digest  # fresh instance: read from the index
    os.utime(video, ns=(video.stat().st_atime_ns, video.stat().st_mtime_ns + 5_000_000))
    with pytest.raises(AssertionError):
        TraceCache(root).content_hash(video)
    (root / "hashes.json").write_text("{broken")
    monkeypatch.undo()
    assert TraceCache(root).content_hash(video) == digest  # a broken index is rebuilt, not an error


def test_corrupt_cache_entry_is_a_miss_and_removed(tmp_path: Path, video: Path) -> None:
    cache = TraceCache(tmp_path / "cache")
    entry = cache.put(video, "full", random_trace())
    assert entry is not None
    entry.write_bytes(entry.read_bytes()[:100])
    assert cache.get(video, "full") is None
    assert not entry.exists()
    entry.write_bytes(b"not a zip at all")
    assert cache.get(video, "full") is None and not entry.exists()


def test_no_cache_env(tmp_path: Path, video: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = TraceCache(tmp_path / "cache")
    cache.put(video, "full", random_trace())
    monkeypatch.setenv("FORMCHECK_NO_CACHE", "1")
    assert not TraceCache.enabled()
    assert cache.get(video, "full") is None
    assert cache.put(video, "lite", random_trace()) is None
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    monkeypatch.setenv("FORMCHECK_NO_CACHE", "0")
    assert cache.get(video, "full") is not None


def test_cache_dir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "fc"))
    assert TraceCache().root == tmp_path / "fc" / "traces"
    monkeypatch.delenv("FORMCHECK_CACHE_DIR")
    assert TraceCache().root.name == "traces" and "formcheck" in str(TraceCache().root)


def test_unwritable_cache_is_not_an_error(tmp_path: Path, video: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = TraceCache(blocker / "cache")  # cannot create a folder under a file
    assert cache.put(video, "full", random_trace()) is None
    assert cache.get(video, "full") is None


# ------------------------------------------- the cache never serves another video (issue 10)


def _same_size_and_mtime_other_content(video: Path) -> None:
    st = video.stat()
    data = bytearray(video.read_bytes())
    data[2000] ^= 0xFF
    video.write_bytes(bytes(data))
    os.utime(video, ns=(st.st_atime_ns, st.st_mtime_ns))  # as `cp -p` or `touch -r` leave it
    assert video.stat().st_size == st.st_size and video.stat().st_mtime_ns == st.st_mtime_ns


def test_other_content_with_the_same_size_and_mtime_is_a_miss(tmp_path: Path, video: Path) -> None:
    root = tmp_path / "cache"
    TraceCache(root).put(video, "full", random_trace(), "poses=1")
    assert TraceCache(root).get(video, "full", "poses=1") is not None
    _same_size_and_mtime_other_content(video)
    assert TraceCache(root).get(video, "full", "poses=1") is None  # the index noticed (ctime)


def test_a_file_replaced_by_rename_is_hashed_again(tmp_path: Path, video: Path) -> None:
    root = tmp_path / "cache"
    digest = TraceCache(root).content_hash(video)
    other = tmp_path / "other.mp4"
    other.write_bytes(os.urandom(video.stat().st_size))
    st = video.stat()
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    other.replace(video)  # new inode at the same path, same size and mtime
    assert TraceCache(root).content_hash(video) != digest


def test_a_video_changed_after_its_ticket_is_never_stored(tmp_path: Path, video: Path) -> None:
    cache = TraceCache(tmp_path / "cache")
    ticket = cache.ticket(video)
    assert cache.unchanged(ticket)
    _same_size_and_mtime_other_content(video)  # rewritten while it was being scored
    assert not cache.unchanged(ticket)
    assert cache.put(video, "full", random_trace(), "poses=1", ticket=ticket) is None
    assert not list((tmp_path / "cache").glob("*.npz"))
    # Neither content's key holds anything.
    assert cache.get(video, "full", "poses=1") is None
    assert cache.get(video, "full", "poses=1", ticket=ticket) is None


def test_the_ticket_keys_the_content_that_was_decoded_even_if_the_path_now_names_another_file(
    tmp_path: Path, video: Path
) -> None:
    cache = TraceCache(tmp_path / "cache")
    ticket = cache.ticket(video)
    entry = cache.put(video, "full", random_trace(), "poses=1", ticket=ticket)
    assert entry is not None
    other = tmp_path / "b.mp4"
    other.write_bytes(os.urandom(100))
    assert cache.get(other, "full", "poses=1") is None
    assert cache.get(other, "full", "poses=1", ticket=ticket) is not None  # looked up by content


def test_the_cache_evicts_the_least_recently_used_beyond_its_cap(tmp_path: Path) -> None:
    videos = []
    for i in range(4):
        v = tmp_path / f"v{i}.mp4"
        v.write_bytes(os.urandom(1000 + i))
        videos.append(v)
    probe = TraceCache(tmp_path / "probe")
    one = probe.put(videos[0], "full", random_trace())
    assert one is not None
    size = one.stat().st_size
    cache = TraceCache(tmp_path / "cache", max_bytes=int(size * 3.5))
    entries = []
    for i, v in enumerate(videos[:3]):
        entries.append(cache.put(v, "full", random_trace()))
        os.utime(entries[-1], (1000.0 + i, 1000.0 + i))  # a clock we control: v0 oldest
    assert cache.get(videos[0], "full") is not None  # v0 used again: now the newest
    cache.put(videos[3], "full", random_trace())
    assert cache.get(videos[1], "full") is None  # the least recently used went
    assert cache.get(videos[0], "full") is not None and cache.get(videos[3], "full") is not None
    assert cache.info().size_bytes <= cache.max_bytes and cache.info().entries == 3


def test_cache_size_cap_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert TraceCache().max_bytes == tr.DEFAULT_CACHE_MAX_BYTES == 2 << 30
    monkeypatch.setenv("FORMCHECK_CACHE_MAX_SIZE", "500M")
    assert TraceCache().max_bytes == 500 << 20
    monkeypatch.setenv("FORMCHECK_CACHE_MAX_SIZE", "lots")
    assert TraceCache().max_bytes == tr.DEFAULT_CACHE_MAX_BYTES  # a bad value is warned about, not fatal


@pytest.mark.parametrize(("text", "n"), [("2G", 2 << 30), ("1.5GiB", 3 << 29), ("500MB", 500 << 20), ("123", 123),
                                         ("10 kb", 10240)])  # fmt: skip
def test_parse_size(text: str, n: int) -> None:
    assert tr.parse_size(text) == n


@pytest.mark.parametrize("text", ["", "x", "2Q", "-1", "ib"])
def test_parse_size_refuses_non_sizes(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        tr.parse_size(text)


def test_the_cache_folder_and_its_files_are_the_users_only(tmp_path: Path, video: Path) -> None:
    root = tmp_path / "cache"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)  # as older versions left it
    entry = TraceCache(root).put(video, "full", random_trace())
    assert entry is not None
    assert root.stat().st_mode & 0o777 == 0o700
    assert entry.stat().st_mode & 0o777 == 0o600
    assert (root / "hashes.json").stat().st_mode & 0o777 == 0o600


def test_cache_command_shows_where_and_how_big_and_clears(tmp_path: Path, video: Path, monkeypatch, capsys) -> None:
    from formcheck.cli import main

    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "fc"))
    TraceCache().put(video, "full", random_trace())
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "fc" / "traces") in out and "1 trace," in out and "at most 2.0 GB" in out
    assert main(["cache", "clear"]) == 0
    assert "removed 1 cached trace" in capsys.readouterr().out
    assert TraceCache().info().entries == 0
