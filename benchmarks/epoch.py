"""Benchmark: how close is one training epoch to the cost of its matrix products?

Almost all the arithmetic of an MLP epoch is in five matrix products per minibatch
(for a 3072-H-10 net, with x_b (B, 3072), W1 (3072, H), W2 (H, 10)):

    forward:   z1 = x_b @ W1          (B, H)
               z2 = h @ W2            (B, 10)
    backward:  dW2 = h.T @ d2         (H, 10)
               dh = d2 @ W2.T         (B, H)
               dW1 = x_b.T @ d1       (3072, H)

Everything else (gathering the minibatch, tanh, softmax, the optimiser update, the penalty,
Python overhead) is elementwise work that BLAS cannot hide, and it runs on one core however many
threads BLAS has. This script times one real training epoch (``mlp_helpers.training.run_epoch``),
the same epoch with an L2 and with an L1 penalty, and, in the same process, the "matmul floor":
exactly those products for every minibatch of the epoch, on preallocated arrays. It does so with
one BLAS thread and with two. Two ratios matter: epoch / floor (what the non-BLAS work costs; the
speed budget is 1.35) and penalised epoch / plain epoch (what a penalty costs; the budget is 1.05).

    python benchmarks/epoch.py [--rows 40000] [--hidden 128 512] [--threads 1 2] [--repeats 3]   (make bench)

It prints figures and never asserts a time (timings vary between machines).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from types import SimpleNamespace

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from mlp_helpers.model import MLP, make_penalty
from mlp_helpers.training import SGD, run_epoch

N_FEATURES, N_CLASSES = 3072, 10
BATCH_SIZE, LR, MOMENTUM = 128, 0.01, 0.9
BUDGET_RATIO, BUDGET_PENALTY = 1.35, 1.05
PENALTIES = {"L2": ("l2", 1e-4), "L1": ("l1", 1e-4)}      # the report's weaker lambda (the cost is the same)


def make_data(rows, seed=0):
    """Random standardised float32 "images" (rows, 3072) and labels (rows,) in 0..9, seeded."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, N_FEATURES), dtype=np.float32)
    y = rng.integers(0, N_CLASSES, size=rows)
    return SimpleNamespace(x_train=x, y_train=y)


def wall_seconds(fn):
    """Wall-clock seconds of one call of ``fn()``."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def training_epoch(data, hidden, seed=0, penalty=None):
    """A function that runs one real training epoch (3072-hidden-10 tanh, SGD with momentum),
    with ``penalty`` (a ``make_penalty`` kind and lambda, e.g. ("l2", 1e-4)) or none."""
    model = MLP([N_FEATURES, hidden, N_CLASSES], activation="tanh", seed=seed)
    optimizer = SGD(LR, momentum=MOMENTUM)
    penalty = make_penalty(*penalty) if penalty else make_penalty(None)
    rng = np.random.default_rng(seed)
    return lambda: run_epoch(model, optimizer, data.x_train, data.y_train, BATCH_SIZE, penalty, rng)


def matmul_floor(data, hidden, seed=0):
    """A function that runs only the epoch's matrix products, minibatch by minibatch.

    Same shapes and the same number of minibatches (the last one may be short)
    as ``training_epoch``; every output array is allocated once, up front."""
    x = data.x_train
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((N_FEATURES, hidden), dtype=np.float32)
    W2 = rng.standard_normal((hidden, N_CLASSES), dtype=np.float32)
    h = rng.standard_normal((BATCH_SIZE, hidden), dtype=np.float32)        # stands in for tanh(z1)
    d2 = rng.standard_normal((BATCH_SIZE, N_CLASSES), dtype=np.float32)    # stands in for dE/dz2
    d1 = rng.standard_normal((BATCH_SIZE, hidden), dtype=np.float32)       # stands in for dE/dz1
    z1 = np.empty((BATCH_SIZE, hidden), np.float32)
    z2 = np.empty((BATCH_SIZE, N_CLASSES), np.float32)
    dh = np.empty((BATCH_SIZE, hidden), np.float32)
    dW1 = np.empty((N_FEATURES, hidden), np.float32)
    dW2 = np.empty((hidden, N_CLASSES), np.float32)
    # The training path multiplies a freshly gathered (hence cache-warm) batch buffer;
    # the floor multiplies one reused batch buffer too, so neither side pays extra memory traffic.
    batch = x[:BATCH_SIZE].copy()

    def run():
        for i in range(0, len(x), BATCH_SIZE):
            b = min(BATCH_SIZE, len(x) - i)
            xb, hb, d2b, d1b = batch[:b], h[:b], d2[:b], d1[:b]
            np.matmul(xb, W1, out=z1[:b])
            np.matmul(hb, W2, out=z2[:b])
            np.matmul(hb.T, d2b, out=dW2)
            np.matmul(d2b, W2.T, out=dh[:b])
            np.matmul(xb.T, d1b, out=dW1)
    return run


def blas_info():
    """'name version' of the BLAS numpy was built with, or '' if numpy does not say."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:          # older numpy: no mode="dicts"; the version alone will do
        return ""


