"""The training loop: shuffled minibatches, early stopping, history, divergence guard.

One epoch visits every training row once, in a fresh random order (an index
permutation, so the data itself is never copied). After each epoch the
validation set is evaluated; early stopping watches ``monitor`` and, when it has
not improved for ``patience`` epochs, stops and restores the best weights.
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .network import NoPenalty, softmax_cross_entropy
from .optim import make_schedule

HISTORY_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]
MONITORS = {"val_loss": -1, "val_acc": +1}     # +1: larger is better


@dataclass
class TrainResult:
    """What ``fit`` returns. ``history`` has one row per epoch (``HISTORY_COLUMNS``);
    ``train_loss``/``train_acc`` are running means over the epoch's minibatches
    (cross-entropy only, no penalty), ``val_*`` are measured after the epoch."""
    history: pd.DataFrame
    best_epoch: int          # 1-based epoch whose weights the model now holds (0: initial weights)
    stop_reason: str         # "completed", "early_stopping", "diverged" or "interrupted"
    seconds: float
    message: str = ""


class Diverged(Exception):
    pass


def fit(model, optimizer, data, *, epochs=100, batch_size=128, penalty=None, patience=5,
        monitor="val_loss", schedule=None, seed=0, augment_flip=False, callback=None,
        progress=True):
    """Train ``model`` in place on ``data.x_train, data.y_train``; validate on ``data.x_val, data.y_val``.

    epochs: the most epochs to run. patience: stop after this many epochs without
    improvement of ``monitor`` (None: never stop early). schedule: a function
    epoch -> lr (``make_schedule``), default constant at ``optimizer.lr``.
    augment_flip: mirror a random half of each minibatch left-right.
    callback(history_so_far) is called after each epoch (for live plots).
    Ctrl-C stops cleanly: the result holds what was done and the best weights."""
    _check_fit_args(epochs, batch_size, patience, monitor, data.x_train, model)
    penalty = penalty or NoPenalty()
    schedule = schedule or make_schedule("constant", optimizer.lr)
    rng = np.random.default_rng(seed)
    sign = MONITORS[monitor]
    best_score, best_epoch, best_params = -math.inf, 0, model.get_params()
    rows, stale, stop_reason, message = [], 0, "completed", ""
    start = time.perf_counter()
    bar = tqdm(range(1, epochs + 1), desc="epochs", unit="ep", disable=not progress, leave=False)
    try:
        for epoch in bar:
            t0 = time.perf_counter()
            lr = schedule(epoch - 1)
            train_loss, train_acc = _run_epoch(model, optimizer, data, batch_size, penalty, lr,
                                               rng, augment_flip)
            val_loss, val_acc = model.evaluate(data.x_val, data.y_val)
            rows.append((epoch, train_loss, train_acc, val_loss, val_acc, lr, time.perf_counter() - t0))
            _check_divergence(val_loss, rows, lr, epoch)
            score = sign * (val_loss if monitor == "val_loss" else val_acc)
            if score > best_score:
                best_score, best_epoch, best_params, stale = score, epoch, model.get_params(), 0
            else:
                stale += 1
            bar.set_postfix(val_loss=f"{val_loss:.3f}", val_acc=f"{val_acc:.3f}")
            if callback is not None:
                callback(pd.DataFrame(rows, columns=HISTORY_COLUMNS))
            if patience is not None and stale >= patience:
                stop_reason = "early_stopping"
                break
    except Diverged as err:
        stop_reason, message = "diverged", str(err)
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    except KeyboardInterrupt:
        stop_reason, message = "interrupted", "interrupted by the user; keeping the best weights so far"
    finally:
        bar.close()
    model.set_params(best_params)
    return TrainResult(pd.DataFrame(rows, columns=HISTORY_COLUMNS), best_epoch, stop_reason,
                       time.perf_counter() - start, message)


def _run_epoch(model, optimizer, data, batch_size, penalty, lr, rng, augment_flip):
    """One pass over the training set; returns the running mean loss and accuracy."""
    # np.take copies a non-contiguous source (say x[::2]) whole before it gathers: for such
    # data, make that copy once per epoch here rather than once per minibatch.
    x, y = np.ascontiguousarray(data.x_train), data.y_train
    n = len(x)
    order = rng.permutation(n)
    # One reused batch buffer. mode="clip" matters: with the default mode="raise",
    # np.take buffers ``out`` internally and runs ~3x slower (the indices are valid anyway).
    batch = np.empty((batch_size, x.shape[1]), dtype=x.dtype)
    loss_sum, correct = 0.0, 0
    for i in range(0, n, batch_size):
        idx = order[i:i + batch_size]
        xb = batch[:len(idx)]
        np.take(x, idx, axis=0, out=xb, mode="clip")
        yb = y[idx]
        if augment_flip:
            flip_half(xb, rng)
        loss, grads, logits = model.loss_and_gradients(xb, yb, penalty)
        if not math.isfinite(loss):
            raise Diverged(_divergence_message(loss, lr))
        # The history reports cross-entropy alone. With a penalty, recompute it from the
        # (N, C) logits: far cheaper than a second pass over every weight for the penalty.
        data_loss = softmax_cross_entropy(logits, yb)[0] if penalty.lam else loss
        optimizer.step(model.params, grads, lr)
        loss_sum += data_loss * len(idx)
        correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))
    return loss_sum / n, correct / n


def flip_half(xb, rng):
    """Mirror a random half of the images in xb (B, 3072, channel-planar 3x32x32) left-right, in place."""
    pick = rng.random(len(xb)) < 0.5
    images = xb[pick].reshape(-1, 3, 32, 32)
    xb[pick] = images[..., ::-1].reshape(len(images), -1)


def _check_divergence(val_loss, rows, lr, epoch):
    # "Exploding": non-finite, or validation loss 10x the first epoch's (which is ~ln 10 at worst).
    if not math.isfinite(val_loss) or val_loss > 10 * max(rows[0][3], 1.0):
        raise Diverged(_divergence_message(val_loss, lr, epoch))


def _divergence_message(loss, lr, epoch=None):
    when = f" in epoch {epoch}" if epoch else ""
    return (f"training diverged{when} (loss = {loss:.4g}). The learning rate {lr:g} is most likely "
            f"too high for this model: try {lr / 10:g}. Training stopped; the model keeps its best "
            "weights so far.")


def _check_fit_args(epochs, batch_size, patience, monitor, x_train, model):
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if patience is not None and (not isinstance(patience, (int, np.integer)) or patience < 1):
        raise ValueError(f"patience must be a positive integer or None, got {patience!r}")
    if monitor not in MONITORS:
        raise ValueError(f"monitor must be one of {sorted(MONITORS)}, got {monitor!r}")
    if x_train.dtype != model.dtype:
        raise ValueError(f"training data is {x_train.dtype} but the model is {model.dtype}: "
                         f"cast one of them (e.g. x.astype(np.{model.dtype.name})) so nothing upcasts silently")
