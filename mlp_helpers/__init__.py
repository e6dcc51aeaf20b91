"""mlp_helpers: a small numpy multi-layer perceptron for learning backpropagation on CIFAR-10.

Data flows one way: data -> network -> training -> experiments -> plots and widgets.
"""
from .activations import get_activation
from .initializers import get_initializer
from .network import MLP, make_penalty, softmax_cross_entropy
from .optim import SGD, make_schedule
from .training import TrainResult, fit

__all__ = ["MLP", "SGD", "TrainResult", "fit", "get_activation", "get_initializer",
           "make_penalty", "make_schedule", "softmax_cross_entropy"]
__version__ = "0.1.0"
