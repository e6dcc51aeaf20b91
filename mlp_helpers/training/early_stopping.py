"""Early stopping: watch a validation metric, stop when it stalls, keep the best weights.

The untrained network is epoch 0: a first epoch that makes things worse is judged against it,
so the weights restored at the end are never worse than the initial ones.
"""
from __future__ import annotations

from ..validation import check_choice, check_optional_int

# Whether a larger value of each metric is better.
LARGER_IS_BETTER = {"val_loss": False, "val_acc": True}


class EarlyStopping:
    """Stop after ``patience`` epochs in a row without a new best ``monitor`` (None: never
    stop early); remember the best epoch's weights so ``restore`` can put them back."""

    def __init__(self, patience=5, monitor="val_loss"):
        self.patience = check_optional_int("patience", patience, 1)
        self.monitor = check_choice("monitor", monitor, LARGER_IS_BETTER)
        self.best_epoch, self.best_value, self.best_params, self.epochs_without_gain = 0, None, None, 0

    def is_better(self, value, than):
        return value > than if LARGER_IS_BETTER[self.monitor] else value < than

    def start(self, model, metrics):
        """Epoch 0: the untrained network and its validation ``metrics`` ({"val_loss": ..., ...})."""
        self.best_epoch, self.best_value = 0, metrics[self.monitor]
        self.best_params, self.epochs_without_gain = model.get_params(), 0

    def update(self, epoch, metrics, model):
        """Record one finished epoch; return True when training should stop."""
        value = metrics[self.monitor]
        if self.is_better(value, self.best_value):
            self.best_epoch, self.best_value = epoch, value
            self.best_params, self.epochs_without_gain = model.get_params(), 0
        else:
            self.epochs_without_gain += 1
        return self.patience is not None and self.epochs_without_gain >= self.patience

    def restore(self, model, completed=False):
        """Put the best weights seen so far back into ``model`` (however the run ended)."""
        model.set_params(self.best_params)

    def __repr__(self):
        return f"EarlyStopping(patience={self.patience}, monitor={self.monitor!r})"


class StopOnRise(EarlyStopping):
    """The course report's rule: stop once ``monitor`` has got worse ``patience`` epochs in a row
    (each epoch worse than the one before) and restore the epoch before that rise began. A run
    that completes without triggering it keeps its final weights."""

    def start(self, model, metrics):
        super().start(model, metrics)
        self.previous, self.last_epoch = metrics[self.monitor], 0

    def update(self, epoch, metrics, model):
        value = metrics[self.monitor]
        if self.is_better(self.previous, value):           # worse than the epoch before: rising
            self.epochs_without_gain += 1
        else:                                               # not rising: the new anchor
            self.best_epoch, self.best_value, self.epochs_without_gain = epoch, value, 0
            self.best_params = model.get_params()
        self.previous, self.last_epoch = value, epoch
        return self.patience is not None and self.epochs_without_gain >= self.patience

    def restore(self, model, completed=False):
        """The epoch before the rise; a completed run keeps its final weights, as the report's does."""
        if completed:
            self.best_epoch = self.last_epoch
        else:
            model.set_params(self.best_params)

    def __repr__(self):
        return f"StopOnRise(patience={self.patience}, monitor={self.monitor!r})"
