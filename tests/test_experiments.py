"""Experiments: the named configs, running and reloading a run, the results tables and the data note."""
import json
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mlp_helpers import experiments
from mlp_helpers.data import protocol
from mlp_helpers.experiments import runner
from mlp_helpers.experiments.configs import experiment_kind
from mlp_helpers.experiments.results import results_table
from mlp_helpers.reproduction.files import data_note, targets_table, write_tables


def tiny_data(seed=0, n=120, d=3072, source="fingerprint-A"):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = rng.integers(0, 10, n)
    return SimpleNamespace(x_train=x[:80], y_train=y[:80], x_val=x[80:100], y_val=y[80:100],
                           x_test=x[100:], y_test=y[100:], source=source)


@pytest.fixture
def fake_data(monkeypatch):
    monkeypatch.setattr(protocol, "protocol_dataset", lambda normalisation="per_image", quick=None: tiny_data())
    monkeypatch.setattr(runner, "data_source", lambda config: "fingerprint-A")


def small(**overrides):
    return experiments.Config(**{"hidden": (8,), "epochs": 2, "patience": None, **overrides})


def test_config_key_changes_with_every_field():
    base = experiments.Config()
    assert base.key() == experiments.Config().key()
    for field, value in [("lr", 0.1), ("hidden", (64,)), ("penalty", "l2"), ("seed", 1), ("augment_flip", True)]:
        assert replace(base, **{field: value}).key() != base.key()


def test_config_checks_its_values_and_normalises_hidden():
    assert experiments.Config(hidden=[64, 32]).hidden == (64, 32)
    assert experiments.Config(hidden=[64]).key() == experiments.Config(hidden=(64,)).key()
    for bad in [dict(lr=0), dict(momentum=1.0), dict(batch_size=0), dict(hidden=(0,)), dict(lam=-1.0),
                dict(activation="swish"), dict(penalty="l3"), dict(normalisation="none"), dict(epochs=True)]:
        with pytest.raises(ValueError):
            experiments.Config(**bad)


def test_describe_names_only_what_differs():
    assert "base" in experiments.Config().describe()
    assert experiments.Config(penalty="l2", lam=0.01).describe() == "penalty=l2, lam=0.01"


def test_report_rows_carry_the_reports_numbers():
    assert experiments.EXPERIMENTS["momentum_b128"].report_acc == 40.97
    assert experiments.EXPERIMENTS["l1_1e-2"].config.penalty == "l1"
    assert experiments.EXPERIMENTS["l1_1e-2"].config.lam == 1e-2
    for q in experiments.QUESTIONS:
        kinds = {experiment_kind(e) for e in experiments.experiments_for(q)}
        assert {"report", "improved"} <= kinds
    with pytest.raises(ValueError, match="unknown question"):
        experiments.experiments_for("dropout")


def test_run_trains_caches_and_reloads(fake_data, tmp_path):
    config = small(epochs=3)
    first = experiments.run(config, quick=False, cache_dir=tmp_path, progress=False)
    assert first.epochs_run == 3 and 0 <= first.test_acc <= 1 and not first.cached
    (folder,) = tmp_path.iterdir()
    summary = json.loads((folder / "result.json").read_text())
    assert summary["key"]["config"]["hidden"] == [8]
    again = experiments.run(config, quick=False, cache_dir=tmp_path, progress=False)
    assert again.cached and again.test_acc == first.test_acc
    assert again.history.equals(first.history)
    np.testing.assert_array_equal(again.params["W1"], first.params["W1"])
    np.testing.assert_array_equal(again.model().params["W2"], first.params["W2"])


def test_the_flip_augmentation_reaches_fit(fake_data, tmp_path, monkeypatch):
    seen = []
    real_fit = runner.fit

    def spy(*args, **kwargs):
        seen.append(kwargs["augment"])
        return real_fit(*args, **kwargs)
    monkeypatch.setattr(runner, "fit", spy)
    experiments.train_config(small(augment_flip=True), tiny_data(), progress=False)
    experiments.train_config(small(), tiny_data(), progress=False)
    assert seen == [runner.flip_half, None]


def test_best_row_is_the_best_epochs_row(fake_data, tmp_path):
    result = experiments.run(small(epochs=3), quick=False, cache_dir=tmp_path, progress=False)
    result.best_epoch = 2
    assert result.best_row()["epoch"] == 2
    assert result.best_row()["val_acc"] == result.history.set_index("epoch").loc[2, "val_acc"]
    result.best_epoch = 0
    assert result.best_row() is None


