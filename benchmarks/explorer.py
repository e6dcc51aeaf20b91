"""Benchmark: how quickly does an explorer answer a slider move?

Drives notebook 03's explorer (learning rate, momentum, batch size; 15 epochs) exactly as the kernel
does when a student moves a slider: training on the worker thread (``background=True``), the move
made by assigning the slider's value (what an ipywidgets message from the browser does). It reports:

* first redraw: from the move to the first new picture (the old plot marked stale), and to the first
  live picture with an epoch on it;
* redraw cost: the time one live redraw (after an epoch) and one full layout (a new setting) take;
* uncached run: from the move to the finished plot of a setting never trained;
* cached run: from the move back to a visited setting to its plot.

Goals: first redraw <= 1 s, uncached quick run <= 3 s, cached <= 0.3 s.

    python benchmarks/explorer.py [--per-class 100 300] [--moves 3]        (make bench)

Uses CIFAR-10 if it is already on disk (CIFAR10_DIR or data/), else synthetic data of the same
shape (the timings depend on the shapes, not the pixels); never downloads. Prints figures; never
asserts a time.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from types import SimpleNamespace

import matplotlib
import numpy as np

matplotlib.use("Agg")

from mlp_helpers import experiments  # noqa: E402
from mlp_helpers.data import DataError, locate_cifar10  # noqa: E402
from mlp_helpers.widgets import TrainingExplorer  # noqa: E402

GOALS = {"first redraw": 1.0, "uncached run": 3.0, "cached run": 0.3}
MOVES = [{"lr": 0.03}, {"lr": 0.1}, {"momentum": 0.5}, {"batch_size": 64}, {"lr": 0.003}]


def timed(function, seconds):
    """``function`` that also appends its duration to ``seconds``."""
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - start)
    return wrapper


def dataset(per_class):
    """The explorer's subset of CIFAR-10, or (not on disk) synthetic data of the same shape."""
    try:
        locate_cifar10(download=False)
    except DataError:
        rng = np.random.default_rng(0)
        centres = rng.standard_normal((10, 3072)).astype(np.float32)

        def draw(n):
            y = np.repeat(np.arange(10), n)
            return (centres[y] + 3 * rng.standard_normal((len(y), 3072), dtype=np.float32)), y

        (x_train, y_train), (x_val, y_val) = draw(per_class), draw(100)
        return SimpleNamespace(x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val, source="synthetic")
    return experiments.explorer_dataset(n_per_class=per_class)


def measure(per_class, n_moves, epochs):
    data = dataset(per_class)
    start = time.perf_counter()
    ex = TrainingExplorer(data, controls=("lr", "momentum", "batch_size"), epochs=epochs, background=True)
    ex.wait()
    construction = time.perf_counter() - start
    live_costs, layout_costs = [], []
    ex.chart.progress = timed(ex.chart.progress, live_costs)
    ex.chart.show = timed(ex.chart.show, layout_costs)
    pictures = []
    ex.image.observe(lambda change: pictures.append((time.perf_counter(), ex.history)), names="value")
    first, first_live, uncached, visited = [], [], [], [dict(ex.values())]
    for move in MOVES[:n_moves]:
        pictures.clear()
        start = time.perf_counter()
        for name, value in move.items():
            ex.controls[name].value = value
        ex.wait()
        uncached.append(time.perf_counter() - start)
        first.append(pictures[0][0] - start)
        first_live.append(next(t for t, history in pictures if history is not None and len(history)) - start)
        visited.append(dict(ex.values()))
    cached = []
    for values in visited[:-1]:
        start = time.perf_counter()
        ex.set(**values)
        cached.append(time.perf_counter() - start)
    return {"rows": len(data.y_train), "synthetic": getattr(data, "source", "") == "synthetic",
            "construction": construction, "first redraw": first,
            "first live redraw": first_live, "live redraw": live_costs, "layout redraw": layout_costs,
            "uncached run": uncached, "cached run": cached, "epochs": epochs}


def report(figures):
    kind = "synthetic rows (CIFAR-10 not on disk)" if figures["synthetic"] else "training images"
    print(f"\n{figures['rows']} {kind}, {figures['epochs']} epochs per run, 128 tanh units "
          f"(first run when made: {figures['construction']:.2f} s)")
    print(f"  {'':22s} {'median':>8s} {'worst':>8s}  goal")
    for name in ("first redraw", "first live redraw", "live redraw", "layout redraw", "uncached run", "cached run"):
        values = figures[name]
        goal = GOALS.get(name)
        verdict = "" if goal is None else f"<= {goal:g} s " + ("within" if max(values) <= goal else "over the goal")
        print(f"  {name:22s} {statistics.median(values):7.3f}s {max(values):7.3f}s  {verdict}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-class", type=int, nargs="+", default=[100, 300],
                        help="training images per class (100: the quick setting, 300: a student's explorer)")
    parser.add_argument("--moves", type=int, default=3, help="uncached slider moves per size")
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args(argv)
    print(f"explorer benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}; explorer runs use 1 BLAS thread")
    for per_class in args.per_class:
        report(measure(per_class, args.moves, args.epochs))


if __name__ == "__main__":
    main()
