"""The published runs (results/histories.csv.gz): written atomically, found only by the whole configuration,
at full scale and when not retraining, and in agreement with the committed results table."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from mlp_helpers import settings
from mlp_helpers.experiments import EXPERIMENTS, committed_results, runner
from mlp_helpers.experiments.runner import RunResult
from mlp_helpers.store import published


def fake_run(name="momentum_b128", seed=0, acc=0.4321, epochs=3):
    experiment = EXPERIMENTS[name].with_seed(seed)
    history = pd.DataFrame({"epoch": range(1, epochs + 1), "train_loss": np.linspace(2.0, 1.5, epochs),
                            "train_acc": 0.3, "val_loss": 1.9, "val_acc": np.linspace(0.3, 0.4, epochs),
                            "lr": 0.01, "seconds": 1.5})
    params = {"W1": np.full((3072, 128), seed + 1, np.float32), "b1": np.zeros(128, np.float32),
              "W2": np.ones((128, 10), np.float32), "b2": np.zeros(10, np.float32)}
    return RunResult(experiment, history, 2, "early_stopping", 1.6, acc, 4.5, False, params,
                     data_source="abc", cpu_seconds=4.0)


@pytest.fixture
def shelf(tmp_path, monkeypatch):
    """Published runs written to a temporary folder, and the package pointed at them."""
    monkeypatch.setattr(settings, "RESULTS_DIR", tmp_path)
    runs = [fake_run(seed=0), fake_run(seed=1, acc=0.4), fake_run("l2_1e-2", seed=0, acc=0.41)]
    path = published.write(runs)
    assert path == tmp_path / "histories.csv.gz"
    monkeypatch.delenv(published.RETRAIN_ENV, raising=False)
    published.use(None)
    yield path, runs
    published.use(None)


def test_a_published_run_comes_back_as_written(shelf):
    _, runs = shelf
    found = published.find(runs[1].config)
    assert found.summary["test_acc"] == pytest.approx(0.4)
    assert found.summary["best_epoch"] == 2 and found.summary["stop_reason"] == "early_stopping"
    pd.testing.assert_frame_equal(found.history, runs[1].history, check_dtype=False)
    assert found.params == {}                          # seed 1: no weights shipped
    weights = published.find(runs[0].config).params    # seed 0 of a WEIGHTS_FOR experiment
    assert np.array_equal(weights["W1"], runs[0].params["W1"])


def test_only_the_exact_configuration_is_served(shelf):
    _, runs = shelf
    base = runs[0].config
    assert published.find(replace(base, seed=7)) is None
    assert published.find(replace(base, lr=0.02)) is None
    assert published.find(replace(base, momentum=0.5)) is None


def test_retraining_switches_published_runs_off(shelf, monkeypatch):
    _, runs = shelf
    published.use(False)
    assert published.find(runs[0].config) is None
    published.use(None)
    monkeypatch.setenv(published.RETRAIN_ENV, "1")
    assert published.find(runs[0].config) is None
    monkeypatch.setenv(published.RETRAIN_ENV, "maybe")
    with pytest.raises(ValueError, match="MLP_RETRAIN"):
        published.find(runs[0].config)


def test_lookup_serves_published_runs_at_full_scale_only(shelf, tmp_path):
    _, runs = shelf
    full = runner.lookup(runs[0].experiment, quick=False, cache_dir=tmp_path / "cache")
    assert full.published and full.cached and full.test_acc == pytest.approx(0.4321)
    assert full.model().params["W1"][0, 0] == 1
    assert runner.lookup(runs[0].experiment, quick=True, cache_dir=tmp_path / "cache") is None
    without_weights = runner.lookup(runs[1].experiment, quick=False, cache_dir=tmp_path / "cache")
    with pytest.raises(ValueError, match="ships without weights"):
        without_weights.model()


def test_quick_runs_are_never_published(tmp_path):
    with pytest.raises(ValueError, match="quick run"):
        published.write([replace(fake_run(), quick=True)], tmp_path / "h.csv.gz")


def test_a_failed_write_keeps_the_previous_file(shelf, monkeypatch):
    path, runs = shelf
    before = path.read_bytes()
    monkeypatch.setattr(published, "_gzipped_csv", lambda table: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        published.write(runs, path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def test_the_same_runs_give_the_same_bytes(tmp_path):
    runs = [fake_run(seed=0), fake_run(seed=1)]
    a, b = published.write(runs, tmp_path / "a.csv.gz"), published.write(runs[::-1], tmp_path / "b.csv.gz")
    assert a.read_bytes() == b.read_bytes()


def test_the_shipped_runs_are_the_committed_table(monkeypatch):
    """Every row of results/results.csv has its published run, with the same test accuracy and epochs."""
    monkeypatch.delenv(published.RETRAIN_ENV, raising=False)
    published.use(None)
    table = committed_results().rename(columns={"test_acc_%": "test_acc_pct"})
    from mlp_helpers.experiments import conventions
    plan = {(e.name, e.conventions): e for e in
            list(EXPERIMENTS.values()) + conventions.single_runs()
            + conventions.combined_runs(()) + conventions.described_runs()}
    for row in table.itertuples():
        experiment = plan[(row.experiment, row.conventions)].with_seed(row.seed)
        found = published.find(experiment.config)
        assert found is not None, (row.experiment, row.conventions, row.seed)
        assert round(100 * found.summary["test_acc"], 2) == pytest.approx(row.test_acc_pct, abs=0.006)
        assert len(found.history) == row.epochs_run and found.summary["best_epoch"] == row.best_epoch


def test_publishing_more_runs_keeps_the_others(shelf):
    path, runs = shelf
    published.write([fake_run("l1_1e-2", seed=0, acc=0.45), fake_run(seed=1, acc=0.39)], path)
    assert published.find(runs[0].config).summary["test_acc"] == pytest.approx(0.4321)       # kept
    assert published.find(runs[1].config).summary["test_acc"] == pytest.approx(0.39)         # replaced
    assert published.find(EXPERIMENTS["l1_1e-2"].with_seed(0).config).summary["test_acc"] == pytest.approx(0.45)


def test_the_setting_line_says_where_runs_come_from(monkeypatch, capsys):
    monkeypatch.setenv("MLP_QUICK", "0")
    published.setting(retrain=False)
    assert "load from the published results" in capsys.readouterr().out and published.in_use()
    published.setting(retrain=True)
    assert "RETRAIN is on" in capsys.readouterr().out and not published.in_use()
    monkeypatch.setenv("MLP_QUICK", "1")
    published.setting()
    assert "QUICK" in capsys.readouterr().out
    published.use(None)


def test_run_can_refuse_the_published_runs(shelf, tmp_path, monkeypatch):
    """run(..., published=False) compares like with like: it goes to the run cache (then trains)."""
    _, runs = shelf
    trained = []
    monkeypatch.setattr(runner, "train_runs", lambda experiments, **kw: trained.append(experiments) or [runs[0]])
    monkeypatch.setattr(runner, "store", lambda *a, **k: None)
    assert runner.run(runs[0].experiment, quick=False, cache_dir=tmp_path / "c").published
    assert trained == []
    runner.run(runs[0].experiment, quick=False, cache_dir=tmp_path / "c", published=False)
    assert len(trained) == 1
