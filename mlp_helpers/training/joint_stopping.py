"""Which early-stopping rule a config asks for, and two rules watching one training run.

``Config.stopping`` is "best" (``EarlyStopping``: stop after ``patience`` epochs without a new best,
keep the best epoch) or "report" (``StopOnRise``: the report's rule, stop after ``patience`` epochs of
rise in a row, keep the epoch before the rise).

A seed fixes every epoch of a run (initial weights, shuffles), so two configs that differ only in
their stopping rule train identically up to the epoch where the earlier rule stops. ``Jointly``
lets ``fit`` run once for both: each rule sees the epochs until it stops; training goes on until
all have stopped (or the epochs run out); ``outcome`` then gives each rule exactly what a run of
its own would have ended with (tested bit for bit in tests/test_seeds.py).
"""
from __future__ import annotations

from .early_stopping import EarlyStopping, StopOnRise


def make_stopper(config):
    """The early-stopping object of ``config`` (``config.stopping``, ``patience``, ``monitor``)."""
    rule = StopOnRise if config.stopping == "report" else EarlyStopping
    return rule(config.patience, config.monitor)


class Jointly:
    """Several stopping rules on one run; passed to ``fit(..., early_stopping=Jointly(rules))``.

    ``fit`` stops when every rule has stopped. ``restore`` keeps the final weights: call
    ``outcome(i, model, final_params, stop_reason)`` afterwards for each rule's weights."""

    def __init__(self, rules):
        self.rules = list(rules)
        self.stopped_at = [None] * len(self.rules)      # the epoch at which each rule stopped
        self.best_epoch = 0

    def start(self, model, metrics):
        for rule in self.rules:
            rule.start(model, metrics)

    def update(self, epoch, metrics, model):
        for i, rule in enumerate(self.rules):
            if self.stopped_at[i] is None and rule.update(epoch, metrics, model):
                self.stopped_at[i] = epoch
        return all(epoch is not None for epoch in self.stopped_at)

    def restore(self, model, completed=False):
        """Nothing: the model keeps its final weights until ``outcome`` picks each rule's."""

    def outcome(self, i, model, final_params, stop_reason):
        """(epochs run, best epoch, stop reason) of rule ``i`` as a run of its own would have ended,
        its weights loaded into ``model``. ``stop_reason`` is how the joint run ended."""
        rule, stopped = self.rules[i], self.stopped_at[i]
        model.set_params(final_params)
        if stopped is not None:
            rule.restore(model, completed=False)
            return stopped, rule.best_epoch, "early_stopping"
        rule.restore(model, completed=stop_reason == "completed")
        return None, rule.best_epoch, stop_reason
