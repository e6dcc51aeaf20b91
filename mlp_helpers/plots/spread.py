"""Figures that show how sure a comparison is: one faint curve per seed, intervals next to the
report's numbers, and the step chart of an ablation. They take plain DataFrames (what
``experiments.seed_histories``, ``seed_summary`` and ``ablation_table`` return), never RunResults.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .figures import FULL_WIDTH, save_figure

MEASURED_UP, MEASURED_DOWN, UNSURE = "C2", "C3", "0.6"


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    return plt.subplots(figsize=figsize)


def plot_seed_spread(histories, metric="val_acc", by="experiment", ax=None, title=None):
    """One faint curve per seed and the mean over seeds (bold) for each ``by`` group, per epoch.

    histories: a long DataFrame with columns ``by``, ``seed``, ``epoch`` and ``metric`` (e.g.
    ``experiments.seed_histories(results)``). A run that stopped early has fewer epochs; the mean at
    an epoch is over the seeds that reached it."""
    fig, ax = _axes(ax, (FULL_WIDTH, 4.0))
    for k, (label, group) in enumerate(histories.groupby(by, sort=False)):
        colour = f"C{k % 10}"
        seeds = group["seed"].nunique()
        for _, run in group.groupby("seed"):
            ax.plot(run["epoch"], run[metric], color=colour, alpha=0.25, lw=0.8)
        mean = group.groupby("epoch")[metric].mean()
        ax.plot(mean.index, mean.to_numpy(), color=colour, lw=2, label=f"{label} ({seeds} seed{'s' * (seeds > 1)})")
    ax.set(xlabel="epoch", ylabel=metric.replace("_", " "), title=title or f"{metric.replace('_', ' ')}: "
           "one faint curve per seed, bold = mean")
    ax.grid(alpha=0.3)
    wide = ax.get_position().width * fig.get_figwidth() >= 6      # inches: a half-width panel takes one column
    ax.legend(fontsize="small" if wide else "x-small", ncol=2 if wide else 1)
    return fig


def plot_intervals(summary, ax=None, title=None):
    """Mean test accuracy and its 95 % interval per experiment (error bars; a hollow marker for a
    single seed) with the report's number as a red cross where there is one.

    summary: ``experiments.seed_summary(...)`` (experiment, n, mean_%, ci_low_%, ci_high_%, report_acc_%)."""
    fig, ax = _axes(ax, (FULL_WIDTH, 0.32 * len(summary) + 1.2))
    y = np.arange(len(summary))[::-1]
    mean = summary["mean_%"].to_numpy(float)
    low, high = summary["ci_low_%"].to_numpy(float), summary["ci_high_%"].to_numpy(float)
    many = ~np.isnan(low)
    ax.errorbar(mean[many], y[many], xerr=[mean[many] - low[many], high[many] - mean[many]], fmt="o", color="C0",
                capsize=3, label="ours: mean and 95 % interval over seeds")
    if (~many).any():
        ax.plot(mean[~many], y[~many], "o", mfc="none", color="C0", label="ours: one seed (no interval)")
    if "report_acc_%" in summary:
        report = summary["report_acc_%"].to_numpy(float)
        ax.plot(report, y, "x", color="C3", ms=8, mew=2, label="the report")
    ax.set_yticks(y, summary["experiment"])
    ax.set(xlabel="test accuracy (%)", title=title or "test accuracy: our seeds against the report")
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def plot_ablation(table, ax=None, title=None):
    """A step chart (waterfall) of an ablation: each step's bar runs from the previous step's mean to
    its own, green/red when its gain's 95 % interval excludes 0, grey and hatched when it does not (or
    cannot be computed: one seed). The error bar is the gain's interval; dots are each step's mean.

    table: ``experiments.ablation_table(question)`` (change, mean_%, gain, gain_low, gain_high, measured)."""
    fig, ax = _axes(ax, (FULL_WIDTH, 4.2))
    x = np.arange(len(table))
    means = table["mean_%"].to_numpy(float)
    ax.bar(0, means[0], color="0.85", edgecolor="0.4", width=0.6)
    for k in range(1, len(table)):
        row = table.iloc[k]
        measured = row["measured"] is True or row["measured"] is np.True_
        colour = (MEASURED_UP if row["gain"] > 0 else MEASURED_DOWN) if measured else UNSURE
        ax.bar(k, row["gain"], bottom=means[k - 1], color=colour, alpha=0.8 if measured else 0.5,
               hatch=None if measured else "//", edgecolor="0.3", width=0.6)
        if not math.isnan(row["gain_low"]):
            error = [[row["gain"] - row["gain_low"]], [row["gain_high"] - row["gain"]]]
            ax.errorbar(k, means[k - 1] + row["gain"], yerr=error, color="k", capsize=3, lw=1)
        top = np.nanmax([means[k - 1], means[k], means[k - 1] + row["gain_high"]])   # above the bar and its error bar
        ax.text(k, top + 0.4, f"{row['gain']:+.1f}", ha="center", va="bottom", fontsize=8)
    ax.plot(x, means, "o", color="k", ms=3)
    # The limits hold every mean and every error bar's end (a gain's interval can reach past both means).
    previous = np.r_[np.nan, means[:-1]]
    ends = np.r_[means, previous + table["gain_low"].to_numpy(float), previous + table["gain_high"].to_numpy(float)]
    ax.set_ylim(max(0, np.nanmin(ends) - 2), np.nanmax(ends) + 2)
    ax.set_xticks(x, [str(c) for c in table["change"]], rotation=25, ha="right", fontsize=8)
    ax.set(ylabel="test accuracy (%)", title=title or "one change at a time (grey, hatched: no measurable gain)")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig


def save_reproduce_figures(histories, summary, ablations, folder):
    """The figures of ``make reproduce``: per question the validation accuracy of its report rows,
    evidence runs and recipes with the seed spread (``reproduce_<question>.png``), per ablation the
    step chart (``reproduce_ablation_<question>.png``), and the report rows' intervals against the
    report's numbers (``reproduce_intervals.png``). Returns the paths written."""
    paths = []
    shown = summary[summary["kind"].isin(["report", "evidence", "improved"])]
    for question, group in shown.groupby("question", sort=False):
        curves = histories[histories["experiment"].isin(group["experiment"])]
        fig = plot_seed_spread(curves, title=f"{question}: validation accuracy (faint: each seed; bold: mean)")
        paths.append(save_figure(fig, f"reproduce_{question}", folder))
        plt.close(fig)
    for question, table in ablations.items():
        fig = plot_ablation(table, title=f"{question}: from the report's row to our recipe, one change at a time")
        paths.append(save_figure(fig, f"reproduce_ablation_{question}", folder))
        plt.close(fig)
    rows = summary[summary["kind"].isin(["report", "report_rule"])]
    if len(rows):
        fig = plot_intervals(rows, title="the report's rows: our 95 % intervals (our rule, the report's rule) "
                                         "and the report's number")
        paths.append(save_figure(fig, "reproduce_intervals", folder))
        plt.close(fig)
    return paths
