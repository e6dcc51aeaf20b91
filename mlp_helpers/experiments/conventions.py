"""The report's unstated conventions as named, testable changes, and the pre-registered study of them.

A report describes some choices and leaves others out. Each ``Convention`` is one plausible reading
of what the report left out or stated loosely, as a change to a ``Config``:

``per_channel``         normalise each colour with its mean and std over the whole training set
                        ("z-score ... along each channel", read as data-set statistics, not each image's own)
``uniform_small``       every weight and bias from 0.01 * U[0, 1), as common course starter code does
``momentum_0.5``        momentum coefficient 0.5 instead of our assumed 0.9 (the report states none)
``penalty_as_written``  the report's penalty gradients: L1 adds a constant lambda, L2 adds lambda W
``fixed_order``         the minibatch order drawn once and kept for every epoch

The study (``results/preregistration.md``, committed before any run) runs each convention alone on
its test rows, then the combined "report conventions" set on all thirteen comparisons: the report's
twelve rows and its base row at lr 0.001 ("around 38 %"). ``study_stages`` lists the runs;
``supported`` applies the registered rule that decides which optional conventions join the set.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from statistics import fmean

from .configs import BASE_ROW, REPORT_EXPERIMENTS, REPORT_SEEDS, Config, Experiment
from .stats import welch

DESCRIBED = "described"            # the conventions the report describes, plus our stated assumptions
REPORT_SET = "report"              # the combined set
ALWAYS_IN_REPORT_SET = ("per_channel", "uniform_small")   # the two the outside check pointed at
SLOW_ROW = "momentum_lr0.001"      # the report's second number for its base row
PENALTY_ROWS = ("l2_1e-4", "l2_1e-2", "l1_1e-4", "l1_1e-2")
AS_WRITTEN = {"l1": "l1_constant", "l2": "l2_half"}


@dataclass(frozen=True)
class Convention:
    """One reading of the report: ``changes`` are Config fields to set; ``penalty_as_written`` swaps
    our penalty for the one whose gradient the report writes down."""
    name: str
    meaning: str
    changes: dict = field(default_factory=dict)
    penalty_as_written: bool = False

    def apply(self, config: Config) -> Config:
        config = replace(config, **self.changes)
        if self.penalty_as_written:
            config = replace(config, penalty=AS_WRITTEN.get(config.penalty, config.penalty))
        return config


CONVENTIONS = {c.name: c for c in [
    Convention("per_channel", "each colour standardised with its mean and std over the training set",
               {"normalisation": "per_channel"}),
    Convention("uniform_small", "every weight and bias drawn from 0.01 * U[0, 1)", {"init": "uniform_small"}),
    Convention("momentum_0.5", "momentum coefficient 0.5 instead of 0.9", {"momentum": 0.5}),
    Convention("penalty_as_written", "L1 gradient lambda (no sign), L2 gradient lambda W (no factor 2)",
               penalty_as_written=True),
    Convention("fixed_order", "one minibatch order, drawn once, for every epoch", {"shuffle": "once"}),
]}
OPTIONAL = tuple(name for name in CONVENTIONS if name not in ALWAYS_IN_REPORT_SET)


def with_conventions(config: Config, names=ALWAYS_IN_REPORT_SET) -> Config:
    """``config`` with the named conventions applied (default: the two always in the report set, which
    is what the explorers' "report's conventions" switch does)."""
    for name in names:
        config = CONVENTIONS[name].apply(config)
    return config

# The thirteen comparisons: the report's twelve rows and its base row at lr 0.001 ("around 38 %").
SLOW_BASE = Experiment(SLOW_ROW, "momentum", Config(lr=0.001), 38.0, None, seeds=REPORT_SEEDS,
                       note="the base row at lr 0.001: the report says 'around 38 %'")
COMPARISONS = {e.name: e for e in REPORT_EXPERIMENTS + [SLOW_BASE]}
# The rows on which each convention is tested alone.
SINGLE_TEST_ROWS = {name: (BASE_ROW, SLOW_ROW) for name in CONVENTIONS}
SINGLE_TEST_ROWS["penalty_as_written"] = PENALTY_ROWS


def under(row: str, conventions: tuple[str, ...], label: str) -> Experiment:
    """Comparison ``row`` with ``conventions`` applied, named '<row>+<label>' (the row itself for none)."""
    base = COMPARISONS[row]
    config = with_conventions(base.config, conventions)
    name = base.name if label == DESCRIBED else f"{base.name}+{label}"
    kind = "report" if label == DESCRIBED and row != SLOW_ROW else "convention"
    return replace(base, name=name, config=config, kind=kind, conventions=label, seeds=REPORT_SEEDS)


def single_runs() -> list[Experiment]:
    """Stage 1: every convention alone on its test rows, and the described set on the same rows."""
    rows = sorted({row for rows in SINGLE_TEST_ROWS.values() for row in rows}, key=list(COMPARISONS).index)
    runs = [under(row, (), DESCRIBED) for row in rows]
    runs += [under(row, (name,), name) for name, test_rows in SINGLE_TEST_ROWS.items() for row in test_rows]
    return runs


def report_set(joined: tuple[str, ...]) -> tuple[str, ...]:
    """The combined set: the two conventions always in it, plus the optional ones that ``joined``."""
    return ALWAYS_IN_REPORT_SET + tuple(name for name in OPTIONAL if name in joined)


def combined_runs(joined: tuple[str, ...]) -> list[Experiment]:
    """Stage 2: the report-conventions set on all thirteen comparisons."""
    conventions = report_set(joined)
    return [under(row, conventions, REPORT_SET) for row in COMPARISONS]


def described_runs() -> list[Experiment]:
    """Stage 3: the described set on the comparisons stage 1 did not run."""
    done = {e.name for e in single_runs()}
    return [under(row, (), DESCRIBED) for row in COMPARISONS if row not in done]


def shift(described: list[float], changed: list[float], report: float) -> str:
    """The registered verdict on one row: 'toward' or 'away' from the report's number when the Welch
    95 % interval of (changed - described) excludes zero, else 'none' (no measurable shift)."""
    _, low, high = welch(changed, described)
    if not low > 0 and not high < 0:
        return "none"
    return "toward" if abs(fmean(changed) - report) < abs(fmean(described) - report) else "away"


def joins(name: str, verdicts: list[str]) -> bool:
    """The registered rule for an optional convention, given its ``shift`` on each test row (in
    ``SINGLE_TEST_ROWS`` order). ``penalty_as_written`` joins if it moves at least three of the four
    penalty rows toward the report. The others join if they move the base row toward 40.97 and do not
    move the lr-0.001 row measurably away from 38."""
    if name == "penalty_as_written":
        return verdicts.count("toward") >= 3
    base, slow = verdicts
    return base == "toward" and slow != "away"


def supported(accuracy) -> tuple[str, ...]:
    """The optional conventions that join the combined set. ``accuracy(name)`` gives the test accuracies
    (in %, one per seed) of the run called ``name``."""
    joined = []
    for name in OPTIONAL:
        verdicts = [shift(accuracy(row), accuracy(f"{row}+{name}"), COMPARISONS[row].report_acc)
                    for row in SINGLE_TEST_ROWS[name]]
        if joins(name, verdicts):
            joined.append(name)
    return tuple(joined)
