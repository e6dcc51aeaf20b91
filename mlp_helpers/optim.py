"""Optimisers and learning-rate schedules.

Every optimiser has the same update signature, ``step(params, grads, lr)``:
it changes ``params`` in place from ``grads`` (dicts with the same keys, and arrays
of the same shapes).

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

    # The update is elementwise, so big arrays are updated a block of rows at a time. Each
    # block's few passes (scale, decay, subtract, add) then find their operands in the CPU
    # cache, instead of streaming the whole of W1 (3072 x 128 float32, 1.5 MB) and its
    # velocity through memory once per pass; the update of W1 takes ~30 % less time.
    BLOCK_BYTES = 256 * 1024

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
            g = grads[key]
            v = self._buffer(self.velocity, key, theta) if self.momentum else None
            for rows in _row_blocks(theta, self.BLOCK_BYTES):
                self._update(key, theta[rows], g[rows], None if v is None else v[rows], lr)

    def _update(self, key, theta, g, v, lr):
        """Update one block of rows in place; theta, g and v (None without momentum) are views
        of the same shape."""
        # step = lr * g, written into a reused buffer: no allocation per step.
        step = self._scratch_for(key, theta)
        np.multiply(g, theta.dtype.type(lr), out=step)
        if v is None:
            theta -= step
            return
        mu = theta.dtype.type(self.momentum)
        v *= mu
        v -= step
        if self.nesterov:
            theta -= step
            np.multiply(v, mu, out=step)      # step is free again: mu * v without a temporary
            theta += step
        else:
            theta += v

    def _scratch_for(self, key, block):
        """A buffer shaped like ``block``, kept between steps (the last block may be shorter)."""
        buf = self._scratch.get(key)
        if buf is None:
            buf = self._scratch[key] = np.empty_like(block)
        return buf[:len(block)] if block.ndim else buf

    @staticmethod
    def _buffer(store, key, like):
        buf = store.get(key)
        if buf is None:
            buf = store[key] = np.zeros_like(like)
        return buf


def _row_blocks(a, nbytes):
    """Indices that cover ``a`` in blocks of whole rows (first axis) of about ``nbytes`` each."""
    if a.ndim == 0 or a.nbytes <= nbytes:
        return [...]
    rows = max(1, nbytes // (a.nbytes // len(a)))
    return [slice(i, i + rows) for i in range(0, len(a), rows)]


# -------------------------------------------------------------- schedules ---
def make_schedule(name="constant", base_lr=0.01, epochs=100, step_every=30, gamma=0.1, warmup=0):
    """A function epoch (0-based) -> learning rate.

    constant: base_lr.  step: base_lr * gamma ** (epoch // step_every).
    cosine: base_lr * (1 + cos(pi * epoch / epochs)) / 2, decaying to 0 at ``epochs``.
    ``warmup`` epochs ramp linearly up to the schedule first."""
    base_lr = _check("learning rate", base_lr, 0, math.inf, low_open=True)
    # Checked here, not when the schedule is first called (ZeroDivisionError, or a negative lr).
    if name == "cosine":
        _check_count("epochs", epochs, 1)
    if name == "step":
        _check_count("step_every", step_every, 1)
    _check_count("warmup", warmup, 0)
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


def _check_count(what, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{what} must be an integer >= {low}, got {value!r}")
