"""Seeds and intervals, the report's stopping rule, ablation chains, the progress bar.

Runs here are tiny (synthetic data, or a fake training step) so the whole file takes seconds; the
parallel and Dask paths on real quick data are in test_parallel.py."""
import math
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mlp_helpers import experiments, plots
from mlp_helpers.experiments import parallel, runner, stats
from mlp_helpers.experiments.results import results_table
from mlp_helpers.store import published
from mlp_helpers.training import EarlyStopping, StopOnRise
from mlp_helpers.training import joint_stopping as stopping


@pytest.fixture(autouse=True)
def own_runs_only():
    """Full-scale runs here are trained (by the fake training), never answered from the published runs."""
    published.use(False)
    yield
    published.use(None)


def blob_data(seed=0, n=600, d=3072, source="fingerprint-S"):
    """Ten weakly separated classes: runs over-fit fast, so the two stopping rules part ways."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((10, d)).astype(np.float32) * 0.05
    y = rng.integers(0, 10, n)
    x = centres[y] + rng.standard_normal((n, d)).astype(np.float32)
    return SimpleNamespace(x_train=x[:400], y_train=y[:400], x_val=x[400:500], y_val=y[400:500],
                           x_test=x[500:], y_test=y[500:], source=source)


@pytest.fixture
def synthetic(monkeypatch):
    data = blob_data()
    monkeypatch.setattr(runner, "dataset_for", lambda config, quick=None: data)
    monkeypatch.setattr(runner, "data_source", lambda config: data.source)
    return data


def hand_table(values, name="a", report=40.0, question="q", kind="report"):
    return pd.DataFrame([{"experiment": name, "question": question, "kind": kind, "seed": s, "test_acc_%": v,
                          "report_acc_%": report} for s, v in enumerate(values)])


# ---- item 1: seeds and intervals ------------------------------------------------------------------
def test_every_experiment_has_the_seeds_the_issue_asks_for():
    for e in experiments.EXPERIMENTS.values():
        if e.kind in ("report", "report_rule", "evidence"):
            assert tuple(e.seeds) == (0, 1, 2, 3, 4), e.name
        elif e.kind in ("ablation", "improved") and max(e.config.hidden) <= 128:
            assert len(e.seeds) >= 3, e.name
        else:
            assert e.name in ("regularisation_improved", "topology_improved") and e.seeds == (0,)
    assert experiments.EXPERIMENTS["momentum_b128"].with_seed(3).config.seed == 3
    assert experiments.EXPERIMENTS["momentum_b128"].config.seed == 0            # run(name) is still seed 0


def test_seed_summary_matches_a_hand_computation():
    values = [36.0, 37.0, 38.5, 35.5, 38.0]                                   # mean 37.0, sd sqrt(1.625)
    summary = experiments.seed_summary(pd.concat([hand_table(values, report=40.97),
                                                  hand_table([50.0], name="wide", report=None, kind="improved")]))
    row = summary.iloc[0]
    sd = math.sqrt(sum((v - 37.0) ** 2 for v in values) / 4)
    half = 2.776 * sd / math.sqrt(5)                                          # t(0.975, 4) = 2.776
    assert row["n"] == 5 and row["mean_%"] == 37.0 and row["sd_%"] == round(sd, 2)
    assert row["ci_low_%"] == round(37.0 - half, 2) and row["ci_high_%"] == round(37.0 + half, 2)
    assert row["report_acc_%"] == 40.97 and row["inside"] is False            # 40.97 > 37 + 1.58
    assert row["test_sd_%"] == round(100 * math.sqrt(0.37 * 0.63 / 10_000), 2) == 0.48
    wide = summary.iloc[1]
    assert wide["n"] == 1 and math.isnan(wide["sd_%"]) and math.isnan(wide["ci_low_%"]) and wide["inside"] is None
    assert experiments.binomial_sd(0.4) == pytest.approx(0.004899, abs=1e-6)
    assert experiments.binomial_sd(40.0) == pytest.approx(0.4899, abs=1e-4)
    assert stats.t_quantile(1) == 12.706 and stats.t_quantile(4.7) == 2.776 and stats.t_quantile(200) == \
        pytest.approx(1.972, abs=1e-3)


def test_welch_interval_and_verdicts_match_a_hand_computation():
    a, b = [40.0, 41.0, 42.0], [36.0, 37.0, 38.0]
    diff, low, high = experiments.welch(a, b)          # se = sqrt(1/3 + 1/3), df = 4 -> t = 2.776
    half = 2.776 * math.sqrt(2 / 3)
    assert diff == 4.0 and low == pytest.approx(4 - half) and high == pytest.approx(4 + half)
    table = pd.concat([hand_table(a, "a"), hand_table(b, "b"), hand_table([38.0, 39.5, 36.5], "c")])
    assert stats.compare(table, "a", "b")["verdict"] == "a better"
    assert stats.compare(table, "b", "a")["verdict"] == "a better"
    assert stats.compare(table, "b", "c")["verdict"] == "no measurable difference"
    assert stats.verdict(math.nan, math.nan) == "not measurable (one seed)"


def test_results_have_a_seed_column_one_row_per_experiment_and_seed(synthetic, tmp_path):
    small = experiments.Experiment("small", "q", experiments.Config(hidden=(8,), epochs=2, patience=None),
                                   seeds=(0, 1, 2))
    results = experiments.run_seeds(small, cache_dir=tmp_path, quick=False, jobs=1, progress=False)
    assert [r.config.seed for r in results] == [0, 1, 2] and [r.seed for r in results] == [0, 1, 2]
    assert len({r.test_loss for r in results}) == 3                    # the seed changes the run
    table = results_table(results)
    assert table["seed"].tolist() == [0, 1, 2] and table["experiment"].tolist() == ["small"] * 3
    assert experiments.seed_summary(results).iloc[0]["n"] == 3
    again = experiments.run_seeds(small, seeds=[2, 0], cache_dir=tmp_path, quick=False, jobs=1, progress=False)
    assert [r.seed for r in again] == [2, 0] and all(r.cached for r in again)
    assert again[0].test_loss == results[2].test_loss


# ---- item 2: the report's stopping rule -------------------------------------------------------------
def test_config_stopping_chooses_the_rule_and_is_checked():
    assert type(stopping.make_stopper(experiments.Config())) is EarlyStopping
    rule = stopping.make_stopper(experiments.Config(stopping="report", patience=4))
    assert type(rule) is StopOnRise and rule.patience == 4 and rule.monitor == "val_loss"
    with pytest.raises(ValueError):
        experiments.Config(stopping="sometimes")
    twin = experiments.EXPERIMENTS["l1_1e-2_report_rule"]
    assert twin.config == replace(experiments.EXPERIMENTS["l1_1e-2"].config, stopping="report")
    assert twin.report_acc == 45.5 and twin.kind == "report_rule" and "stopping=report" in twin.config.describe()


def test_stopping_report_makes_fit_use_StopOnRise(synthetic, monkeypatch):
    seen = []
    real_fit = runner.fit

    def spy(*args, **kwargs):
        seen.append(type(kwargs["early_stopping"]))
        return real_fit(*args, **kwargs)
    monkeypatch.setattr(runner, "fit", spy)
    config = experiments.Config(hidden=(8,), epochs=3)
    experiments.train_config(replace(config, stopping="report"), synthetic, progress=False)
    experiments.train_config(config, synthetic, progress=False)
    assert seen == [StopOnRise, EarlyStopping]


@pytest.mark.parametrize("monitor, patience", [("val_loss", 2), ("val_acc", 2), ("val_acc", 4)])
def test_one_training_for_both_rules_gives_what_each_alone_gives(synthetic, monitor, patience):
    ended_differently = 0
    for seed in range(3):
        best = experiments.Experiment("best", "q", experiments.Config(hidden=(32,), epochs=25, lr=0.05, seed=seed,
                                                                      monitor=monitor, patience=patience))
        report = replace(best, name="report", config=replace(best.config, stopping="report"))
        joint = runner.train_runs([best, report], quick=False)
        alone = [runner.train_runs([e], quick=False)[0] for e in (best, report)]
        for j, a in zip(joint, alone):
            assert (j.test_acc, j.test_loss, j.best_epoch, j.stop_reason, j.epochs_run) == \
                   (a.test_acc, a.test_loss, a.best_epoch, a.stop_reason, a.epochs_run)
            for name in a.params:
                np.testing.assert_array_equal(j.params[name], a.params[name])
        ended_differently += joint[0].epochs_run != joint[1].epochs_run
    if monitor == "val_acc":
        assert ended_differently                      # the case that matters was exercised


def test_train_runs_refuses_configs_that_differ_beyond_the_rule():
    a = experiments.Experiment("a", "q", experiments.Config(hidden=(8,)))
    with pytest.raises(ValueError, match="stopping rule"):
        runner.train_runs([a, replace(a, config=replace(a.config, lr=0.1))])


# ---- item 3: ablations -------------------------------------------------------------------------------
def test_ablation_chains_start_at_a_report_row_end_at_the_recipe_and_add_one_change_each():
    for question, chain in experiments.ABLATIONS.items():
        names = [name for name, _ in chain]
        assert experiments.EXPERIMENTS[names[0]].kind == "report"
        assert experiments.EXPERIMENTS[names[-1]].kind == "improved"
        assert experiments.EXPERIMENTS[names[-1]].question == question
        for before, after in zip(names, names[1:]):
            a, b = experiments.EXPERIMENTS[before].config.as_dict(), experiments.EXPERIMENTS[after].config.as_dict()
            changed = {k for k in a if a[k] != b[k]}
            assert changed and changed <= {"normalisation", "activation", "init", "nesterov", "monitor", "patience",
                                           "schedule", "epochs", "augment_flip", "penalty", "lam", "hidden"}, changed
            core = changed - {"patience", "epochs", "lam"}            # each goes with its change
            assert len(core) == 1 or core == {"activation", "init"}, (before, after, changed)


def test_ablation_chains_share_cached_steps(fake_train, tmp_path):
    kwargs = dict(cache_dir=tmp_path, quick=False, jobs=1, progress=False)
    parallel.ablation_runs("momentum", **kwargs)
    momentum = len(fake_train)
    assert momentum == len({replace(experiments.EXPERIMENTS[n].config, seed=s) for n, _ in
                            experiments.ABLATIONS["momentum"] for s in experiments.EXPERIMENTS[n].seeds})
    table = experiments.ablation_table("activations", **kwargs)
    trained = {c for c in fake_train[momentum:]}
    assert trained == {replace(experiments.EXPERIMENTS[n].config, seed=s) for n in ("relu", "relu_he")
                       for s in range(5)}                                   # steps 2-5 came from the cache
    assert table["experiment"].tolist() == [n for n, _ in experiments.ABLATIONS["activations"]]
    before = len(fake_train)
    parallel.ablation_runs("topology", **kwargs)
    assert {c.hidden for c in fake_train[before:]} == {(128,), (512,), (1024, 512)}
    assert len(fake_train[before:]) == 3 + 1 + 1                          # abl_l2 x 3 seeds, two wide recipes
    assert list(experiments.ablation_table("topology", **kwargs)["n"])[-2:] == [1, 1]


def test_ablation_summary_gains_against_a_hand_computation():
    table = pd.concat([hand_table([30.0, 31.0, 32.0], "s0"), hand_table([36.0, 37.0, 38.0], "s1"),
                       hand_table([36.5, 37.0, 37.5], "s2"), hand_table([40.0], "s3")])
    steps = experiments.ablation_summary(table, [("s0", "start"), ("s1", "+ a"), ("s2", "+ b"), ("s3", "+ wide")])
    assert steps["gain"].tolist()[1:] == [6.0, 0.0, 3.0] and math.isnan(steps["gain"].iloc[0])
    assert steps["measured"].tolist() == [None, True, False, None]
    low = 6 - 2.776 * math.sqrt(2 / 3)
    assert steps["gain_low"].iloc[1] == round(low, 2)
    fig = plots.plot_ablation(steps)
    assert len(fig.axes) == 1
    summary = experiments.seed_summary(table)
    assert len(plots.plot_intervals(summary).axes) == 1


def test_seed_spread_draws_one_faint_curve_per_seed_and_a_mean(fake_train, tmp_path):
    results = experiments.run_many([("momentum_b128", s) for s in range(3)] + [("relu", 0)], cache_dir=tmp_path,
                                   quick=False, jobs=1, progress=False)
    long = experiments.seed_histories(results)
    assert list(long.columns[:3]) == ["experiment", "seed", "epoch"] and len(long) == 4
    fig = plots.plot_seed_spread(long)
    assert len(fig.axes[0].lines) == 3 + 1 + 1 + 1                       # 4 faint, 2 means


# ---- the plan and the progress bar -------------------------------------------------------------------
def test_progress_bar_counts_runs_done_out_of_runs_planned(fake_train, tmp_path, capsys):
    experiments.run_many([("relu", 0)], cache_dir=tmp_path, quick=False, jobs=1, progress=False)
    capsys.readouterr()
    items = [("relu", 0), ("relu", 1), ("sigmoid", 0), ("relu", 0)]        # a duplicate is one run
    results = experiments.run_many(items, cache_dir=tmp_path, quick=False, jobs=1, progress=True)
    err = capsys.readouterr().err
    assert "runs: 1/3" in err and "runs: 3/3" in err and "/4" not in err
    assert [r.cached for r in results] == [True, False, False, True]
    assert len(fake_train) == 1 + 2


def test_the_largest_trainings_are_planned_first():
    """Size (weights) times the epochs a training may run (the recipes run 30, the rows up to 100); a row
    and its report-rule twin are one training."""
    names = ["momentum_b128", "topology_improved", "hidden_64", "hidden_256", "regularisation_improved"]
    groups = parallel.training_groups([experiments.EXPERIMENTS[n] for n in names])
    assert [g[0].name for g in groups] == ["topology_improved", "hidden_256", "regularisation_improved",
                                           "momentum_b128", "hidden_64"]
    pair = parallel.training_groups([experiments.EXPERIMENTS["relu"], experiments.EXPERIMENTS["relu_report_rule"]])
    assert len(pair) == 1 and len(pair[0]) == 2                           # one training for both rules
    quick = experiments.Config(epochs=100)
    assert parallel.work(quick, quick=True) * 100 == parallel.work(quick) * experiments.QUICK["max_epochs"]


def progress_after(seconds, finished, planned, capsys):
    """The bar's line once trainings of ``finished`` work ended ``seconds`` after the start."""
    bar = parallel.Progress(len(planned), 0, sum(planned), enabled=True, every=60)
    bar.bar.start_t -= seconds                        # as if the bar had started ``seconds`` ago
    for work in finished:
        bar.update(1, work)
    line = str(bar.bar)
    bar.close()
    capsys.readouterr()
    return line


def test_the_time_left_is_unknown_until_a_training_ends(capsys):
    assert progress_after(30, [], [40] * 6, capsys).endswith("00:30<?")


def test_the_time_left_is_the_work_still_planned_at_the_measured_speed(capsys):
    """Six equal trainings, the first done in 40 s: five remain, 200 s at that speed (never a few seconds)."""
    line = progress_after(40, [40], [40] * 6, capsys)
    assert line.startswith("runs: 1/6") and line.endswith("00:40<03:20")


def test_a_short_training_ending_first_does_not_hide_a_long_one(capsys):
    """On two workers a 40-unit training ends before the 400-unit one beside it: the time left still
    counts the long one (440 units at 1 unit/s), not two more short runs."""
    line = progress_after(40, [40], [400, 40, 40], capsys)
    assert line.endswith("00:40<07:20")


def test_nothing_to_train_is_a_full_bar(capsys):
    bar = parallel.Progress(3, 3, 0, enabled=True, every=60)
    line = str(bar.bar)
    bar.close()
    assert line.startswith("runs: 3/3 |██████████|")
