"""A notebook's question as runs: its report rows (each with its report-rule twin), its evidence runs and
its recipe, every seed, trained or loaded in one call.

``question_runs("regularisation")`` is what notebooks 03-06 start from; the base row
(``momentum_b128``, the λ = 0 / tanh / 128-unit reference) comes first unless ``base=False``.
"""
from __future__ import annotations

from .configs import BASE_ROW, EXPERIMENTS, REPORT_RULE_SUFFIX, experiments_for
from .parallel import run_many


def with_report_rule(names) -> list[str]:
    """``names`` with each report row followed by its report-rule twin (the same row under the report's
    stopping rule), e.g. ['relu', 'relu_he'] -> ['relu', 'relu_report_rule', 'relu_he']."""
    out = []
    for name in names:
        out.append(name)
        if name + REPORT_RULE_SUFFIX in EXPERIMENTS:
            out.append(name + REPORT_RULE_SUFFIX)
    return out


def question_names(question, base=True) -> list[str]:
    """The experiments of ``question`` (report rows, evidence runs, recipe) with the report-rule twins,
    and the base row first when ``base``."""
    names = [e.name for e in experiments_for(question)]
    if base and BASE_ROW not in names:
        names.insert(0, BASE_ROW)
    return with_report_rule(names)


def question_runs(question, *, base=True, **kwargs) -> dict[str, list]:
    """name -> its RunResults in seed order, for every experiment of ``question_names(question, base)``.
    Keyword arguments go to ``run_many`` (``jobs``, ``scheduler``, ``quick``, ``progress``, ...)."""
    names = question_names(question, base)
    runs = run_many([(name, seed) for name in names for seed in EXPERIMENTS[name].seeds], **kwargs)
    return {name: [r for r in runs if r.name == name] for name in names}
