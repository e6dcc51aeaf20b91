"""Figures: training curves, sample images, first-layer weights, confusion matrices, the
computational graph of a one-hidden-layer net. Imports settings and data only (never experiments or
ipywidgets); the explorers' live figure lives with them (widgets/live.py).

Every plotting function returns the matplotlib Figure it drew, so a notebook can show it and
``save_figure`` can write it into ``figures/`` (``runs/quick-figures/`` in quick mode).
"""
from .comparisons import plot_comparison_pair, plot_histories
from .figures import (
    FULL_WIDTH,
    HALF_WIDTH,
    confusion_matrix,
    plot_activation_histograms,
    plot_comparison,
    plot_confusion_matrix,
    plot_first_layer_weights,
    plot_history,
    plot_image_grid,
    save_figure,
)
from .graph import plot_computational_graph
from .notation import format_hidden, format_lambda, format_number, format_power, format_setting
from .spread import plot_ablation, plot_intervals, plot_seed_spread

__all__ = ["FULL_WIDTH", "HALF_WIDTH", "confusion_matrix", "format_hidden", "format_lambda",
           "format_number", "format_power", "format_setting", "plot_activation_histograms", "plot_comparison",
           "plot_comparison_pair", "plot_computational_graph", "plot_histories", "plot_confusion_matrix",
           "plot_first_layer_weights", "plot_history", "plot_image_grid", "save_figure",
           "plot_ablation", "plot_intervals", "plot_seed_spread"]
