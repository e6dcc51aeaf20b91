"""Weight initialisers: how large the first random weights are.

Each initialiser draws a ``(fan_in, fan_out)`` matrix. The scale matters:
too small and the signal (and its gradient) shrinks layer by layer; too large
and tanh/sigmoid units saturate. The two classic rules keep the variance of
the pre-activations near one:

* Xavier/Glorot (for tanh, sigmoid):  Var W = 2 / (fan_in + fan_out)
* He/Kaiming (for ReLU-like units):   Var W = 2 / fan_in  (ReLU zeroes half its inputs)

``small_gaussian`` (std 0.01, whatever the size) is the classic course-notes
choice, kept to show what goes wrong with it in deeper or ReLU nets.

``uniform_small`` is what common course starter code does: a layer is one matrix of
shape (fan_in + 1, fan_out) whose last row is the bias (the weight on an appended
constant-1 input), every entry drawn from 0.01 * U[0, 1), so all of them positive.
It is the only initialiser that draws the biases (``includes_bias``); the others
start every bias at zero.
"""
from __future__ import annotations

import numpy as np

from ..validation import check_choice


def xavier(fan_in, fan_out, rng, dtype=np.float32):
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return (rng.standard_normal((fan_in, fan_out)) * std).astype(dtype)


def he(fan_in, fan_out, rng, dtype=np.float32):
    std = np.sqrt(2.0 / fan_in)
    return (rng.standard_normal((fan_in, fan_out)) * std).astype(dtype)


def small_gaussian(fan_in, fan_out, rng, dtype=np.float32, std=0.01):
    return (rng.standard_normal((fan_in, fan_out)) * std).astype(dtype)


def uniform_small(fan_in, fan_out, rng, dtype=np.float32, scale=0.01):
    """(fan_in, fan_out) draws from scale * U[0, 1); MLP asks for fan_in + 1 rows and
    keeps the last as the bias (see ``includes_bias``)."""
    return (rng.random((fan_in, fan_out)) * scale).astype(dtype)


uniform_small.includes_bias = True   # MLP draws [W; b] as one (fan_in + 1, fan_out) matrix


INITIALISERS = {"xavier": xavier, "he": he, "small_gaussian": small_gaussian, "uniform_small": uniform_small}

# The default that suits each activation.
DEFAULT_FOR_ACTIVATION = {"tanh": "xavier", "sigmoid": "xavier", "relu": "he", "leaky_relu": "he"}


def make_initialiser(name=None, activation="tanh"):
    """The initialiser called ``name``; ``None`` picks the one matched to ``activation``
    (a name or an activation object); a callable is returned as it is."""
    if callable(name):
        return name
    if name is None:
        name = DEFAULT_FOR_ACTIVATION.get(getattr(activation, "name", activation), "xavier")
    return INITIALISERS[check_choice("initialiser", name, INITIALISERS)]
