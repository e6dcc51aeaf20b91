"""The progress line ``fit`` shows while it trains: a plain-text tqdm bar that ends in its final state.

Plain text, not tqdm's notebook widget: a notebook saves a widget with the text it had when it first
appeared (``epochs: 0% 0/8``), so a finished run would be saved looking like one that never started.
In a terminal the text bar rewrites its own line; in a notebook it is one output that each redraw
replaces (a display updated in place), so what the notebook saves is the line's last state.

The time left is tqdm's estimate: the epochs still to run at the mean speed of the epochs finished so
far ("?" until the first one ends). It counts every epoch still allowed, so it never promises less
than the work still planned; early stopping can only end the run sooner.
"""
from __future__ import annotations

import sys

from tqdm.std import tqdm

CUT_SHORT = ("diverged", "interrupted", "error")      # stop reasons of a run that did not end as planned


class EpochBar:
    """``epochs: 3/8 [00:05<00:08, 1.7s/ep, val_loss=1.812, val_acc=0.371]``."""

    def __init__(self, epochs, enabled=True):
        # smoothing=0: the speed is the mean over all finished epochs (tqdm's default weights the last
        # few, and one slow epoch on a busy machine would swing the estimate).
        out = (notebook_line() or sys.stdout) if enabled else sys.stdout
        self.bar = tqdm(total=epochs, desc="epochs", unit="ep", disable=not enabled, file=out, smoothing=0,
                        leave=True)

    def epoch_done(self, val_loss, val_acc):
        self.bar.set_postfix_str(f"val_loss={val_loss:.3f}, val_acc={val_acc:.3f}", refresh=False)
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


class DisplayLine:
    """A file for tqdm that keeps its text in one notebook output: every write replaces the output's text
    (tqdm writes ``"\\r" + the whole line`` at each redraw, and a newline at the end)."""

    encoding = "utf-8"                       # tells tqdm it may draw the bar with block characters

    def __init__(self, display):
        self.handle = display({"text/plain": ""}, raw=True, display_id=True)

    def write(self, text):
        line = text.split("\r")[-1].rstrip()
        if line:
            self.handle.update({"text/plain": line}, raw=True)

    def flush(self):
        pass


def notebook_line():
    """A ``DisplayLine`` inside a Jupyter kernel; None elsewhere (a terminal, a script, the tests)."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:                      # no IPython: certainly not a notebook
        return None
    shell = get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return None
    return DisplayLine(display)
