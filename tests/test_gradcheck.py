"""Backprop against centred differences, for every activation and penalty; and proof the check can fail."""
import numpy as np
import pytest

from mlp_helpers.model import MLP, make_penalty
from mlp_helpers.model.activations import Tanh
from mlp_helpers.model.gradcheck import TOLERANCE, check_gradients, numerical_gradient, relative_error

SIZES = [12, 7, 5, 4]
N = 8
KINK_MARGIN = 1e-4      # >> eps = 1e-6: no finite difference straddles a ReLU or |W| kink


def problem(activation="tanh", seed=0, dtype=np.float64):
    """A small two-hidden-layer net with random (not zero) biases, and a batch (x, y)."""
    net = MLP(SIZES, activation=activation, dtype=dtype, seed=seed)
    rng = np.random.default_rng(seed + 100)
    for l in range(1, net.n_layers + 1):
        net.params[f"b{l}"][:] = 0.1 * rng.standard_normal(net.params[f"b{l}"].shape)
    x = rng.standard_normal((N, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], size=N)
    return net, x, y


def pre_activations(net, x):
    """z_l = a_{l-1} W_l + b_l of every hidden layer, in float64."""
    net = net.astype(np.float64)
    a, zs = np.asarray(x, np.float64), []
    for l in range(1, net.n_layers):
        z = a @ net.params[f"W{l}"] + net.params[f"b{l}"]
        zs.append(z)
        a = net.activation.forward(z)
    return zs


PENALTIES = [("none", 0.0), ("l1", 1e-2), ("l2", 1e-2), ("l1_constant", 1e-2), ("l2_half", 1e-2)]


@pytest.mark.parametrize("penalty", PENALTIES, ids=lambda p: p[0])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu"])
def test_backprop_matches_numerical_gradient(activation, penalty):
    net, x, y = problem(activation)
    # The check is only meaningful away from kinks: no pre-activation near 0 (ReLU-like
    # units) and no weight near 0 (the L1 term |W|). Assert it rather than hope.
    assert min(np.abs(z).min() for z in pre_activations(net, x)) > KINK_MARGIN
    assert min(np.abs(net.params[f"W{l}"]).min() for l in range(1, 4)) > KINK_MARGIN
    table = check_gradients(net, x, y, make_penalty(*penalty))
    assert list(table["parameter"]) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert (table["checked"] == [84, 7, 35, 5, 20, 4]).all()
    assert (table["rel_error"] < TOLERANCE).all(), table.to_string()
    assert table["passed"].all()
    assert (table["grad_norm"] > 0).all()     # a zero gradient would pass trivially


def test_relu_hidden_units_are_not_all_dead():
    net, x, _ = problem("relu")
    for z in pre_activations(net, x):
        assert (z > 0).any() and (z < 0).any()


def test_gradient_that_forgets_to_divide_by_n_fails():
    net, x, y = problem()

    def forgot_mean(model, x, y, penalty):
        grads = model.loss_and_gradients(x, y, penalty).grads
        return {k: g * len(x) for k, g in grads.items()}      # the sum over rows, not the mean

    table = check_gradients(net, x, y, gradient_fn=forgot_mean)
    assert not table["passed"].any()
    assert (table["rel_error"] > 0.5).all()


def test_gradient_with_the_wrong_sign_of_the_l2_term_fails():
    net, x, y = problem()
    lam = 1e-2
    pen = make_penalty("l2", lam)

    def wrong_sign(model, x, y, penalty):
        grads = model.loss_and_gradients(x, y).grads          # data gradient only
        for k in grads:
            if k.startswith("W"):
                grads[k] -= 2 * lam * model.params[k]           # should be +
        return grads

    table = check_gradients(net, x, y, pen, gradient_fn=wrong_sign).set_index("parameter")
    assert not table.loc[["W1", "W2", "W3"], "passed"].any()
    assert table.loc[["b1", "b2", "b3"], "passed"].all()        # biases carry no penalty


class SloppyTanh(Tanh):
    """tanh with a wrong local derivative: 1 - a instead of 1 - a^2."""

    def backward(self, da, a):
        da *= 1 - a
        return da


def test_wrong_activation_derivative_fails():
    net, x, y = problem()
    net.activation = SloppyTanh()
    table = check_gradients(net, x, y).set_index("parameter")
    assert not table.loc[["W1", "b1", "W2", "b2"], "passed"].any()
    assert table.loc[["W3", "b3"], "passed"].all()     # the output layer does not use f'


def test_numerical_gradient_of_a_quadratic():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((6, 6))
    a, b = m @ m.T, rng.standard_normal(6)        # E = theta' A theta / 2 + b' theta, dE = A theta + b
    theta = rng.standard_normal(6)
    before = theta.copy()
    numeric = numerical_gradient(lambda: 0.5 * theta @ a @ theta + b @ theta, theta, eps=1e-5)
    np.testing.assert_allclose(numeric, a @ theta + b, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(theta, before)                  # restored exactly


def test_numerical_gradient_on_a_sample_of_entries():
    theta = np.arange(12, dtype=np.float64).reshape(3, 4)
    numeric = numerical_gradient(lambda: np.sum(theta ** 2), theta, indices=[0, 5, 11])
    assert numeric.shape == (3, 4)
    np.testing.assert_allclose(numeric.ravel()[[0, 5, 11]], [0.0, 10.0, 22.0], atol=1e-6)
    assert np.isnan(numeric).sum() == 9
    assert relative_error(2 * theta, numeric) < 1e-8          # compares the sampled entries only


def test_sampled_check():
    net, x, y = problem()
    table = check_gradients(net, x, y, entries_per_param=6)
    assert list(table["checked"]) == [6, 6, 6, 5, 6, 4]         # never more than an array holds
    assert table["passed"].all()


def test_float32_model_is_checked_in_float64_and_left_untouched():
    net, x, y = problem(dtype=np.float32)
    before = net.get_params()
    table = check_gradients(net, x, y, make_penalty("l2", 1e-2))
    # Centred differences in float32 give relative errors around 1e-3; passing 1e-6 needs float64.
    assert table["passed"].all() and (table["rel_error"] < TOLERANCE).all()
    for k, v in net.params.items():
        assert v.dtype == np.float32
        np.testing.assert_array_equal(v, before[k])


def test_float32_finite_differences_would_not_pass():
    """Why the check runs in float64: the same differences taken in float32 are far off."""
    net, x, y = problem(dtype=np.float32)
    grads = net.astype(np.float64).loss_and_gradients(x.astype(np.float64), y).grads
    theta = net.params["W1"]
    numeric = numerical_gradient(lambda: net.loss(x, y), theta, eps=1e-3)
    assert relative_error(grads["W1"], numeric) > TOLERANCE
