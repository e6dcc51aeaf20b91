"""Many runs at once: seeds, ablation steps, whole reproductions, in parallel.

``run_many([(experiment, seed), ...])`` looks every run up first (a hit loads no data), trains the misses
in parallel, largest first (``work``: the network's size times its epochs), and caches each as it
finishes. The work goes to ``jobs`` local worker processes (joblib; default one per core) or, with
``scheduler="tcp://host:port"``, to a Dask cluster (``pool``). Each run trains with one BLAS thread
(``runner.train_runs``) from its own seed, so the numbers are the same however and wherever it ran.

Configs that differ only in their stopping rule (a report row and its ``_report_rule`` twin, same
seed) share one training run (``training.joint_stopping.Jointly``). A progress bar counts runs done out of runs
planned and gives tqdm's time left, measured on the trainings finished so far.
"""
from __future__ import annotations

import os
import sys
import threading
from dataclasses import replace
from pathlib import Path

from tqdm.std import tqdm

from .. import settings
from ..data import N_FEATURES
from ..store import run_cache
from ..training.progress import notebook_line
from .configs import ABLATIONS, Config, as_experiment
from .pool import finished
from .runner import lookup, store, train_runs
from .stats import ablation_summary, compare_values


def work(config, quick=False) -> int:
    """How big one training is, for ordering and the time left: the network's weights (multiply-adds
    per image) times the epochs it may run."""
    sizes = [N_FEATURES, *config.hidden, 10]
    epochs = min(config.epochs, settings.QUICK["max_epochs"]) if quick else config.epochs
    return sum(a * b for a, b in zip(sizes, sizes[1:])) * epochs


def planned(items) -> list:
    """``items`` as Experiments with their seed set: each item is (experiment, seed) or an experiment
    (a name, an Experiment or a Config: its own ``config.seed``)."""
    out = []
    for item in items:
        experiment, seed = item if isinstance(item, tuple) else (item, None)
        experiment = as_experiment(experiment)
        out.append(experiment if seed is None else experiment.with_seed(seed))
    return out


def training_groups(experiments, quick=False) -> list[list]:
    """Experiments grouped so that each group is one training run (same config but the stopping
    rule), largest ``work`` first."""
    groups = {}
    for e in experiments:
        groups.setdefault(replace(e.config, stopping="best"), []).append(e)
    return sorted(groups.values(), key=lambda group: work(group[0].config, quick), reverse=True)


class Progress:
    """``runs: 12/40 |███       | 03:10<05:20`` on stderr, as plain text; in a notebook one output that each
    redraw replaces (``training.progress.notebook_line``), so the notebook saves its last state.

    The count is runs done (cached ones included) out of runs planned. The bar fills with the ``work``
    of the trainings finished, so the time left is tqdm's: the work still planned at the speed measured
    on the work done ('?' until the first training ends). Refreshed every few seconds, so a long
    training does not look frozen."""

    def __init__(self, runs, done, work_planned, enabled, every=5.0):
        self.runs, self.done, self.stop = runs, done, threading.Event()
        # smoothing=0: the mean speed over everything finished, not the last few (one slow run would swing it)
        out = (notebook_line() or sys.stderr) if enabled else sys.stderr     # one output in a notebook
        self.bar = tqdm(total=work_planned or 1, desc=self.count(), smoothing=0, file=out,
                        disable=not enabled, bar_format="{desc} |{bar}| {elapsed}<{remaining}")
        if not work_planned:
            self.bar.update(1)                                     # nothing to train: done at once
        if enabled:
            threading.Thread(target=self.tick, args=(every,), daemon=True).start()

    def count(self) -> str:
        return f"runs: {self.done}/{self.runs}"

    def tick(self, every):
        while not self.stop.wait(every):
            self.bar.refresh()

    def update(self, runs, work_done):
        self.done += runs
        self.bar.set_description_str(self.count(), refresh=False)
        self.bar.update(work_done)

    def close(self):
        self.stop.set()
        self.bar.close()


def run_many(items, *, jobs=None, scheduler=None, quick=None, cache_dir=None, force=False, progress=True,
             published=True) -> list:
    """Run (or load) every (experiment, seed) in ``items``; RunResults in the same order. Runs of the
    same config under several names train once. ``jobs``: local worker processes (default
    ``os.cpu_count()``; 1 trains in this process); ``scheduler``: a Dask scheduler address instead.
    ``force`` retrains and replaces cached runs; ``published=False`` never answers from the published
    runs (see ``runner.lookup``). Ctrl-C keeps every run finished so far."""
    asked = planned(items)
    quick = settings.quick_mode(quick)
    cache_dir = Path(settings.RUNS_DIR if cache_dir is None else cache_dir)
    run_cache.remove_leftovers(cache_dir)
    unique = {}
    for e in asked:
        unique.setdefault(e.config, e)
    done = {}
    for config, e in unique.items():
        if not force and (hit := lookup(e, quick=quick, cache_dir=cache_dir, shipped=published)) is not None:
            done[config] = hit
    groups = training_groups([e for config, e in unique.items() if config not in done], quick)
    bar = Progress(len(unique), len(done), sum(work(g[0].config, quick) for g in groups), progress)
    try:
        for results in finished(train_runs, groups, quick, jobs or os.cpu_count() or 1, scheduler):
            if any(r.stop_reason == "interrupted" for r in results):
                # Ctrl-C reached a training in this process (--jobs 1): stop the whole call, as it stops
                # with worker processes; a cut-short run is never cached or tabulated.
                raise KeyboardInterrupt
            for r in results:
                store(r, cache_dir, replace=force)
                done[r.config] = r
            bar.update(len(results), work(results[0].config, quick))
    finally:
        bar.close()
    return [replace(done[e.config], experiment=e) for e in asked]


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
