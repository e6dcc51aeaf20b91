"""Figures: training curves, sample images, first-layer weights, confusion matrices.

Every function returns the matplotlib Figure it drew, so a notebook can show it
and ``save_figure`` can write it into ``figures/``.

Sizes: JupyterLab shrinks an inline figure (100 dpi) that is wider than the output area (about
900-1100 px in a laptop window), and its labels with it. No figure here is wider than
``FULL_WIDTH`` inches, so each is shown at (nearly) its own size.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..data import CLASS_NAMES, images
from ..settings import figures_dir

FULL_WIDTH = 9.0     # inches: the widest figure (900 px inline), e.g. plt.subplots(1, 2, figsize=(FULL_WIDTH, 3.4))
HALF_WIDTH = 5.5     # one panel


def save_figure(fig, name, folder=None):
    """Write ``fig`` as ``<folder>/<name>.png`` (atomically: a temp file, then rename).

    The default folder is ``figures/``; in quick mode (tests) it is ``runs/quick-figures/``, so a
    test run never overwrites the figures of a full run that the README shows."""
    folder = Path(figures_dir() if folder is None else folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    # A temp name of its own, so two processes saving the same figure never rename each other's file.
    with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}.", suffix=".tmp.png", delete=False) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    Path(tmp.name).replace(path)
    return path


def plot_history(history, title=None, best_epoch=None, axes=None):
    """Train-versus-validation loss (left) and accuracy (right) per epoch.

    history: DataFrame with epoch, train_loss, val_loss, train_acc, val_acc."""
    fig, axes = _figure(axes, ncols=2, figsize=(FULL_WIDTH, 3.4))
    for ax, metric, label in zip(axes, ("loss", "acc"), ("cross-entropy loss", "accuracy")):
        ax.plot(history["epoch"], history[f"train_{metric}"], label="train", color="C0")
        ax.plot(history["epoch"], history[f"val_{metric}"], label="validation", color="C1")
        if best_epoch:
            ax.axvline(best_epoch, color="grey", ls=":", lw=1, label="best epoch")
        ax.set(xlabel="epoch", ylabel=label)
        ax.grid(alpha=0.3)
    axes[0].legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_comparison(histories, metric="val_acc", title=None, axes=None):
    """One curve of ``metric`` per labelled history: ``{"lr=0.01": history, ...}``."""
    fig, (ax,) = _figure(axes, ncols=1, figsize=(HALF_WIDTH, 3.4))
    for label, history in histories.items():
        ax.plot(history["epoch"], history[metric], label=label)
    ax.set(xlabel="epoch", ylabel=metric.replace("_", " "), title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_image_grid(x_uint8, y, per_class=8, class_names=CLASS_NAMES, seed=0):
    """``per_class`` random images of each class, one row per class. x_uint8 (N, 3072)."""
    rng = np.random.default_rng(seed)
    size = min(0.9, FULL_WIDTH / per_class)
    fig, axes = plt.subplots(len(class_names), per_class, figsize=(per_class * size, len(class_names) * size * 1.05))
    for c, name in enumerate(class_names):
        picks = rng.choice(np.flatnonzero(y == c), size=per_class, replace=False)
        for ax, image in zip(axes[c], images(x_uint8[picks])):
            ax.imshow(image)
            ax.set_xticks([]), ax.set_yticks([])
        axes[c, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout(pad=0.2)
    return fig


def plot_first_layer_weights(W1, n=32, ncols=8):
    """The first ``n`` hidden units' input weights W1[:, j] (3072,) shown as 32x32 colour images,
    each rescaled to its own min..max so the pattern, not the scale, is visible."""
    n = min(n, W1.shape[1])
    rows = int(np.ceil(n / ncols))
    size = min(1.1, FULL_WIDTH / ncols)
    fig, axes = plt.subplots(rows, ncols, figsize=(ncols * size, rows * size))
    for j, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if j < n:
            w = W1[:, j].astype(np.float64)
            w = (w - w.min()) / max(w.max() - w.min(), 1e-12)
            ax.imshow(images((w * 255).astype(np.uint8)[None])[0])
    fig.tight_layout(pad=0.2)
    return fig


def confusion_matrix(y_true, y_pred, n_classes=10):
    """counts[i, j] = how many images of class i were predicted as class j."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts


def plot_confusion_matrix(counts, class_names=CLASS_NAMES, title=None):
    """Row-normalised confusion matrix: each row shows where one class's images went."""
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    for i in range(len(class_names)):
        for j in range(len(class_names)):
            ax.text(j, i, f"{rates[i, j]:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if rates[i, j] > 0.5 else "black")
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def plot_activation_histograms(outputs, labels, bins=50):
    """Histograms of hidden-layer outputs, one panel each (rows of at most three; ``fig.axes[i]``
    is panel i): saturation shows as spikes at the ends of tanh/sigmoid's range, dead ReLUs as a
    spike at 0."""
    ncols = min(len(outputs), 3)
    rows = -(-len(outputs) // ncols)
    fig, axes = plt.subplots(rows, ncols, figsize=(min(FULL_WIDTH, 3.2 * ncols), 2.8 * rows), squeeze=False)
    for ax in axes.ravel()[len(outputs):]:
        fig.delaxes(ax)
    for ax, a, label in zip(axes.ravel(), outputs, labels):
        ax.hist(np.ravel(a), bins=bins, color="C2")
        ax.set_title(label, fontsize=9)
        ax.set(xlabel="unit output", ylabel="count")
    fig.tight_layout()
    return fig


def _figure(axes, ncols, figsize):
    if axes is not None:
        axes = np.atleast_1d(axes)
        return axes[0].figure, axes
    fig, axes = plt.subplots(1, ncols, figsize=figsize)
    return fig, np.atleast_1d(axes)
