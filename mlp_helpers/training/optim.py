"""The optimiser: minibatch SGD, with optional classical or Nesterov momentum.

Every optimiser has the same update signature, ``step(params, grads, lr)``: it changes
``params`` in place from ``grads`` (dicts with the same keys, arrays of the same shapes).

    plain SGD:            theta <- theta - eta g
    classical momentum:   v <- mu v - eta g ;        theta <- theta + v
    Nesterov momentum:    v <- mu v - eta g ;        theta <- theta + mu v - eta g
                          (the gradient is taken at theta and the look-ahead is folded
                           into the update; Sutskever et al. 2013)
"""
from __future__ import annotations

import math

import numpy as np

from ..validation import check_number


class SGD:
    """Minibatch SGD with optional (classical or Nesterov) momentum; ``velocity`` holds v."""

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False):
        self.lr = check_number("learning rate", lr, 0, math.inf, low_open=True)
        self.momentum = check_number("momentum", momentum, 0, 1, high_open=True)
        if nesterov and self.momentum == 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.nesterov = bool(nesterov)
        self.velocity = {}

    def step(self, params, grads, lr=None):
        eta = self.lr if lr is None else lr
        mu = self.momentum
        for key, theta in params.items():
            g = grads[key]
            if mu == 0:
                theta -= eta * g
                continue
            v = self.velocity.setdefault(key, np.zeros_like(theta))
            v *= mu
            v -= eta * g                       # v <- mu v - eta g
            if self.nesterov:                  # theta <- theta + mu v - eta g
                theta -= eta * g
                theta += mu * v
            else:
                theta += v                     # theta <- theta + v

    def __repr__(self):
        kind = "Nesterov" if self.nesterov else "classical"
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g}{f', {kind}' if self.momentum else ''})"
