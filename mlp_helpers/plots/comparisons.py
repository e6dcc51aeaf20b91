"""Several runs in one figure: a train-versus-validation pair per run, or side-by-side panels
that overlay one metric of every run."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .figures import FULL_WIDTH, plot_comparison, plot_history


def _history(run):
    """A history DataFrame from a RunResult, a TrainResult or a history itself."""
    return getattr(run, "history", run)


def plot_histories(runs, ncols=1, row_height=2.6):
    """One train-versus-validation pair (loss, accuracy) per run, ``ncols`` pairs per row.

    runs: {label: RunResult | TrainResult | history DataFrame}. The dotted line marks the epoch
    whose weights were kept, where the run says so (``best_epoch``)."""
    n_rows = -(-len(runs) // ncols)
    fig, axes = plt.subplots(n_rows, 2 * ncols, figsize=(FULL_WIDTH, row_height * n_rows), squeeze=False)
    for k, (label, run) in enumerate(runs.items()):
        pair = axes[k // ncols, 2 * (k % ncols): 2 * (k % ncols) + 2]
        plot_history(_history(run), best_epoch=getattr(run, "best_epoch", None) or None, axes=pair)
        pair[0].set_title(f"{label}: loss", fontsize=9)
        pair[1].set_title(f"{label}: accuracy", fontsize=9)
        if k:
            pair[0].get_legend().remove()
    for ax in np.ravel(axes)[2 * len(runs):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_comparison_pair(runs, metrics=("val_loss", "val_acc"), title=None, height=3.4):
    """Two panels side by side, each overlaying one metric of every run: {label: run or history}."""
    histories = {label: _history(run) for label, run in runs.items()}
    fig, axes = plt.subplots(1, len(metrics), figsize=(FULL_WIDTH, height))
    for ax, metric in zip(np.atleast_1d(axes), metrics):
        plot_comparison(histories, metric, title=metric.replace("_", " "), axes=ax)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
