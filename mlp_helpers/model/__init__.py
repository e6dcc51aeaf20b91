"""The model: layers, activations, initialisers, penalties, the MLP, and the gradient check."""
from .activations import ACTIVATIONS, make_activation
from .gradcheck import check_gradients, numerical_gradient, relative_error
from .initialisers import INITIALISERS, make_initialiser
from .layers import affine_backward, affine_forward, softmax, softmax_cross_entropy
from .network import MLP, LossAndGradients
from .penalties import PENALTIES, L1Penalty, L2Penalty, NoPenalty, make_penalty

__all__ = ["ACTIVATIONS", "INITIALISERS", "PENALTIES", "MLP", "L1Penalty", "L2Penalty", "LossAndGradients",
           "NoPenalty", "affine_backward", "affine_forward", "check_gradients", "make_activation",
           "make_initialiser", "make_penalty", "numerical_gradient", "relative_error", "softmax",
           "softmax_cross_entropy"]
