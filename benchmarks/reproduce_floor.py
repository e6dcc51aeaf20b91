"""Benchmark: the least time the committed reproduction could take, and how far its training is from it.

Almost all the arithmetic of training is matrix products (see ``epoch.py``). For every training
that ``make reproduce`` runs (read from ``results/results.csv``: each configuration and seed once,
a report row and its report-rule twin as one training of the longer of their two runs, since they
share it; the conventions study's rows, which ``make reproduce-conventions`` trains, are left out),
this script times, in this run and with one BLAS thread, only the products of one epoch of that
network (forward and backward over 40,000 training rows in minibatches, and the forward pass over
the 10,000 validation rows), and multiplies by the epochs that training ran.

The sum is a floor: an implementation that did nothing but these products, with the work split
perfectly over the cores, could not be faster. It prints the floor in CPU seconds and in minutes
for the given number of cores.

Then the ratio of the training to that floor, on a fixed sample of the reproduction's runs
(``SAMPLE``, seed 0): each is trained for ``SAMPLE_EPOCHS`` epochs exactly as the reproduction trains
it (``train_config``: its network, optimiser, schedule, penalty, flips and stopping rule, one BLAS
thread as in its workers), on random data of the protocol's shape (the time does not depend on the
pixel values); its epochs (training and validation) are timed against the products of the same epochs,
and the start-up of each training (checks of the data, the untrained network's validation) is shown
apart. Data loading, the test set and the scheduling of the workers are not in it.

    python benchmarks/reproduce_floor.py [--results results/results.csv] [--cores 2] [--sample-epochs 2]

It prints figures and never asserts a time.
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mlp_helpers.data import N_FEATURES
from mlp_helpers.experiments import EXPERIMENTS
from mlp_helpers.experiments.runner import train_config

N_TRAIN, N_VAL, N_CLASSES = 40_000, 10_000, 10
BUDGET_MINUTES = 25                 # the time budget a full reproduction was given
BUDGET_RATIO = 1.4                  # the speed budget of its training against its products
# The sample: the kinds of run that hold most of the reproduction's epochs (the 128-unit base, the two
# penalties, two hidden layers, flips with L2 and a cosine schedule) and the widest network with one layer.
SAMPLE = ("momentum_b128", "l2_1e-2", "l1_1e-2", "two_layers_64", "abl_l2", "regularisation_improved")
SAMPLE_EPOCHS = 2


def trainings(results: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct training: layer sizes, batch size and the epochs it ran (the longest of the
    runs that share it)."""
    rows = {}
    for run in results.itertuples():
        if run.experiment not in EXPERIMENTS:         # a conventions-study run, not part of `make reproduce`
            continue
        config = replace(EXPERIMENTS[run.experiment].config, seed=int(run.seed), stopping="best")
        rows[config] = max(rows.get(config, 0), int(run.epochs_run))
    return pd.DataFrame([{"sizes": (N_FEATURES, *c.hidden, N_CLASSES), "batch_size": c.batch_size, "epochs": e}
                         for c, e in rows.items()])


