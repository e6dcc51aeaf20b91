"""The report's conventions as options (uniform_small, the penalties as written, a fixed minibatch order),
the prediction range, the study's registered rule and how its rows are merged into the results."""
import math

import numpy as np
import pandas as pd
import pytest

from mlp_helpers.experiments import Config, conventions
from mlp_helpers.experiments.stats import prediction_range, seed_summary, t_quantile
from mlp_helpers.model import MLP, make_penalty
from mlp_helpers.model.initialisers import uniform_small
from mlp_helpers.reproduction import study
from mlp_helpers.training import SGD, fit


# ------------------------------------------------------- uniform_small ---
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_small_draws_weights_and_biases_in_0_to_0_01(dtype):
    net = MLP([300, 64, 10], init="uniform_small", dtype=dtype, seed=3)
    for name, value in net.params.items():
        assert value.dtype == dtype, name
        assert value.min() >= 0 and value.max() < 0.01, name
        assert value.mean() == pytest.approx(0.005, rel=0.1 if value.size > 500 else 0.5), name
    assert net.params["b1"].any() and net.params["b2"].any()       # biases drawn, not zero


def test_uniform_small_is_one_matrix_whose_last_row_is_the_bias():
    net = MLP([5, 4, 3], init="uniform_small", seed=1)
    rng = np.random.default_rng(1)
    layer1, layer2 = uniform_small(6, 4, rng), uniform_small(5, 3, rng)
    np.testing.assert_array_equal(net.params["W1"], layer1[:-1])
    np.testing.assert_array_equal(net.params["b1"], layer1[-1])
    np.testing.assert_array_equal(net.params["W2"], layer2[:-1])
    np.testing.assert_array_equal(net.params["b2"], layer2[-1])
    assert net.params["W1"].flags.c_contiguous


def test_the_default_initialisers_still_start_biases_at_zero():
    assert not MLP([20, 8, 3], seed=0).params["b1"].any()


# ------------------------------------------------ penalties as written ---
def test_l1_constant_adds_lambda_to_every_weight_gradient_whatever_its_sign():
    W = np.array([[-2.0, 0.0], [0.5, 3.0]])
    penalty = make_penalty("l1_constant", 0.1)
    assert penalty.value(W) == pytest.approx(0.1 * 1.5)
    dW = np.zeros_like(W)
    penalty.add_gradient(W, dW)
    np.testing.assert_array_equal(dW, np.full_like(W, 0.1))


def test_l2_half_has_gradient_lambda_w():
    W = np.array([[-2.0, 1.0], [0.5, 3.0]])
    penalty = make_penalty("l2_half", 0.1)
    assert penalty.value(W) == pytest.approx(0.05 * (4 + 1 + 0.25 + 9))
    dW = np.ones_like(W)
    penalty.add_gradient(W, dW)
    np.testing.assert_allclose(dW, 1 + 0.1 * W)


# ---------------------------------------------------------- fixed order ---
class RecordingMLP(MLP):
    """An MLP that records the labels of every minibatch it sees."""
    batches: list

    def loss_and_gradients(self, x, y, penalty=None):
        self.batches.append(tuple(np.asarray(y).tolist()))
        return super().loss_and_gradients(x, y, penalty)


def minibatch_orders(data, shuffle):
    model = RecordingMLP([data.x_train.shape[1], 8, 3], seed=0)
    model.batches = []
    fit(model, SGD(0.01), data, epochs=3, batch_size=16, patience=None, progress=False, shuffle=shuffle)
    per_epoch = len(model.batches) // 3
    return [model.batches[i * per_epoch:(i + 1) * per_epoch] for i in range(3)]


def test_fixed_order_uses_the_same_minibatches_every_epoch(blob_maker):
    data = blob_maker(n_train=96)
    once = minibatch_orders(data, "once")
    assert once[0] == once[1] == once[2]
    every = minibatch_orders(data, "every_epoch")
    assert every[0] != every[1]


def test_bad_shuffle_is_refused(blobs):
    with pytest.raises(ValueError, match="shuffle"):
        fit(MLP([20, 4, 3]), SGD(0.01), blobs, epochs=1, shuffle="never", progress=False)
    with pytest.raises(ValueError, match="shuffle"):
        Config(shuffle="sometimes")


