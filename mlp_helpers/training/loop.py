"""The training loop: epochs of shuffled minibatches, validation, early stopping, history.

An epoch (``run_epoch``) is: shuffle the row order -> gather a minibatch -> loss and
gradients -> optimiser step, until every training row was used once. ``shuffle="once"`` draws
the order a single time and keeps it for every epoch (a common slip worth measuring: the
minibatches are then the same sets of rows, in the same order, every epoch). After each epoch the
validation set is evaluated and ``EarlyStopping`` decides whether to go on.

Training stops early for four reasons besides early stopping: the loss diverged (the
learning rate is too high), a callback raised ``StopTraining``, the user pressed Ctrl-C, or
an error. In every case the model ends with the best weights seen, and the epochs so far
are returned (or attached to the error as ``err.train_result``).
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.penalties import make_penalty
from ..validation import check_choice, check_int, check_labelled_arrays
from .early_stopping import EarlyStopping
from .progress import EpochBar
from .schedules import make_schedule

SHUFFLES = ("every_epoch", "once")
HISTORY_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]


@dataclass
class TrainResult:
    """What ``fit`` returns. ``history`` has one row per epoch (``HISTORY_COLUMNS``);
    ``train_loss``/``train_acc`` are running means over the epoch's minibatches
    (cross-entropy only, no penalty), ``val_*`` are measured after the epoch."""
    history: pd.DataFrame
    best_epoch: int          # 1-based epoch whose weights the model now holds (0: initial weights)
    stop_reason: str         # "completed", "early_stopping", "diverged", "interrupted" or a StopTraining reason
    seconds: float
    message: str = ""
    initial_val_loss: float = math.nan    # the untrained network's, for reference


class StopTraining(Exception):
    """Raise from a callback to end training after this epoch; ``reason`` becomes the stop reason."""

    def __init__(self, reason="stopped"):
        super().__init__(reason)
        self.reason = reason


class Diverged(Exception):
    """The loss became non-finite or exploded: the message says which and what to try."""


def fit(model, optimizer, data, *, epochs=100, batch_size=128, penalty=None, patience=5,
        monitor="val_loss", schedule=None, seed=0, augment=None, callback=None, progress=True,
        early_stopping=None, shuffle="every_epoch"):
    """Train ``model`` in place on ``data.x_train, data.y_train``; validate on ``data.x_val, data.y_val``.

    epochs: the most epochs to run. patience, monitor: the early-stopping rule (or pass an
    ``EarlyStopping`` object as ``early_stopping``). schedule: a function epoch -> lr
    (``make_schedule``), default constant at ``optimizer.lr``; each epoch's rate is written to
    ``optimizer.lr``, which the optimiser's ``step(params, grads)`` uses. augment(xb, rng): changes each
    minibatch in place (e.g. ``mlp_helpers.data.flip_half``). callback(history_so_far) runs after each epoch
    and may raise ``StopTraining``. shuffle: "every_epoch" (a new row order each epoch) or "once" (one
    order drawn at the start and kept). Ctrl-C stops cleanly, keeping the best weights."""
    epochs, batch_size = check_int("epochs", epochs), check_int("batch_size", batch_size)
    check_choice("shuffle", shuffle, SHUFFLES)
    stopper = early_stopping or EarlyStopping(patience, monitor)
    n_inputs, n_classes = model.layer_sizes[0], model.layer_sizes[-1]
    x_train, y_train = check_labelled_arrays("training", data.x_train, data.y_train, n_inputs, n_classes, model.dtype)
    x_val, y_val = check_labelled_arrays("validation", data.x_val, data.y_val, n_inputs, n_classes, model.dtype)
    y_train, y_val = class_indices("training", y_train), class_indices("validation", y_val)
    penalty = make_penalty(penalty)
    schedule = schedule or make_schedule("constant", optimizer.lr)
    rng = np.random.default_rng(seed)
    fixed_order = rng.permutation(len(x_train)) if shuffle == "once" else None
    initial_loss, initial_acc = model.evaluate(x_val, y_val)
    stopper.start(model, {"val_loss": initial_loss, "val_acc": initial_acc})
    rows, stop_reason, message = [], "completed", ""
    start = time.perf_counter()
    bar = EpochBar(epochs, enabled=progress)
    try:
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            lr = optimizer.lr = _checked_lr(schedule, epoch)        # the schedule writes the optimiser's rate
            train_loss, train_acc = run_epoch(model, optimizer, x_train, y_train, batch_size, penalty, rng,
                                              augment, order=fixed_order)
            val_loss, val_acc = model.evaluate(x_val, y_val)
            rows.append((epoch, train_loss, train_acc, val_loss, val_acc, lr, time.perf_counter() - t0))
            check_divergence(val_loss, initial_loss, lr, epoch, penalty)
            stop = stopper.update(epoch, {"val_loss": val_loss, "val_acc": val_acc}, model)
            bar.epoch_done(val_loss, val_acc)
            if callback is not None:
                callback(pd.DataFrame(rows, columns=HISTORY_COLUMNS))
            if stop:
                stop_reason = "early_stopping"
                break
    except Diverged as err:
        stop_reason, message = "diverged", str(err)
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    except StopTraining as err:
        stop_reason, message = err.reason, f"stopped by the callback ({err.reason})"
    except KeyboardInterrupt:
        stop_reason, message = "interrupted", "interrupted by the user; keeping the best weights so far"
    except Exception as err:
        # Whatever went wrong (often a user callback), the model keeps its best weights and the
        # caller gets the epochs done so far.
        stop_reason = "error"
        stopper.restore(model)
        err.train_result = TrainResult(pd.DataFrame(rows, columns=HISTORY_COLUMNS), stopper.best_epoch,
                                       "error", time.perf_counter() - start, str(err), initial_loss)
        err.add_note(f"fit: the model holds the weights of epoch {stopper.best_epoch}; "
                     "the history so far is in this error's .train_result")
        raise
    finally:
        bar.close(stop_reason)
    stopper.restore(model, completed=stop_reason == "completed")
    return TrainResult(pd.DataFrame(rows, columns=HISTORY_COLUMNS), stopper.best_epoch, stop_reason,
                       time.perf_counter() - start, message, initial_loss)


def run_epoch(model, optimizer, x, y, batch_size, penalty, rng, augment=None, order=None):
    """One pass over (x, y) in a random order (or in ``order``, a permutation of the rows, if given),
    one ``optimizer.step`` per minibatch at the rate ``optimizer.lr``; returns the running mean
    cross-entropy and accuracy."""
    n = len(x)
    order = rng.permutation(n) if order is None else order
    loss_sum, correct = 0.0, 0
    for i in range(0, n, batch_size):
        rows = order[i:i + batch_size]
        xb, yb = x[rows], y[rows]
        if augment is not None:
            augment(xb, rng)
        result = model.loss_and_gradients(xb, yb, penalty)
        if not math.isfinite(result.loss):
            raise Diverged(divergence_message(result.loss, optimizer.lr, penalty=penalty))
        optimizer.step(model.params, result.grads)
        loss_sum += result.data_loss * len(rows)
        correct += int(np.count_nonzero(result.logits.argmax(axis=1) == yb))
    return loss_sum / n, correct / n


def class_indices(split, y):
    """Labels as class indices (N,): one-hot rows (N, C) become their argmax; soft targets are refused,
    since an epoch's accuracy and early stopping need one class per image."""
    if y.ndim == 1:
        return y
    if not (np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all()):
        raise ValueError(f"the {split} split's labels are (N, C) rows that are not one-hot: fit needs one class "
                         "per image (integer labels, or one-hot rows)")
    return y.argmax(axis=1)


