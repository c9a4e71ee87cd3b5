"""The import graph of the package: no cycles among formcheck modules, and the pure stages
(checkers, measures) never reach OpenCV or MediaPipe, not even through another module.

Imports are read from the source (every ``import`` statement, at module level or inside a
function: an import deferred to first use is still a dependency). An import of a module's
own parent package is not an edge: Python has loaded the parents before the module runs.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
NATIVE = ("cv2", "mediapipe")
PURE_PACKAGES = ("formcheck.checkers", "formcheck.measures")


def _modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / "formcheck").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports (formcheck modules resolved; others by top-level name)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            subs = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES}
            out.update(subs or {base})
            if subs and len(subs) < len(node.names):
                out.add(base)  # names imported from the package itself too
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    return {m for m in out if m not in ancestors and m != name}


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _reach(start: str) -> dict[str, str]:
    """Every module reachable from ``start``, each with the module that imports it."""
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        m = todo.pop()
        for dep in GRAPH.get(m, ()):
            if dep not in seen:
                seen[dep] = m
                todo.append(dep)
    return seen


def _path(start: str, target: str, via: dict[str, str]) -> str:
    chain = [target]
    while chain[-1] != start:
        chain.append(via[chain[-1]])
    return " -> ".join(reversed(chain))


def test_the_graph_sees_the_package():
    assert {"formcheck.analysis", "formcheck.checkers.rep_checker", "formcheck.pose.backend"} <= set(GRAPH)
    assert "formcheck.measures.body" in GRAPH["formcheck.analysis"]
    assert "cv2" in GRAPH["formcheck.sources.video"]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(PURE_PACKAGES)))
def test_checkers_and_measures_never_reach_opencv_or_mediapipe(module: str):
    via = _reach(module)
    for native in NATIVE:
        assert native not in via, f"{module} reaches {native}: {_path(module, native, via)}"


def test_no_import_cycles_among_formcheck_modules():
    internal = {m: {d for d in deps if d in MODULES} for m, deps in GRAPH.items()}
    cycles = []
    for start in internal:
        via = {}
        todo = [start]
        while todo:
            m = todo.pop()
            for dep in internal[m]:
                if dep == start:
                    chain = [m]
                    while chain[-1] != start:
                        chain.append(via[chain[-1]])
                    cycles.append(" -> ".join([*reversed(chain), start]))
                    todo = []
                    break
                if dep not in via:
                    via[dep] = m
                    todo.append(dep)
    assert not cycles, "\n".join(sorted(set(cycles)))


def test_importing_the_pure_stages_loads_no_native_library():
    code = (
        "import sys, formcheck.checkers.rep_checker, formcheck.measures.body, formcheck.measures.visibility, "
        "formcheck.analysis, formcheck.formats.report, formcheck.pose.backend;"
        "bad = [m for m in ('cv2', 'mediapipe') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_the_runtime_package_never_imports_its_test_support():
    # formcheck_testing (synthetic bodies for tests and benchmarks) is installed beside
    # formcheck, but nothing formcheck runs may depend on it.
    users = sorted(m for m, deps in GRAPH.items() if any(d.split(".")[0] == "formcheck_testing" for d in deps))
    assert not users, users
    assert not (SRC / "formcheck" / "synthetic.py").exists()


#: The package's top level: the stages in data-flow order, the programs that drive them, the file
#: formats, and the few modules every layer shares (docs/architecture.md, "Where things are").
TOP_LEVEL = {
    "sources", "pose", "smoothing", "measures", "checkers", "exercises", "sinks", "analysis",
    "programs", "cli", "formats", "history", "routines", "pages", "runtime", "errors",
}


def test_the_package_top_level_holds_only_stages_programs_and_formats():
    top = {m.split(".")[1] for m in MODULES if m.count(".") >= 1} - {"__main__"}
    assert top == TOP_LEVEL, f"new at the top level: {sorted(top - TOP_LEVEL)}; gone: {sorted(TOP_LEVEL - top)}"
