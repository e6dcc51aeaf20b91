"""Weight penalties (regularisers): their value and their gradient, side by side.

Penalties act on the weights only (never the biases) and are NOT divided by the batch size:

    L2:  lambda * ||W||^2        gradient  2 lambda W
    L1:  lambda * ||W||_1        gradient  lambda * sign(W)   (the subgradient 0 at W = 0)

Any object with ``value(W) -> float`` and ``add_gradient(W, dW)`` (adds its gradient to dW in
place) and a ``lam`` attribute can be used as a penalty.
"""
from __future__ import annotations

import numpy as np

from ..validation import check_choice, check_has_methods, check_number


class NoPenalty:
    name, lam = "none", 0.0

    def value(self, W):
        return 0.0

    def add_gradient(self, W, dW):
        pass


class L2Penalty:
    """lambda * ||W||^2 ; gradient 2 lambda W."""
    name = "l2"

    def __init__(self, lam):
        self.lam = check_number("lambda", lam, 0)

    def value(self, W):
        return self.lam * float(np.sum(W * W, dtype=np.float64))

    def add_gradient(self, W, dW):
        dW += (2 * self.lam) * W


class L1Penalty:
    """lambda * ||W||_1 ; gradient lambda * sign(W)."""
    name = "l1"

    def __init__(self, lam):
        self.lam = check_number("lambda", lam, 0)

    def value(self, W):
        return self.lam * float(np.sum(np.abs(W), dtype=np.float64))

    def add_gradient(self, W, dW):
        dW += self.lam * np.sign(W)


PENALTIES = {"none": NoPenalty, "l1": L1Penalty, "l2": L2Penalty}


def make_penalty(kind="none", lam=0.0):
    """``make_penalty("l2", 1e-4)``; ``"none"`` or None gives no penalty; a penalty object
    (with ``value`` and ``add_gradient``) is returned as it is."""
    if kind is None:
        return NoPenalty()
    if not isinstance(kind, str):
        check_has_methods("penalty", kind, ("value", "add_gradient"))
        if not hasattr(kind, "lam"):
            raise ValueError(f"penalty {kind!r} needs a `lam` attribute (its strength, 0 for none)")
        return kind
    check_choice("penalty", kind, PENALTIES)
    return NoPenalty() if kind == "none" else PENALTIES[kind](lam)
