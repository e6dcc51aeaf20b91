"""The computational-graph figure of notebook 02: the nodes, the backward formulas, what flows
along the arrows, and a clear error for input it cannot draw."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from mlp_helpers import plots


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_the_graph_has_every_node_and_the_backward_formulas():
    fig = plots.plot_computational_graph()
    shown = texts(fig)
    for label in ("$x$", "$z_1$", "$a_1$", "$z_2$", "$p$", "$E$", "$W_1$", "$b_1$", "$W_2$", "$b_2$", "$y$"):
        assert label in shown, label
    backward = " ".join(shown)
    assert r"(p - \mathrm{onehot}(y))\,/\,N" in backward                 # delta2
    assert r"(\delta_2 W_2^{\top}) \odot f'(z_1)" in backward             # delta1
    assert r"x^{\top}\delta_1" in backward and r"\sum_n \delta_2" in backward
    plt.close(fig)


def test_values_and_deltas_are_written_as_shapes_or_numbers():
    fig, ax = plt.subplots()
    x = np.zeros((128, 3072))
    out = plots.plot_computational_graph(values={"x": x, "b2": (10,), "E": 2.302585, "p": np.array([0.25, 0.75])},
                                         deltas={"z1": (128, 16), "W1": "as W1"}, ax=ax)
    assert out is fig
    shown = " ".join(texts(fig))
    for text in ("(128, 3072)", "(10,)", "2.303", "[0.25, 0.75]", "(128, 16)", "as W1"):
        assert text in shown, text
    plt.close(fig)


def test_bad_input_is_refused_with_a_clear_error():
    with pytest.raises(ValueError, match=r"values has unknown names \['z3'\]"):
        plots.plot_computational_graph(values={"z3": (2, 2)})
    with pytest.raises(ValueError, match=r"deltas has unknown names \['x'\]"):
        plots.plot_computational_graph(deltas={"x": (2, 3)})
    with pytest.raises(TypeError, match="values must be a dict"):
        plots.plot_computational_graph(values=[(2, 3)])
    with pytest.raises(TypeError, match="expected an array, a shape tuple, a number or a string"):
        plots.plot_computational_graph(values={"x": object()})
    with pytest.raises(ValueError, match="a shape must be a tuple of non-negative integers"):
        plots.plot_computational_graph(values={"x": (2, -1)})
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plots.plot_computational_graph(ax="left")
    plt.close("all")
