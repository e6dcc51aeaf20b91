"""The helpers that turn seeds into sentences: compare_seeds, margin_split, question_runs, and the
figures that show the spread (their limits and legends)."""
import math

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from test_seeds import hand_table, own_runs_only  # noqa: F401 (an autouse fixture)

from mlp_helpers import experiments, plots, settings
from mlp_helpers.experiments import Config
from mlp_helpers.experiments.configs import REPORT_RULE_SUFFIX
from mlp_helpers.experiments.questions import question_names


def test_compare_seeds_labels_two_configs_by_what_they_change_and_runs_the_seeds_asked(fake_train, tmp_path,
                                                                                         monkeypatch):
    monkeypatch.setattr(settings, "RUNS_DIR", tmp_path)
    a, b = Config(activation="relu"), Config(activation="sigmoid")
    out = experiments.compare_seeds(a, b, seeds=range(3), quick=False, jobs=1)
    assert (out["a"], out["b"]) == ("activation=relu", "activation=sigmoid")
    assert len(fake_train) == 6                                           # three seeds a side
    assert out["verdict"] in ("activation=relu better", "activation=sigmoid better", "no measurable difference")
    assert not math.isnan(out["ci_low"])
    with pytest.raises(ValueError, match="both sides are 'activation=relu'"):
        experiments.compare_seeds(a, Config(activation="relu", seed=3), quick=False, jobs=1)


def test_compare_seeds_of_one_seed_each_says_it_cannot_measure(fake_train, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "RUNS_DIR", tmp_path)
    out = experiments.compare_seeds(Config(), Config(hidden=(64,)), quick=False, jobs=1)
    assert out["verdict"] == "not measurable (one seed)"


def test_margin_split_parts_add_up_to_the_recipe_minus_the_report():
    table = pd.concat([hand_table([30.0, 31.0, 32.0], "s0"), hand_table([36.0, 37.0, 38.0], "s1"),
                       hand_table([36.5, 37.0, 37.5], "s2"), hand_table([40.0], "s3")])
    steps = experiments.ablation_summary(table, [("s0", "report row"), ("s1", "+ a"), ("s2", "+ b"),
                                                 ("s3", "+ wide")])
    split = experiments.margin_split(steps, 35.0, "row")
    assert split["points"].tolist() == [-4.0, 6.0, 3.0, 5.0]
    assert split["points"].iloc[:3].sum() == split["points"].iloc[3]
    assert split["steps"].tolist()[1:3] == ["+ a", "+ b, + wide"]
    assert split["part"].iloc[0] == "the first step (report row) minus the report's row (35.0 %)"


def test_question_runs_pair_every_report_row_with_its_report_rule_twin(fake_train, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "RUNS_DIR", tmp_path)
    names = question_names("activations")
    assert names[:2] == ["momentum_b128", "momentum_b128_report_rule"]
    for name in names:
        if experiments.EXPERIMENTS[name].kind == "report":
            assert names[names.index(name) + 1] == name + REPORT_RULE_SUFFIX
    assert "momentum_b128" not in question_names("activations", base=False)
    runs = experiments.question_runs("activations", quick=False, jobs=1, progress=False)
    assert list(runs) == names
    for name, results in runs.items():
        assert [r.seed for r in results] == list(experiments.EXPERIMENTS[name].seeds)


