"""Named experiments: the report's runs and our improved recipes, run, cached and compared.

``configs``      Config, Experiment and the named lists, their seeds, and the ablation chains
``runner``       ``run(experiment) -> RunResult`` (trains or loads it; its data: ``data.protocol``)
``parallel``     ``run_many``, ``run_seeds``, ``ablation_table``, ``compare_seeds``: many runs at once
``pool``         where they run: this process, local worker processes or a Dask cluster
``questions``    a notebook's question as runs: its rows with their report-rule twins, evidence, recipe
``stats``        seed spread, 95 % t-intervals, test-set sampling error, differences of runs
``results``      one row per run (``results_table``) and the committed table (``committed_results()``)
``tables``       a notebook's runs beside the report's numbers
``conventions``  the report's unstated conventions as Config changes, and the pre-registered rule;
                 ``study_tables`` the study's tables

Finished runs are kept by the layer below (``store``: the run cache and the published runs).

The quick setting (``settings.quick_mode``: an explicit ``quick=`` wins, else ``MLP_QUICK``, else
full scale) trains on a small class-balanced subset for a few epochs; it is what tests and CI use.
"""
from ..data.protocol import explorer_dataset, protocol_dataset
from ..settings import QUICK as QUICK  # a notebook prints the quick sizes
from .configs import ABLATIONS, EXPERIMENTS, IMPROVED_EXPERIMENTS, QUESTIONS, Config, Experiment, experiments_for
from .parallel import ablation_table, compare_seeds, run_many, run_seeds
from .questions import question_runs
from .results import committed_results
from .runner import build_model, run, train_config
from .stats import ablation_summary, binomial_sd, margin_split, seed_histories, seed_summary, t_quantile, welch
from .tables import far_from_report as far_from_report
from .tables import report_table as report_table

__all__ = [
    "ABLATIONS", "Config", "EXPERIMENTS", "Experiment", "IMPROVED_EXPERIMENTS", "QUESTIONS", "ablation_summary",
    "ablation_table", "binomial_sd", "build_model", "committed_results", "compare_seeds", "experiments_for",
    "explorer_dataset", "margin_split", "protocol_dataset", "question_runs", "run", "run_many", "run_seeds",
    "seed_histories", "seed_summary", "t_quantile", "train_config", "welch",
]
