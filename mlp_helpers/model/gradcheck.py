"""Numerical gradient check: compare backprop with centred differences.

For a scalar loss E(theta) and one parameter entry theta_i:

    dE/dtheta_i  ~  [E(theta + eps e_i) - E(theta - eps e_i)] / (2 eps)

The error of this estimate has two parts: truncation, O(eps^2) (the Taylor
terms the formula ignores), and round-off, O(machine_eps * |E| / eps) (the
subtraction of two nearly equal losses). In float64 (machine_eps ~ 1e-16) the
sweet spot is eps ~ 1e-5..1e-6, where both are ~1e-10; in float32 it is
unreachable, which is why the check always runs in float64.

Each parameter is summarised by one number, the relative error of the whole
gradient array:  ||g_backprop - g_numeric|| / (||g_backprop|| + ||g_numeric||),
which is 0 for a perfect match, about 0.7 (1/sqrt 2) for two unrelated vectors of equal
size, and 1 only when they point in opposite directions.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .penalties import make_penalty

TOLERANCE = 1e-6


def numerical_gradient(loss_fn, theta, eps=1e-6, indices=None):
    """Centred-difference gradient of ``loss_fn()`` with respect to the array ``theta``.

    ``theta`` is perturbed in place and restored. ``indices`` (flat positions)
    limits the work to a sample; the other entries of the result are NaN."""
    grad = np.full(theta.shape, np.nan)
    flat, gflat = theta.reshape(-1), grad.reshape(-1)
    for i in range(flat.size) if indices is None else indices:
        original = flat[i]
        flat[i] = original + eps
        plus = loss_fn()
        flat[i] = original - eps
        minus = loss_fn()
        flat[i] = original
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(analytic, numeric):
    """||a - n|| / (||a|| + ||n||) over the entries both define (0 when both are zero): the one relative
    error of the package, that of the gradient check and of the exercises' checks (mlp_helpers.exercises)."""
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    mask = ~np.isnan(numeric)
    a, n = analytic[mask], numeric[mask]
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - n) / denom)


def check_gradients(model, x, y, penalty=None, eps=1e-6, entries_per_param=None, seed=0,
                    tolerance=TOLERANCE, gradient_fn=None):
    """Check every parameter's backprop gradient against centred differences, in float64.

    model: an MLP (copied to float64, never changed). x (N, D), y (N,).
    entries_per_param: check a random sample of this many entries of each array
    (None: all). gradient_fn(model64, x, y, penalty) -> grads lets a deliberately
    wrong backward be checked too. Returns a DataFrame, one row per parameter:
    parameter, shape, checked, grad_norm, max_abs_diff, rel_error, passed."""
    penalty = make_penalty(penalty)
    model64 = model.astype(np.float64)
    x = np.asarray(x, dtype=np.float64)
    if gradient_fn is None:
        grads = model64.loss_and_gradients(x, y, penalty).grads
    else:
        grads = gradient_fn(model64, x, y, penalty)
    rng = np.random.default_rng(seed)
    rows = []
    for name, theta in model64.params.items():
        indices = None
        if entries_per_param is not None and entries_per_param < theta.size:
            indices = rng.choice(theta.size, size=entries_per_param, replace=False)
        numeric = numerical_gradient(lambda: model64.loss(x, y, penalty), theta, eps, indices)
        mask = ~np.isnan(numeric)
        err = relative_error(grads[name], numeric)
        rows.append({
            "parameter": name,
            "shape": "x".join(map(str, theta.shape)),
            "checked": int(mask.sum()),
            "grad_norm": float(np.linalg.norm(grads[name][mask])),
            "max_abs_diff": float(np.max(np.abs(grads[name][mask] - numeric[mask]))),
            "rel_error": err,
            "passed": err < tolerance,
        })
    return pd.DataFrame(rows)