def test_question_runs_gives_a_notebook_its_views(fake_train, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(settings, "RUNS_DIR", tmp_path)
    runs = experiments.question_runs("regularisation", quick=False, jobs=1, progress=False)
    assert isinstance(runs, dict) and runs.by_name == dict(runs) and type(runs.by_name) is dict
    assert {name: run.seed for name, run in runs.seed0.items()} == dict.fromkeys(runs, 0)
    assert runs.seed0["l2_1e-2"] is runs["l2_1e-2"][0]
    assert len(runs.runs) == sum(len(results) for results in runs.values())
    assert runs.report_rows == ["momentum_b128", "l2_1e-4", "l2_1e-2", "l1_1e-4", "l1_1e-2"]
    runs.print_plan()
    lines = capsys.readouterr().out.splitlines()
    planned = [line.split()[0] for line in lines if not line.startswith(" ")]
    assert planned == [n for n in runs if not n.endswith(REPORT_RULE_SUFFIX)]
    assert any("penalty=l2, lam=0.01" in line for line in lines)


def test_margin_split_finds_the_reports_best_row_for_the_recipes_question():
    table = pd.concat([hand_table([38.0, 39.0, 40.0], "relu"), hand_table([50.0, 51.0, 52.0], "activations_improved")])
    steps = experiments.ablation_summary(table, [("relu", "report row"), ("activations_improved", "+ all")])
    split = experiments.margin_split(steps)
    best = experiments.EXPERIMENTS["sigmoid"]          # the best of the activation rows in the report (41.36 %)
    assert split["part"].iloc[0].endswith(f"the report's sigmoid ({best.report_acc} %)")
    assert split["points"].iloc[-1] == round(51.0 - best.report_acc, 2)
    assert experiments.margin_split(steps, 35.77, "relu")["points"].iloc[-1] == round(51.0 - 35.77, 2)


def test_seed_summary_scores_quick_runs_on_the_quick_test_set(fake_train, tmp_path):
    kwargs = dict(cache_dir=tmp_path, jobs=1, progress=False)
    quick = experiments.run_many([("relu", s) for s in range(3)], quick=True, **kwargs)
    full = experiments.run_many([("relu", s) for s in range(3)], quick=False, **kwargs)
    p = experiments.seed_summary(quick)["mean_%"].iloc[0] / 100
    n_quick = 10 * settings.QUICK["n_eval_per_class"]
    assert experiments.seed_summary(quick)["test_sd_%"].iloc[0] == round(100 * math.sqrt(p * (1 - p) / n_quick), 2)
    p = experiments.seed_summary(full)["mean_%"].iloc[0] / 100
    assert experiments.seed_summary(full)["test_sd_%"].iloc[0] == round(100 * math.sqrt(p * (1 - p) / 10_000), 2)


def test_the_ablation_chart_shows_every_error_bar_whole():
    # A noisy step whose gain interval reaches far below both means.
    table = pd.concat([hand_table([40.0, 40.5, 39.5], "s0"), hand_table([30.0, 50.0, 41.0], "s1")])
    steps = experiments.ablation_summary(table, [("s0", "row"), ("s1", "+ noisy")])
    fig = plots.plot_ablation(steps)
    low, high = fig.axes[0].get_ylim()
    assert low <= 40.0 + steps["gain_low"].iloc[1] and high >= 40.0 + steps["gain_high"].iloc[1]
    plt.close(fig)


def test_a_half_width_seed_spread_keeps_its_legend_to_one_column(fake_train, tmp_path):
    results = experiments.run_many([(n, 0) for n in ("momentum_b128", "relu", "sigmoid", "hidden_64")],
                                   cache_dir=tmp_path, quick=False, jobs=1, progress=False)
    long = experiments.seed_histories(results)
    fig, axes = plt.subplots(1, 2, figsize=(plots.FULL_WIDTH, 3.6))
    plots.plot_seed_spread(long, ax=axes[0])
    assert axes[0].get_legend()._ncols == 1
    plt.close(fig)
    fig = plots.plot_seed_spread(long)
    assert fig.axes[0].get_legend()._ncols == 2
    plt.close(fig)


def test_two_processes_saving_one_figure_never_collide(tmp_path):
    # Parallel gradings run the same notebook twice at once: each save has its own temp file.
    import threading

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    errors = []

    def save_many():
        try:
            for _ in range(15):
                plots.save_figure(fig, "same_name", tmp_path)
        except Exception as err:                                   # noqa: BLE001 (collect, then assert)
            errors.append(err)

    threads = [threading.Thread(target=save_many) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    plt.close(fig)
    assert errors == []
    assert (tmp_path / "same_name.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["same_name.png"]        # no temp file left behind
