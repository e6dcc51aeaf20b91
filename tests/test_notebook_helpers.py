"""The helpers that replaced repeated notebook code: run grids, comparison pairs, report tables."""
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from mlp_helpers import experiments, plots  # noqa: E402


def history(n, offset=0.0):
    return pd.DataFrame({"epoch": range(1, n + 1), "train_loss": [2.0 - 0.1 * e for e in range(n)],
                         "val_loss": [2.1 - 0.05 * e + offset for e in range(n)],
                         "train_acc": [0.2 + 0.05 * e for e in range(n)], "val_acc": [0.2 + 0.03 * e for e in range(n)],
                         "lr": 0.01, "seconds": 0.1})


def test_plot_histories_draws_one_pair_per_run_and_blanks_the_rest():
    runs = {"a": SimpleNamespace(history=history(5), best_epoch=3), "b": history(4), "c": history(6, 0.2)}
    fig = plots.plot_histories(runs, ncols=2)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(fig.axes) == 8 and len(visible) == 6
    assert [ax.get_title() for ax in visible[:2]] == ["a: loss", "a: accuracy"]
    assert any(line.get_label() == "best epoch" for line in visible[0].get_lines())
    assert fig.get_size_inches()[0] <= plots.FULL_WIDTH


def test_plot_comparison_pair_overlays_each_metric_of_every_run():
    fig = plots.plot_comparison_pair({"x": history(5), "y": SimpleNamespace(history=history(3))}, title="t")
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["x", "y"]
    assert list(acc_ax.get_lines()[1].get_ydata()) == list(history(3)["val_acc"])


def fake_result(name, acc):
    exp = experiments.EXPERIMENTS[name]
    return SimpleNamespace(experiment=exp, name=name, config=exp.config, epochs_run=7, best_epoch=2,
                           stop_reason="early_stopping", test_loss=1.8, test_acc=acc, seconds=3.0)


def test_report_table_has_the_standard_columns_and_the_report_loss():
    table = experiments.report_table([fake_result("momentum_b128", 0.40), fake_result("relu", 0.44)])
    assert list(table.columns) == experiments.tables.REPORT_COLUMNS
    assert table["report_loss"].tolist() == [1.7546, 1.8525]
    assert table["difference"].tolist() == pytest.approx([40.0 - 40.97, 44.0 - 35.77])
    far = experiments.far_from_report(table, points=2)
    assert far["experiment"].tolist() == ["relu"]
