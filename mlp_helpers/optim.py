"""Optimisers and learning-rate schedules.

Every optimiser has the same update signature, ``step(params, grads, lr)``:
it changes ``params`` in place from ``grads`` (dicts with the same keys).

    plain SGD:            theta <- theta - eta g
    classical momentum:   v <- mu v - eta g ;        theta <- theta + v
    Nesterov momentum:    v <- mu v - eta g ;        theta <- theta + mu v - eta g
                          (the gradient is taken at theta, the look-ahead is folded
                           into the update; Sutskever et al. 2013)
"""
from __future__ import annotations

import math

import numpy as np


def _check(what, value, low, high, low_open=False):
    ok = isinstance(value, (int, float, np.number)) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and value < high
    if not ok:
        bound = "(" if low_open else "["
        raise ValueError(f"{what} must be a finite number in {bound}{low}, {high}), got {value!r}")
    return float(value)


class SGD:
    """Minibatch SGD with optional (classical or Nesterov) momentum."""

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False):
        self.lr = _check("learning rate", lr, 0, math.inf, low_open=True)
        self.momentum = _check("momentum", momentum, 0, 1)
        if nesterov and self.momentum == 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.nesterov = bool(nesterov)
        self.velocity = {}
        self._scratch = {}

    def step(self, params, grads, lr=None):
        lr = self.lr if lr is None else lr
        for key, theta in params.items():
            # scratch = lr * g, written into a reused buffer: no allocation per step.
            step = self._buffer(self._scratch, key, theta)
            np.multiply(grads[key], theta.dtype.type(lr), out=step)
            if self.momentum == 0:
                theta -= step
                continue
            v = self._buffer(self.velocity, key, theta)
            v *= theta.dtype.type(self.momentum)
            v -= step
            if self.nesterov:
                theta -= step
                theta += self.momentum * v
            else:
                theta += v

    @staticmethod
    def _buffer(store, key, like):
        buf = store.get(key)
        if buf is None:
            buf = store[key] = np.zeros_like(like)
        return buf


# -------------------------------------------------------------- schedules ---
def make_schedule(name="constant", base_lr=0.01, epochs=100, step_every=30, gamma=0.1, warmup=0):
    """A function epoch (0-based) -> learning rate.

    constant: base_lr.  step: base_lr * gamma ** (epoch // step_every).
    cosine: base_lr * (1 + cos(pi * epoch / epochs)) / 2, decaying to 0 at ``epochs``.
    ``warmup`` epochs ramp linearly up to the schedule first."""
    base_lr = _check("learning rate", base_lr, 0, math.inf, low_open=True)
    shapes = {
        "constant": lambda e: base_lr,
        "step": lambda e: base_lr * gamma ** (e // step_every),
        "cosine": lambda e: base_lr * 0.5 * (1 + math.cos(math.pi * min(e, epochs) / epochs)),
    }
    if name not in shapes:
        raise ValueError(f"unknown schedule {name!r}; choose one of {sorted(shapes)}")
    shape = shapes[name]

    def schedule(epoch):
        return shape(epoch) * min(1.0, (epoch + 1) / (warmup + 1))

    schedule.name = name
    return schedule
