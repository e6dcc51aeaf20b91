"""Interactive explorers: move a slider, retrain on a small subset, watch the curves grow.

The only package that knows ipywidgets. ``TrainingExplorer`` (explorer.py) ties together the controls
(controls.py: discrete sliders on grids), the background training (runner.py) and the widgets and
display bundle (view.py); the figure itself is ``plots.LiveCurves``.
"""
from .controls import CONTROLS, LAMBDA_GRID, LR_GRID, MOMENTUM_GRID
from .explorer import TrainingExplorer
from .runner import in_kernel

__all__ = ["CONTROLS", "LAMBDA_GRID", "LR_GRID", "MOMENTUM_GRID", "TrainingExplorer", "in_kernel"]
