"""The multi-layer perceptron: forward pass, loss and backward pass, layer by layer.

Notation (one minibatch of N rows, layers l = 1..L):

    a0 = x                                   (N, D)
    z_l = a_{l-1} W_l + b_l                  (N, H_l)        affine layer
    a_l = f(z_l)            for l < L        hidden activation
    p = softmax(z_L)                         (N, C)          output probabilities
    E = -(1/N) sum_n log p[n, y_n]  +  penalty(W_1..W_L)

Backprop starts from the softmax-cross-entropy delta and walks back:

    delta_L = (p - onehot(y)) / N
    dE/dW_l = a_{l-1}^T delta_l,      dE/db_l = sum_n delta_l[n]
    delta_{l-1} = (delta_l W_l^T) * f'(z_{l-1})

The layers' forward/backward pairs live in ``layers.py``, the activations in
``activations.py``, the penalties (which add their gradient to dE/dW_l) in ``penalties.py``.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .activations import make_activation
from .initialisers import make_initialiser
from .layers import affine_backward, affine_forward, softmax, softmax_cross_entropy
from .penalties import make_penalty


class LossAndGradients(NamedTuple):
    """What one forward and backward pass gives, by name: ``result.loss`` (cross-entropy plus
    penalty), ``result.grads`` (dE/dparam for every parameter), and for the training log
    ``result.data_loss`` (cross-entropy alone) and ``result.logits`` (N, C)."""
    loss: float
    data_loss: float
    grads: dict
    logits: np.ndarray


class MLP:
    """A fully connected network with softmax outputs.

    ``MLP([3072, 128, 10], activation="tanh")`` has one hidden layer of 128 tanh
    units. Parameters live in ``params``: ``W1`` (3072, 128), ``b1`` (128,),
    ``W2`` (128, 10), ``b2`` (10,). ``init=None`` picks the initialiser matched
    to the activation (Xavier for tanh/sigmoid, He for ReLU)."""

    def __init__(self, layer_sizes: Sequence[int], activation="tanh", init=None,
                 dtype=np.float32, seed=0):
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        self.activation = make_activation(activation)
        self.dtype = _check_dtype(dtype)
        initialiser = make_initialiser(init, self.activation)
        rng = np.random.default_rng(seed)
        self.params = {}
        for l, (fan_in, fan_out) in enumerate(zip(self.layer_sizes, self.layer_sizes[1:]), 1):
            if getattr(initialiser, "includes_bias", False):
                # The bias is the weight on an appended constant-1 input: the matrix's last row.
                weights_and_bias = initialiser(fan_in + 1, fan_out, rng, self.dtype)
                self.params[f"W{l}"] = np.ascontiguousarray(weights_and_bias[:-1])
                self.params[f"b{l}"] = weights_and_bias[-1].copy()
            else:
                self.params[f"W{l}"] = initialiser(fan_in, fan_out, rng, self.dtype)
                self.params[f"b{l}"] = np.zeros(fan_out, dtype=self.dtype)

    @property
    def n_layers(self):
        return len(self.layer_sizes) - 1

    def astype(self, dtype):
        """A copy of this network whose parameters have ``dtype`` (float64 for gradient checks).

        Every other attribute is carried over as it is (a shallow copy), so the twin keeps the class
        (a subclass stays a subclass), the activation and any attribute added later."""
        twin = copy.copy(self)
        twin.dtype = _check_dtype(dtype)
        twin.params = {k: v.astype(twin.dtype) for k, v in self.params.items()}
        return twin

    def get_params(self):
        return {k: v.copy() for k, v in self.params.items()}

    def set_params(self, params):
        for k, v in params.items():
            self.params[k][...] = v

    # -- forward ------------------------------------------------------------
    def forward(self, x):
        """Logits (N, C) and the list of layer outputs [a0 = x, a1, ..., a_{L-1}] kept for backprop."""
        x = self._check_inputs(x)
        outputs = [x]
        a = x
        for l in range(1, self.n_layers + 1):
            z = affine_forward(a, self.params[f"W{l}"], self.params[f"b{l}"])
            if l == self.n_layers:
                return z, outputs
            a = self.activation.forward(z)
            outputs.append(a)

    def penalty_value(self, penalty):
        return sum(penalty.value(self.params[f"W{l}"]) for l in range(1, self.n_layers + 1))

    def loss(self, x, y, penalty=None):
        """Mean cross-entropy on (x, y) plus the penalty."""
        penalty = make_penalty(penalty)
        logits, _ = self.forward(x)
        data_loss, _ = softmax_cross_entropy(logits, self._check_targets(y, len(logits)))
        return data_loss + self.penalty_value(penalty)

    # -- backward -----------------------------------------------------------
    def loss_and_gradients(self, x, y, penalty=None):
        """One forward and one backward pass: a ``LossAndGradients`` (loss with the penalty,
        data_loss without it, grads with the keys and shapes of ``params``, logits (N, C))."""
        penalty = make_penalty(penalty)
        logits, outputs = self.forward(x)
        y = self._check_targets(y, len(logits))
        data_loss, delta = softmax_cross_entropy(logits, y)
        grads = {}
        for l in range(self.n_layers, 0, -1):
            W = self.params[f"W{l}"]
            da, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(delta, outputs[l - 1], W, need_dx=l > 1)
            penalty.add_gradient(W, grads[f"W{l}"])
            if l > 1:
                delta = self.activation.backward(da, outputs[l - 1])
        return LossAndGradients(data_loss + self.penalty_value(penalty), data_loss, grads, logits)

    # -- evaluation ---------------------------------------------------------
    def predict_proba(self, x, batch_size=5000):
        return np.concatenate([softmax(self.forward(x[i:i + batch_size])[0])
                               for i in range(0, len(x), batch_size)])

    def predict(self, x, batch_size=5000):
        return np.concatenate([self.forward(x[i:i + batch_size])[0].argmax(axis=1)
                               for i in range(0, len(x), batch_size)])

    def evaluate(self, x, y, batch_size=5000):
        """(mean cross-entropy, accuracy) on (x, y), in chunks to bound memory; no penalty."""
        y = self._check_targets(y, len(x))
        total_loss, correct = 0.0, 0
        for i in range(0, len(x), batch_size):
            logits, _ = self.forward(x[i:i + batch_size])
            yb = y[i:i + batch_size]
            loss, _ = softmax_cross_entropy(logits, yb)
            total_loss += loss * len(logits)
            labels = yb if yb.ndim == 1 else yb.argmax(axis=1)
            correct += int(np.sum(logits.argmax(axis=1) == labels))
        return total_loss / len(x), correct / len(x)

    # -- checks -------------------------------------------------------------
    def _check_inputs(self, x):
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"inputs must have shape (N, {self.layer_sizes[0]}), got {x.shape}")
        if x.dtype != self.dtype:
            # An explicit cast, so a float64 array never silently upcasts a float32 net.
            x = x.astype(self.dtype)
        return x

    def _check_targets(self, y, n):
        y = np.asarray(y)
        n_classes = self.layer_sizes[-1]
        if y.ndim == 1:
            if len(y) != n or not np.issubdtype(y.dtype, np.integer):
                raise ValueError(f"labels must be {n} integers, got shape {y.shape} dtype {y.dtype}")
            if n and (y.min() < 0 or y.max() >= n_classes):
                raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {y.min()}..{y.max()}")
            return y
        if y.shape != (n, n_classes):
            raise ValueError(f"one-hot targets must have shape ({n}, {n_classes}), got {y.shape}")
        return y.astype(self.dtype, copy=False)

    def __repr__(self):
        sizes = "-".join(map(str, self.layer_sizes))
        return f"MLP({sizes}, activation={self.activation.name!r}, dtype={self.dtype.name})"


def _check_dtype(dtype):
    try:
        dtype = np.dtype(dtype)
    except TypeError:       # np.dtype("nonsense") raises TypeError; report it like any other bad dtype
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


def _check_layer_sizes(sizes):
    try:
        given = list(sizes)
        if any(isinstance(s, (bool, np.bool_)) for s in given):
            raise TypeError("a bool is not a layer size")
        sizes = [int(s) for s in given]
    except (TypeError, ValueError):
        raise ValueError(f"layer_sizes must be a list of positive integers, got {sizes!r}") from None
    if any(s != g for s, g in zip(sizes, given)):
        # int() would silently truncate 2.5 to 2, or parse the characters of a string.
        raise ValueError(f"every layer size must be a positive integer, got {given!r}")
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least inputs and outputs, e.g. [3072, 128, 10]; got {sizes}")
    if any(s <= 0 for s in sizes):
        raise ValueError(f"every layer size must be a positive integer, got {sizes}")
    return sizes
