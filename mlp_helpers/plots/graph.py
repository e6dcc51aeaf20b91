"""The computational graph of a one-hidden-layer MLP with softmax outputs, drawn with matplotlib.

Forward (black, left to right)::

    x -> z1 = x W1 + b1 -> a1 = f(z1) -> z2 = a1 W2 + b2 -> p = softmax(z2) -> E (cross-entropy with y)

Backward (red, right to left): delta2 = dE/dz2 = (p - onehot(y)) / N, delta1 = dE/dz1 =
(delta2 W2^T) * f'(z1), and for each affine node dW = a^T delta, db = sum_n delta.

``values`` and ``deltas`` optionally write what flows along the arrows: an array is shown by its shape
(or by its numbers when it has at most three), a tuple is a shape, a number is written with four digits,
a string as it is.
"""
from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

FORWARD, BACKWARD, PARAMETER = "black", "C3", "C0"
RADIUS = 0.5
PARAMETERS = ("W1", "b1", "W2", "b2")

# name: (x, y, label in the circle)
NODES = {"x": (0, 0, "$x$"), "z1": (3, 0, "$z_1$"), "a1": (6, 0, "$a_1$"), "z2": (9, 0, "$z_2$"),
         "p": (12, 0, "$p$"), "E": (15, 0, "$E$"), "W1": (1.9, 2.2, "$W_1$"), "b1": (4.1, 2.2, "$b_1$"),
         "W2": (7.9, 2.2, "$W_2$"), "b2": (10.1, 2.2, "$b_2$"), "y": (15, 2.2, "$y$")}
# (from, to, what the arrow computes: written above it on the chain)
FORWARD_EDGES = [("x", "z1", "$x W_1 + b_1$"), ("z1", "a1", "$f$"), ("a1", "z2", "$a_1 W_2 + b_2$"),
                 ("z2", "p", "softmax"), ("p", "E", "cross-\nentropy"), ("W1", "z1", None), ("b1", "z1", None),
                 ("W2", "z2", None), ("b2", "z2", None), ("y", "E", None)]
# gradient name: (from, to, formula)
BACKWARD_EDGES = {
    "z2": ("E", "z2", r"$\delta_2 = \partial E/\partial z_2 = (p - \mathrm{onehot}(y))\,/\,N$"),
    "z1": ("z2", "z1", r"$\delta_1 = \partial E/\partial z_1 = (\delta_2 W_2^{\top}) \odot f'(z_1)$"),
    "W1": ("z1", "W1", r"$\partial E/\partial W_1 = x^{\top}\delta_1$"),
    "b1": ("z1", "b1", r"$\partial E/\partial b_1 = \sum_n \delta_1$"),
    "W2": ("z2", "W2", r"$\partial E/\partial W_2 = a_1^{\top}\delta_2$"),
    "b2": ("z2", "b2", r"$\partial E/\partial b_2 = \sum_n \delta_2$"),
}


def _describe(value):
    """What flows along an arrow, as short text: a shape, up to three numbers, a number or a string."""
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        if not all(isinstance(n, int | np.integer) and n >= 0 for n in value):
            raise ValueError(f"a shape must be a tuple of non-negative integers, got {value!r}")
        return "a number" if value == () else "(" + ", ".join(map(str, value)) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, Real) and not isinstance(value, bool):
        return f"{float(value):.4g}"
    array = np.asarray(value) if isinstance(value, np.ndarray | list) else None
    if array is None or array.dtype.kind not in "iuf":
        raise TypeError(f"expected an array, a shape tuple, a number or a string, got {type(value).__name__}")
    if array.ndim == 0:
        return f"{float(array):.4g}"
    if array.size <= 3:
        return "[" + ", ".join(f"{v:.3g}" for v in array.ravel()) + "]"
    return _describe(tuple(int(n) for n in array.shape))


def _texts(mapping, allowed, what):
    """{name: text} of a values/deltas argument, refusing names the graph does not have."""
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{what} must be a dict {{name: value}} or None, got {type(mapping).__name__}")
    unknown = sorted(map(str, set(mapping) - set(allowed)))
    if unknown:
        raise ValueError(f"{what} has unknown names {unknown}; the graph's names are {list(allowed)}")
    return {name: _describe(value) for name, value in mapping.items()}


def _arrow(ax, start, end, colour, connection="arc3,rad=0", ls="-", shrink=16):
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(
        arrowstyle="-|>", color=colour, lw=1.4, ls=ls, shrinkA=shrink, shrinkB=shrink,
        connectionstyle=connection, mutation_scale=14))


