"""``python -m mlp_helpers reproduce``: run the named experiments, every seed, and tabulate them.

Each run comes from the run cache when nothing it depends on changed (see ``store.run_cache``), so
an interrupted reproduction resumes where it stopped; a run cut short leaves nothing behind. It never
answers from the published runs: it is what makes them. The runs go through ``run_many`` (``--jobs``
local processes, or a Dask cluster with ``--scheduler``).

Where the results go. ``results/results.csv``, ``results/results.md`` and ``figures/reproduce_*.png``
are the committed record of a complete, full-scale reproduction and are written only by one: every
experiment, full scale. A partial run (names given) or a quick one writes the same files into
``settings.QUICK_RESULTS_DIR`` and ``settings.QUICK_FIGURES_DIR`` (under ``runs/``) instead.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from .. import settings
from ..data import locate_cifar10
from ..experiments.configs import ABLATIONS, EXPERIMENTS
from ..experiments.parallel import run_many
from ..experiments.results import results_table
from ..experiments.stats import ablation_summary, seed_histories, seed_summary, test_images
from ..store import published
from .files import data_note, write_tables
from .markdown import results_markdown, spread


def list_experiments() -> str:
    return "\n".join(f"{e.name:32s} {e.question:15s} {len(e.seeds)} seed(s)  {e.config.describe()}"
                     for e in EXPERIMENTS.values())


def destinations(names, quick: bool) -> tuple[Path, Path, bool]:
    """(results folder, figures folder, complete): the committed folders only for every
    experiment at full scale."""
    complete = not quick and set(names) == set(EXPERIMENTS)
    if complete:
        return settings.RESULTS_DIR, settings.FIGURES_DIR, True
    return settings.QUICK_RESULTS_DIR, settings.QUICK_FIGURES_DIR, False


def time_text(results, wall, jobs, scheduler) -> str:
    """How long this call took and how many runs it trained (the breakdown by group, with the machine's
    load, is ``benchmarks/reproduce_timing.py``)."""
    trained = sum(not r.cached for r in results)
    if not trained:
        return (f"All {len(results)} runs came from the run cache ({wall:.0f} s); the time of a reproduction from "
                "an empty cache is in docs/development.md.")
    where = f"the Dask cluster at {scheduler}" if scheduler else f"{jobs} local worker process(es)"
    return (f"Wall time {wall:.0f} s ({wall / 60:.1f} min) on {where}; {trained} of {len(results)} runs trained, "
            "the rest from the run cache (by group, with the load: `python benchmarks/reproduce_timing.py`).")


def main(names=None, *, quick=False, force=False, list_only=False, progress=True, jobs=None, scheduler=None,
         cache_dir=None, figures=None) -> int:
    """Run ``names`` (default: every experiment), every seed, and write the tables and, with
    ``figures(histories, summary, ablations, folder)``, the figures; 0 on success. ``cache_dir``:
    the run cache (default ``settings.RUNS_DIR``)."""
    if list_only:
        print(list_experiments())
        return 0
    names = list(dict.fromkeys(names or EXPERIMENTS))     # a name given twice runs (and counts) once
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise SystemExit(f"unknown experiment(s) {', '.join(unknown)}; `--list` shows the names")
    out, figures_folder, complete = destinations(names, quick)
    if complete:
        names = list(EXPERIMENTS)                     # the committed table keeps the canonical order
    items = [(name, seed) for name in names for seed in EXPERIMENTS[name].seeds]
    jobs = jobs or os.cpu_count() or 1
    print(f"{len(items)} runs of {len(names)} experiments "
          f"({'on ' + scheduler if scheduler else f'{jobs} jobs'}, {'quick' if quick else 'full scale'})", flush=True)
    start = time.perf_counter()
    results = run_many(items, jobs=jobs, scheduler=scheduler, quick=quick, force=force, progress=progress,
                       cache_dir=cache_dir, published=False)
    timing = time_text(results, time.perf_counter() - start, jobs, scheduler)
    table = results_table(results)
    n_test = test_images(results)
    summary = seed_summary(table, n_test=n_test)
    for _, row in summary.iterrows():
        runs = [r for r in results if r.name == row["experiment"]]
        cached = sum(r.cached for r in runs)
        tag = " (cached)" if cached == len(runs) else f" ({cached} of {len(runs)} cached)" if cached else ""
        print(f"  {row['experiment']:32s} {row['n']} seed(s)  test accuracy {spread(row)} %{tag}")
    note = data_note(data_folder(), [r.data_source for r in results if r.config.recompress_jpeg is None])
    write_tables(table, out, note=note, quick=quick,
                 text=results_markdown(table, note=note, quick=quick, n_test=n_test, timing=timing))
    if complete:
        published.write(results)          # every epoch of every run, for the notebooks (results/histories.csv.gz)
    if figures is not None:
        present = set(table["experiment"])
        ablations = {q: ablation_summary(table, chain) for q, chain in ABLATIONS.items()
                     if all(name in present for name, _ in chain)}
        figures(seed_histories(results), summary, ablations, figures_folder)
    wrote = f"{out}/results.csv, results.md" + (" and histories.csv.gz" if complete else "")
    print(f"\n{timing}\n\nwrote {wrote}" + (f" and {figures_folder}/reproduce_*.png"
                                                                    if figures is not None else ""))
    if not complete:
        print(f"({'quick' if quick else 'partial'} run: {settings.RESULTS_DIR.name}/ and "
              f"{settings.FIGURES_DIR.name}/ are written only by a full-scale run of every experiment)")
    return 0


def data_folder() -> Path:
    """The CIFAR-10 folder the runs used (already present: every run looked it up)."""
    return locate_cifar10(download=False)
