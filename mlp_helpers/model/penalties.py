"""Weight penalties (regularisers): their value and their gradient, side by side.

Penalties act on the weights only (never the biases) and are NOT divided by the batch size:

    L2:  lambda * ||W||^2        gradient  2 lambda W
    L1:  lambda * ||W||_1        gradient  lambda * sign(W)   (the subgradient 0 at W = 0)

Two more read the course report's words literally ("the gradient gives us a constant ... lambda";
for L2 "lambda |w|"), each as the penalty whose exact gradient that is, so a gradient check holds:

    l1_constant:  lambda * sum(W)          gradient  lambda       (pushes every weight down, even negative ones)
    l2_half:      (lambda / 2) ||W||^2     gradient  lambda W     (L2 at half strength)

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
        return self.lam * float(np.vdot(W, W))          # vdot: the sum of squares in one pass, no temporary

    def add_gradient(self, W, dW):
        dW += (2 * self.lam) * W


class L1Penalty:
    """lambda * ||W||_1 ; gradient lambda * sign(W)."""
    name = "l1"

    def __init__(self, lam):
        self.lam = check_number("lambda", lam, 0)

    def value(self, W):
        return self.lam * float(np.abs(W).sum())

    def add_gradient(self, W, dW):
        dW += self.lam * np.sign(W)


class L1ConstantPenalty:
    """lambda * sum(W) ; gradient lambda (a constant: the report's L1 without the sign)."""
    name = "l1_constant"

    def __init__(self, lam):
        self.lam = check_number("lambda", lam, 0)

    def value(self, W):
        return self.lam * float(W.sum())

    def add_gradient(self, W, dW):
        dW += self.lam


class L2HalfPenalty:
    """(lambda / 2) * ||W||^2 ; gradient lambda W (the report's L2 gradient, no factor 2)."""
    name = "l2_half"

    def __init__(self, lam):
        self.lam = check_number("lambda", lam, 0)

    def value(self, W):
        return 0.5 * self.lam * float(np.vdot(W, W))

    def add_gradient(self, W, dW):
        dW += self.lam * W


PENALTIES = {"none": NoPenalty, "l1": L1Penalty, "l2": L2Penalty,
             "l1_constant": L1ConstantPenalty, "l2_half": L2HalfPenalty}


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
