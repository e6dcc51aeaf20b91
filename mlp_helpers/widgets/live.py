"""The explorers' figure: runs compared on fixed axes, redrawn cheaply after every epoch.

One matplotlib Figure (no pyplot, so the inline backend never shows it twice) is made per explorer
and reused, drawn in three layers (blitting): the axes, ticks and labels never change, so they are
drawn once; a new layout (another setting) pastes that picture and draws the earlier runs' traces
and the legend on it, and keeps the result; a redraw after an epoch (``update``) pastes that and
draws only the current run's lines and the texts. The pixels are then encoded as PNG. Each layer
costs a fraction of a full draw. The axes are fixed up
front (epochs 1..n, loss and accuracy ranges), so two runs drawn one after the other are comparable.
The current run is bold; earlier settings are thin traces and kept ("pinned") runs stay in colour.
Training curves are dashed, validation curves solid, each run in one colour.
"""
from __future__ import annotations

from io import BytesIO
from typing import NamedTuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from PIL import Image

from ..plots.figures import FULL_WIDTH

METRICS = (("loss", "cross-entropy loss"), ("acc", "accuracy"))
CURRENT_COLOUR = "C0"
TRACE_COLOURS = ("C1", "C2", "C3", "C4", "C5", "C6", "C8", "C9")


class Run(NamedTuple):
    """A run as the figure shows it: its legend label, its history (epoch, train_loss, val_loss,
    train_acc, val_acc columns; None while nothing is trained yet), its best epoch (0/None: none)
    and whether the student kept it on the chart."""
    label: str
    history: object = None
    best_epoch: int | None = None
    kept: bool = False