def test_config_names_the_conventions_it_changes():
    config = Config(init="uniform_small", shuffle="once", penalty="l1_constant", lam=0.01)
    assert "init=uniform_small" in config.describe() and "shuffle=once" in config.describe()
    assert config.key() != Config(init="uniform_small", penalty="l1_constant", lam=0.01).key()


# ------------------------------------------------------ prediction range ---
def test_prediction_range_by_hand():
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    half = t_quantile(4) * math.sqrt(2.5) * math.sqrt(1 + 1 / 5)
    assert prediction_range(values) == pytest.approx((3 - half, 3 + half))
    assert all(math.isnan(v) for v in prediction_range([3.0]))


def test_seed_summary_says_reproduced_by_the_prediction_range_not_the_interval():
    # Two-layers-of-128-like numbers: the report's 39 lies outside the interval of the mean but
    # inside the prediction range for one run.
    table = pd.DataFrame({"experiment": "row", "question": "q", "kind": "report", "seed": range(5),
                          "test_acc_%": [37.6, 38.0, 38.2, 38.3, 38.75], "report_acc_%": 39.0})
    row = seed_summary(table).iloc[0]
    assert not row["inside"] and row["reproduced"]
    assert row["pred_low_%"] < row["ci_low_%"] and row["pred_high_%"] > row["ci_high_%"]


# ------------------------------------------------- the registered rule ---
def test_each_convention_changes_only_what_it_names():
    base = Config(penalty="l1", lam=0.01)
    assert conventions.CONVENTIONS["penalty_as_written"].apply(base).penalty == "l1_constant"
    assert conventions.CONVENTIONS["penalty_as_written"].apply(Config(penalty="l2", lam=1e-4)).penalty == "l2_half"
    assert conventions.CONVENTIONS["penalty_as_written"].apply(Config()) == Config()
    assert conventions.CONVENTIONS["uniform_small"].apply(base) == Config(penalty="l1", lam=0.01,
                                                                          init="uniform_small")


def test_shift_needs_an_interval_that_excludes_zero():
    described = [37.0, 37.5, 36.8, 37.2, 37.1]
    assert conventions.shift(described, [40.9, 41.2, 41.0, 40.7, 41.1], 40.97) == "toward"
    assert conventions.shift(described, [33.9, 34.2, 34.0, 33.7, 34.1], 40.97) == "away"
    assert conventions.shift(described, [37.1, 36.9, 37.4, 37.0, 37.3], 40.97) == "none"
    # moving past the report by more than it was off counts as away
    assert conventions.shift(described, [46.0, 46.2, 45.9, 46.1, 46.0], 40.97) == "away"


@pytest.mark.parametrize("name, verdicts, joins", [
    ("momentum_0.5", ["toward", "none"], True),
    ("momentum_0.5", ["toward", "away"], False),
    ("fixed_order", ["none", "toward"], False),
    ("penalty_as_written", ["toward", "toward", "none", "toward"], True),
    ("penalty_as_written", ["toward", "away", "none", "toward"], False),
])
def test_joins(name, verdicts, joins):
    assert conventions.joins(name, verdicts) is joins


def test_the_study_runs_every_registered_row_with_five_seeds():
    singles = conventions.single_runs()
    assert len(singles) == 6 + 4 * 2 + 4           # described on 6 test rows, 4 conventions x 2, penalty x 4
    combined = conventions.combined_runs(("fixed_order",))
    assert len(combined) == 13 and all(e.conventions == "report" for e in combined)
    assert all(e.config.normalisation == "per_channel" and e.config.init == "uniform_small"
               and e.config.shuffle == "once" for e in combined)
    names = {e.name for e in singles} | {e.name for e in conventions.described_runs()}
    assert set(conventions.COMPARISONS) <= names
    assert all(e.seeds == (0, 1, 2, 3, 4) for e in singles + combined)


