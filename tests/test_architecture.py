"""The package's shape: imports point down the layers, files stay short, nothing reaches into
another module's private names, and ruff is clean on the package, the tests and the notebooks."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mlp_helpers"
# Each layer may import only from layers at or below it (data flows one way).
LAYERS = ["settings", "validation", "data", "model", "training", "plots", "store", "experiments", "widgets",
          "reproduction"]
TOP_LEVEL_ENTRY_POINTS = {"__init__", "__main__", "exercises"}     # may import any layer
MAX_LINES = 300


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def layer_of(module_path):
    parts = module_path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imported_modules(path):
    """(absolute module name, imported names) for every import of a mlp_helpers module in ``path``."""
    tree = ast.parse(path.read_text())
    package = ".".join(("mlp_helpers", *path.relative_to(PACKAGE).parent.parts))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.startswith("mlp_helpers"):
                yield name, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mlp_helpers"):
                    yield alias.name, []


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_only(path):
    here = layer_of(path)
    if here in TOP_LEVEL_ENTRY_POINTS:
        return
    for name, names in imported_modules(path):
        parts = name.split(".")
        target = parts[1] if len(parts) > 1 else None
        if target is None:     # `from mlp_helpers import x`: x is a layer
            for n in names:
                assert n not in LAYERS or LAYERS.index(n) <= LAYERS.index(here), f"{path.name} imports {n}"
            continue
        assert target in LAYERS, f"{path.name} imports {name}, which is not a layer"
        assert LAYERS.index(target) <= LAYERS.index(here), f"{here} must not import {target} ({name})"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_names_imported_across_modules(path):
    for name, names in imported_modules(path):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{path.name} imports private {private} from {name}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_fit_on_a_lecture_slide(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES})"


def test_only_the_command_line_imports_the_reproductions():
    """``reproduction`` writes the committed results: the command line runs it, nothing else in the package."""
    importers = {path.relative_to(PACKAGE).as_posix() for path in modules() if layer_of(path) != "reproduction"
                 for name, names in imported_modules(path)
                 if name.startswith("mlp_helpers.reproduction") or (name == "mlp_helpers" and "reproduction" in names)}
    assert importers == {"__main__.py"}


def test_the_benchmark_lives_outside_the_package():
    assert not (PACKAGE / "bench.py").exists() and (ROOT / "benchmarks" / "epoch.py").exists()


def test_ruff_is_clean_on_package_tests_benchmarks_and_notebooks():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it is in the test extra)")
    paths = [p for p in ("mlp_helpers", "tests", "benchmarks", "notebooks", "course") if (ROOT / p).exists()]
    run = subprocess.run([ruff, "check", "--no-cache", *paths], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_import_cycle_in_the_package():
    """Modules form a directed acyclic graph (lazy imports inside functions count too)."""
    graph = {}
    for path in modules():
        here = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text())
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + (path.name == "__init__.py")]
                stem = ".".join(base + ([node.module] if node.module else []))
                targets |= {f"{stem}.{alias.name}" for alias in node.names} | {stem}
        graph[here] = targets
    known = set(graph)
    edges = {m: {t for t in targets if t in known and t != m} for m, targets in graph.items()}
    # a package's __init__ re-exports its modules: only module-to-module arrows can form a real cycle
    edges = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in edges.items()}
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in edges[node]:
            if state.get(nxt) == "open":
                raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
