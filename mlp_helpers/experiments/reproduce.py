"""``python -m mlp_helpers reproduce``: run the named experiments, every seed, and tabulate them.

Each run comes from the run cache when nothing it depends on changed (see ``run_cache``), so an
interrupted reproduction resumes where it stopped; a run cut short leaves nothing behind. The runs
go through ``parallel.run_many`` (``--jobs`` local processes, or a Dask cluster with ``--scheduler``).

Where the results go. ``results/results.csv``, ``results/results.md`` and ``figures/reproduce_*.png``
are the committed record of a complete, full-scale reproduction and are written only by one: every
experiment, full scale. A partial run (names given) or a quick one writes the same files into
``settings.QUICK_RESULTS_DIR`` and ``settings.QUICK_FIGURES_DIR`` (under ``runs/``) instead.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pandas as pd

from .. import settings
from .configs import ABLATIONS, EXPERIMENTS
from .markdown import results_markdown, spread
from .parallel import run_many
from .results import results_table
from .stats import ablation_summary, seed_histories, seed_summary
from .tables import data_note, write_atomically, write_tables

TIMING_FILE = "reproduce-timing.md"

# The groups of the time breakdown, in the order the README gives them.
GROUPS = {"report": "report rows", "report_rule": "report-rule runs (extra epochs only)",
          "evidence": "evidence runs", "ablation": "ablation steps", "improved": "128-unit recipes",
          "wide": "wide recipes (512, 1024-512)", "custom": "other"}


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


def group_of(result) -> str:
    kind = result.experiment.kind
    if kind == "improved" and max(result.config.hidden) > 128:
        return "wide"
    return kind


def time_breakdown(results) -> pd.DataFrame:
    """Per group: runs, runs trained in this call, their training seconds (wall clock, each run on one
    core) and CPU seconds. A report-rule run trained together with its row counts only the epochs it
    ran beyond the row."""
    by_key = {(r.name, r.seed): r for r in results}
    rows = {}
    for r in results:
        group = group_of(r)
        row = rows.setdefault(group, {"group": GROUPS.get(group, group), "runs": 0, "trained": 0, "seconds": 0.0,
                                      "cpu_seconds": 0.0})
        row["runs"] += 1
        if r.cached:
            continue
        row["trained"] += 1
        seconds, cpu = r.seconds, getattr(r, "cpu_seconds", 0.0)
        twin = by_key.get((r.name.removesuffix("_report_rule"), r.seed)) if group == "report_rule" else None
        if twin is not None and not twin.cached:
            seconds = max(0.0, r.seconds - twin.seconds)
            cpu = max(0.0, cpu - getattr(twin, "cpu_seconds", 0.0))
        row["seconds"] += seconds
        row["cpu_seconds"] += cpu if cpu == cpu else 0.0           # NaN (unknown) counts as 0
    order = [g for g in GROUPS if g in rows]
    table = pd.DataFrame([rows[g] for g in order])
    table[["seconds", "cpu_seconds"]] = table[["seconds", "cpu_seconds"]].round(0)
    return table


class LoadSampler:
    """The 1-minute load average every ``every`` seconds while the block runs (others share the machine)."""

    def __init__(self, every=15.0):
        self.every, self.samples, self.stop = every, [os.getloadavg()[0]], threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        while not self.stop.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.samples.append(os.getloadavg()[0])

    def text(self) -> str:
        return (f"1-minute load average during the run: mean {sum(self.samples) / len(self.samples):.1f}, "
                f"max {max(self.samples):.1f} ({len(self.samples)} samples, one every {self.every:.0f} s)")


def timing_text(results, wall, load_before, load_after, jobs, scheduler, load=None) -> str:
    breakdown = time_breakdown(results)
    if breakdown["trained"].sum() == 0:
        return (f"All {len(results)} runs came from the run cache ({wall:.0f} s); the time of a reproduction from "
                "an empty cache is in docs/development.md.")
    where = (f"the Dask cluster at {scheduler}" if scheduler
             else f"{jobs} local worker process(es), one BLAS thread each")
    return (f"Wall time {wall:.0f} s ({wall / 60:.1f} min) on {where}; {int(breakdown['trained'].sum())} of "
            f"{len(results)} runs trained, the rest from the run cache. Load average (1, 5, 15 min) at the start "
            f"{', '.join(f'{x:.1f}' for x in load_before)}, at the end {', '.join(f'{x:.1f}' for x in load_after)}"
            f"{'; ' + load if load else ''}. "
            f"CPU time of all training {breakdown['cpu_seconds'].sum():.0f} s, so an idle machine with {jobs} cores "
            f"would need about {breakdown['cpu_seconds'].sum() / max(jobs, 1) / 60:.1f} min plus data loading. "
            "Training time per group (`seconds`: wall clock of each run, on one core; `cpu_seconds`: CPU time; "
            "summed over runs):\n\n"
            f"{breakdown.to_markdown(index=False)}")


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
    load_before, start = os.getloadavg(), time.perf_counter()
    with LoadSampler() as load:
        results = run_many(items, jobs=jobs, scheduler=scheduler, quick=quick, force=force, progress=progress,
                           cache_dir=cache_dir)
    wall = time.perf_counter() - start
    table = results_table(results)
    summary = seed_summary(table, n_test=n_test_images(quick))
    for _, row in summary.iterrows():
        runs = [r for r in results if r.name == row["experiment"]]
        cached = sum(r.cached for r in runs)
        tag = " (cached)" if cached == len(runs) else f" ({cached} of {len(runs)} cached)" if cached else ""
        print(f"  {row['experiment']:32s} {row['n']} seed(s)  test accuracy {spread(row)} %{tag}")
    timing = timing_text(results, wall, load_before, os.getloadavg(), jobs, scheduler, load.text())
    timing = remembered_timing(timing, results, cache_dir, complete)
    note = data_note(data_folder(), [r.data_source for r in results if r.config.recompress_jpeg is None])
    write_tables(table, out, note=note, quick=quick,
                 text=results_markdown(table, note=note, quick=quick, n_test=n_test_images(quick), timing=timing))
    if figures is not None:
        present = set(table["experiment"])
        ablations = {q: ablation_summary(table, chain) for q, chain in ABLATIONS.items()
                     if all(name in present for name, _ in chain)}
        figures(seed_histories(results), summary, ablations, figures_folder)
    print(f"\n{timing}\n\nwrote {out}/results.csv and results.md" + (f" and {figures_folder}/reproduce_*.png"
                                                                    if figures is not None else ""))
    if not complete:
        print(f"({'quick' if quick else 'partial'} run: {settings.RESULTS_DIR.name}/ and "
              f"{settings.FIGURES_DIR.name}/ are written only by a full-scale run of every experiment)")
    return 0


def remembered_timing(timing, results, cache_dir, complete) -> str:
    """A complete reproduction that trained every run saves its time beside the cache it filled
    (``TIMING_FILE``); a later one that found every run cached quotes it."""
    path = Path(settings.RUNS_DIR if cache_dir is None else cache_dir) / TIMING_FILE
    if complete and not any(r.cached for r in results):
        write_atomically(path, timing)
    elif complete and all(r.cached for r in results) and path.is_file():
        timing += f"\n\nThe reproduction that filled this cache from empty:\n\n{path.read_text()}"
    return timing


def n_test_images(quick) -> int:
    """Images in the test set: 10,000, or the quick subset's."""
    return 10 * settings.QUICK["n_eval_per_class"] if quick else 10_000


def data_folder() -> Path:
    """The CIFAR-10 folder the runs used (already present: every run looked it up)."""
    from ..data import locate_cifar10
    return locate_cifar10(download=False)