class LiveCurves:
    """Loss (left) and accuracy (right) of the current run and of up to ``len(TRACE_COLOURS)``
    earlier or kept runs, on axes fixed at construction.

    draw(current, traces, ...) lays everything out (a new setting); update(history, ...) moves only
    the current run's lines (one epoch more); png() renders the figure."""

    def __init__(self, epochs, loss_range=(0.0, 3.5), acc_range=(0.0, 1.0), width=FULL_WIDTH,
                 height=3.7, dpi=90):
        self.epochs, self.dpi = int(epochs), dpi
        self.figure = Figure(figsize=(width, height), dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.axes = self.figure.subplots(1, 2)
        self.figure.subplots_adjust(left=0.075, right=0.985, top=0.84, bottom=0.32, wspace=0.2)
        for ax, (_, label), limits in zip(self.axes, METRICS, (loss_range, acc_range)):
            ax.set(xlim=(0.8, max(self.epochs, 2) + 0.2), ylim=limits, xlabel="epoch", ylabel=label)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
        # ln 10: the loss of a uniform guess over 10 classes, where every run starts.
        self.axes[0].axhline(np.log(10), color="0.5", ls=":", lw=1)
        self.axes[0].text(1.0, np.log(10), " ln 10 (chance)", color="0.4", fontsize=7, va="bottom",
                          transform=self.axes[0].get_yaxis_transform(), ha="right")
        self._current = self._line_set(CURRENT_COLOUR, lw=2.4, zorder=5)
        self._slots = [self._line_set(colour, lw=1.2, zorder=3) for colour in TRACE_COLOURS]
        self._best = [ax.axvline(1, color=CURRENT_COLOUR, ls=":", lw=1.2, visible=False) for ax in self.axes]
        self._title = self.figure.text(0.5, 0.955, "", ha="center", va="center", fontsize=11)
        self._subtitle = self.figure.text(0.5, 0.895, "", ha="center", va="center", fontsize=9, color="0.3")
        self._overlay = self.axes[0].text(0.5, 0.5, "", ha="center", va="center", fontsize=13, color="0.25",
                                          transform=self.axes[0].transAxes, zorder=10, visible=False,
                                          bbox=dict(boxstyle="round", facecolor="white", alpha=0.85, edgecolor="0.6"))
        # Drawn on every update, over the saved static picture.
        self._dynamic = [*self._current.values(), *self._best, self._title, self._subtitle, self._overlay]
        for artist in self._dynamic:
            artist.set_animated(True)
        for slot in self._slots:
            for line in slot.values():
                line.set_animated(True)
        self._legend = self._background = None
        self.figure.canvas.draw()              # the static layer: axes, ticks, labels, the ln 10 line
        self._axes_picture = self.figure.canvas.copy_from_bbox(self.figure.bbox)
        self.current_label, self.trace_labels = "", []

    def _line_set(self, colour, **style):
        """{"train_loss": line, "val_loss": line, "train_acc": ..., "val_acc": ...} in ``colour``."""
        lines = {}
        for ax, (metric, _) in zip(self.axes, METRICS):
            lines[f"train_{metric}"] = ax.plot([], [], color=colour, ls="--", **style)[0]
            lines[f"val_{metric}"] = ax.plot([], [], color=colour, ls="-", **style)[0]
        return lines

    # --------------------------------------------------------------- drawing ---
    def draw(self, current: Run, traces=(), title="", subtitle="", training=False):
        """Lay out a new picture: ``current`` bold, ``traces`` (Runs) thin or, if kept, in colour.
        training=True greys the title and, while the current run has no epoch yet, shows a
        'training…' overlay, so the previous picture is visibly out of date at once."""
        traces = list(traces)[:len(self._slots)]
        for slot, run in zip(self._slots, traces + [None] * (len(self._slots) - len(traces))):
            self._set_lines(slot, None if run is None else run.history)
            for line in slot.values():
                line.set_alpha(0.9 if run is not None and run.kept else 0.45)
                line.set_linewidth(1.6 if run is not None and run.kept else 1.1)
        self.current_label, self.trace_labels = current.label, [run.label for run in traces]
        self._set_legend(current, traces)
        canvas = self.figure.canvas
        canvas.restore_region(self._axes_picture)
        for slot in self._slots:
            for line in slot.values():
                if len(line.get_xdata()):
                    self.figure.draw_artist(line)
        self.figure.draw_artist(self._legend)
        self._background = canvas.copy_from_bbox(self.figure.bbox)
        self.update(current.history, title=title, subtitle=subtitle, training=training,
                    best_epoch=current.best_epoch)

    def update(self, history, title=None, subtitle=None, training=True, best_epoch=None):
        """Move the current run's lines to ``history`` (cheap: line data and texts only)."""
        self._set_lines(self._current, history)
        for line in self._best:
            line.set_visible(bool(best_epoch) and not training)
            if best_epoch:
                line.set_xdata([best_epoch, best_epoch])
        if title is not None:
            self._title.set_text(title)
        if subtitle is not None:
            self._subtitle.set_text(subtitle)
        self._title.set_color("0.45" if training else "black")
        self._title.set_fontstyle("italic" if training else "normal")
        empty = history is None or len(history) == 0
        self._overlay.set_visible(training and empty)
        self._overlay.set_text(f"training…\n{self.current_label}" if training and empty else "")
        self.figure.canvas.restore_region(self._axes_picture if self._background is None else self._background)
        for artist in self._dynamic:
            if artist.get_visible():
                self.figure.draw_artist(artist)

    def _set_lines(self, lines, history):
        for column, line in lines.items():
            if history is None or len(history) == 0:
                line.set_data([], [])
            else:
                line.set_data(np.asarray(history["epoch"], dtype=float), np.asarray(history[column], dtype=float))

    def _set_legend(self, current, traces):
        if self._legend is not None:
            self._legend.remove()
        handles = [Line2D([], [], color=CURRENT_COLOUR, lw=2.4)]
        labels = [f"this run: {current.label}" if current.label else "this run"]
        for run, colour in zip(traces, TRACE_COLOURS):
            handles.append(Line2D([], [], color=colour, lw=1.6 if run.kept else 1.1, alpha=0.9 if run.kept else 0.6))
            labels.append(("kept: " if run.kept else "") + run.label)
        handles += [Line2D([], [], color="0.4", ls="-"), Line2D([], [], color="0.4", ls="--")]
        labels += ["solid: validation", "dashed: training"]
        self._legend = self.figure.legend(handles, labels, loc="lower center", ncol=3, frameon=False,
                                          fontsize=8, bbox_to_anchor=(0.5, 0.0), handlelength=2.2)
        self._legend.set_animated(True)

    def png(self, note=None) -> bytes:
        """The picture as it stands, as PNG bytes (the figure's own size; fast, light compression).
        note: a line written into the top-left corner of this PNG only (e.g. for a saved copy)."""
        canvas, buffer = self.figure.canvas, BytesIO()
        if note:
            picture = canvas.copy_from_bbox(self.figure.bbox)
            text = self.figure.text(0.008, 0.99, note, ha="left", va="top", fontsize=8, color="0.35",
                                    fontstyle="italic", animated=True)
            self.figure.draw_artist(text)
            png = self.png()
            text.remove()
            canvas.restore_region(picture)
            return png
        Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB").save(
            buffer, format="png", compress_level=1)
        return buffer.getvalue()

    # ----------------------------------------------------------- inspection ---
    def plotted_data(self, traces=False):
        """The y-values of the current run's lines, keyed by 'axis/train' and 'axis/validation'
        (axis 0: loss, 1: accuracy); with traces=True also 'axis/<trace label>/train' etc."""
        sets = [("", self._current)]
        if traces:
            sets += [(f"{label}/", slot) for label, slot in zip(self.trace_labels, self._slots)]
        data = {}
        for prefix, lines in sets:
            for column, line in lines.items():
                axis = 0 if column.endswith("loss") else 1
                kind = "train" if column.startswith("train") else "validation"
                data[f"{axis}/{prefix}{kind}"] = np.asarray(line.get_ydata(), dtype=float)
        return data
