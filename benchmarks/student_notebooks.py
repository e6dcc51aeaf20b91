"""Benchmark: how long does a student wait for each notebook of a fresh student edition?

Runs every notebook of the student edition (``make student`` builds it into ``dist/student/``) top to
bottom in a fresh kernel, at full scale, as a student's "Run All" does: the exercises are still stubs (their
check cells fail, as the edition expects), there is no run cache yet, and the multi-seed runs load from the
published runs shipped in the edition's ``results/``. Prints the wall and CPU seconds of each notebook and
its ratio to the two-minute budget; never asserts a time.

    python benchmarks/student_notebooks.py [--edition dist/student] [--blas-threads 2] [names...]

Needs CIFAR-10 on disk (``CIFAR10_DIR`` or the edition's ``data/``). Works on a copy of the edition in a
temporary folder, so the edition itself is left as built.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BUDGET_SECONDS = 120


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_notebook(path: Path, env: dict) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the kernel, cells that raised) for one Run All of ``path``."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=1800, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    os.environ.update(env)
    cpu, start = children_cpu(), time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    errors = sum(any(o.get("output_type") == "error" for o in c.get("outputs", [])) for c in nb.cells)
    return wall, children_cpu() - cpu, errors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook file names (default: all)")
    parser.add_argument("--edition", type=Path, default=ROOT / "dist" / "student")
    parser.add_argument("--blas-threads", type=int, default=2)
    args = parser.parse_args(argv)
    if not (args.edition / "notebooks").is_dir():
        print(f"no student edition at {args.edition}: run `make student` first", file=sys.stderr)
        return 2
    env = {"PYTHONPATH": "", "MLP_QUICK": "", "MLP_RETRAIN": "", "MLP_GRADING": "",
           "OPENBLAS_NUM_THREADS": str(args.blas_threads), "OMP_NUM_THREADS": str(args.blas_threads)}
    with tempfile.TemporaryDirectory() as tmp:
        edition = Path(tmp) / "student"
        shutil.copytree(args.edition, edition, ignore=shutil.ignore_patterns("runs", ".ipynb_checkpoints"))
        env["PYTHONPATH"] = str(edition)               # the kernel imports the edition's own package
        names = args.names or sorted(p.name for p in (edition / "notebooks").glob("*.ipynb"))
        print(f"{'notebook':34s} {'wall s':>7s} {'CPU s':>7s} {'/ budget':>8s}  failing cells (stubs)")
        for name in names:
            wall, cpu, errors = run_notebook(edition / "notebooks" / name, env)
            print(f"{name:34s} {wall:7.0f} {cpu:7.0f} {wall / BUDGET_SECONDS:8.2f}  {errors}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
