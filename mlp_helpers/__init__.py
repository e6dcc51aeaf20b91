"""mlp_helpers: a small numpy multi-layer perceptron for learning backpropagation on CIFAR-10.

Data flows one way, and imports point down only:
data -> model -> training -> experiments -> plots and widgets.
"""
from .model import MLP, make_activation, make_initialiser, make_penalty, softmax_cross_entropy
from .training import SGD, EarlyStopping, StopOnRise, StopTraining, TrainResult, fit, make_schedule

__all__ = ["MLP", "SGD", "EarlyStopping", "StopOnRise", "StopTraining", "TrainResult", "fit", "make_activation",
           "make_initialiser", "make_penalty", "make_schedule", "softmax_cross_entropy"]
__version__ = "0.2.0"