def check_divergence(val_loss, initial_loss, lr, epoch, penalty=None):
    """Diverged: a non-finite validation loss, or 10x the untrained network's (at least 10)."""
    if not math.isfinite(val_loss) or val_loss > 10 * max(initial_loss, 1.0):
        raise Diverged(divergence_message(val_loss, lr, epoch, penalty))


def divergence_message(loss, lr, epoch=None, penalty=None):
    """What went wrong and what to try. The penalty's own step on a weight is about lr * lambda (times 2
    for L2); once that is not small, the penalty overshoots zero by itself, whatever the data do."""
    when = f" in epoch {epoch}" if epoch else ""
    lam = getattr(penalty, "lam", 0.0) or 0.0
    if lr * lam >= 0.5:
        cause = (f"The penalty is most likely too strong for this learning rate: its own step lr x lambda = "
                 f"{lr * lam:g} is not small. Try lambda = {lam / 100:g}.")
    else:
        cause = f"The learning rate {lr:g} is most likely too high for this model: try {lr / 10:g}."
    return (f"training diverged{when} (loss = {loss:.4g}). {cause} Training stopped; the model keeps its best "
            "weights so far (never worse than the initial ones).")


def _checked_lr(schedule, epoch):
    lr = schedule(epoch - 1)
    if not isinstance(lr, (int, float, np.floating)) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"the learning-rate schedule gave {lr!r} for epoch {epoch}: a learning rate must be "
                         "a finite number > 0; check the schedule's arguments")
    return float(lr)
