"""``python -m mlp_helpers reproduce``: run the named experiments and tabulate them.

Each run comes from the run cache when nothing it depends on changed (see ``run_cache``), so an
interrupted reproduction resumes where it stopped; a run cut short leaves nothing behind.

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
from .configs import EXPERIMENTS
from .runner import run
from .tables import data_note, results_table, write_tables


def list_experiments() -> str:
    return "\n".join(f"{e.name:24s} {e.question:15s} {e.config.describe()}" for e in EXPERIMENTS.values())


def destinations(names, quick: bool) -> tuple[Path, Path, bool]:
    """(results folder, figures folder, complete): the committed folders only for every
    experiment at full scale."""
    complete = not quick and set(names) == set(EXPERIMENTS)
    if complete:
        return settings.RESULTS_DIR, settings.FIGURES_DIR, True
    return settings.QUICK_RESULTS_DIR, settings.QUICK_FIGURES_DIR, False


def main(names=None, *, quick=False, force=False, list_only=False, progress=True) -> int:
    """Run ``names`` (default: every experiment) and write the tables and figures; 0 on success."""
    if list_only:
        print(list_experiments())
        return 0
    names = list(names or EXPERIMENTS)
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise SystemExit(f"unknown experiment(s) {', '.join(unknown)}; `--list` shows the names")
    out, figures, complete = destinations(names, quick)
    if complete:
        names = list(EXPERIMENTS)                     # the committed table keeps the canonical order
    start, results = time.perf_counter(), []
    for i, name in enumerate(names, 1):
        print(f"[{i}/{len(names)}] {name}: {EXPERIMENTS[name].config.describe()}", flush=True)
        r = run(name, quick=quick, force=force, progress=progress)
        if r.stop_reason == "interrupted":
            raise SystemExit("interrupted: finished runs are cached; run the same command to resume")
        print(f"    test accuracy {100 * r.test_acc:.2f} %, loss {r.test_loss:.4f}, "
              f"{r.epochs_run} epochs ({r.stop_reason}), {r.seconds:.0f} s"
              f"{' (cached)' if r.cached else ''}", flush=True)
        results.append(r)
    table = results_table(results)
    write_tables(table, out, note=data_note(data_folder(), [r.data_source for r in results]), quick=quick)
    save_question_figures(results, figures)
    print(f"\n{table.to_string(index=False)}\n\nwrote {out}/results.csv and results.md and "
          f"{figures}/reproduce_*.png in {time.perf_counter() - start:.0f} s")
    if not complete:
        print(f"({'quick' if quick else 'partial'} run: {settings.RESULTS_DIR.name}/ and "
              f"{settings.FIGURES_DIR.name}/ are written only by a full-scale run of every experiment)")
    return 0


def data_folder() -> Path:
    """The CIFAR-10 folder the runs used (already present: every run loaded it)."""
    from ..data import locate_cifar10
    return locate_cifar10(download=False)


def save_question_figures(results, folder) -> list[Path]:
    """One figure per question: the validation accuracy of each of its runs, epoch by epoch,
    written as ``<folder>/reproduce_<question>.png``."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, nothing left open

    by_question = {}
    for r in results:
        by_question.setdefault(r.experiment.question, []).append(r)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for question, runs in by_question.items():
        fig = Figure(figsize=(6, 3.6))
        ax = fig.subplots()
        for r in runs:
            ax.plot(r.history["epoch"], r.history["val_acc"], label=r.name)
        ax.set(xlabel="epoch", ylabel="val acc", title=f"{question}: validation accuracy")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
        fig.tight_layout()
        path = folder / f"reproduce_{question}.png"
        tmp = folder / f".reproduce_{question}.{os.getpid()}.tmp.png"
        fig.savefig(tmp, dpi=100, bbox_inches="tight")
        tmp.replace(path)
        paths.append(path)
    return paths
