"""Layers as forward/backward pairs, each next to its local derivative.

Notation for one minibatch of N rows: x (N, D) inputs, W (D, H) weights, b (H,) biases,
z (N, H) pre-activations, C classes. A ``*_backward`` function takes the upstream gradient
delta = dE/d(output) and what its forward pass saw, and returns the gradients of its inputs.
"""
from __future__ import annotations

import numpy as np


def affine_forward(x, W, b):
    """z = x W + b.   x (N, D), W (D, H), b (H,)  ->  z (N, H)."""
    z = x @ W
    z += b
    return z


def affine_backward(delta, x, W, need_dx=True):
    """Gradients of z = x W + b given the upstream gradient delta = dE/dz (N, H).

        dE/dW = x^T delta  (D, H)      dE/db = sum_n delta[n]  (H,)      dE/dx = delta W^T  (N, D)

    Returns (dx or None, dW, db). The first layer does not need dx (nothing upstream
    learns), which saves the largest product."""
    dW = x.T @ delta
    db = delta.sum(axis=0)
    dx = delta @ W.T if need_dx else None
    return dx, dW, db


def softmax(logits):
    """Row-wise softmax of logits (N, C); subtracting the row max avoids overflow."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of softmax(logits) against the targets, and its gradient.

        E = -(1/N) sum_n log p[n, y_n]          dE/dlogits = (p - onehot(y)) / N

    logits (N, C); y (N,) integer classes or (N, C) one-hot / probability rows.
    Returns (loss: float, dlogits: (N, C))."""
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    sums = exp.sum(axis=1, keepdims=True)
    log_probs = shifted - np.log(sums)
    probs = exp
    probs /= sums
    if y.ndim == 1:
        rows = np.arange(n)
        loss = -np.mean(log_probs[rows, y], dtype=np.float64)
        probs[rows, y] -= 1
    else:
        loss = -np.sum(y * log_probs, dtype=np.float64) / n
        probs -= y
    probs /= n
    return float(loss), probs
