"""Activations against formulas written out independently, derivatives against centred differences."""
import numpy as np
import pytest

from mlp_helpers.model.activations import ACTIVATIONS, LeakyReLU, make_activation

NAMES = ["tanh", "sigmoid", "relu", "leaky_relu"]


def reference(name, z):
    """The textbook formulas, in float64, written without looking at the package."""
    z = np.asarray(z, dtype=np.float64)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))          # fine for the moderate z used here
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    raise AssertionError(name)


def moderate_z(seed=0, n=200, margin=1e-3):
    """Values in [-6, 6], none within ``margin`` of 0 (the ReLU kink)."""
    z = np.random.default_rng(seed).uniform(-6, 6, size=n)
    return z[np.abs(z) > margin]


@pytest.mark.parametrize("name", NAMES)
def test_forward_matches_formula(name):
    z = np.concatenate([moderate_z(), [0.0, -1e-8, 1e-8]])
    np.testing.assert_allclose(make_activation(name).forward(z), reference(name, z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_forward_keeps_shape_and_float32(name):
    z = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    a = make_activation(name).forward(z)
    assert a.shape == (4, 5) and a.dtype == np.float32
    np.testing.assert_allclose(a, reference(name, z), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_backward_matches_centred_difference(name):
    act = make_activation(name)
    z = moderate_z(seed=2)
    h = 1e-6
    numeric = (act.forward(z + h) - act.forward(z - h)) / (2 * h)
    da = np.random.default_rng(3).standard_normal(z.shape)
    expected = da * numeric
    got = act.backward(da.copy(), act.forward(z))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_backward_works_in_place_and_keeps_float32(name):
    act = make_activation(name)
    z = np.random.default_rng(4).standard_normal((3, 6)).astype(np.float32)
    da = np.ones_like(z)
    out = act.backward(da, act.forward(z))
    assert out is da and out.dtype == np.float32


def test_relu_subgradient_at_zero_is_zero():
    relu = make_activation("relu")
    np.testing.assert_array_equal(relu.backward(np.ones(3), relu.forward(np.array([-1.0, 0.0, 2.0]))), [0, 0, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_for_huge_inputs(dtype):
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dtype)
    with np.errstate(all="raise"):              # any overflow would raise FloatingPointError
        a = make_activation("sigmoid").forward(z)
    assert a[0] == 0.0 and a[-1] == 1.0 and a[2] == 0.5
    assert np.all(np.isfinite(a)) and a.dtype == dtype


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="swish") as err:
        make_activation("swish")
    for name in NAMES:
        assert name in str(err.value)


def test_make_activation_passes_objects_through():
    act = LeakyReLU(0.2)
    assert make_activation(act) is act
    assert set(ACTIVATIONS) == set(NAMES)


@pytest.mark.parametrize("slope", [0, 1, -0.1, 1.5, float("nan")])
def test_leaky_slope_must_lie_in_open_unit_interval(slope):
    with pytest.raises(ValueError, match="slope"):
        LeakyReLU(slope)


def test_leaky_relu_with_custom_slope():
    act = LeakyReLU(0.2)
    z = np.array([-2.0, -0.5, 0.5, 3.0])
    np.testing.assert_allclose(act.forward(z), [-0.4, -0.1, 0.5, 3.0])
    np.testing.assert_allclose(act.backward(np.ones(4), act.forward(z)), [0.2, 0.2, 1.0, 1.0])
