"""The optimiser: minibatch SGD, with optional classical or Nesterov momentum.

Every optimiser has the same update signature, ``step(params, grads)``: it changes ``params``
in place from ``grads`` (dicts with the same keys, arrays of the same shapes), with the learning
rate in its one home, ``optimizer.lr`` (``fit`` writes the schedule's rate there each epoch).

    plain SGD:            theta <- theta - eta g
    classical momentum:   v <- mu v - eta g ;        theta <- theta + v
    Nesterov momentum:    v <- mu v - eta g ;        theta <- theta + mu v - eta g
                          (the gradient is taken at theta and the look-ahead is folded
                           into the update; Sutskever et al. 2013)
"""
from __future__ import annotations

import math

import numpy as np

from ..model.blocks import row_blocks
from ..validation import check_number


class SGD:
    """Minibatch SGD with optional (classical or Nesterov) momentum; ``velocity`` holds v.

    ``lr`` is the learning rate eta of the next step."""

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False):
        self.lr = check_number("learning rate", lr, 0, math.inf, low_open=True)
        self.momentum = check_number("momentum", momentum, 0, 1, high_open=True)
        if nesterov and self.momentum == 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.nesterov = bool(nesterov)
        self.velocity = {}

    def step(self, params, grads):
        """One update of every array in ``params`` (in place), with learning rate ``self.lr``."""
        eta, mu = self.lr, self.momentum
        for key, theta in params.items():
            if mu and key not in self.velocity:
                self.velocity[key] = np.zeros_like(theta)
            # Row blocks (model/blocks.py): the same rule, one cache-sized block of rows at a time.
            for rows in row_blocks(theta):
                theta_rows, g = theta[rows], grads[key][rows]
                if mu == 0:
                    theta_rows -= eta * g
                    continue
                v = self.velocity[key][rows]
                v *= mu
                v -= eta * g                       # v <- mu v - eta g
                if self.nesterov:                  # theta <- theta + mu v - eta g
                    theta_rows -= eta * g
                    theta_rows += mu * v
                else:
                    theta_rows += v                # theta <- theta + v

    def __repr__(self):
        kind = "Nesterov" if self.nesterov else "classical"
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g}{f', {kind}' if self.momentum else ''})"
