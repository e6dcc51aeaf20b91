"""TrainingExplorer: move a slider, retrain on a small subset, watch the curves grow epoch by epoch.

The curves are a PNG in an ``Image`` widget (an ``Output`` widget can hang headless executors such as
nbclient, and the PNG is kept in the saved widget state). One reused figure (``live.LiveCurves``,
drawn by ``chart.ExplorerChart``) is redrawn after every epoch through ``fit``'s callback; axes are
fixed per explorer, the current run is bold over thin traces of the last few settings, and "keep
this run" holds a run on the chart.

In a Jupyter kernel training runs on a worker thread with one BLAS thread, so the kernel keeps
receiving slider moves: a new move cancels the running training at its next epoch boundary, and a
setting trained before (the cache key is the snapped slider values) shows at once. Displaying the
explorer waits for its first run, so a notebook executed headless saves a finished plot. Outside a
kernel (tests, scripts) every call trains in the calling thread and returns when done.

Code drives an explorer as a student would: ``explorer.set(lr=0.1)`` moves the sliders and returns
when that run has finished; ``explorer.history``, ``explorer.result`` and ``plotted_data()`` expose
what is shown. While the course kit grades (``settings.grading_mode()``) an explorer trains nothing
and shows one line saying so.
"""
from __future__ import annotations

import threading
from dataclasses import replace

from ..data.protocol import explorer_dataset
from ..experiments.configs import Config
from ..experiments.runner import train_config
from ..settings import grading_mode
from ..training.loop import StopTraining
from .chart import ExplorerChart, Shown
from .controls import (
    CONTROLS,
    config_of,
    control_values,
    describe_values,
    grid,
    labelled,
    make_control,
    nearest,
    snap,
)
from .live import LiveCurves
from .runner import JobQueue, in_kernel, one_blas_thread
from .view import ExplorerView, show_skipped


