"""Named experiments: the report's runs and our improved recipes, run, cached and tabulated.

``configs``   Config, Experiment and the named lists (the report's rows, evidence runs, our recipes)
``runner``    the data of the protocol, ``run(experiment) -> RunResult`` (trains or loads from the cache)
``run_cache`` the on-disk cache of finished runs under ``runs/`` and when an entry is reused
``tables``    the results tables and ``results.md``
``reproduce`` ``python -m mlp_helpers reproduce`` (imported by the command line only)

The quick setting (``settings.quick_mode``: an explicit ``quick=`` wins, else ``MLP_QUICK``, else
full scale) trains on a small class-balanced subset for a few epochs; it is what tests and CI use.
"""
from ..settings import QUICK, quick_mode
from .configs import (
    EVIDENCE_EXPERIMENTS,
    EXPERIMENTS,
    IMPROVED_EXPERIMENTS,
    QUESTIONS,
    REPORT_EXPERIMENTS,
    Config,
    Experiment,
    experiment_kind,
    experiments_for,
)
from .run_cache import CacheError, code_version
from .runner import RunResult, build_model, explorer_dataset, protocol_dataset, run, train_config
from .tables import data_note, far_from_report, report_table, results_table, targets_table, write_tables

__all__ = ["CacheError", "Config", "EVIDENCE_EXPERIMENTS", "EXPERIMENTS", "Experiment", "IMPROVED_EXPERIMENTS",
           "QUESTIONS", "QUICK", "REPORT_EXPERIMENTS", "RunResult", "build_model", "code_version", "data_note",
           "experiment_kind", "experiments_for", "explorer_dataset", "far_from_report", "report_table",
           "protocol_dataset", "quick_mode", "results_table", "run", "targets_table", "train_config", "write_tables"]