def _draw_forward(ax, texts):
    for start, end, operation in FORWARD_EDGES:
        (x0, y0), (x1, y1) = NODES[start][:2], NODES[end][:2]
        _arrow(ax, (x0, y0), (x1, y1), FORWARD)
        if operation:
            ax.text((x0 + x1) / 2, 0.15, operation, fontsize=9, ha="center", va="bottom")
        if start not in texts or start == "E":
            continue
        if y0 == y1:                                    # on the chain: under the arrow
            ax.text((x0 + x1) / 2, -0.15, texts[start], fontsize=8, ha="center", va="top")
        else:                                           # a parameter or y: beside its node
            outside = -1 if start.startswith("W") else 1
            ax.text(x0 + outside * (RADIUS + 0.15), y0, texts[start], fontsize=8, va="center",
                    ha="right" if outside < 0 else "left")
    if "E" in texts:
        ax.text(NODES["E"][0] + RADIUS + 0.15, 0, texts["E"], fontsize=8, va="center")


def _draw_backward(ax, texts):
    for name, (start, end, formula) in BACKWARD_EDGES.items():
        (x0, y0), (x1, y1) = NODES[start][:2], NODES[end][:2]
        label = formula + (f"\n{texts[name]}" if name in texts else "")
        if name in PARAMETERS:                          # up to the parameter, dashed, label above it
            _arrow(ax, (x0, y0), (x1, y1), BACKWARD, "arc3,rad=-0.45" if name.startswith("W") else "arc3,rad=0.45",
                   ls="--")
            left = name.startswith("W")
            ax.text(x1 + (0.6 if left else -0.6), y1 + RADIUS + 0.25, label, fontsize=9, color=BACKWARD,
                    ha="right" if left else "left", va="bottom")
        else:                                           # along the chain, under it: down, left, up
            _arrow(ax, (x0 - 0.2, y0 - RADIUS), (x1 + 0.2, y1 - RADIUS), BACKWARD,
                   "arc,angleA=-90,angleB=-90,armA=45,armB=45,rad=8", shrink=0)
            ax.text((x0 + x1) / 2, -1.85, label, fontsize=9, color=BACKWARD, ha="center", va="top")


def plot_computational_graph(values=None, deltas=None, ax=None):
    """Draw the one-hidden-layer MLP as a computational graph; returns the Figure.

    values: optional {node: value} for the forward pass, nodes ``x z1 a1 z2 p E W1 b1 W2 b2 y``;
        each is written on the arrow leaving its node (beside the node for E and the parameters).
    deltas: optional {name: value} for the backward pass, names ``z2`` (delta2), ``z1`` (delta1),
        ``W1 b1 W2 b2`` (their gradients); each is written under its gradient's formula.
    A value is an array (shown by its shape, or its numbers if it has at most 3), a shape tuple, a
    number or a string. ax: the Axes to draw in (a new figure if None)."""
    forward_text = _texts(values, list(NODES), "values")
    backward_text = _texts(deltas, list(BACKWARD_EDGES), "deltas")
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    fig, ax = plt.subplots(figsize=(9.0, 4.8)) if ax is None else (ax.figure, ax)
    _draw_forward(ax, forward_text)
    _draw_backward(ax, backward_text)
    for name, (x, y, label) in NODES.items():
        colour = PARAMETER if name in PARAMETERS else FORWARD
        ax.add_patch(plt.Circle((x, y), RADIUS, facecolor="white", lw=1.5, edgecolor=colour, zorder=3))
        ax.text(x, y, label, fontsize=12, ha="center", va="center", color=colour, zorder=4)
    ax.text(NODES["y"][0], NODES["y"][1] + RADIUS + 0.1, "targets", fontsize=8, ha="center", va="bottom")
    ax.plot([], [], color=FORWARD, label="forward" + (": what flows (shapes)" if values else ""))
    ax.plot([], [], color=BACKWARD, label=r"backward: $\delta = \partial E/\partial z$")
    ax.plot([], [], color=BACKWARD, ls="--", label="backward: parameter gradients")
    ax.legend(loc="upper center", fontsize=8, frameon=False, ncol=3, bbox_to_anchor=(0.5, 0.02))
    ax.set(xlim=(-0.8, 16.6), ylim=(-3.0, 4.4), aspect="equal")
    ax.axis("off")
    ax.set_title(r"a one-hidden-layer MLP: forward (black), backward (red); $N$ images in a minibatch",
                 fontsize=10)
    return fig
