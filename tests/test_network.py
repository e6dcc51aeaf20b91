"""The MLP, its loss and penalties, and the weight initialisers, against independent references."""
import math

import numpy as np
import pytest

from mlp_helpers.model import MLP, affine_backward, make_penalty, softmax_cross_entropy
from mlp_helpers.model.initialisers import he, make_initialiser, small_gaussian, xavier


# ------------------------------------------------------------ references ---
def reference_cross_entropy(logits, targets):
    """Mean cross-entropy and its gradient in float64, from a directly written log-sum-exp.

    targets: (N, C) rows of probabilities (one-hot for hard labels)."""
    z = np.asarray(logits, dtype=np.float64)
    t = np.asarray(targets, dtype=np.float64)
    n = len(z)
    m = z.max(axis=1, keepdims=True)
    log_sum_exp = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    log_p = z - log_sum_exp
    loss = -np.sum(t * log_p) / n
    grad = (np.exp(log_p) - t) / n
    return loss, grad


def one_hot(y, c):
    t = np.zeros((len(y), c))
    t[np.arange(len(y)), y] = 1.0
    return t


def random_problem(n=9, c=5, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c)) * scale, rng.integers(0, c, size=n)


# ------------------------------------------------------------ affine layer ---
def test_affine_backward_matches_the_sums_it_stands_for():
    """delta = dE/dz (N, H) of z = x W + b: each gradient entry as the explicit sum over rows."""
    rng = np.random.default_rng(0)
    x, W, delta = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    dx, dW, db = affine_backward(delta=delta, x=x, W=W)
    N, D, H = 5, 4, 3
    np.testing.assert_allclose(dW, [[sum(x[n, i] * delta[n, j] for n in range(N)) for j in range(H)]
                                    for i in range(D)], rtol=1e-12)
    np.testing.assert_allclose(db, [sum(delta[n, j] for n in range(N)) for j in range(H)], rtol=1e-12)
    np.testing.assert_allclose(dx, [[sum(delta[n, j] * W[i, j] for j in range(H)) for i in range(D)]
                                    for n in range(N)], rtol=1e-12)
    assert affine_backward(delta, x, W, need_dx=False)[0] is None


# --------------------------------------------------- softmax cross-entropy ---
def test_cross_entropy_with_int_labels_matches_reference():
    logits, y = random_problem()
    loss, grad = softmax_cross_entropy(logits.copy(), y)
    ref_loss, ref_grad = reference_cross_entropy(logits, one_hot(y, 5))
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-15)


def test_cross_entropy_one_hot_equals_int_labels():
    logits, y = random_problem(seed=1)
    loss_int, grad_int = softmax_cross_entropy(logits.copy(), y)
    loss_hot, grad_hot = softmax_cross_entropy(logits.copy(), one_hot(y, 5))
    assert loss_hot == pytest.approx(loss_int, rel=1e-12)
    np.testing.assert_allclose(grad_hot, grad_int, rtol=1e-12, atol=1e-15)


def test_cross_entropy_with_soft_targets_matches_reference():
    logits, _ = random_problem(seed=2)
    t = np.random.default_rng(3).dirichlet(np.ones(5), size=len(logits))
    loss, grad = softmax_cross_entropy(logits.copy(), t)
    ref_loss, ref_grad = reference_cross_entropy(logits, t)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-15)


def test_cross_entropy_float32_is_close_to_float64_reference():
    logits, y = random_problem(seed=4)
    loss, grad = softmax_cross_entropy(logits.astype(np.float32), y)
    ref_loss, ref_grad = reference_cross_entropy(logits, one_hot(y, 5))
    assert isinstance(loss, float) and grad.dtype == np.float32
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_huge_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [0.0, 0.0, 1e4]], dtype=dtype)
    y = np.array([0, 0, 2])        # the second row is confidently wrong: loss 2e4
    with np.errstate(over="raise", divide="raise", invalid="raise"):   # exp(-2e4) may underflow to 0: fine
        loss, grad = softmax_cross_entropy(logits.copy(), y)
    ref_loss, ref_grad = reference_cross_entropy(logits, one_hot(y, 3))
    assert math.isfinite(loss) and np.all(np.isfinite(grad))
    assert loss == pytest.approx(ref_loss, rel=1e-6) and ref_loss == pytest.approx(2e4 / 3)
    np.testing.assert_allclose(grad, ref_grad, atol=1e-7)


