"""One row per run: what ran, how it went, and the report's number beside ours; and the committed table.

The bottom of the experiments' tables: it imports only the configurations, so ``stats`` and
``tables`` can both build on it.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import settings
from .configs import experiment_kind


def committed_results(path=None) -> pd.DataFrame:
    """The committed results table (``results/results.csv``: every run of the full-scale reproduction
    and of the conventions study), so a notebook can show many seeds without training them again.
    ``make reproduce`` and ``make reproduce-conventions`` write it."""
    path = Path(path) if path is not None else settings.RESULTS_DIR / "results.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no results table at {path}: run `make reproduce` to make one")
    table = pd.read_csv(path)
    if "conventions" not in table:
        table.insert(table.columns.get_loc("kind") + 1, "conventions", "described")
    return table


def results_table(results) -> pd.DataFrame:
    """One row per run (``RunResult``): what ran, how it went, and the report's number beside ours."""
    rows = []
    for r in results:
        exp = r.experiment
        report = exp.report_acc
        rows.append({
            "experiment": r.name,
            "question": exp.question,
            "kind": experiment_kind(exp),
            "conventions": exp.conventions,
            "hyperparameters": r.config.describe(),
            "seed": r.config.seed,
            "epochs_run": r.epochs_run,
            "best_epoch": r.best_epoch,
            "stop": r.stop_reason,
            "test_loss": round(r.test_loss, 4),
            "test_acc_%": round(100 * r.test_acc, 2),
            "report_acc_%": report,
            "difference": None if report is None else round(100 * r.test_acc - report, 2),
            "seconds": round(r.seconds, 1),
        })
    return pd.DataFrame(rows)
