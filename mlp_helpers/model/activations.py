"""Hidden-layer activation functions, each next to its local derivative.

Every activation is an object with two methods:

* ``forward(z)``: a = f(z), elementwise, shape preserved.
* ``backward(da, a)``: dL/dz = dL/da * f'(z), written in terms of the *output*
  ``a`` so that the forward pass only has to keep ``a`` for backprop.

``backward`` overwrites ``da`` in place (it is a temporary of the backward pass)
and returns it; this saves an allocation per layer per minibatch.
"""
from __future__ import annotations

import numpy as np

from ..validation import check_choice, check_has_methods


class Tanh:
    name = "tanh"

    def forward(self, z):
        return np.tanh(z)

    def backward(self, da, a):
        # tanh'(z) = 1 - tanh(z)^2 = 1 - a^2
        da *= 1 - a * a
        return da


class Sigmoid:
    name = "sigmoid"

    def forward(self, z):
        # sigma(z) = 1 / (1 + e^-z) = (1 + tanh(z/2)) / 2; the tanh form never overflows.
        a = np.tanh(z * 0.5)
        a += 1
        a *= 0.5
        return a

    def backward(self, da, a):
        # sigma'(z) = sigma(z) (1 - sigma(z)) = a (1 - a)
        da *= a * (1 - a)
        return da


class ReLU:
    name = "relu"

    def forward(self, z):
        return np.maximum(z, 0)

    def backward(self, da, a):
        # relu'(z) = 1 if z > 0 else 0, and z > 0 exactly when a > 0.
        # (At the kink z = 0 we take the subgradient 0.)
        da *= a > 0
        return da


class LeakyReLU:
    name = "leaky_relu"

    def __init__(self, slope: float = 0.01):
        if not 0 < slope < 1:
            raise ValueError(f"leaky ReLU slope must lie in (0, 1), got {slope!r}")
        self.slope = slope

    def forward(self, z):
        return np.where(z > 0, z, self.slope * z).astype(z.dtype, copy=False)

    def backward(self, da, a):
        # f'(z) = 1 if z > 0 else slope; with slope > 0, z > 0 exactly when a > 0.
        da *= np.where(a > 0, 1, self.slope).astype(da.dtype, copy=False)
        return da


ACTIVATIONS = {cls.name: cls for cls in (Tanh, Sigmoid, ReLU, LeakyReLU)}


def make_activation(name):
    """An activation object for ``name`` (one of ``ACTIVATIONS``); an object that already has
    ``forward`` and ``backward`` methods is returned as it is."""
    if isinstance(name, str):
        return ACTIVATIONS[check_choice("activation", name, ACTIVATIONS)]()
    return check_has_methods("activation", name, ("forward", "backward"))