def blas_threads():
    """The number of threads BLAS uses now (the largest, if numpy sees several BLAS libraries)."""
    return max((info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"), default=1)


def measure(rows=40_000, hidden=128, repeats=3, threads=1, seed=0):
    """Best-of-``repeats`` seconds of one training epoch (plain, and with each of ``PENALTIES``) and of
    its matmul floor, with ``threads`` BLAS threads, after a warm-up."""
    # The load before we start is the other jobs' (our own threads would add to it later).
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    data = make_data(rows, seed)
    runs = {"floor": matmul_floor(data, hidden, seed), "epoch": training_epoch(data, hidden, seed)}
    runs.update({name: training_epoch(data, hidden, seed, penalty) for name, penalty in PENALTIES.items()})
    times = {name: [] for name in runs}
    with threadpool_limits(threads):
        threads = blas_threads()               # what BLAS really runs with (an environment variable may cap it)
        # Warm-up on a few minibatches: BLAS threads start, buffers are allocated, pages touched.
        warm = SimpleNamespace(x_train=data.x_train[:10 * BATCH_SIZE], y_train=data.y_train[:10 * BATCH_SIZE])
        training_epoch(warm, hidden, seed, PENALTIES["L2"])()
        matmul_floor(warm, hidden, seed)()
        # Take turns, so a slow spell of the machine hits all alike; the best run counts,
        # as the one least disturbed by whatever else the machine was doing.
        for _ in range(repeats):
            for name, run in runs.items():
                times[name].append(wall_seconds(run))
    best = {name: min(t) for name, t in times.items()}
    result = {"rows": rows, "hidden": hidden, "batches": -(-rows // BATCH_SIZE), "repeats": repeats,
              "threads": threads, "load": load, "floor_s": best["floor"], "epoch_s": best["epoch"],
              "ratio": best["epoch"] / best["floor"]}
    for name in PENALTIES:
        result[f"{name}_s"], result[f"{name}_cost"] = best[name], best[name] / best["epoch"]
    return result


def format_table(results):
    """The figures of ``measure`` for one network (one column per BLAS thread count) as plain text."""
    first = results[0]
    column = "".join(f"{r['threads']:>10}" for r in results)

    def row(label, key, digits=3):
        return f"{label:<28}" + "".join(f"{r[key]:>10.{digits}f}" for r in results)

    lines = [
        f"one epoch of a {N_FEATURES}-{first['hidden']}-{N_CLASSES} tanh MLP, SGD lr {LR} momentum "
        f"{MOMENTUM}, batch {BATCH_SIZE}: {first['rows']} rows, {first['batches']} minibatches, "
        f"best of {first['repeats']}",
        f"{'BLAS threads':<28}{column}",
        row("matmul floor (s)", "floor_s"),
        row("training epoch (s)", "epoch_s"),
        row("ratio", "ratio", 2) + f"   (budget {BUDGET_RATIO:.2f})",
        *(row(f"{name} epoch / epoch", f"{name}_cost", 2) + f"   (budget {BUDGET_PENALTY:.2f}; "
          f"{PENALTIES[name][0]} lambda {PENALTIES[name][1]:g})" for name in PENALTIES),
        f"numpy {np.__version__}, BLAS {blas_info() or 'unknown'}, python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average before each column: "
        + ", ".join(f"{r['load']:.1f}" for r in results),
    ]
    if max(r["load"] for r in results) > (os.cpu_count() or 1):
        # Other jobs share the cores: multithreaded BLAS then waits for descheduled threads,
        # and epoch and floor suffer unequally (on a shared machine the floor of one
        # run varied from 0.8 s to 14 s).
        lines.append("warning: the machine was busy (load average above the CPU count); these timings "
                     "are unreliable. Rerun when it is idle.")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python benchmarks/epoch.py", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=40_000, help="training rows (default 40000)")
    parser.add_argument("--hidden", type=int, nargs="+", default=[128, 512],
                        help="hidden units, one network each (default 128 512)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="BLAS thread counts, one column each (default 1 2)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each; the best counts (default 3)")
    args = parser.parse_args(argv)
    for name in ("rows", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be a positive integer")
    for name in ("hidden", "threads"):
        if min(getattr(args, name)) < 1:
            parser.error(f"--{name} must be positive integers")
    for i, hidden in enumerate(args.hidden):
        results = [measure(args.rows, hidden, args.repeats, threads) for threads in args.threads]
        print(("\n" if i else "") + format_table(results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