def test_cross_entropy_gradient_rows_sum_to_zero():
    logits, y = random_problem(seed=5)
    _, grad = softmax_cross_entropy(logits, y)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-15)


# ------------------------------------------------------------------ MLP ---
def test_forward_shapes_with_two_hidden_layers():
    net = MLP([20, 16, 8, 3], seed=0)
    x = np.random.default_rng(0).standard_normal((7, 20)).astype(np.float32)
    logits, outputs = net.forward(x)
    assert logits.shape == (7, 3) and logits.dtype == np.float32
    assert [o.shape for o in outputs] == [(7, 20), (7, 16), (7, 8)]
    assert net.n_layers == 3 and "20-16-8-3" in repr(net)


def test_forward_matches_explicit_formula():
    net = MLP([6, 5, 4, 3], activation="tanh", dtype=np.float64, seed=1)
    rng = np.random.default_rng(1)
    for k in ("b1", "b2", "b3"):
        net.params[k][:] = rng.standard_normal(net.params[k].shape)
    x = rng.standard_normal((4, 6))
    p = net.params
    expected = np.tanh(np.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]) @ p["W3"] + p["b3"]
    np.testing.assert_allclose(net.forward(x)[0], expected, rtol=1e-12)


def test_loss_and_gradients_keys_shapes_and_loss():
    net = MLP([20, 16, 8, 3], seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((7, 20)).astype(np.float32), rng.integers(0, 3, 7)
    loss, _, grads, logits = net.loss_and_gradients(x, y)
    assert grads.keys() == net.params.keys()
    for k, g in grads.items():
        assert g.shape == net.params[k].shape and g.dtype == np.float32, k
    assert logits.shape == (7, 3)
    assert loss == pytest.approx(net.loss(x, y), rel=1e-6)
    assert loss == pytest.approx(reference_cross_entropy(logits, one_hot(y, 3))[0], rel=1e-6)


def test_one_hot_targets_give_the_same_loss_and_gradients():
    net = MLP([10, 6, 4], seed=2, dtype=np.float64)
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((5, 10)), rng.integers(0, 4, 5)
    loss_int, _, grads_int, _ = net.loss_and_gradients(x, y)
    loss_hot, _, grads_hot, _ = net.loss_and_gradients(x, one_hot(y, 4))
    assert loss_hot == pytest.approx(loss_int, rel=1e-12)
    for k in grads_int:
        np.testing.assert_allclose(grads_hot[k], grads_int[k], rtol=1e-10, atol=1e-15)


def test_float64_inputs_do_not_upcast_a_float32_net():
    net = MLP([10, 6, 4], seed=0)
    x = np.random.default_rng(0).standard_normal((5, 10))        # float64
    logits, _ = net.forward(x)
    assert logits.dtype == np.float32
    _, _, grads, logits = net.loss_and_gradients(x, np.array([0, 1, 2, 3, 0]))
    assert logits.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())


def test_evaluate_agrees_with_loss_and_predict():
    net = MLP([10, 6, 4], seed=3)
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((23, 10)).astype(np.float32), rng.integers(0, 4, 23)
    loss, acc = net.evaluate(x, y, batch_size=5)          # chunked: 5 + 5 + 5 + 5 + 3 rows
    assert loss == pytest.approx(net.loss(x, y), rel=1e-6)
    assert acc == pytest.approx(np.mean(net.predict(x, batch_size=7) == y))
    np.testing.assert_allclose(net.predict_proba(x).sum(axis=1), 1, rtol=1e-6)


def test_params_copies_and_astype():
    net = MLP([4, 3, 2], seed=0)
    saved = net.get_params()
    saved["W1"][:] = 0
    assert np.all(net.params["W1"] != 0)              # get_params returned copies
    twin = net.astype(np.float64)
    assert twin.params["W1"].dtype == np.float64 and net.params["W1"].dtype == np.float32
    twin.params["W1"][:] = 1
    assert np.all(net.params["W1"] != 1)              # astype did not share arrays
    net.set_params(saved)
    assert np.all(net.params["W1"] == 0) and net.params["W1"].dtype == np.float32


def test_astype_keeps_the_class_and_every_attribute():
    """The float64 twin of a gradient check is the same network: a subclass (a notebook's own backward
    pass) and an attribute added after construction both survive."""
    class Tagged(MLP):
        pass

    net = Tagged([4, 3, 2], activation="relu", seed=1)
    net.note = "kept"
    twin = net.astype(np.float64)
    assert type(twin) is Tagged and twin.note == "kept" and twin.activation is net.activation
    assert twin.dtype == np.float64 and net.dtype == np.float32
    assert set(vars(twin)) == set(vars(net))
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(twin.forward(x)[0], net.forward(x.astype(np.float32))[0], rtol=1e-5, atol=1e-6)
    assert twin.forward(x)[0].dtype == np.float64


