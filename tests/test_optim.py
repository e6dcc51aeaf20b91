"""SGD updates against numbers worked out by hand; learning-rate schedules at chosen epochs."""
import math

import numpy as np
import pytest

from mlp_helpers.training import SGD, make_schedule

G1 = {"w": np.array([1.0, 0.5]), "b": np.array([-4.0])}
G2 = {"w": np.array([-2.0, 1.0]), "b": np.array([2.0])}


def start():
    return {"w": np.array([1.0, -2.0]), "b": np.array([0.5])}


def test_plain_sgd():
    params, opt = start(), SGD(lr=0.1)
    opt.step(params, G1)
    np.testing.assert_allclose(params["w"], [0.9, -2.05], rtol=1e-15)
    np.testing.assert_allclose(params["b"], [0.9], rtol=1e-15)
    opt.lr = 0.5                                    # the rate's one home: the next step uses it
    opt.step(params, G2)
    np.testing.assert_allclose(params["w"], [1.9, -2.55], rtol=1e-15)


def test_the_update_signature_is_params_and_grads():
    """One signature for every optimiser, with the rate in ``optimizer.lr`` (what fit writes to)."""
    with pytest.raises(TypeError):
        SGD(lr=0.1).step(start(), G1, 0.5)


def test_classical_momentum_two_steps():
    params, opt = start(), SGD(lr=0.1, momentum=0.9)
    opt.step(params, G1)
    # v1 = -0.1 g1 = [-0.1, -0.05];  theta1 = theta0 + v1
    np.testing.assert_allclose(params["w"], [0.9, -2.05], rtol=1e-14)
    opt.step(params, G2)
    # v2 = 0.9 v1 - 0.1 g2 = [-0.09 + 0.2, -0.045 - 0.1] = [0.11, -0.145];  theta2 = theta1 + v2
    np.testing.assert_allclose(params["w"], [1.01, -2.195], rtol=1e-14)
    # b: v1 = 0.4, theta1 = 0.9; v2 = 0.36 - 0.2 = 0.16, theta2 = 1.06
    np.testing.assert_allclose(params["b"], [1.06], rtol=1e-14)
    np.testing.assert_allclose(opt.velocity["w"], [0.11, -0.145], rtol=1e-14)


def test_nesterov_momentum_two_steps():
    params, opt = start(), SGD(lr=0.1, momentum=0.9, nesterov=True)
    opt.step(params, G1)
    # v1 = [-0.1, -0.05];  theta1 = theta0 + 0.9 v1 - 0.1 g1 = [1 - 0.09 - 0.1, -2 - 0.045 - 0.05]
    np.testing.assert_allclose(params["w"], [0.81, -2.095], rtol=1e-14)
    opt.step(params, G2)
    # v2 = [0.11, -0.145];  theta2 = theta1 + 0.9 v2 - 0.1 g2 = [0.81 + 0.099 + 0.2, -2.095 - 0.1305 - 0.1]
    np.testing.assert_allclose(params["w"], [1.109, -2.3255], rtol=1e-14)
    # b: v1 = 0.4, theta1 = 0.5 + 0.36 + 0.4 = 1.26; v2 = 0.16, theta2 = 1.26 + 0.144 - 0.2 = 1.204
    np.testing.assert_allclose(params["b"], [1.204], rtol=1e-14)


@pytest.mark.parametrize("nesterov", [False, True])
def test_float32_stays_float32(nesterov):
    params = {k: v.astype(np.float32) for k, v in start().items()}
    opt = SGD(lr=0.1, momentum=0.9, nesterov=nesterov)
    for _ in range(2):
        opt.step(params, {k: v.astype(np.float32) for k, v in G1.items()})
    assert all(v.dtype == np.float32 for v in params.values())
    assert all(v.dtype == np.float32 for v in opt.velocity.values())


def test_step_changes_params_in_place():
    params = start()
    w = params["w"]
    SGD(lr=0.1, momentum=0.5).step(params, G1)
    assert params["w"] is w


@pytest.mark.parametrize("lr", [0, 0.0, -0.1, float("nan"), float("inf"), "0.1", None])
def test_bad_learning_rate(lr):
    with pytest.raises(ValueError, match="learning rate"):
        SGD(lr=lr)


@pytest.mark.parametrize("momentum", [-0.1, 1, 1.0, 1.5, float("nan"), float("inf")])
def test_bad_momentum(momentum):
    with pytest.raises(ValueError, match="momentum"):
        SGD(lr=0.1, momentum=momentum)


def test_nesterov_needs_momentum():
    with pytest.raises(ValueError, match="Nesterov"):
        SGD(lr=0.1, momentum=0, nesterov=True)


# ------------------------------------------------------------- schedules ---
def test_constant_schedule():
    s = make_schedule("constant", 0.1)
    assert [s(e) for e in (0, 1, 50, 500)] == [0.1] * 4
    assert s.name == "constant"


