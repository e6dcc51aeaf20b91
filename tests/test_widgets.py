"""Explorers driven from code, as a student would drive them: a moved slider changes the plot.

An exception inside an ipywidgets callback does not fail anything by itself, so these tests call
``set`` (which runs the same update the slider's observer runs) and check the plotted data."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from mlp_helpers import experiments as E
from mlp_helpers.widgets import CONTROLS, TrainingExplorer

from test_experiments import tiny_data


def explorer(controls, **kwargs):
    return TrainingExplorer(tiny_data(), base=E.Config(hidden=(16,)), controls=controls, epochs=3, **kwargs)


def assert_plot_changed(before, after):
    assert before.keys() == after.keys() and before
    assert any(not np.array_equal(before[k], after[k]) for k in before), "the plotted curves did not change"


@pytest.mark.parametrize("controls, move", [
    (("lr", "momentum", "batch_size"), {"lr": 0.1}),
    (("lr", "momentum", "batch_size"), {"batch_size": 32}),
    (("penalty", "lam", "lr", "hidden_units"), {"penalty": "l2", "lam": 1e-2}),
    (("activation", "init", "lr", "hidden_units"), {"activation": "relu", "init": "he"}),
    (("hidden_units", "hidden_layers", "lr", "init"), {"hidden_layers": 2, "hidden_units": 32}),
    (("lr", "hidden_units"), {"hidden_units": 64}),
])
def test_moving_a_control_retrains_and_redraws(controls, move):
    ex = explorer(controls)
    before, png_before = ex.plotted_data(), bytes(ex.image.value)
    ex.set(**move)
    png_after = bytes(ex.image.value)
    assert png_after.startswith(b"\x89PNG") and png_after != png_before
    for name, value in move.items():
        assert ex.controls[name].value == value
    assert_plot_changed(before, ex.plotted_data())
    config = ex.config()
    if "hidden_layers" in move:
        assert config.hidden == (move["hidden_units"],) * move["hidden_layers"]
    if "penalty" in move:
        assert (config.penalty, config.lam) == ("l2", 1e-2)


def test_a_slider_event_retrains_like_set_does():
    ex = explorer(("lr",))
    before = ex.plotted_data()
    ex.controls["lr"].value = 0.3          # what the browser does: the observer fires
    assert ex.config().lr == pytest.approx(0.3)
    assert_plot_changed(before, ex.plotted_data())


def test_returning_to_a_setting_uses_the_cache():
    ex = explorer(("lr",))
    first = ex.plotted_data()
    ex.set(lr=0.05)
    assert len(ex.cache) == 2
    ex.set(lr=0.01)
    assert len(ex.cache) == 2 and "cached" in ex.status.value
    for key, values in first.items():
        np.testing.assert_array_equal(values, ex.plotted_data()[key])


def test_penalty_none_means_lambda_zero():
    ex = explorer(("penalty", "lam"))
    ex.set(lam=1e-2)
    assert ex.config().lam == 0.0


def test_divergence_is_shown_in_the_status_line():
    data = tiny_data()
    data.x_train *= 100                     # huge inputs and a huge step: the loss explodes
    ex = TrainingExplorer(data, base=E.Config(hidden=(16,), activation="relu", init="he"), controls=("lr",), epochs=3)
    with pytest.warns(RuntimeWarning, match="learning rate"):
        ex.set(lr=10 ** 0.5)
    assert "diverged" in ex.status.value


def test_unknown_controls_are_clear_errors():
    with pytest.raises(ValueError, match="unknown controls"):
        explorer(("dropout",))
    ex = explorer(("lr",))
    with pytest.raises(ValueError, match="no control"):
        ex.set(momentum=0.5)
    assert set(CONTROLS) >= {"lr", "lam", "hidden_units", "momentum", "batch_size", "activation", "penalty"}