def products_per_epoch(sizes, batch_size, rng, n_train=N_TRAIN, n_val=N_VAL) -> float:
    """Seconds of the matrix products of one epoch (training and validation), best of two."""
    weights = [rng.standard_normal((a, b), dtype=np.float32) for a, b in zip(sizes, sizes[1:])]
    acts = [rng.standard_normal((batch_size, s), dtype=np.float32) for s in sizes]
    deltas = [rng.standard_normal((batch_size, s), dtype=np.float32) for s in sizes]
    grads = [np.empty_like(w) for w in weights]
    outs = [np.empty((batch_size, s), np.float32) for s in sizes]
    x_val = rng.standard_normal((n_val, sizes[0]), dtype=np.float32)
    batches = -(-n_train // batch_size)

    def epoch():
        for _ in range(batches):
            for l, w in enumerate(weights):
                np.matmul(acts[l], w, out=outs[l + 1])                 # forward z_l = a_(l-1) W_l
                np.matmul(acts[l].T, deltas[l + 1], out=grads[l])      # dE/dW_l = a_(l-1)^T delta_l
                if l > 0:
                    np.matmul(deltas[l + 1], w.T, out=outs[l])         # dE/da_(l-1) = delta_l W_l^T
        a = x_val
        for w in weights:
            a = a @ w                                                  # the validation forward pass

    best = np.inf
    for _ in range(2):
        t0 = time.perf_counter()
        epoch()
        best = min(best, time.perf_counter() - t0)
    return best


def protocol_shaped_data(rng, n_train=N_TRAIN, n_val=N_VAL) -> SimpleNamespace:
    """Random standardised float32 images in the protocol's numbers (40,000 train, 10,000 validation)."""
    return SimpleNamespace(x_train=rng.standard_normal((n_train, N_FEATURES), dtype=np.float32),
                           y_train=rng.integers(0, N_CLASSES, n_train),
                           x_val=rng.standard_normal((n_val, N_FEATURES), dtype=np.float32),
                           y_val=rng.integers(0, N_CLASSES, n_val))


def sample_ratio(names=SAMPLE, epochs=SAMPLE_EPOCHS, rng=None, n_train=N_TRAIN, n_val=N_VAL) -> pd.DataFrame:
    """One row per sampled run: the seconds of its epochs (training and validation, as its history
    records them), the seconds before its first epoch (the checks of the data, the untrained network's
    validation), the products' seconds of the same epochs, and epochs / products. One BLAS thread, as
    in the reproduction's workers."""
    rng = np.random.default_rng(0) if rng is None else rng
    data = protocol_shaped_data(rng, n_train, n_val)
    rows = []
    with threadpool_limits(1):
        for name in names:
            config = replace(EXPERIMENTS[name].config, seed=0)
            t0 = time.perf_counter()
            _, result = train_config(config, data, epochs=epochs, progress=False)
            total = time.perf_counter() - t0
            in_epochs = float(result.history["seconds"].sum())
            sizes = (N_FEATURES, *config.hidden, N_CLASSES)
            floor = products_per_epoch(sizes, config.batch_size, rng, n_train, n_val) * len(result.history)
            rows.append({"experiment": name, "network": "-".join(map(str, sizes)), "epochs": len(result.history),
                         "epochs (s)": in_epochs, "start-up (s)": total - in_epochs, "products (s)": floor,
                         "ratio": in_epochs / floor})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", default="results/results.csv")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sample-epochs", type=int, default=SAMPLE_EPOCHS,
                        help=f"epochs each sampled run trains (default {SAMPLE_EPOCHS}; 0 skips the sample)")
    args = parser.parse_args(argv)
    if args.sample_epochs < 0:
        parser.error("--sample-epochs must be 0 or more")
    table = trainings(pd.read_csv(args.results))
    rng = np.random.default_rng(0)
    with threadpool_limits(1):
        floors = {key: products_per_epoch(*key, rng) for key in sorted(set(zip(table["sizes"], table["batch_size"])))}
    table["floor_s"] = [floors[k] * e for k, e in zip(zip(table["sizes"], table["batch_size"]), table["epochs"])]
    by_net = table.groupby(["sizes", "batch_size"]).agg(trainings=("epochs", "size"), epochs=("epochs", "sum"),
                                                       floor_s=("floor_s", "sum")).reset_index()
    by_net["floor per epoch (s)"] = [round(floors[(s, b)], 3) for s, b in zip(by_net["sizes"], by_net["batch_size"])]
    by_net["sizes"] = ["-".join(map(str, s)) for s in by_net["sizes"]]
    by_net["floor_s"] = by_net["floor_s"].round(0)
    print(by_net.to_string(index=False))
    total = table["floor_s"].sum()
    minutes = total / args.cores / 60
    print(f"\n{len(table)} trainings, {table['epochs'].sum()} epochs. Matrix products alone: {total:.0f} CPU s, "
          f"so at least {minutes:.1f} min on {args.cores} cores (budget {BUDGET_MINUTES} min, "
          f"{'within' if minutes <= BUDGET_MINUTES else 'above'} it before any other work).", flush=True)
    if args.sample_epochs:
        sample = sample_ratio(epochs=args.sample_epochs, rng=rng)
        print(f"\nThe reproduction's training against its products: a fixed sample of its runs (seed 0, "
              f"{args.sample_epochs} epochs each, one BLAS thread, random data of the protocol's shape)\n")
        print(sample.to_string(index=False, float_format="{:.2f}".format))
        seconds, products = sample["epochs (s)"].sum(), sample["products (s)"].sum()
        start_up = sample["start-up (s)"].mean()
        print(f"\nsample: {seconds:.1f} s of epochs against {products:.1f} s of products: "
              f"ratio {seconds / products:.2f} (budget {BUDGET_RATIO:.2f}); and {start_up:.2f} s of start-up per "
              f"training, which the reproduction spreads over {table['epochs'].mean():.0f} epochs a training")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
