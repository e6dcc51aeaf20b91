"""The published runs: every full-scale run of ``make reproduce`` and ``make reproduce-conventions``,
shipped with the project so that a notebook shows many seeds in seconds instead of hours.

``results/histories.csv.gz`` holds one row per epoch of every run, with the run's summary repeated on
each row: its configuration (JSON), seed, best epoch, stop reason, test loss and accuracy, and the data
fingerprint and code version that made it. ``results/weights/`` holds the weights of the few runs whose
figures need them (seed 0 of the experiments in ``WEIGHTS_FOR``).

A published run is found by its whole configuration, seed included, and only at full scale. It is the
project's result on the project's copy of CIFAR-10, not a cache of yours: ``use(False)`` (or
``MLP_RETRAIN=1``) trains every run on your own copy instead.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import settings
from .atomic import write_atomically
from .run_cache import code_version

HISTORIES = "histories.csv.gz"       # in settings.RESULTS_DIR, looked up at each call (tests move it)
WEIGHTS = "weights"
RETRAIN_ENV = "MLP_RETRAIN"
# The runs whose weights a notebook reads (seed 0 only): first-layer weights under each penalty (04),
# hidden units' saturation under each activation (05), the best report topology's filters (06).
WEIGHTS_FOR = ("momentum_b128", "l2_1e-4", "l2_1e-2", "l1_1e-4", "l1_1e-2", "sigmoid", "relu", "relu_he",
               "activations_improved", "hidden_64", "hidden_256", "two_layers_64", "two_layers_128")
RUN_COLUMNS = ["experiment", "config", "best_epoch", "stop_reason", "test_loss", "test_acc",
               "run_seconds", "run_cpu_seconds", "data", "code"]

_use: bool | None = None


class PublishedRun(NamedTuple):
    """One published run: its per-epoch ``history``, its ``summary`` (the RUN_COLUMNS) and its weights
    (an empty dict unless shipped)."""
    history: pd.DataFrame
    summary: dict
    params: dict


def use(flag: bool | None = True) -> None:
    """Serve published runs (True), train everything on your copy (False), or follow ``MLP_RETRAIN`` (None)."""
    global _use
    _use = flag


def in_use() -> bool:
    """Whether ``run`` and ``run_many`` may answer a full-scale run from the published ones."""
    return _use if _use is not None else not settings.switch(RETRAIN_ENV)


def setting(retrain: bool = False) -> None:
    """A notebook's first switch: load the published runs (``retrain=False``) or train every run here.
    Prints one line saying which, and at which scale."""
    use(not retrain)
    if settings.quick_mode():
        line = "setting: QUICK (small subsets, few epochs: numbers are only a smoke test); every run trains here"
    elif retrain:
        line = ("setting: full 40k/10k/10k protocol; RETRAIN is on: every run trains on your copy of CIFAR-10 "
                "(finished runs are cached in runs/)")
    else:
        line = ("setting: full 40k/10k/10k protocol; runs of many seeds load from the published results "
                "(`make reproduce`); RETRAIN = True trains them on your copy of CIFAR-10")
    print(line)


def config_key(config) -> str:
    """The text a published run is found by: every hyperparameter, the seed included."""
    return json.dumps(config.as_dict(), sort_keys=True)


@cache
def _runs(path: Path) -> dict:
    if not path.is_file():
        return {}
    table = pd.read_csv(path, dtype={"data": str, "code": str})
    history_columns = [c for c in table.columns if c not in RUN_COLUMNS]
    runs = {}
    for key, rows in table.groupby("config", sort=False):
        summary = rows.iloc[0][RUN_COLUMNS].to_dict()
        runs[key] = (rows[history_columns].reset_index(drop=True), summary)
    return runs


def default_path() -> Path:
    return settings.RESULTS_DIR / HISTORIES


def weights_path(config, folder: Path) -> Path:
    digest = hashlib.sha1(config_key(config).encode()).hexdigest()[:16]
    return folder / f"{digest}.npz"


def find(config, path=None) -> PublishedRun | None:
    """The published run of exactly ``config`` (None if there is none, or if published runs are off)."""
    if not in_use():
        return None
    path = default_path() if path is None else Path(path)
    found = _runs(path).get(config_key(config))
    if found is None:
        return None
    history, summary = found
    weights = weights_path(config, path.parent / WEIGHTS)
    params = dict(np.load(weights)) if weights.is_file() else {}
    return PublishedRun(history.copy(), dict(summary), params)


def write(results, path=None) -> Path:
    """Publish full-scale ``results`` (RunResults) into ``path`` (default ``results/histories.csv.gz``,
    replaced atomically), keeping the published runs of other configurations (so ``make reproduce`` and
    ``make reproduce-conventions`` each add theirs), and the weights of seed 0 of ``WEIGHTS_FOR``."""
    path = default_path() if path is None else Path(path)
    frames, weights = [], path.parent / WEIGHTS
    for r in sorted(results, key=lambda r: (r.name, r.seed, config_key(r.config))):
        if r.quick:
            raise ValueError(f"{r.name} seed {r.seed} is a quick run; only full-scale runs are published")
        frame = r.history.copy()
        for column, value in zip(RUN_COLUMNS, (r.name, config_key(r.config), r.best_epoch, r.stop_reason,
                                               r.test_loss, r.test_acc, r.seconds, r.cpu_seconds,
                                               r.data_source, code_version())):
            frame.insert(RUN_COLUMNS.index(column), column, value)
        frames.append(frame)
        if r.name in WEIGHTS_FOR and r.seed == 0 and r.params:
            packed = io.BytesIO()
            np.savez_compressed(packed, **r.params)
            write_atomically(weights_path(r.config, weights), packed.getvalue())
    table = pd.concat(frames, ignore_index=True).drop_duplicates(["config", "epoch"])
    if path.is_file():
        kept = pd.read_csv(path, dtype={"data": str, "code": str})
        table = pd.concat([kept[~kept["config"].isin(table["config"])], table], ignore_index=True)
    table = table.sort_values(["experiment", "config", "epoch"], kind="stable")
    write_atomically(path, _gzipped_csv(table))
    _runs.cache_clear()
    return path


def _gzipped_csv(table) -> bytes:
    text = io.StringIO()
    table.to_csv(text, index=False, float_format="%.6g")
    return gzip.compress(text.getvalue().encode(), mtime=0)      # mtime 0: the same runs give the same bytes
