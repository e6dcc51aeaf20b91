"""How sure a number is: seed spread, 95 % t-intervals, test-set sampling error, differences of runs.

Two sources of noise sit in every test accuracy here:

- the seed: the initial weights and the order of the minibatches. Runs of one config with seeds
  0..n-1 give n accuracies; their mean has the 95 % t-interval mean ± t(0.975, n-1) · sd / √n.
- the test set: 10,000 images are a sample. An accuracy p measured on n_test images has the binomial
  standard deviation √(p(1-p)/n_test), about 0.5 points at p ≈ 0.4 and n_test = 10,000. It is the
  same test set for every run, so it moves all runs together and is NOT in the seed spread.

Everything takes RunResults or a ``results_table`` (one row per run) and returns DataFrames with
accuracies in percent.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..settings import QUICK
from .configs import EXPERIMENTS, experiments_for
from .results import results_table

# t(0.975, df) for df = 1..30 (standard tables); beyond 30 the Cornish-Fisher expansion below.
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042)
Z975 = 1.959964
N_TEST = 10_000
SUMMARY_COLUMNS = ["experiment", "question", "kind", "n", "mean_%", "sd_%", "ci_low_%", "ci_high_%",
                   "pred_low_%", "pred_high_%", "report_acc_%", "inside", "reproduced", "test_sd_%"]


def t_quantile(df) -> float:
    """t(0.975, df): the 95 % two-sided critical value; df is rounded down (a wider interval)."""
    df = int(math.floor(df))
    if df < 1:
        return math.nan
    if df <= len(T975):
        return T975[df - 1]
    z = Z975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def binomial_sd(accuracy, n_test=N_TEST):
    """The sampling sd of an accuracy measured on ``n_test`` images: √(p(1-p)/n_test). ``accuracy``
    as a fraction (0.4) gives a fraction; in percent (40.0) gives points."""
    scale = 100.0 if np.any(np.asarray(accuracy) > 1) else 1.0
    p = np.asarray(accuracy, dtype=float) / scale
    return scale * np.sqrt(p * (1 - p) / n_test)


def interval(values) -> tuple:
    """(n, mean, sd, low, high) of ``values``: the 95 % t-interval of the mean (NaN sd and interval
    for one value)."""
    values = np.asarray(list(values), dtype=float)
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    if n < 2:
        return n, mean, math.nan, math.nan, math.nan
    sd = float(values.std(ddof=1))
    half = t_quantile(n - 1) * sd / math.sqrt(n)
    return n, mean, sd, mean - half, mean + half


def prediction_range(values) -> tuple:
    """(low, high): where ONE more run of the same setting should land, 95 % of the time:
    mean ± t(n-1) · s · √(1 + 1/n). Use it to judge a single outside number (a report's run) against
    our n seeds; the interval of the mean (``interval``) is for comparing two means."""
    n, mean, sd, _, _ = interval(values)
    if n < 2:
        return math.nan, math.nan
    half = t_quantile(n - 1) * sd * math.sqrt(1 + 1 / n)
    return mean - half, mean + half


def welch(a, b) -> tuple:
    """(mean(a) - mean(b), low, high): the Welch 95 % interval of a difference of means (NaN interval
    when either side has fewer than two values)."""
    a, b = np.asarray(list(a), dtype=float), np.asarray(list(b), dtype=float)
    diff = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return diff, math.nan, math.nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = t_quantile(df) * se
    return diff, diff - half, diff + half


def verdict(low, high, a="a", b="b") -> str:
    """'<a> better', '<b> better', 'no measurable difference', or 'not measurable (one seed)'."""
    if math.isnan(low) or math.isnan(high):
        return "not measurable (one seed)"
    if low > 0:
        return f"{a} better"
    if high < 0:
        return f"{b} better"
    return "no measurable difference"


def as_table(results_or_table) -> pd.DataFrame:
    """A ``results_table`` DataFrame from RunResults (or the table itself)."""
    if isinstance(results_or_table, pd.DataFrame):
        return results_or_table
    return results_table(list(results_or_table))


def seed_summary(results_or_table, n_test=None) -> pd.DataFrame:
    """One row per experiment (in first-seen order): n seeds, mean, sd, the 95 % t-interval of the
    mean test accuracy, the 95 % prediction range for one run (``pred_*``), the report's number,
    whether it is ``inside`` the interval of the mean and whether it is ``reproduced`` (inside the
    prediction range: the fair test for one outside run; both None without a report number or with
    one seed), and ``test_sd_%``, the test-set sampling sd at that mean on
    ``n_test`` images (default: the quick subset's test size for quick runs, else 10,000)."""
    if n_test is None:
        n_test = test_images(results_or_table)
    table = as_table(results_or_table)
    rows = []
    for name, group in table.groupby("experiment", sort=False):
        n, mean, sd, low, high = interval(group["test_acc_%"])
        report = group["report_acc_%"].iloc[0] if "report_acc_%" in group else None
        report = None if report is None or pd.isna(report) else float(report)
        pred_low, pred_high = prediction_range(group["test_acc_%"])
        judged = report is not None and n >= 2
        rows.append({"experiment": name, "question": group["question"].iloc[0], "kind": group["kind"].iloc[0],
                     "n": n, "mean_%": mean, "sd_%": sd, "ci_low_%": low, "ci_high_%": high,
                     "pred_low_%": pred_low, "pred_high_%": pred_high, "report_acc_%": report,
                     "inside": bool(low <= report <= high) if judged else None,
                     "reproduced": bool(pred_low <= report <= pred_high) if judged else None,
                     "test_sd_%": float(binomial_sd(mean, n_test))})
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    numbers = ["mean_%", "sd_%", "ci_low_%", "ci_high_%", "pred_low_%", "pred_high_%", "test_sd_%"]
    summary[numbers] = summary[numbers].astype(float).round(2)
    return summary


def test_images(results_or_table) -> int:
    """How many test images the runs were scored on: the quick subset's when every run is quick."""
    runs = [] if isinstance(results_or_table, pd.DataFrame) else list(results_or_table)
    if runs and all(getattr(r, "quick", False) for r in runs):
        return 10 * QUICK["n_eval_per_class"]
    return N_TEST


def accuracies(results_or_table, name) -> pd.Series:
    table = as_table(results_or_table)
    values = table.loc[table["experiment"] == name, "test_acc_%"]
    if values.empty:
        raise KeyError(f"no runs of {name!r} in these results")
    return values


def compare(results_or_table, a, b) -> dict:
    """Experiment ``a`` against ``b`` (names in the same results): the difference of mean test
    accuracy in points, its Welch 95 % interval and the verdict the interval supports."""
    return compare_values(a, accuracies(results_or_table, a), b, accuracies(results_or_table, b))


def compare_values(a, values_a, b, values_b) -> dict:
    """``compare`` for two lists of test accuracies (%) labelled ``a`` and ``b``."""
    diff, low, high = welch(values_a, values_b)
    return {"a": a, "b": b, "difference": round(diff, 2), "ci_low": round(low, 2), "ci_high": round(high, 2),
            "verdict": verdict(low, high, a, b)}


def seed_histories(results) -> pd.DataFrame:
    """Every run's history in one long DataFrame with ``experiment`` and ``seed`` columns first
    (what ``plots.plot_seed_spread`` draws)."""
    frames = [r.history.assign(experiment=r.name, seed=r.seed) for r in results]
    if not frames:
        return pd.DataFrame(columns=["experiment", "seed", "epoch"])
    long = pd.concat(frames, ignore_index=True)
    return long[["experiment", "seed", *[c for c in long.columns if c not in ("experiment", "seed")]]]


ABLATION_COLUMNS = ["step", "change", "experiment", "n", "mean_%", "sd_%", "ci_low_%", "ci_high_%", "gain",
                    "gain_low", "gain_high", "measured"]


def ablation_summary(results_or_table, chain) -> pd.DataFrame:
    """One row per step of ``chain`` [(experiment, change), ...]: the step's seeds, mean, sd and
    interval, its ``gain`` over the step before (mean difference, points), the gain's Welch 95 %
    interval and ``measured`` (True when that interval excludes 0; None when it cannot be computed)."""
    table = as_table(results_or_table)
    rows, previous = [], None
    for k, (name, change) in enumerate(chain):
        values = accuracies(table, name)
        n, mean, sd, low, high = interval(values)
        gain = gain_low = gain_high = math.nan
        measured = None
        if previous is not None:
            gain, gain_low, gain_high = welch(values, previous)
            measured = None if math.isnan(gain_low) else bool(gain_low > 0 or gain_high < 0)
        rows.append({"step": k, "change": change, "experiment": name, "n": n, "mean_%": mean, "sd_%": sd,
                     "ci_low_%": low, "ci_high_%": high, "gain": gain, "gain_low": gain_low,
                     "gain_high": gain_high, "measured": measured})
        previous = values
    out = pd.DataFrame(rows, columns=ABLATION_COLUMNS)
    numbers = ["mean_%", "sd_%", "ci_low_%", "ci_high_%", "gain", "gain_low", "gain_high"]
    out[numbers] = out[numbers].astype(float).round(2)
    return out


def margin_split(ablation, report_acc=None, report_row=None) -> pd.DataFrame:
    """Where a recipe's margin over the report comes from, as rows that add up: the ablation's first step
    minus the report's number, the gains the ablation measures (their interval excludes 0), the gains it
    does not (an interval around 0, or one seed), and the total. A margin is credited only to the measured
    steps, which the ``steps`` column names. The report's row is by default its best row for the question
    of the recipe (the ablation's last step); ``report_row`` and its ``report_acc`` (%) name another."""
    if report_row is None:
        question = EXPERIMENTS[ablation["experiment"].iloc[-1]].question
        best = max((e for e in experiments_for(question) if e.kind == "report"), key=lambda e: e.report_acc)
        report_row, report_acc = best.name, best.report_acc
    measured = ablation["measured"].eq(True)
    first = ablation["mean_%"].iloc[0]
    parts = [(f"the first step ({ablation['change'].iloc[0]}) minus the report's {report_row} ({report_acc} %)",
              first - report_acc, ""),
             ("steps whose gain is measured (interval excludes 0)", ablation.loc[measured, "gain"].sum(),
              ", ".join(ablation.loc[measured, "change"]) or "none"),
             ("steps whose gain is not measured", ablation.loc[~measured & (ablation["step"] > 0), "gain"].sum(),
              ", ".join(ablation.loc[~measured & (ablation["step"] > 0), "change"]) or "none"),
             ("the recipe minus the report's number", ablation["mean_%"].iloc[-1] - report_acc, "")]
    out = pd.DataFrame(parts, columns=["part", "points", "steps"])
    out["points"] = out["points"].astype(float).round(2)
    return out
