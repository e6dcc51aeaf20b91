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


class QuestionRuns(dict):
    """name -> its RunResults in seed order (a dict: ``runs["relu"][0]`` is seed 0 of the ReLU row), and
    the views a notebook needs: ``by_name`` (that dict), ``seed0`` (name -> seed 0), ``runs`` (every
    RunResult), ``report_rows`` (the names of the report's rows, the base row first) and ``print_plan()``."""

    @property
    def by_name(self) -> dict[str, list]:
        return dict(self)

    @property
    def seed0(self) -> dict:
        return {name: runs[0] for name, runs in self.items()}

    @property
    def runs(self) -> list:
        return [r for runs in self.values() for r in runs]

    @property
    def report_rows(self) -> list[str]:
        return [name for name in self if EXPERIMENTS[name].kind == "report"]

    def print_plan(self) -> None:
        """One line per experiment (not the report-rule twins): its name, what it changes, and its note."""
        for name in self:
            e = EXPERIMENTS[name]
            if e.kind != "report_rule":
                print(f"{name:26s} {e.config.describe()}" + (f"\n{'':26s} ({e.note})" if e.note else ""))


def question_runs(question, *, base=True, **kwargs) -> QuestionRuns:
    """Every seed of every experiment of ``question_names(question, base)``, as a ``QuestionRuns``.
    Keyword arguments go to ``run_many`` (``jobs``, ``scheduler``, ``quick``, ``progress``, ...)."""
    names = question_names(question, base)
    runs = run_many([(name, seed) for name in names for seed in EXPERIMENTS[name].seeds], **kwargs)
    return QuestionRuns((name, [r for r in runs if r.name == name]) for name in names)
