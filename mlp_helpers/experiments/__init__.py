"""Named experiments: the report's runs and our improved recipes, run, cached and tabulated.

``configs``   Config, Experiment and the named lists (the report's rows and their report-rule twins,
              evidence runs, ablation steps, our recipes), their seeds, and the ablation chains
``runner``    the data of the protocol, ``run(experiment) -> RunResult`` (trains or loads from the cache)
``stopping``  the stopping rule a config names; two rules sharing one training run
``parallel``  ``run_many``, ``run_seeds``, ``ablation_table``: many runs through joblib (or Dask)
``questions`` a notebook's question as runs: its rows with their report-rule twins, evidence, recipe
``stats``     seed spread, 95 % t-intervals, test-set sampling error, differences of runs
``run_cache`` the on-disk cache of finished runs under ``runs/`` and when an entry is reused
``results``   one row per run (``results_table``) and the shipped table (``committed_results()``)
``tables``    the results tables built on it; ``markdown`` writes ``results.md``
``conventions`` the report's unstated conventions as Config changes, and the pre-registered rule
``study``     ``python -m mlp_helpers reproduce-conventions``; ``study_tables`` its tables
``reproduce`` ``python -m mlp_helpers reproduce`` (imported by the command line only)

The quick setting (``settings.quick_mode``: an explicit ``quick=`` wins, else ``MLP_QUICK``, else
full scale) trains on a small class-balanced subset for a few epochs; it is what tests and CI use.
"""
from ..settings import QUICK, quick_mode
from .configs import (
    ABLATION_EXPERIMENTS,
    ABLATIONS,
    BASE_ROW,
    EVIDENCE_EXPERIMENTS,
    EXPERIMENTS,
    IMPROVED_EXPERIMENTS,
    QUESTIONS,
    REPORT_EXPERIMENTS,
    REPORT_RULE_EXPERIMENTS,
    REPORT_RULE_SUFFIX,
    Config,
    Experiment,
    experiment_kind,
    experiments_for,
)
from .parallel import ablation_runs, ablation_table, compare_seeds, estimate_seconds, run_many, run_seeds
from .questions import question_names, question_runs, with_report_rule
from .results import committed_results, results_table
from .run_cache import CacheError, code_version
from .runner import RunResult, build_model, explorer_dataset, protocol_dataset, run, train_config, train_runs
from .stats import (
    ablation_summary,
    binomial_sd,
    compare,
    margin_split,
    prediction_range,
    seed_histories,
    seed_summary,
    t_quantile,
    welch,
)
from .tables import data_note, far_from_report, report_table, targets_table, write_tables

__all__ = [
    "ABLATIONS", "ABLATION_EXPERIMENTS", "BASE_ROW", "CacheError", "Config", "EVIDENCE_EXPERIMENTS", "EXPERIMENTS",
    "Experiment", "IMPROVED_EXPERIMENTS", "QUESTIONS", "QUICK", "REPORT_EXPERIMENTS", "REPORT_RULE_EXPERIMENTS",
    "REPORT_RULE_SUFFIX", "RunResult", "ablation_runs", "ablation_summary", "ablation_table", "binomial_sd",
    "build_model", "code_version", "committed_results", "compare", "compare_seeds", "data_note", "estimate_seconds",
    "experiment_kind", "experiments_for", "explorer_dataset", "far_from_report", "margin_split", "prediction_range",
    "protocol_dataset", "question_names", "question_runs", "quick_mode", "report_table", "results_table", "run",
    "run_many", "run_seeds", "seed_histories", "seed_summary", "t_quantile", "targets_table", "train_config",
    "train_runs", "welch", "with_report_rule", "write_tables"
]
