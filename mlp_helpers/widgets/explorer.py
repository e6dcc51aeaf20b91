"""Interactive explorers: move a slider, retrain on a quick subset, watch the curves.

This is the only module that knows ipywidgets. An explorer trains with
``experiments.train_config`` and draws with ``plots.plot_history``; every
result is cached by its settings, so returning to a setting is instant.
Sliders use ``continuous_update=False``: training starts when the slider is
released, not at every pixel it passes. The curves are a PNG in an ``Image``
widget rather than a figure printed into an ``Output`` widget: an ``Output``
widget can hang headless executors (nbconvert/nbclient), and the PNG is kept in
the saved widget state, so a reopened notebook still shows the last plot.

Code (and tests) can drive an explorer like a student would:
``explorer.set(lr=0.1)`` moves the sliders and retrains once;
``explorer.history`` and ``explorer.plotted_data()`` expose what is shown.
"""
from __future__ import annotations

from dataclasses import replace
from io import BytesIO

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from .experiments import Config, train_config
from .plots import plot_history

_STYLE = {"description_width": "110px"}
_LAYOUT = widgets.Layout(width="420px")


def _log_slider(description, value, low, high):
    return widgets.FloatLogSlider(value=value, base=10, min=low, max=high, step=0.25,
                                  description=description, readout_format=".1e",
                                  continuous_update=False, style=_STYLE, layout=_LAYOUT)


def _options(description, options, value):
    return widgets.SelectionSlider(options=options, value=value, description=description,
                                   continuous_update=False, style=_STYLE, layout=_LAYOUT)


def _dropdown(description, options, value):
    return widgets.Dropdown(options=options, value=value, description=description,
                            style=_STYLE, layout=_LAYOUT)


# Each control: how to build it from the base config, and how it maps back to a Config field.
CONTROLS = {
    "lr": lambda c: _log_slider("learning rate", c.lr, -4, 0.5),
    "lam": lambda c: _log_slider("λ (penalty)", c.lam or 1e-4, -6, -1),
    "penalty": lambda c: _dropdown("penalty", ["none", "l1", "l2"], c.penalty),
    "hidden_units": lambda c: _options("hidden units", [16, 32, 64, 128, 256, 512], c.hidden[0]),
    "hidden_layers": lambda c: _options("hidden layers", [1, 2, 3], len(c.hidden)),
    "momentum": lambda c: widgets.FloatSlider(value=c.momentum, min=0, max=0.99, step=0.01,
                                              description="momentum", continuous_update=False,
                                              style=_STYLE, layout=_LAYOUT),
    "batch_size": lambda c: _options("batch size", [16, 32, 64, 128, 256, 512], c.batch_size),
    "activation": lambda c: _dropdown("activation", ["tanh", "sigmoid", "relu", "leaky_relu"], c.activation),
    "init": lambda c: _dropdown("initialiser", ["xavier", "he", "small_gaussian"], c.init or "xavier"),
}


class TrainingExplorer:
    """Sliders for the chosen hyperparameters above live train/validation curves.

    data: a Dataset (use a small subset, e.g. ``experiments.explorer_data()``).
    base: the Config the sliders start from. controls: names from ``CONTROLS``.
    epochs: epochs per training run; patience None by default, to show whole curves."""

    def __init__(self, data, base=Config(), controls=("lr", "momentum"), epochs=15,
                 patience=None, title=None):
        unknown = set(controls) - set(CONTROLS)
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}; choose from {sorted(CONTROLS)}")
        self.data, self.epochs, self.title = data, epochs, title
        self.base = replace(base, epochs=epochs, patience=patience)
        self.controls = {name: CONTROLS[name](self.base) for name in controls}
        self.cache = {}
        self.history = None
        self.figure = None
        self._muted = False
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="1000px"))
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([*self.controls.values(), self.status, self.image])
        self.update()

    def config(self):
        """The Config the controls currently describe."""
        values = {name: c.value for name, c in self.controls.items()}
        changes = {k: values[k] for k in ("lr", "momentum", "batch_size", "activation", "penalty", "init")
                   if k in values}
        if "lam" in values:
            changes["lam"] = values["lam"]
        if changes.get("penalty", self.base.penalty) == "none":
            changes["lam"] = 0.0
        units = values.get("hidden_units", self.base.hidden[0])
        layers = values.get("hidden_layers", len(self.base.hidden))
        changes["hidden"] = (units,) * layers
        return replace(self.base, **changes)

    def set(self, **values):
        """Move several controls at once (as a student would), then retrain once."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"this explorer has no control(s) {sorted(unknown)}; it has {sorted(self.controls)}")
        self._muted = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._muted = False
        self.update()

    def update(self):
        """Train (or fetch from the cache) the current setting and redraw."""
        config = self.config()
        key = config.key()
        cached = key in self.cache
        if not cached:
            self.status.value = "<i>training…</i>"
            _, result = train_config(config, self.data, progress=False)
            self.cache[key] = result
        result = self.cache[key]
        self.history = result.history
        final = result.history.iloc[result.best_epoch - 1] if result.best_epoch else None
        summary = "" if final is None else (
            f"best epoch {result.best_epoch}: validation accuracy {final.val_acc:.3f}, loss {final.val_loss:.3f}")
        warning = f" <b style='color:#b00'>{result.message}</b>" if result.stop_reason == "diverged" else ""
        self.status.value = f"{'(cached) ' if cached else ''}{summary} ({result.seconds:.1f} s){warning}"
        self._draw(result)

    def plotted_data(self):
        """The y-values of every line currently drawn, keyed by 'axis/label'."""
        if self.figure is None:
            return {}
        return {f"{i}/{line.get_label()}": np.asarray(line.get_ydata(), dtype=float)
                for i, ax in enumerate(self.figure.axes) for line in ax.get_lines()}

    def _on_change(self, change):
        if not self._muted:
            self.update()

    def _draw(self, result):
        self.figure = plot_history(result.history, title=self.title or self.config().describe(),
                                   best_epoch=result.best_epoch or None)
        png = BytesIO()
        self.figure.savefig(png, format="png", dpi=90, bbox_inches="tight")
        # Closed for pyplot (so the inline backend never draws it too); the Figure object
        # keeps its lines for plotted_data().
        plt.close(self.figure)
        self.image.value = png.getvalue()

    def _ipython_display_(self):
        display(self.widget)