# ------------------------------------------------------------ penalties ---
def small_net():
    """A 2-2-2 float64 net with hand-picked weights and large biases (which must not be penalised)."""
    net = MLP([2, 2, 2], dtype=np.float64)
    net.set_params({"W1": [[1.0, -2.0], [3.0, 0.5]], "b1": [10.0, -10.0],
                    "W2": [[1.0, 2.0], [-1.0, 0.0]], "b2": [5.0, 5.0]})
    return net


X_SMALL, Y_SMALL = np.array([[0.5, -1.0], [2.0, 1.0]]), np.array([0, 1])


def test_l2_penalty_value_and_gradient_by_hand():
    net, pen = small_net(), make_penalty("l2", 0.1)
    # 0.1 * (1 + 4 + 9 + 0.25  +  1 + 4 + 1 + 0) = 2.025; biases are left out
    assert net.penalty_value(pen) == pytest.approx(2.025, rel=1e-14)
    assert net.loss(X_SMALL, Y_SMALL, pen) == pytest.approx(net.loss(X_SMALL, Y_SMALL) + 2.025, rel=1e-14)
    loss0, _, g0, _ = net.loss_and_gradients(X_SMALL, Y_SMALL)
    loss1, _, g1, _ = net.loss_and_gradients(X_SMALL, Y_SMALL, pen)
    assert loss1 - loss0 == pytest.approx(2.025, rel=1e-12)
    np.testing.assert_allclose(g1["W1"] - g0["W1"], [[0.2, -0.4], [0.6, 0.1]], rtol=1e-12)
    np.testing.assert_allclose(g1["W2"] - g0["W2"], [[0.2, 0.4], [-0.2, 0.0]], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(g1["b1"], g0["b1"])
    np.testing.assert_array_equal(g1["b2"], g0["b2"])


def test_l1_penalty_value_and_gradient_by_hand():
    net, pen = small_net(), make_penalty("l1", 0.1)
    # 0.1 * (1 + 2 + 3 + 0.5  +  1 + 2 + 1 + 0) = 1.05
    assert net.penalty_value(pen) == pytest.approx(1.05, rel=1e-14)
    loss0, _, g0, _ = net.loss_and_gradients(X_SMALL, Y_SMALL)
    loss1, _, g1, _ = net.loss_and_gradients(X_SMALL, Y_SMALL, pen)
    assert loss1 - loss0 == pytest.approx(1.05, rel=1e-12)
    np.testing.assert_allclose(g1["W1"] - g0["W1"], [[0.1, -0.1], [0.1, 0.1]], rtol=1e-12)
    # sign(0) = 0: the subgradient 0 at the kink
    np.testing.assert_allclose(g1["W2"] - g0["W2"], [[0.1, 0.1], [-0.1, 0.0]], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(g1["b1"], g0["b1"])


def test_no_penalty_and_zero_lambda():
    net = small_net()
    for pen in (make_penalty("none"), make_penalty(None), make_penalty("l2", 0.0), make_penalty("l1", 0)):
        assert net.penalty_value(pen) == 0.0
        assert net.loss(X_SMALL, Y_SMALL, pen) == net.loss(X_SMALL, Y_SMALL)


@pytest.mark.parametrize("lam", [-1e-3, float("nan"), float("inf"), "0.1", None])
def test_bad_lambda_is_refused(lam):
    with pytest.raises(ValueError, match="lambda"):
        make_penalty("l2", lam)
    with pytest.raises(ValueError, match="lambda"):
        make_penalty("l1", lam)


def test_unknown_penalty_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown penalty 'l3'.*l1.*l2"):
        make_penalty("l3", 0.1)


# ------------------------------------------------------------ bad input ---
@pytest.fixture
def net():
    return MLP([4, 3, 3], seed=0)


@pytest.mark.parametrize("shape", [(5, 3), (5, 5), (4,), (2, 2, 4)])
def test_wrong_input_shape(net, shape):
    with pytest.raises(ValueError, match=r"inputs must have shape \(N, 4\)"):
        net.forward(np.zeros(shape, np.float32))


@pytest.mark.parametrize("y", [[0, 1, 3], [-1, 0, 1]])
def test_labels_out_of_range(net, y):
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.2"):
        net.loss(np.zeros((3, 4), np.float32), np.array(y))


@pytest.mark.parametrize("y", [np.array([0.0, 1.0, 2.0]), np.array([True, False, True]), np.array([0, 1])])
def test_non_integer_or_miscounted_labels(net, y):
    with pytest.raises(ValueError, match="labels must be 3 integers"):
        net.loss_and_gradients(np.zeros((3, 4), np.float32), y)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3), (3, 3, 1)])
