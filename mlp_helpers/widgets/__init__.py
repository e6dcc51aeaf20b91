"""Interactive explorers: move a slider, retrain on a small subset, watch the curves grow.

The only package that knows ipywidgets. ``TrainingExplorer`` (explorer.py) ties together the controls
(controls.py: discrete sliders on grids, each knowing its Config field), the background training
(runner.py), the widgets and display bundle (view.py) and the picture (chart.py: what is drawn and
said; live.py: ``LiveCurves``, the figure redrawn after every epoch).
"""
from .controls import CONTROLS, LAMBDA_GRIDS, LR_GRID, MOMENTUM_GRID, lambda_grid
from .explorer import TrainingExplorer
from .live import LiveCurves, Run
from .runner import in_kernel

__all__ = ["CONTROLS", "LAMBDA_GRIDS", "LR_GRID", "MOMENTUM_GRID", "LiveCurves", "Run", "TrainingExplorer", "in_kernel",
           "lambda_grid"]