def test_an_interrupted_run_is_not_cached(fake_data, tmp_path, monkeypatch):
    real_fit = runner.fit

    def interrupted_fit(*args, **kwargs):
        result = real_fit(*args, **kwargs)
        result.stop_reason = "interrupted"
        return result
    monkeypatch.setattr(runner, "fit", interrupted_fit)
    result = experiments.run(small(), quick=False, cache_dir=tmp_path, progress=False)
    assert result.stop_reason == "interrupted"
    assert list(tmp_path.iterdir()) == []


def test_results_table_puts_the_report_beside_ours(fake_data, tmp_path):
    exp = experiments.EXPERIMENTS["momentum_b128"]
    tiny = experiments.Experiment(exp.name, exp.question, replace(exp.config, hidden=(8,), epochs=2),
                                  exp.report_acc)
    table = results_table([experiments.run(tiny, quick=False, cache_dir=tmp_path, progress=False)])
    row = table.iloc[0]
    assert row["report_acc_%"] == 40.97
    assert row["difference"] == pytest.approx(row["test_acc_%"] - 40.97, abs=0.011)
    assert row["kind"] == "report"


def test_targets_table_takes_the_best_row_of_each_kind_by_value():
    table = pd.DataFrame([
        {"experiment": "a", "question": "q", "kind": "report", "report_acc_%": 40.0, "test_acc_%": 30.0},
        {"experiment": "b", "question": "q", "kind": "report", "report_acc_%": 45.0, "test_acc_%": 31.0},
        {"experiment": "c", "question": "q", "kind": "improved", "report_acc_%": None, "test_acc_%": 50.0},
        {"experiment": "d", "question": "q", "kind": "improved", "report_acc_%": None, "test_acc_%": 52.5},
    ])
    (row,) = targets_table(table).to_dict("records")
    assert row["report's best row"] == "b" and row["our recipe"] == "d" and row["margin"] == 7.5


def test_unknown_experiment_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown experiment 'nope'"):
        experiments.run("nope")


def test_the_same_config_under_another_name_reuses_the_cached_run(fake_data, tmp_path, monkeypatch):
    config = small()
    first = experiments.run(experiments.Experiment("first", "x", config), quick=False, cache_dir=tmp_path,
                            progress=False)
    monkeypatch.setattr(runner, "train_config", lambda *a, **k: pytest.fail("should have used the cache"))
    second = experiments.run(experiments.Experiment("second", "x", config, report_acc=50.0), quick=False,
                             cache_dir=tmp_path, progress=False)
    assert second.name == "second" and second.test_acc == first.test_acc and second.cached
    assert results_table([second]).iloc[0]["report_acc_%"] == 50.0


# ---- the data note describes the data actually used -----------------------------------------
def test_the_data_note_names_the_folder_the_fingerprint_and_its_provenance(tmp_path):
    copy = tmp_path / "my_cifar_copy"
    (copy / "cifar-10-batches-py").mkdir(parents=True)
    (copy / "PROVENANCE.md").write_text("\n# A re-encoded copy of CIFAR-10\n\nDetails.\n")
    for folder in (copy, copy / "cifar-10-batches-py"):      # CIFAR10_DIR, or the batches folder itself
        note = data_note(folder, ["abc123", "abc123"])
        assert "`my_cifar_copy`" in note and "`abc123`" in note
        assert "A re-encoded copy of CIFAR-10" in note and "PROVENANCE.md" in note


def test_the_data_note_claims_nothing_without_a_provenance_file(tmp_path):
    (tmp_path / "data" / "cifar-10-batches-py").mkdir(parents=True)
    note = data_note(tmp_path / "data", ["f1"])
    assert "`data`" in note and "`f1`" in note and "No PROVENANCE.md" in note
    assert "JPEG" not in note and "shared" not in note


def test_write_tables_puts_the_note_in_results_md(tmp_path):
    table = pd.DataFrame([{"experiment": "a", "question": "q", "kind": "custom", "report_acc_%": None,
                           "test_acc_%": 50.0}])
    write_tables(table, tmp_path, note="Data: NOTE-XYZ.")
    assert "Data: NOTE-XYZ." in (tmp_path / "results.md").read_text()
    assert pd.read_csv(tmp_path / "results.csv")["experiment"].tolist() == ["a"]
