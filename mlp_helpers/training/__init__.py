"""Training: the optimiser, learning-rate schedules, early stopping and the training loop."""
from .early_stopping import EarlyStopping, StopOnRise
from .loop import HISTORY_COLUMNS, StopTraining, TrainResult, fit, run_epoch
from .optim import SGD
from .schedules import SCHEDULES, make_schedule

__all__ = ["HISTORY_COLUMNS", "SCHEDULES", "SGD", "EarlyStopping", "StopOnRise", "StopTraining", "TrainResult", "fit",
           "make_schedule", "run_epoch"]