# ------------------------------------------------------ the study's table ---
def test_the_study_merges_its_rows_and_section_and_keeps_the_rest(tmp_path, fake_train, monkeypatch):
    out = tmp_path / "results"
    out.mkdir()
    pd.DataFrame({"experiment": ["relu", "abl_x"], "question": "q", "kind": ["report", "ablation"],
                  "hyperparameters": "h", "seed": [0, 0], "test_acc_%": [43.0, 50.0]}).to_csv(
        out / "results.csv", index=False)
    (out / "results.md").write_text("# Results\n\nkept text\n")
    monkeypatch.setattr(study.settings, "RESULTS_DIR", out)
    for _ in range(2):                                  # a second run replaces, never duplicates
        assert study.main(quick=False, jobs=1, cache_dir=tmp_path / "cache", progress=False) == 0
    table = pd.read_csv(out / "results.csv")
    assert "abl_x" in set(table["experiment"])
    assert (table.groupby(["experiment", "seed"]).size() == 1).all()
    assert set(table["conventions"]) == {"described", "per_channel", "uniform_small", "momentum_0.5",
                                         "penalty_as_written", "fixed_order", "report"}
    assert (table.loc[table["conventions"] == "report"].groupby("experiment").size() == 5).all()
    text = (out / "results.md").read_text()
    assert text.startswith("# Results\n\nkept text") and text.count(study.STUDY_BEGIN) == 1
    assert "reproduced" in text and "preregistration.md" in text


# ------------------------------------------------------- the study's figures ---
def study_table():
    """A results table with the study's experiments at made-up accuracies: the report set lands on the
    report's numbers, the described set 4 points below."""
    rows = []
    for row, experiment in conventions.COMPARISONS.items():
        for label, shift_ in (("described", -4.0), ("report", 0.0)):
            name = row if label == "described" else f"{row}+{label}"
            rows += [{"experiment": name, "seed": s, "test_acc_%": experiment.report_acc + shift_ + 0.3 * (s - 2)}
                     for s in range(5)]
    for name in conventions.OPTIONAL + ("per_channel", "uniform_small"):
        for row in conventions.SINGLE_TEST_ROWS[name]:
            rows += [{"experiment": f"{row}+{name}", "seed": s, "test_acc_%": 30 + 0.3 * s} for s in range(5)]
    return pd.DataFrame(rows)


def test_set_summary_and_the_headline_count():
    from mlp_helpers.experiments import study_tables
    table = study_table()
    summary = study_tables.set_summary(table, "report")
    assert len(summary) == 13 and summary["reproduced"].all()
    verdicts = study_tables.verdict_table(table)
    assert study_tables.reproduced_count(verdicts, "report") == (12, 12, "yes")
    assert study_tables.reproduced_count(verdicts, "described")[0] == 0
    assert study_tables.joined_from(table) == ()          # every optional convention moved away


def test_the_study_figures_draw_every_row_and_refuse_other_tables():
    import matplotlib
    matplotlib.use("Agg")
    from mlp_helpers.experiments import study_tables
    from mlp_helpers.plots.report_study import plot_convention_effects, plot_prediction_ranges
    table = study_table()
    effects = study_tables.effects_table(table)
    fig = plot_convention_effects(effects)
    assert len(fig.axes[0].get_yticklabels()) == len(effects) == 12
    fig = plot_prediction_ranges({"described": study_tables.set_summary(table, "described"),
                                  "report": study_tables.set_summary(table, "report")})
    ticks = {t.get_text(): y for t, y in zip(fig.axes[0].get_yticklabels(), fig.axes[0].get_yticks())}
    assert set(ticks) == set(conventions.COMPARISONS) and max(ticks, key=ticks.get) == "momentum_b128"
    with pytest.raises(ValueError, match="missing"):
        plot_prediction_ranges({"x": pd.DataFrame({"row": ["a"]})})


def test_a_reproduction_keeps_the_study_rows_and_section(tmp_path):
    from mlp_helpers.reproduction.files import STUDY_BEGIN, STUDY_END, write_tables
    pd.DataFrame({"experiment": ["relu", "relu+report"], "kind": ["report", "convention"], "seed": [0, 0],
                  "conventions": ["described", "report"], "test_acc_%": [43.0, 30.0]}).to_csv(
        tmp_path / "results.csv", index=False)
    (tmp_path / "results.md").write_text(f"old\n\n{STUDY_BEGIN}\nthe study\n{STUDY_END}\n")
    fresh = pd.DataFrame({"experiment": ["relu"], "kind": ["report"], "seed": [0], "conventions": ["described"],
                          "test_acc_%": [43.5]})
    write_tables(fresh, tmp_path, note="", text="# new results\n")
    table = pd.read_csv(tmp_path / "results.csv")
    assert list(table["experiment"]) == ["relu", "relu+report"] and table["test_acc_%"].iloc[0] == 43.5
    text = (tmp_path / "results.md").read_text()
    assert text.startswith("# new results") and "the study" in text and "old" not in text
