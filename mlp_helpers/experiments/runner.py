"""Train one experiment, or load it from the run cache, and evaluate it on the test set.

``run(experiment)`` is what the notebooks and ``python -m mlp_helpers reproduce`` call: it loads
the data of the protocol (40,000 / 10,000 / 10,000; a small class-balanced subset in the quick
setting), reuses a cached run if nothing it depends on changed (see ``run_cache``), else trains
with early stopping, evaluates the best weights on the test set and caches the result.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .. import settings
from ..data import flip_half, load_dataset
from ..model.network import MLP
from ..model.penalties import make_penalty
from ..training.loop import fit
from ..training.optim import SGD
from ..training.schedules import make_schedule
from . import run_cache
from .configs import Experiment, as_experiment

EXPLORER_PER_CLASS = {"full": 300, "quick": 100}    # training images per class for the explorers
EXPLORER_EVAL_PER_CLASS = 100


# ------------------------------------------------------------------- data ---
@lru_cache(maxsize=4)
def cached_dataset(normalisation, n_per_class, n_eval_per_class):
    """``load_dataset`` remembered per process (a full dataset takes seconds to load)."""
    return load_dataset(normalisation, n_per_class=n_per_class, n_eval_per_class=n_eval_per_class)


def protocol_dataset(normalisation="per_image", quick=None):
    """The report's protocol: 40k/10k/10k, normalised; the quick subset (``settings.QUICK``)
    when ``settings.quick_mode(quick)``."""
    if settings.quick_mode(quick):
        return cached_dataset(normalisation, settings.QUICK["n_per_class"], settings.QUICK["n_eval_per_class"])
    return cached_dataset(normalisation, None, None)


def explorer_dataset(normalisation="per_image", n_per_class=None):
    """A small class-balanced subset for the interactive explorers, where a slider move must answer
    in seconds: 300 training images per class (100 in the quick setting), 100 per class to validate
    and test."""
    if n_per_class is None:
        n_per_class = EXPLORER_PER_CLASS["quick" if settings.quick_mode() else "full"]
    return cached_dataset(normalisation, n_per_class, EXPLORER_EVAL_PER_CLASS)


# ------------------------------------------------------------------ model ---
def build_model(config, n_inputs=3072, n_classes=10) -> MLP:
    """The untrained network of ``config``: n_inputs -> hidden... -> n_classes."""
    return MLP([n_inputs, *config.hidden, n_classes], activation=config.activation,
               init=config.init, seed=config.seed)


def parameter_shapes(config, n_inputs=3072, n_classes=10) -> dict:
    """Name -> shape of every parameter the network of ``config`` has."""
    return {k: v.shape for k, v in build_model(config, n_inputs, n_classes).params.items()}


def train_config(config, data, *, epochs=None, progress=True, callback=None):
    """Build, train and return ``(model, TrainResult)`` for ``config`` on ``data``
    (``epochs`` overrides ``config.epochs``; ``callback(history)`` runs after every epoch)."""
    epochs = config.epochs if epochs is None else epochs
    model = build_model(config, data.x_train.shape[1])
    optimizer = SGD(lr=config.lr, momentum=config.momentum, nesterov=config.nesterov)
    schedule = make_schedule(config.schedule, base_lr=config.lr, epochs=epochs)
    result = fit(model, optimizer, data, epochs=epochs, batch_size=config.batch_size,
                 penalty=make_penalty(config.penalty, config.lam), patience=config.patience,
                 monitor=config.monitor, schedule=schedule, seed=config.seed,
                 augment=flip_half if config.augment_flip else None, callback=callback,
                 progress=progress)
    return model, result


# -------------------------------------------------------------------- run ---
@dataclass
class RunResult:
    """One finished run. ``cached`` is True when it came from the run cache rather than training
    in this call; ``data_source`` is the fingerprint of the CIFAR-10 copy it used."""
    experiment: Experiment
    history: pd.DataFrame
    best_epoch: int
    stop_reason: str
    test_loss: float
    test_acc: float
    seconds: float
    quick: bool
    params: dict = field(repr=False, default_factory=dict)
    cached: bool = False
    data_source: str = ""

    @property
    def name(self):
        return self.experiment.name

    @property
    def config(self):
        return self.experiment.config

    @property
    def epochs_run(self):
        return len(self.history)

    def best_row(self):
        """The history row of the best epoch (the weights the model holds), None if no epoch beat
        the initial weights."""
        rows = self.history[self.history["epoch"] == self.best_epoch]
        return rows.iloc[0] if len(rows) else None

    def model(self) -> MLP:
        """The trained network (best weights)."""
        last = len(self.config.hidden) + 1
        net = build_model(self.config, self.params["W1"].shape[0], self.params[f"b{last}"].shape[-1])
        net.set_params(self.params)
        return net


def run(experiment, *, quick=None, cache_dir=None, progress=True, force=False) -> RunResult:
    """Train one experiment (a name from ``EXPERIMENTS``, an ``Experiment`` or a ``Config``), or
    load it from ``cache_dir`` (default ``settings.RUNS_DIR``) if the same configuration already
    ran, under any name, on the same data, at the same scale, with the same code. ``force``
    retrains and replaces the cached run. A run stopped with Ctrl-C is returned but not cached."""
    experiment = as_experiment(experiment)
    config = experiment.config
    quick = settings.quick_mode(quick)
    cache_dir = Path(settings.RUNS_DIR if cache_dir is None else cache_dir)
    run_cache.remove_leftovers(cache_dir)
    data = protocol_dataset(config.normalisation, quick)
    source = getattr(data, "source", "")          # no fingerprint: the data is unknown, no caching
    run_key = run_cache.key(config, source, quick)
    shapes = parameter_shapes(config, data.x_train.shape[1])
    if source and not force:
        cached = load_cached(cache_dir, experiment, run_key, shapes)
        if cached is not None:
            return cached
    epochs = min(config.epochs, settings.QUICK["max_epochs"]) if quick else None
    model, result = train_config(config, data, epochs=epochs, progress=progress)
    test_loss, test_acc = model.evaluate(data.x_test, data.y_test)
    outcome = RunResult(experiment, result.history, result.best_epoch, result.stop_reason,
                        float(test_loss), float(test_acc), result.seconds, quick, model.get_params(),
                        cached=False, data_source=source)
    if source and result.stop_reason != "interrupted":
        summary = {"name": experiment.name, "best_epoch": outcome.best_epoch,
                   "stop_reason": outcome.stop_reason, "test_loss": outcome.test_loss,
                   "test_acc": outcome.test_acc, "seconds": outcome.seconds, "quick": quick}
        folder = run_cache.folder_for(cache_dir, experiment.name, run_key)
        try:
            run_cache.save(folder, run_key, summary, outcome.history, outcome.params, shapes=shapes,
                           replace=force)
        except (OSError, run_cache.CacheError) as err:      # e.g. a full disk: keep the result anyway
            print(f"could not cache the run in {folder} ({err}); the result is not saved", file=sys.stderr)
    return outcome


def load_cached(cache_dir, experiment, run_key, shapes) -> RunResult | None:
    """The cached run for ``run_key``, or None. An unusable entry is reported in one line (on
    stderr) and treated as absent, so the run is retrained and the entry replaced."""
    folder = run_cache.find(cache_dir, experiment.name, run_key)
    if folder is None:
        return None
    try:
        entry = run_cache.verify(run_cache.load(folder), run_key, shapes)
    except run_cache.CacheError as err:
        print(err, file=sys.stderr, flush=True)
        return None
    s = entry.summary
    return RunResult(experiment, entry.history, int(s["best_epoch"]), s["stop_reason"],
                     float(s["test_loss"]), float(s["test_acc"]), float(s["seconds"]),
                     run_key["quick"] is not None, entry.params, cached=True, data_source=run_key["data"])
