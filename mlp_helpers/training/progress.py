"""The progress line ``fit`` shows while it trains: a plain-text tqdm bar that ends in its final state.

Plain text, not tqdm's notebook widget: a notebook saves a widget with the text it had when it first
appeared (``epochs: 0% 0/8``), so a finished run would be saved looking like one that never started.
A text bar rewrites its own line, and what is saved is its last state.

The time left is tqdm's estimate: the epochs still to run at the mean speed of the epochs finished so
far ("?" until the first one ends). It counts every epoch still allowed, so it never promises less
than the work still planned; early stopping can only end the run sooner.
"""
from __future__ import annotations

import sys

from tqdm.std import tqdm

CUT_SHORT = ("diverged", "interrupted", "error")      # stop reasons of a run that did not end as planned


class EpochBar:
    """``epochs: 3/8 [00:05<00:08, 1.7s/ep, val_loss=1.812, val_acc=0.371]``, on stdout."""

    def __init__(self, epochs, enabled=True):
        # smoothing=0: the speed is the mean over all finished epochs (tqdm's default weights the last
        # few, and one slow epoch on a busy machine would swing the estimate).
        self.bar = tqdm(total=epochs, desc="epochs", unit="ep", disable=not enabled, file=sys.stdout,
                        smoothing=0, leave=True)

    def epoch_done(self, val_loss, val_acc):
        self.bar.set_postfix(val_loss=f"{val_loss:.3f}", val_acc=f"{val_acc:.3f}", refresh=False)
        self.bar.update(1)

    def close(self, stop_reason="completed"):
        """The line's last state: full for a run that ended as planned (every epoch, or early stopping or a
        callback, which it then names), and where it stopped, with the reason, for one cut short."""
        bar = self.bar
        if not bar.disable and stop_reason != "completed":
            planned = bar.total
            if stop_reason not in CUT_SHORT:
                bar.total = bar.n          # ended by its rule or a callback's StopTraining: finished, not stalled
            note = f"stopped after {bar.n} of {planned} epochs: {stop_reason.replace('_', ' ')}"
            bar.set_postfix_str(", ".join(filter(None, (bar.postfix, note))), refresh=False)
        bar.close()