def test_step_schedule():
    s = make_schedule("step", 0.1, step_every=30, gamma=0.1)
    assert s(0) == pytest.approx(0.1) and s(29) == pytest.approx(0.1)
    assert s(30) == pytest.approx(0.01) and s(59) == pytest.approx(0.01)
    assert s(60) == pytest.approx(0.001) and s(95) == pytest.approx(1e-4)


def test_cosine_schedule():
    s = make_schedule("cosine", 0.1, epochs=100)
    assert s(0) == pytest.approx(0.1)
    assert s(25) == pytest.approx(0.1 * (1 + math.sqrt(0.5)) / 2)
    assert s(50) == pytest.approx(0.05)
    assert s(75) == pytest.approx(0.1 * (1 - math.sqrt(0.5)) / 2)
    assert s(100) == pytest.approx(0.0, abs=1e-15) and s(150) == pytest.approx(0.0, abs=1e-15)
    lrs = [s(e) for e in range(101)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))       # never increases


def test_warmup_ramps_linearly_then_follows_the_schedule():
    s = make_schedule("constant", 0.1, warmup=4)
    assert [s(e) for e in range(6)] == pytest.approx([0.02, 0.04, 0.06, 0.08, 0.1, 0.1])
    c = make_schedule("cosine", 0.1, epochs=10, warmup=1)
    assert c(0) == pytest.approx(0.05) and c(1) == pytest.approx(0.1 * (1 + math.cos(math.pi / 10)) / 2)


def test_unknown_schedule_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown schedule 'linear'.*constant.*cosine.*step"):
        make_schedule("linear", 0.1)


@pytest.mark.parametrize("kwargs, problem", [
    ({"base_lr": 0}, "learning rate"),
    ({"base_lr": float("nan")}, "learning rate"),
    ({"name": "cosine", "epochs": 0}, "epochs"),
    ({"name": "step", "step_every": 0}, "step_every"),
    ({"warmup": -1}, "warmup"),
    ({"name": "step", "gamma": 0}, "gamma"),
    ({"name": "step", "gamma": -0.5}, "gamma"),
    ({"name": "step", "gamma": float("nan")}, "gamma"),
    ({"name": "step", "gamma": 2.0}, "gamma"),
    ({"warmup": True}, "warmup"),
])
def test_bad_schedule_arguments(kwargs, problem):
    kwargs = {"name": "constant", "base_lr": 0.1, **kwargs}
    with pytest.raises(ValueError, match=problem):
        make_schedule(**kwargs)


# ------------------------------------------- blocked update = whole update ---
def whole_array_step(theta, g, v, lr, mu, nesterov):
    """The update on whole arrays, in the same float32 operations as the docstring formulas."""
    step = g * theta.dtype.type(lr)
    if mu == 0:
        theta -= step
        return
    v *= theta.dtype.type(mu)
    v -= step
    if nesterov:
        theta -= step
        theta += theta.dtype.type(mu) * v
    else:
        theta += v


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_update_is_bit_identical_to_the_reference_rule(momentum, nesterov):
    rng = np.random.default_rng(0)
    shapes = {"W1": (1000, 77), "b1": (77,), "W2": (77, 3), "s": ()}     # W1 spans several blocks
    params = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    params["s"] = np.asarray(params["s"])                                  # a 0-d parameter too
    opt = SGD(lr=0.05, momentum=momentum, nesterov=nesterov)
    ref = {k: v.copy() for k, v in params.items()}
    ref_v = {k: np.zeros_like(v) for k, v in params.items()}
    for _ in range(3):
        grads = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
        opt.step(params, grads)
        for k in ref:
            whole_array_step(ref[k], grads[k], ref_v[k], 0.05, momentum, nesterov)
    for k in ref:
        np.testing.assert_array_equal(params[k], ref[k], err_msg=k)
        if momentum:
            np.testing.assert_array_equal(opt.velocity[k], ref_v[k], err_msg=k)


def test_a_strided_parameter_is_updated_in_place_like_a_contiguous_one():
    """Blocks are row slices, views of any array: a transposed (Fortran-ordered) weight matrix
    changes in place, exactly as its contiguous copy does."""
    rng = np.random.default_rng(1)
    theta = rng.standard_normal((300, 400)).astype(np.float32).T            # (400, 300), not C-contiguous
    g = rng.standard_normal(theta.shape).astype(np.float32)
    strided, contiguous = {"W": theta}, {"W": np.ascontiguousarray(theta)}
    for params in (strided, contiguous):
        opt = SGD(lr=0.1, momentum=0.9)
        for _ in range(2):
            opt.step(params, {"W": g})
    assert strided["W"] is theta and not theta.flags.c_contiguous
    np.testing.assert_array_equal(strided["W"], contiguous["W"])


def test_the_velocity_is_one_array_per_parameter_kept_between_steps():
    params, opt = start(), SGD(lr=0.1, momentum=0.9)
    opt.step(params, G1)
    v = opt.velocity["w"]
    opt.step(params, G2)
    assert opt.velocity["w"] is v and set(opt.velocity) == {"w", "b"}
