"""The table a notebook shows to set its runs beside the report's numbers."""
from __future__ import annotations

import pandas as pd

from .results import results_table

REPORT_COLUMNS = ["experiment", "hyperparameters", "epochs_run", "best_epoch", "stop", "test_loss", "report_loss",
                  "test_acc_%", "report_acc_%", "difference"]


def report_table(results) -> pd.DataFrame:
    """The columns a notebook shows to compare its runs with the report: ``REPORT_COLUMNS``."""
    table = results_table(results)
    table["report_loss"] = [r.experiment.report_loss for r in results]
    return table[REPORT_COLUMNS]


def far_from_report(table, points=2.0) -> pd.DataFrame:
    """The rows of ``table`` whose test accuracy differs from the report's by more than ``points``."""
    return table.loc[table["difference"].abs() > points, ["experiment", "test_acc_%", "report_acc_%", "difference"]]
