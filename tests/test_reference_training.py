"""A few minibatch steps of the package's float32 training against a plain float64 reference.

The reference below is written from the formulas alone (forward pass, softmax cross-entropy, backprop,
penalty, momentum update), in float64, with none of the package's code: no buffers, no row blocks, no
in-place operations. The package's epoch must agree with it up to float32 rounding.
"""
import numpy as np
import pytest

from mlp_helpers.model import MLP, make_penalty
from mlp_helpers.training import SGD, run_epoch

N_ROWS, N_FEATURES, HIDDEN, N_CLASSES, BATCH = 90, 700, (64, 16), 5, 32     # W1 700 x 64 spans two row blocks


def reference_gradients(params, x, y, penalty, lam):
    """dE/dparam of a tanh MLP with softmax cross-entropy (mean over rows) plus the penalty, in float64."""
    n_layers = len(params) // 2
    outputs = [x]
    for l in range(1, n_layers):
        outputs.append(np.tanh(outputs[-1] @ params[f"W{l}"] + params[f"b{l}"]))
    logits = outputs[-1] @ params[f"W{n_layers}"] + params[f"b{n_layers}"]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = (p - np.eye(N_CLASSES)[y]) / len(x)
    grads = {}
    for l in range(n_layers, 0, -1):
        W = params[f"W{l}"]
        penalty_gradient = {"none": 0.0, "l2": 2 * lam * W, "l1": lam * np.sign(W)}[penalty]
        grads[f"W{l}"] = outputs[l - 1].T @ delta + penalty_gradient
        grads[f"b{l}"] = delta.sum(axis=0)
        delta = (delta @ W.T) * (1 - outputs[l - 1] ** 2)
    return grads


def reference_epoch(params, x, y, order, lr, momentum, nesterov, penalty, lam):
    """One epoch of minibatch SGD in ``order``, in float64; returns the new parameters."""
    params = {k: v.astype(np.float64) for k, v in params.items()}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    for start in range(0, len(order), BATCH):
        rows = order[start:start + BATCH]
        grads = reference_gradients(params, x[rows].astype(np.float64), y[rows], penalty, lam)
        for k in params:
            velocity[k] = momentum * velocity[k] - lr * grads[k]
            if nesterov:
                params[k] = params[k] + momentum * velocity[k] - lr * grads[k]
            else:
                params[k] = params[k] + velocity[k]
    return params


@pytest.mark.parametrize("momentum, nesterov, penalty, lam", [
    (0.0, False, "none", 0.0),
    (0.9, False, "none", 0.0),
    (0.9, False, "l2", 1e-2),
    (0.9, True, "l1", 1e-3),
])
def test_an_epoch_matches_the_float64_reference(momentum, nesterov, penalty, lam):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((N_ROWS, N_FEATURES)).astype(np.float32)
    y = rng.integers(0, N_CLASSES, N_ROWS)
    model = MLP([N_FEATURES, *HIDDEN, N_CLASSES], activation="tanh", seed=3)
    start = model.get_params()
    lr = 0.05
    optimizer = SGD(lr, momentum=momentum, nesterov=nesterov)
    run_epoch(model, optimizer, x, y, BATCH, make_penalty(penalty, lam), np.random.default_rng(11))
    expected = reference_epoch(start, x, y, np.random.default_rng(11).permutation(N_ROWS), lr, momentum, nesterov,
                               penalty, lam)
    for k, theta in model.params.items():
        assert theta.dtype == np.float32, k
        moved = np.abs(expected[k] - start[k]).max()
        assert moved > 1e-4, k                                        # the steps did change every array
        # float32 rounding of a few products and sums: far below what the steps moved
        np.testing.assert_allclose(theta, expected[k], rtol=1e-4, atol=1e-4 * moved, err_msg=k)
