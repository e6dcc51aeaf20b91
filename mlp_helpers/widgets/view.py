"""The explorer's widgets and how a notebook shows them, including to a reader who ran nothing.

The output of an explorer cell is one display bundle with three views of it:
``application/vnd.jupyter.widget-view+json`` (the live controls; JupyterLab renders it only for a
trusted notebook), ``image/png`` (the last plot, an ordinary image any viewer shows: JupyterLab picks
it for an untrusted notebook such as a fresh clone, GitHub and nbviewer show it) and ``text/plain``
(a line that says the sliders need a running kernel: shown only where neither of the others can be,
so a working explorer never carries that hint). When the first run has finished, the bundle is
updated in place (display_id), so the saved image is the finished plot.
"""
from __future__ import annotations

import base64

import ipywidgets as widgets
from IPython.display import display

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
KERNEL_HINT = "sliders do nothing? They need a running kernel: run this cell (Shift+Enter)"
SAVED_NOTE = "a saved picture: run the cell to use the sliders"
GRADING_LINE = "Explorer skipped while grading: it trains nothing (MLP_GRADING is set)."


class ExplorerView:
    """Controls, the "keep this run" toggle, the status line and the plot image, in one VBox."""

    def __init__(self, controls, curves, lock, on_keep, on_clear):
        self.controls, self.curves, self.lock = controls, curves, lock    # lock: held while drawing
        width, height = (int(round(v)) for v in curves.figure.get_size_inches() * curves.dpi)
        self.image = widgets.Image(format="png", width=width, height=height,
                                   layout=widgets.Layout(width=f"{width}px", max_width="100%", height="auto"))
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.6em"))
        self.keep = widgets.ToggleButton(description="keep this run", icon="thumbtack",
                                         tooltip="keep the current run drawn (in colour) when you move on")
        self.clear = widgets.Button(description="clear kept runs", tooltip="drop every kept run from the chart")
        self.lam_note = widgets.HTML()
        self._muted = False
        self.keep.observe(lambda change: None if self._muted else on_keep(change["new"]), names="value")
        self.clear.on_click(lambda _: on_clear())
        rows = [widgets.HBox([control, self.lam_note]) if name == "lam" else control
                for name, control in controls.items()]
        self.widget = widgets.VBox([*rows, widgets.HBox([self.keep, self.clear]), self.status, self.image])
        self._handle = None

    def set_keep(self, kept):
        self._muted = True
        try:
            self.keep.value = bool(kept)
        finally:
            self._muted = False

    def show_status(self, html):
        self.status.value = html

    def show_lambda_note(self, penalty):
        """λ cannot matter without a penalty: disable its slider and say so."""
        if "lam" not in self.controls:
            return
        off = penalty == "none"
        self.controls["lam"].disabled = off
        self.lam_note.value = "<i>λ has no effect while the penalty is none</i>" if off else ""

    def bundle(self, describe):
        """The display bundle: the live widget, the last plot as a plain image, a text line."""
        data = {"text/plain": f"TrainingExplorer ({describe()}): {KERNEL_HINT}",
                WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}}
        if self.image.value:
            with self.lock:
                png = self.curves.png(note=SAVED_NOTE)
            data["image/png"] = base64.b64encode(png).decode("ascii")
        return data

    def display(self, wait, describe):
        """Show the explorer; then wait for its first run and put the finished plot into the bundle."""
        shown = bytes(self.image.value)
        self._handle = display(self.bundle(describe), raw=True, display_id=True)
        wait()
        if self._handle is not None and bytes(self.image.value) != shown:
            self._handle.update(self.bundle(describe), raw=True)

    def wait_for_first_run(self, wait):
        """In a kernel: the cell that made the explorer ends only when its first run has finished
        (nbclient/nbval then save a finished plot), even if the explorer is not displayed there."""
        from IPython import get_ipython
        shell = get_ipython()
        if shell is None:
            return

        def after_cell(result=None):
            shell.events.unregister("post_run_cell", after_cell)
            wait()

        shell.events.register("post_run_cell", after_cell)


def show_skipped():
    """What an explorer shows while the course kit grades: one line of text."""
    display({"text/plain": GRADING_LINE}, raw=True)
