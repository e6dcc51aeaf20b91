"""What an explorer shows of its runs: the picture (``LiveCurves``), its labels and the status line.

``ExplorerChart`` knows nothing of training: the explorer tells it what to show. ``show`` lays out a
new picture (another setting, a finished run, a run kept or let go), ``progress`` is the cheap redraw
after an epoch. Labels are the controls' values in the text's notation; a legend names only the
controls whose values differ between the runs drawn ("lr = 0.1" beside "lr = 0.3").
"""
from __future__ import annotations

import time
from typing import NamedTuple

from ..plots.notation import format_number
from .controls import describe_values
from .live import LiveCurves, Run


class Shown(NamedTuple):
    """A run as the explorer hands it over: its control values ({name: value}), its history (None
    before any epoch) and whether the student kept it on the chart."""
    values: dict
    history: object = None
    kept: bool = False


class ExplorerChart:
    """The explorer's figure ``curves`` (a LiveCurves), drawn into ``view.image``, and its status line
    ``view.status``. epochs: epochs per run (for the progress line); title: an optional caption
    before the setting in the figure's title."""

    def __init__(self, curves: LiveCurves, view, epochs, title=None):
        self.curves, self.view, self.epochs, self.title = curves, view, int(epochs), title
        self._started = 0.0

    def start_run(self):
        """A run starts now: the progress line's clock."""
        self._started = time.perf_counter()

    def show(self, current: Shown, result, traces=(), training=False, cached=False):
        """Lay out the picture: ``current`` bold (``result``: its TrainResult, None while training),
        ``traces`` (Shown) thin, or in colour if kept; then the status line."""
        everything = [current, *traces]
        varying = [name for name in current.values
                   if len({repr(shown.values.get(name)) for shown in everything}) > 1]

        def short(values):
            return describe_values(values, varying) if varying else ""

        result = None if training else result
        runs = [Run(short(t.values) or describe_values(t.values), t.history, kept=t.kept) for t in traces]
        setting = describe_values(current.values)
        self.curves.draw(Run(short(current.values), current.history, result.best_epoch if result else None),
                         runs, title=f"{self.title}: {setting}" if self.title else setting,
                         subtitle=self.summary(result, training), training=training)
        self.view.image.value = self.curves.png()
        self.view.show_status(self.status(setting, result, training, cached))

    def progress(self, values, history):
        """After an epoch of the run of ``values``: its lines so far, and how far it has come."""
        self.curves.update(history, subtitle=f"training: {self.progress_text(len(history))}", training=True)
        self.view.image.value = self.curves.png()
        self.view.show_status(self.status(describe_values(values), None, True, epochs_done=len(history)))

    # ---------------------------------------------------------------- texts ---
    def progress_text(self, epochs_done):
        """'epoch 3 of 15, 0.9 s elapsed, about 3.6 s left'."""
        if not epochs_done:
            return f"epoch 1 of {self.epochs} under way"
        elapsed = time.perf_counter() - self._started
        left = elapsed / epochs_done * (self.epochs - epochs_done)
        return f"epoch {epochs_done} of {self.epochs}, {elapsed:.1f} s elapsed, about {left:.1f} s left"

    def summary(self, result, training):
        """The figure's subtitle: progress while training, else the best epoch's validation figures."""
        if training:
            return f"training: {self.progress_text(0)}"
        if result is None or not result.best_epoch:
            return "no epoch improved on the initial weights"
        best = result.history.iloc[result.best_epoch - 1]
        return (f"best epoch {result.best_epoch} (validation accuracy {format_number(round(best.val_acc, 3))}, "
                f"loss {format_number(round(best.val_loss, 3))})")

    def status(self, setting, result, training, cached=False, epochs_done=0):
        """The status line (HTML) under the controls."""
        if training:
            return f"<b>training</b> {setting}: {self.progress_text(epochs_done)}"
        text = f"{'(cached) ' if cached else ''}{setting}: {self.summary(result, False)}"
        text += f" (trained in {result.seconds:.1f} s)"
        if result.stop_reason == "diverged":
            text += f" <b style='color:#b00'>{result.message}</b>"
        return text
