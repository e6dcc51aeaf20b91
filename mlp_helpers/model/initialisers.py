"""Weight initialisers: how large the first random weights are.

Each initialiser draws a ``(fan_in, fan_out)`` matrix. The scale matters:
too small and the signal (and its gradient) shrinks layer by layer; too large
and tanh/sigmoid units saturate. The two classic rules keep the variance of
the pre-activations near one:

* Xavier/Glorot (for tanh, sigmoid):  Var W = 2 / (fan_in + fan_out)
* He/Kaiming (for ReLU-like units):   Var W = 2 / fan_in  (ReLU zeroes half its inputs)

``small_gaussian`` (std 0.01, whatever the size) is the classic course-notes
choice, kept to show what goes wrong with it in deeper or ReLU nets.
Biases always start at zero.
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


INITIALISERS = {"xavier": xavier, "he": he, "small_gaussian": small_gaussian}

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