def test_one_hot_of_wrong_shape(net, shape):
    with pytest.raises(ValueError, match="one-hot"):
        net.loss(np.zeros((3, 4), np.float32), np.zeros(shape))


@pytest.mark.parametrize("sizes, problem", [
    ([], "at least inputs and outputs"),
    ([3072], "at least inputs and outputs"),
    ([3072, 0, 10], "positive"),
    ([3072, -5, 10], "positive"),
    ([3072, 128, 0], "positive"),
    ([3072, 2.5, 10], "integer"),
    ("3172", "integer"),
    (3072, "list of positive integers"),
    ([3072, None, 10], "list of positive integers"),
])
def test_bad_layer_sizes(sizes, problem):
    with pytest.raises(ValueError, match=problem):
        MLP(sizes)


def test_layer_sizes_accept_numpy_integers():
    assert MLP(np.array([4, 3, 2]), seed=0).layer_sizes == [4, 3, 2]


@pytest.mark.parametrize("dtype", [np.int32, np.float16, "complex128", "not-a-dtype"])
def test_bad_dtype(dtype):
    with pytest.raises(ValueError, match="dtype"):
        MLP([4, 3, 2], dtype=dtype)


# --------------------------------------------------------- initialisers ---
@pytest.mark.parametrize("init", [xavier, he, small_gaussian])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_initialiser_shape_and_dtype(init, dtype):
    w = init(30, 20, np.random.default_rng(0), dtype)
    assert w.shape == (30, 20) and w.dtype == dtype


@pytest.mark.parametrize("init, expected_std", [
    (xavier, math.sqrt(2 / (800 + 400))),
    (he, math.sqrt(2 / 800)),
    (small_gaussian, 0.01),
])
def test_initialiser_scale(init, expected_std):
    w = init(800, 400, np.random.default_rng(0))
    assert w.std() == pytest.approx(expected_std, rel=0.02)
    assert abs(w.mean()) < 0.1 * expected_std


@pytest.mark.parametrize("activation, expected", [
    ("tanh", xavier), ("sigmoid", xavier), ("relu", he), ("leaky_relu", he),
])
def test_default_initialiser_matches_activation(activation, expected):
    assert make_initialiser(None, activation) is expected
    std = math.sqrt(2 / 600) if expected is he else math.sqrt(2 / 900)
    assert MLP([600, 300, 10], activation=activation, seed=0).params["W1"].std() == pytest.approx(std, rel=0.03)


def test_named_initialiser_overrides_the_default():
    assert make_initialiser("small_gaussian", "relu") is small_gaussian
    assert MLP([600, 300, 10], activation="relu", init="xavier").params["W1"].std() == pytest.approx(
        math.sqrt(2 / 900), rel=0.03)


def test_unknown_initialiser_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown initialiser 'glorot'.*he.*xavier"):
        make_initialiser("glorot")
    with pytest.raises(ValueError, match="initialiser"):
        MLP([4, 3, 2], init="glorot")


def test_same_seed_same_weights_and_zero_biases():
    a, b, c = MLP([50, 20, 5], seed=7), MLP([50, 20, 5], seed=7), MLP([50, 20, 5], seed=8)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    assert not a.params["b1"].any() and not a.params["b2"].any()


@pytest.mark.parametrize("sizes", [[3072, True, 10], [3072, 128, False]])
def test_a_bool_is_not_a_layer_size(sizes):
    with pytest.raises(ValueError, match="positive integer"):
        MLP(sizes)


def test_activation_and_penalty_objects_must_have_the_needed_methods():
    class NoBackward:
        def forward(self, z):
            return z

    with pytest.raises(ValueError, match="activation must be a name or an object with methods forward, backward"):
        MLP([4, 3, 2], activation=NoBackward())
    with pytest.raises(ValueError, match="penalty must be a name or an object with methods value, add_gradient"):
        make_penalty(object())
