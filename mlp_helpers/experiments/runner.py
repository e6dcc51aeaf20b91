"""Train one experiment, or load it from the run cache, and evaluate it on the test set.

``run(experiment)`` is what the notebooks call: it reuses a cached run if nothing it depends on
changed (see ``run_cache``; the key needs only the data's fingerprint, so a hit loads no data),
else loads the data of the protocol (40,000 / 10,000 / 10,000; a small class-balanced subset in the
quick setting), trains with early stopping, evaluates the kept weights on the test set and caches
the result. ``train_runs`` is the training step alone (no cache), also what parallel workers run
(``parallel.run_many``); it trains with one BLAS thread, so a run gives the same numbers wherever
it ran.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_limits

from .. import settings
from ..data import N_FEATURES, flip_half
from ..data.protocol import data_source, dataset_for
from ..model.network import MLP
from ..model.penalties import make_penalty
from ..store import published, run_cache
from ..training.joint_stopping import Jointly, make_stopper
from ..training.loop import fit
from ..training.optim import SGD
from ..training.schedules import make_schedule
from .configs import Experiment, as_experiment


# ------------------------------------------------------------------ model ---
def build_model(config, n_inputs=3072, n_classes=10) -> MLP:
    """The untrained network of ``config``: n_inputs -> hidden... -> n_classes."""
    return MLP([n_inputs, *config.hidden, n_classes], activation=config.activation,
               init=config.init, seed=config.seed)


def parameter_shapes(config, n_inputs=N_FEATURES, n_classes=10) -> dict:
    """Name -> shape of every parameter the network of ``config`` has (no network is built):
    W<l> (fan_in, fan_out) and b<l> (fan_out,), as ``MLP`` makes them."""
    sizes = [n_inputs, *config.hidden, n_classes]
    shapes = {}
    for l, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:]), 1):
        shapes[f"W{l}"], shapes[f"b{l}"] = (fan_in, fan_out), (fan_out,)
    return shapes


def train_config(config, data, *, epochs=None, progress=True, callback=None, early_stopping=None):
    """Build, train and return ``(model, TrainResult)`` for ``config`` on ``data``
    (``epochs`` overrides ``config.epochs``; ``callback(history)`` runs after every epoch;
    ``early_stopping`` overrides the rule ``config.stopping`` names)."""
    epochs = config.epochs if epochs is None else epochs
    model = build_model(config, data.x_train.shape[1])
    optimizer = SGD(lr=config.lr, momentum=config.momentum, nesterov=config.nesterov)
    schedule = make_schedule(config.schedule, base_lr=config.lr, epochs=epochs)
    result = fit(model, optimizer, data, epochs=epochs, batch_size=config.batch_size,
                 penalty=make_penalty(config.penalty, config.lam), patience=config.patience,
                 monitor=config.monitor, schedule=schedule, seed=config.seed,
                 augment=flip_half if config.augment_flip else None, callback=callback,
                 progress=progress, early_stopping=early_stopping or make_stopper(config), shuffle=config.shuffle)
    return model, result


# -------------------------------------------------------------------- run ---
@dataclass
class RunResult:
    """One finished run. ``cached`` is True when it came from the run cache or the published runs
    rather than training in this call (``published`` says which); ``data_source`` is the fingerprint of
    the CIFAR-10 copy it used."""
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
    cpu_seconds: float = math.nan        # CPU time of the training (a joint run's, shared by epochs)
    published: bool = False              # from the project's published runs (``published.py``)

    @property
    def name(self):
        return self.experiment.name

    @property
    def config(self):
        return self.experiment.config

    @property
    def seed(self):
        return self.experiment.config.seed

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
        if not self.params:
            raise ValueError(f"the published run {self.name} seed {self.seed} ships without weights; "
                             "train it with run(..., force=True) to get its model")
        last = len(self.config.hidden) + 1
        net = build_model(self.config, self.params["W1"].shape[0], self.params[f"b{last}"].shape[-1])
        net.set_params(self.params)
        return net


def train_runs(experiments, *, quick=None, progress=False) -> list[RunResult]:
    """Train ``experiments`` (no cache) and return their results, in order. They must differ at most
    in ``config.stopping``: then ONE training run serves them all (``training.joint_stopping.Jointly``), each getting
    what a run of its own would have given. BLAS is held to one thread, so the numbers do not depend
    on where this runs (a notebook, a joblib worker, a Dask worker)."""
    experiments = [as_experiment(e) for e in experiments]
    base = experiments[0].config if experiments else None
    if base is None or any(replace(e.config, stopping=base.stopping) != base for e in experiments):
        raise ValueError("train_runs trains together only configs that differ in their stopping rule alone")
    quick = settings.quick_mode(quick)
    epochs = min(base.epochs, settings.QUICK["max_epochs"]) if quick else None
    with threadpool_limits(limits=1, user_api="blas"):
        data = dataset_for(base, quick)
        cpu = time.process_time()
        if len(experiments) == 1:
            model, result = train_config(base, data, epochs=epochs, progress=progress)
            return [finish(experiments[0], model, data, quick, result.history, result.best_epoch,
                           result.stop_reason, result.seconds, time.process_time() - cpu)]
        joint = Jointly(make_stopper(e.config) for e in experiments)
        model, result = train_config(base, data, epochs=epochs, progress=progress, early_stopping=joint)
        cpu, epochs_run = time.process_time() - cpu, max(len(result.history), 1)
        final, outcomes = model.get_params(), []
        for i, experiment in enumerate(experiments):
            stopped, best_epoch, reason = joint.outcome(i, model, final, result.stop_reason)
            history = result.history if stopped is None else result.history.iloc[:stopped].copy()
            outcomes.append(finish(experiment, model, data, quick, history, best_epoch, reason,
                                   float(history["seconds"].sum()), cpu * len(history) / epochs_run))
        return outcomes


def finish(experiment, model, data, quick, history, best_epoch, stop_reason, seconds, cpu_seconds) -> RunResult:
    """The RunResult of a trained ``model``: its test loss and accuracy and a copy of its weights."""
    test_loss, test_acc = model.evaluate(data.x_test, data.y_test)
    return RunResult(experiment, history, int(best_epoch), stop_reason, float(test_loss), float(test_acc),
                     float(seconds), quick, model.get_params(), cached=False,
                     data_source=getattr(data, "source", ""),        # no fingerprint: never cached
                     cpu_seconds=float(cpu_seconds))


def lookup(experiment, *, quick, cache_dir, shipped=True) -> RunResult | None:
    """The published run of ``experiment`` at full scale (if ``shipped`` and not ``published.use(False)``),
    else its cached run, else None. Loads no data: the cache key needs only the copy's fingerprint, the quick
    sizes, the config and the code version."""
    if shipped and not quick and (found := published.find(experiment.config)) is not None:
        s = found.summary
        return RunResult(experiment, found.history, int(s["best_epoch"]), s["stop_reason"],
                         float(s["test_loss"]), float(s["test_acc"]), float(s["run_seconds"]), False,
                         found.params, cached=True, data_source=s["data"],
                         cpu_seconds=float(s["run_cpu_seconds"]), published=True)
    source = data_source(experiment.config)
    if not source:
        return None
    return load_cached(cache_dir, experiment, run_cache.key(experiment.config, source, quick),
                       parameter_shapes(experiment.config))


def store(result, cache_dir, *, replace=False):
    """Cache a freshly trained ``result`` (not one without a data fingerprint, nor an interrupted one);
    a failure to write is reported in one line and the result kept. Returns the folder or None."""
    if not result.data_source or result.stop_reason == "interrupted" or result.cached:
        return None
    run_key = run_cache.key(result.config, result.data_source, result.quick)
    summary = {"name": result.name, "best_epoch": result.best_epoch, "stop_reason": result.stop_reason,
               "test_loss": result.test_loss, "test_acc": result.test_acc, "seconds": result.seconds,
               "cpu_seconds": result.cpu_seconds, "quick": result.quick}
    folder = run_cache.folder_for(cache_dir, result.name, run_key)
    last = len(result.config.hidden) + 1
    shapes = parameter_shapes(result.config, result.params["W1"].shape[0], result.params[f"b{last}"].shape[-1])
    try:
        return run_cache.save(folder, run_key, summary, result.history, result.params, shapes=shapes, replace=replace)
    except (OSError, run_cache.CacheError) as err:      # e.g. a full disk: keep the result anyway
        print(f"could not cache the run in {folder} ({err}); the result is not saved", file=sys.stderr)
        return None


def run(experiment, *, quick=None, cache_dir=None, progress=True, force=False, published=True) -> RunResult:
    """Train one experiment (a name from ``EXPERIMENTS``, an ``Experiment`` or a ``Config``; seed
    ``config.seed``), or load it from ``cache_dir`` (default ``settings.RUNS_DIR``) if the same
    configuration already ran, under any name, on the same data, at the same scale, with the same
    code. ``force`` retrains and replaces the cached run. ``published=False`` never answers from the
    published runs (made on the project's copy of CIFAR-10): use it to compare with a run of your own on
    your copy. A run stopped with Ctrl-C is returned but not cached. Several seeds or runs at once:
    ``run_seeds``, ``run_many``."""
    experiment = as_experiment(experiment)
    quick = settings.quick_mode(quick)
    cache_dir = Path(settings.RUNS_DIR if cache_dir is None else cache_dir)
    run_cache.remove_leftovers(cache_dir)
    hit = None if force else lookup(experiment, quick=quick, cache_dir=cache_dir, shipped=published)
    if hit is not None:
        return hit
    (outcome,) = train_runs([experiment], quick=quick, progress=progress)
    store(outcome, cache_dir, replace=force)
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
                     run_key["quick"] is not None, entry.params, cached=True, data_source=run_key["data"],
                     cpu_seconds=float(s.get("cpu_seconds", math.nan)))