class TrainingExplorer:
    """Sliders for the chosen hyperparameters above live train/validation curves.

    data: a Dataset (a small subset: ``experiments.explorer_dataset()``). base: the Config the
    sliders start from. controls: names from ``CONTROLS``. epochs: epochs per run (patience None by
    default, to show whole curves). loss_range, acc_range: the fixed y ranges. recent: how many
    earlier settings stay drawn as thin traces. background: train on a worker thread (default: when
    running in a Jupyter kernel). title: an optional caption before the setting in the plot title."""

    def __init__(self, data, base=None, controls=("lr", "momentum"), epochs=15, patience=None, title=None,
                 loss_range=(0.0, 3.5), acc_range=(0.0, 1.0), recent=3, background=None):
        if not all(hasattr(data, f"{part}_{split}") for part in "xy" for split in ("train", "val")):
            raise ValueError(f"TrainingExplorer needs a dataset (x_train, y_train, x_val, y_val), got "
                             f"{type(data).__name__}: pass experiments.explorer_dataset()")
        unknown = set(controls) - set(CONTROLS)
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}; choose from {sorted(CONTROLS)}")
        self.data, self.epochs, self.n_recent = data, int(epochs), int(recent)
        self.base = replace(base or Config(), epochs=self.epochs, patience=patience)
        self.grading = grading_mode()
        if self.grading:           # the grader runs every cell: an explorer would only spend its time
            return
        self._other_data = {}      # normalisation -> the same subset normalised that way
        self.background = in_kernel() if background is None else bool(background)
        self.controls = {name: make_control(name, self.base) for name in controls}
        self.cache = {}            # config key -> TrainResult of a finished run
        self.labels = {}           # config key -> {control: value} of that setting
        self.recent, self.kept = [], []        # config keys: earlier settings (newest first), kept runs
        self.events = []           # (what, setting, epochs): "trained", "cached", "cancelled", "error"
        self.current_key = self.result = self.history = None
        self.curves = LiveCurves(self.epochs, loss_range, acc_range)
        self._lock = threading.RLock()         # one thread at a time draws and changes the state
        self.view = ExplorerView(self.controls, self.curves, self._lock, on_keep=self._on_keep,
                                 on_clear=self._on_clear)
        self.chart = ExplorerChart(self.curves, self.view, self.epochs, title)
        self.widget, self.status, self.image = self.view.widget, self.view.status, self.view.image
        self._generation = 0                   # +1 per requested setting; a run of an older one stops
        self._jobs = JobQueue(self.background)
        self._muted = False
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()
        if self.background:
            self.view.wait_for_first_run(self.wait)

    # ------------------------------------------------------------ settings ---
    def values(self) -> dict:
        """{control: value} as the sliders stand."""
        return control_values(self.controls)

    def config(self) -> Config:
        """The Config the controls currently describe."""
        return config_of(self.base, self.values())

    def data_for(self, config):
        """The explorer's data normalised as ``config`` asks: the given subset, or the same-sized subset
        normalised another way (the conventions switch changes the normalisation)."""
        if config.normalisation == getattr(self.data, "scheme", self.base.normalisation):
            return self.data
        if config.normalisation not in self._other_data:
            per_class = max(len(self.data.y_train) // 10, 1)
            self._other_data[config.normalisation] = explorer_dataset(config.normalisation, n_per_class=per_class)
        return self._other_data[config.normalisation]

    def describe(self, values=None, names=None) -> str:
        """A setting in the text's notation, e.g. 'lr = 0.03, momentum 0.9' (``names``: only those)."""
        return describe_values(self.values() if values is None else values, names)

    # ---------------------------------------------------------- driving it ---
    def set(self, wait=True, **values):
        """Move several controls at once (as a student would), then retrain once. Returns when the
        run has finished, unless wait=False. Values are snapped to the sliders' grids."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"this explorer has no control(s) {sorted(unknown)}; it has {sorted(self.controls)}")
        self._muted = True
        try:
            for name in sorted(values, key=lambda n: n != "penalty"):     # the penalty sets λ's grid
                control = self.controls[name]
                control.value = snap(name, values[name], [v for _, v in control.options])
                self._fit_lambda_grid()
        finally:
            self._muted = False
        self.update()
        if wait:
            self.wait()

    def wait(self, timeout=None) -> bool:
        """Block until the explorer is not training; False if ``timeout`` seconds passed first."""
        return self._jobs.wait(timeout)

    def pin(self, keep=True):
        """Keep the current run on the chart (the "keep this run" toggle)."""
        self.view.keep.value = bool(keep)

    def plotted_data(self, traces=False):
        """The y-values of the current run's lines, keyed by 'axis/train' and 'axis/validation'
        (axis 0: loss, 1: accuracy); with traces=True also the earlier and kept runs'."""
        with self._lock:
            return self.curves.plotted_data(traces)

    def drawn(self) -> dict:
        """What the chart shows: {'current': label, 'traces': [labels of earlier and kept runs]}."""
        with self._lock:
            return {"current": self.curves.current_label, "traces": list(self.curves.trace_labels)}

    def _on_change(self, change):
        if not self._muted:
            self._fit_lambda_grid()
            self.update()

    def _fit_lambda_grid(self):
        """Give λ's slider the grid of the chosen penalty, at the notch nearest to its value."""
        penalty, slider = self.values().get("penalty"), self.controls.get("lam")
        if slider is None or penalty in (None, "none"):
            return
        options = grid("lam", self.base, penalty)
        if tuple(v for _, v in slider.options) != options:
            muted, self._muted = self._muted, True
            try:
                value = nearest(options, slider.value)
                slider.options = labelled("lam", options)
                slider.value = value
            finally:
                self._muted = muted

    def _on_keep(self, keep):
        with self._lock:
            key = self.current_key
            if keep and key not in self.kept:
                self.kept.append(key)
            elif not keep and key in self.kept:
                self.kept.remove(key)
            self._draw(training=self.result is None)

    def _on_clear(self):
        with self._lock:
            self.kept.clear()
            self.view.set_keep(False)
            self._draw(training=self.result is None)

    # ------------------------------------------------------------ training ---
    def update(self):
        """Show the current setting: from the cache at once, else mark the plot stale and train."""
        self.view.show_lambda_note(self.values().get("penalty", self.base.penalty))
        config, values = self.config(), self.values()
        key = config.key()
        with self._lock:
            self._generation += 1
            generation = self._generation
            previous = self.current_key
            if previous is not None and previous != key and previous in self.cache:
                self.recent = [previous] + [k for k in self.recent if k not in (previous, key)]
            self.current_key, self.labels[key] = key, values
            self.view.set_keep(key in self.kept)
            if key in self.cache:
                self.result = self.cache[key]
                self.history = self.result.history
                self.events.append(("cached", self.describe(values), len(self.history)))
                self._draw(training=False, cached=True)
                return
            self.result = self.history = None
            self.chart.start_run()
            self._draw(training=True)
        self._jobs.submit(lambda: self._train(generation, key, config, values))

    def _train(self, generation, key, config, values):
        """One run (on the worker thread in a kernel): redraw after every epoch, stop if outdated."""
        label = self.describe(values)

        def after_epoch(history):
            with self._lock:
                if generation != self._generation:
                    raise StopTraining("cancelled")
                self.history = history
                self.chart.progress(values, history)

        try:
            with one_blas_thread():
                _, result = train_config(config, self.data_for(config), progress=False, callback=after_epoch)
        except Exception as err:
            with self._lock:
                self.events.append(("error", label, 0))
                if generation == self._generation:
                    self.view.show_status(f"<b style='color:#b00'>training {label} failed: {err}</b>")
            if not self.background:
                raise
            return
        with self._lock:
            if result.stop_reason == "cancelled":
                self.events.append(("cancelled", label, len(result.history)))
                return
            self.cache[key] = result
            self.events.append(("trained", label, len(result.history)))
            if generation == self._generation:
                self.result, self.history = result, result.history
                self._draw(training=False)

    # ------------------------------------------------------------- drawing ---
    def _draw(self, training, cached=False):
        """Show the current setting over the kept runs and the last few settings (caller holds the lock)."""
        keys = [k for k in self.kept if k != self.current_key and k in self.cache]
        keys += [k for k in self.recent if k not in self.kept and k != self.current_key][:self.n_recent]
        traces = [Shown(self.labels[k], self.cache[k].history, k in self.kept) for k in keys]
        self.chart.show(Shown(self.labels[self.current_key], self.history), self.result, traces, training, cached)

    def _ipython_display_(self):
        if self.grading:
            show_skipped()
        else:
            self.view.display(self.wait, self.describe)
