"""Many runs at once: seeds, ablation steps, whole reproductions, in parallel through joblib.

``run_many([(experiment, seed), ...])`` looks every run up in the run cache first (a hit loads no
data), trains the misses in parallel, longest first, and caches each as it finishes. Locally the
work goes to ``jobs`` worker processes (joblib's loky backend; default one per core); with
``scheduler="tcp://host:port"`` the same calls go to a Dask cluster through joblib's Dask backend
(the optional ``dask`` extra: ``pip install -e ".[dask]"``). Each run trains with one BLAS thread
(``runner.train_runs``) from its own seed, so the numbers are the same however and wherever it ran.

Configs that differ only in their stopping rule (a report row and its ``_report_rule`` twin, same
seed) share one training run (``stopping.Jointly``). A progress bar counts runs done out of runs
planned and estimates the time left.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from joblib import Parallel, delayed, parallel_config
from tqdm.auto import tqdm

from .. import settings
from ..data import N_FEATURES
from . import run_cache
from .configs import ABLATIONS, Config, as_experiment
from .runner import lookup, protocol_dataset, store, train_runs
from .stats import ablation_summary, compare_values

FLOPS_PER_SECOND = 8e10      # one BLAS thread of a laptop-class core, roughly (for ordering and time left)
RECOMPRESS_SECONDS = 40      # re-compressing the 60,000 images of the JPEG probe, once per worker
# What the products alone miss, as measured per epoch in the recorded reproduction:
# a penalty's value and gradient every minibatch, twice as many minibatches at batch 64, the flips.
PENALTY_COST, FLIP_COST = 1.3, 1.15


def expected_epochs(config, report_rule=False) -> int:
    """A guess at the epochs a training runs before its stopping rules end it (for ordering work and the
    time left). ``report_rule``: the training also serves a report-rule twin, whose rule (five rises in a
    row) never fired for the penalised rows at λ = 1e-2 and fired late for L1 at 1e-4 in the recorded runs."""
    if config.patience is None or config.schedule != "constant":
        return config.epochs
    if report_rule and config.penalty != "none":
        return min(config.epochs, 100 if config.lam >= 1e-2 else 40 if config.penalty == "l1" else 10)
    if config.monitor == "val_acc":
        return min(config.epochs, 25)
    if config.lam >= 1e-3 and config.penalty == "l2":
        return min(config.epochs, 55)
    return min(config.epochs, 12 if len(config.hidden) > 1 else 10)


def estimate_seconds(config, quick=False, report_rule=False) -> float:
    """A rough estimate of one training's time (one BLAS thread): products per epoch x epochs, times
    the measured cost of what the products leave out."""
    sizes = [N_FEATURES, *config.hidden, 10]
    products = sum(a * b for a, b in zip(sizes, sizes[1:]))
    if quick:
        n_train, n_eval = 10 * settings.QUICK["n_per_class"], 10 * settings.QUICK["n_eval_per_class"]
        epochs = min(expected_epochs(config, report_rule), settings.QUICK["max_epochs"])
    else:
        n_train, n_eval, epochs = 40_000, 10_000, expected_epochs(config, report_rule)
    seconds = products * epochs * (6 * n_train + 2 * n_eval) / FLOPS_PER_SECOND
    seconds *= (PENALTY_COST if config.penalty != "none" else 1) * (FLIP_COST if config.augment_flip else 1)
    seconds *= max(1.0, (128 / config.batch_size) ** 0.5)
    return seconds + (RECOMPRESS_SECONDS if config.recompress_jpeg and not quick else 0)


def group_seconds(group, quick=False) -> float:
    """``estimate_seconds`` of one training group (see ``training_groups``)."""
    return estimate_seconds(group[0].config, quick, any(e.config.stopping == "report" for e in group))


def planned(items) -> list:
    """``items`` as Experiments with their seed set: each item is (experiment, seed) or an experiment
    (a name, an Experiment or a Config: its own ``config.seed``)."""
    out = []
    for item in items:
        experiment, seed = item if isinstance(item, tuple) else (item, None)
        experiment = as_experiment(experiment)
        out.append(experiment if seed is None else experiment.with_seed(seed))
    return out


def training_groups(experiments) -> list[list]:
    """Experiments grouped so that each group is one training run (same config but the stopping
    rule), longest first by ``estimate_seconds``."""
    groups = {}
    for e in experiments:
        groups.setdefault(replace(e.config, stopping="best"), []).append(e)
    return sorted(groups.values(), key=group_seconds, reverse=True)


def preload(normalisations, quick):
    """A local worker's first act: load the protocol datasets the planned runs use. A loky worker whose
    memory grows by more than 300 MB after its first task is replaced (joblib's leak guard), and one
    normalised copy is 0.7 GB, so a worker that met a second normalisation would restart and reload."""
    for normalisation in normalisations:
        protocol_dataset(normalisation, quick)


@contextmanager
def parallel(jobs=None, scheduler=None, preloaded=(), quick=False):
    """A joblib ``Parallel`` that yields results as they finish: ``jobs`` local processes (each first
    loading the ``preloaded`` normalisations), or the Dask cluster at ``scheduler`` (joblib's Dask
    backend; the client is closed afterwards)."""
    if scheduler is None:
        jobs = jobs or os.cpu_count() or 1
        init = dict(initializer=preload, initargs=(tuple(preloaded), quick)) if jobs > 1 and preloaded else {}
        yield Parallel(n_jobs=jobs, return_as="generator_unordered", batch_size=1, pre_dispatch="n_jobs", **init)
        return
    try:
        from distributed import Client
    except ImportError as err:
        raise ImportError("a Dask scheduler needs the dask extra: pip install -e '.[dask]'") from err
    try:
        client = Client(scheduler, timeout="20s")
    except ValueError as err:                 # not an address at all: say so, not a traceback
        raise ConnectionError(f"{scheduler!r} is not a Dask scheduler address ({err}); give one like "
                              "tcp://127.0.0.1:8786") from None
    except (OSError, TimeoutError) as err:
        raise ConnectionError(f"cannot reach the Dask scheduler at {scheduler} ({err}); is it running?") from None
    try:
        with parallel_config(backend="dask"):
            yield Parallel(n_jobs=-1, return_as="generator_unordered", batch_size=1)
    finally:
        client.close()


class Progress:
    """The bar: runs done out of runs planned, and the time left (refreshed every few seconds, so a long
    first run does not look frozen). ``estimates``: {key: estimated seconds} of the trainings in the
    order they are dispatched, ``jobs`` at a time."""

    def __init__(self, total, done, estimates, jobs, enabled, every=5.0):
        self.estimates, self.finished, self.jobs = dict(estimates), set(), max(jobs, 1)
        self.planned = sum(self.estimates.values())
        self.start, self.stop = time.perf_counter(), threading.Event()
        self.bar = tqdm(total=total, initial=done, desc="runs", unit="run", file=sys.stderr, disable=not enabled,
                        bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed}{postfix}")
        self.bar.set_postfix_str(self.time_left(), refresh=True)
        self.thread = threading.Thread(target=self.tick, args=(every,), daemon=True)
        if enabled:
            self.thread.start()

    def seconds_left(self, elapsed) -> float:
        """Until 15 % of the planned work is done: the plan (estimates / jobs) counting down. Then: the
        measured speed (finished work, plus half of the runs in flight, per worker-second) applied to the
        rest."""
        waiting = [k for k in self.estimates if k not in self.finished]
        if not waiting:
            return 0.0
        left = sum(self.estimates[k] for k in waiting)
        in_flight = sum(self.estimates[k] for k in waiting[:self.jobs])      # dispatched in plan order
        done = self.planned - left
        if done < 0.15 * self.planned or elapsed <= 0:
            return max(self.planned / self.jobs - elapsed, 0.1 * left / self.jobs)
        speed = (done + in_flight / 2) / (elapsed * self.jobs)             # estimated seconds per real second
        return (left - in_flight / 2) / (self.jobs * speed)

    def time_left(self) -> str:
        if len(self.finished) == len(self.estimates):
            return ""
        seconds = self.seconds_left(time.perf_counter() - self.start)
        return f"~{seconds / 60:.0f} min left" if seconds >= 90 else f"~{seconds:.0f} s left"

    def tick(self, every):
        while not self.stop.wait(every):
            self.bar.set_postfix_str(self.time_left(), refresh=True)

    def update(self, runs, key):
        self.finished.add(key)
        self.bar.update(runs)
        self.bar.set_postfix_str(self.time_left(), refresh=True)

    def close(self):
        self.stop.set()
        self.bar.close()


def run_many(items, *, jobs=None, scheduler=None, quick=None, cache_dir=None, force=False, progress=True) -> list:
    """Run (or load from the cache) every (experiment, seed) in ``items``; RunResults in the same
    order. Runs of the same config under several names train once. ``jobs``: local worker processes
    (default ``os.cpu_count()``; 1 trains in this process); ``scheduler``: a Dask scheduler address
    instead. ``force`` retrains and replaces cached runs. Ctrl-C keeps every run finished so far."""
    asked = planned(items)
    quick = settings.quick_mode(quick)
    cache_dir = Path(settings.RUNS_DIR if cache_dir is None else cache_dir)
    run_cache.remove_leftovers(cache_dir)
    unique = {}
    for e in asked:
        unique.setdefault(e.config, e)
    done = {}
    for config, e in unique.items():
        if not force and (hit := lookup(e, quick=quick, cache_dir=cache_dir)) is not None:
            done[config] = hit
    groups = training_groups([e for config, e in unique.items() if config not in done])
    jobs = jobs or os.cpu_count() or 1
    estimates = {id(g): group_seconds(g, quick) for g in groups}
    bar = Progress(len(unique), len(done), estimates, jobs, progress)
    try:
        if groups:
            normalisations = sorted({g[0].config.normalisation for g in groups if g[0].config.recompress_jpeg is None})
            with parallel(jobs, scheduler, preloaded=normalisations, quick=quick) as pool:
                tasks = (delayed(train_group)(g, quick, id(g)) for g in groups)
                for key, results in pool(tasks):
                    if any(r.stop_reason == "interrupted" for r in results):
                        # Ctrl-C reached a training in this process (--jobs 1): stop the whole call, as
                        # it stops with worker processes; a cut-short run is never cached or tabulated.
                        raise KeyboardInterrupt
                    for r in results:
                        store(r, cache_dir, replace=force)
                        done[r.config] = r
                    bar.update(len(results), key)
    finally:
        bar.close()
    return [replace(done[e.config], experiment=e) for e in asked]


def train_group(group, quick, key):
    """What a worker runs: one training for ``group`` (see ``runner.train_runs``), tagged with ``key``."""
    return key, train_runs(group, quick=quick, progress=False)


def run_seeds(experiment, seeds=None, *, jobs=None, scheduler=None, quick=None, cache_dir=None, force=False,
              progress=True) -> list:
    """One RunResult per seed of ``experiment`` (a name, an Experiment or a Config), in seed order;
    ``seeds`` defaults to the experiment's own (``Experiment.seeds``)."""
    experiment = as_experiment(experiment)
    seeds = experiment.seeds if seeds is None else seeds
    return run_many([(experiment, s) for s in seeds], jobs=jobs, scheduler=scheduler, quick=quick,
                    cache_dir=cache_dir, force=force, progress=progress)


def ablation_runs(question, **kwargs) -> list:
    """Every seed of every step of the question's ablation chain (``ABLATIONS``), each step once."""
    if question not in ABLATIONS:
        raise ValueError(f"no ablation for {question!r}; choose one of {', '.join(ABLATIONS)}")
    items = [(name, seed) for name, _ in ABLATIONS[question] for seed in as_experiment(name).seeds]
    return run_many(items, **kwargs)


def ablation_table(question, *, jobs=None, scheduler=None, quick=None, cache_dir=None, progress=True):
    """The question's ablation: one row per step from the report row to our recipe (see
    ``stats.ablation_summary``), running or loading every seed of every step."""
    results = ablation_runs(question, jobs=jobs, scheduler=scheduler, quick=quick, cache_dir=cache_dir,
                            progress=progress)
    return ablation_summary(results, ABLATIONS[question])


def compare_seeds(a, b, *, seeds=None, quick=None, jobs=None) -> dict:
    """Experiment ``a`` against ``b`` (names, Experiments, Configs or lists of RunResults): the difference
    of mean test accuracy in points, its Welch 95 % interval and the verdict ('<a> better', '<b> better'
    or 'no measurable difference'). ``seeds``: the seeds to run for a side that is not a list (default:
    an experiment's own; a Config has only its own ``seed``, so pass e.g. ``seeds=range(5)``). A Config
    is labelled by the settings it changes. Use it for every "A beats B" sentence."""
    sides = []
    for side in (a, b):
        runs = list(side) if isinstance(side, list) else run_seeds(side, seeds, quick=quick, jobs=jobs,
                                                                    progress=False)
        if not runs:
            raise ValueError("a side of the comparison has no runs")
        label = side.describe() if isinstance(side, Config) else runs[0].name
        sides.append((label, [100 * r.test_acc for r in runs]))
    if sides[0][0] == sides[1][0]:
        raise ValueError(f"both sides are {sides[0][0]!r}: compare two different experiments or configs")
    return compare_values(*sides[0], *sides[1])
