"""Figures of the report study: each convention's measured effect, and every row's prediction range
against the report's number. They take the study's tables (plain DataFrames) and draw them."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .figures import FULL_WIDTH

VERDICT_COLOURS = {"toward": "tab:green", "away": "tab:red", "none": "0.55"}
VERDICT_LABELS = {"toward": "toward the report", "away": "away from the report", "none": "no measurable shift"}
SET_COLOURS = ("tab:blue", "tab:orange", "tab:purple", "tab:brown")


def _need(table, columns, what):
    missing = [c for c in columns if c not in table]
    if missing:
        raise ValueError(f"{what} needs the columns {columns}; missing {missing} (use the study's own table)")


def plot_convention_effects(effects, ax=None):
    """One line per (convention, row): the change of mean test accuracy with its Welch 95 % interval,
    coloured by the registered verdict (toward the report's number, away from it, or no measurable
    shift). ``effects``: ``study_tables.effects_table``."""
    _need(effects, ["convention", "row", "change", "low", "high", "verdict"], "plot_convention_effects")
    if ax is None:
        fig, ax = plt.subplots(figsize=(FULL_WIDTH, 0.32 * len(effects) + 1.2))
    y = np.arange(len(effects))[::-1]
    for yi, (_, line) in zip(y, effects.iterrows()):
        colour = VERDICT_COLOURS.get(line["verdict"], "0.3")
        ax.errorbar(line["change"], yi, xerr=[[line["change"] - line["low"]], [line["high"] - line["change"]]],
                    fmt="o", color=colour, capsize=3, ms=5)
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(y, [f"{c}  ·  {r}" for c, r in zip(effects["convention"], effects["row"])], fontsize=8)
    ax.set_xlabel("change of mean test accuracy (points), with its 95 % interval")
    for verdict, colour in VERDICT_COLOURS.items():
        ax.plot([], [], "o", color=colour, label=VERDICT_LABELS[verdict])
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    ax.figure.tight_layout()
    return ax.figure


def plot_prediction_ranges(summaries, ax=None):
    """Per row: each set's 95 % prediction range for one run (a bar, its mean a dot) and the report's
    number (a black diamond). ``summaries``: {label: ``study_tables.set_summary``}; the rows of the
    first set give the order."""
    for summary in summaries.values():
        _need(summary, ["row", "report %", "mean %", "pred_low %", "pred_high %"], "plot_prediction_ranges")
    rows = list(next(iter(summaries.values()))["row"])
    if ax is None:
        fig, ax = plt.subplots(figsize=(FULL_WIDTH, 0.42 * len(rows) + 1.2))
    y = {row: len(rows) - 1 - i for i, row in enumerate(rows)}
    offsets = np.linspace(-0.18, 0.18, len(summaries)) if len(summaries) > 1 else [0.0]
    for (label, summary), offset, colour in zip(summaries.items(), offsets, SET_COLOURS):
        summary = summary[summary["row"].isin(y)]
        ys = np.array([y[r] for r in summary["row"]]) + offset
        ax.hlines(ys, summary["pred_low %"], summary["pred_high %"], color=colour, lw=4, alpha=0.55,
                  label=f"{label}: prediction range")
        ax.plot(summary["mean %"], ys, "o", color=colour, ms=3)
    first = next(iter(summaries.values()))
    ax.plot(first["report %"], [y[r] for r in first["row"]], "D", color="black", ms=5, label="the report")
    ax.set_yticks(list(y.values()), list(y), fontsize=8)
    ax.set_xlabel("test accuracy (%)")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(axis="x", alpha=0.3)
    ax.figure.tight_layout()
    return ax.figure
