"""Experiments: configs, the run cache (resume, no half-written runs), the results table, the CLI."""
import json
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from mlp_helpers import experiments as E
from mlp_helpers.__main__ import main as cli


def tiny_data(seed=0, n=120, d=3072):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = rng.integers(0, 10, n)
    return SimpleNamespace(x_train=x[:80], y_train=y[:80], x_val=x[80:100], y_val=y[80:100],
                           x_test=x[100:], y_test=y[100:])


@pytest.fixture
def fake_data(monkeypatch):
    monkeypatch.setattr(E, "load_data", lambda normalisation="per_image", quick=None: tiny_data())


def test_config_key_changes_with_every_field():
    base = E.Config()
    assert base.key() == E.Config().key()
    for field, value in [("lr", 0.1), ("hidden", (64,)), ("penalty", "l2"), ("seed", 1), ("augment_flip", True)]:
        assert replace(base, **{field: value}).key() != base.key()


def test_describe_names_only_what_differs():
    assert "base" in E.Config().describe()
    assert E.Config(penalty="l2", lam=0.01).describe() == "penalty=l2, lam=0.01"


def test_report_rows_carry_the_reports_numbers():
    assert E.EXPERIMENTS["momentum_b128"].report_acc == 40.97
    assert E.EXPERIMENTS["l1_1e-2"].config.penalty == "l1"
    assert E.EXPERIMENTS["l1_1e-2"].config.lam == 1e-2
    for q in E.QUESTIONS:
        kinds = {E._kind(e) for e in E.experiments_for(q)}
        assert {"report", "improved"} <= kinds
    with pytest.raises(ValueError, match="unknown question"):
        E.experiments_for("dropout")


def test_run_trains_caches_and_reloads(fake_data, tmp_path):
    config = E.Config(hidden=(8,), epochs=3, patience=None)
    first = E.run(config, quick=False, cache_dir=tmp_path, progress=False)
    assert first.epochs_run == 3 and 0 <= first.test_acc <= 1
    (folder,) = tmp_path.iterdir()
    summary = json.loads((folder / "result.json").read_text())
    assert summary["config"]["hidden"] == [8]
    again = E.run(config, quick=False, cache_dir=tmp_path, progress=False)
    assert again.test_acc == first.test_acc
    assert again.history.equals(first.history)
    np.testing.assert_array_equal(again.params["W1"], first.params["W1"])
    np.testing.assert_array_equal(again.model().params["W2"], first.params["W2"])


def test_a_half_written_run_is_ignored_and_redone(fake_data, tmp_path, monkeypatch):
    config = E.Config(hidden=(8,), epochs=2, patience=None)

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(E.np, "savez", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        E.run(config, quick=False, cache_dir=tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []          # no partial run folder left behind
    monkeypatch.undo()
    monkeypatch.setattr(E, "load_data", lambda normalisation="per_image", quick=None: tiny_data())
    assert E.run(config, quick=False, cache_dir=tmp_path, progress=False).epochs_run == 2


def test_an_interrupted_run_is_not_cached(fake_data, tmp_path, monkeypatch):
    real_fit = E.fit

    def interrupted_fit(*args, **kwargs):
        result = real_fit(*args, **kwargs)
        result.stop_reason = "interrupted"
        return result
    monkeypatch.setattr(E, "fit", interrupted_fit)
    result = E.run(E.Config(hidden=(8,), epochs=2), quick=False, cache_dir=tmp_path, progress=False)
    assert result.stop_reason == "interrupted"
    assert list(tmp_path.iterdir()) == []


def test_results_table_puts_the_report_beside_ours(fake_data, tmp_path):
    exp = E.EXPERIMENTS["momentum_b128"]
    quick_exp = E.Experiment(exp.name, exp.question, replace(exp.config, hidden=(8,), epochs=2), exp.report_acc)
    table = E.results_table([E.run(quick_exp, quick=False, cache_dir=tmp_path, progress=False)])
    row = table.iloc[0]
    assert row["report_acc_%"] == 40.97
    assert row["difference"] == pytest.approx(row["test_acc_%"] - 40.97, abs=0.011)
    assert row["kind"] == "report"


def test_unknown_experiment_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown experiment 'nope'"):
        E.run("nope")


def test_cli_lists_and_rejects_unknown_names(capsys):
    assert cli(["reproduce", "--list"]) == 0
    assert "momentum_b128" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="unknown experiment"):
        cli(["reproduce", "not_an_experiment"])


def test_quick_mode_reads_the_environment(monkeypatch):
    monkeypatch.setenv(E.QUICK_ENV, "1")
    assert E.quick_mode()
    monkeypatch.setenv(E.QUICK_ENV, "0")
    assert not E.quick_mode()


def test_the_same_config_under_another_name_reuses_the_cached_run(fake_data, tmp_path, monkeypatch):
    config = E.Config(hidden=(8,), epochs=2, patience=None)
    first = E.run(E.Experiment("first", "x", config), quick=False, cache_dir=tmp_path, progress=False)
    monkeypatch.setattr(E, "train_config", lambda *a, **k: pytest.fail("should have used the cache"))
    second = E.run(E.Experiment("second", "x", config, report_acc=50.0), quick=False,
                   cache_dir=tmp_path, progress=False)
    assert second.name == "second" and second.test_acc == first.test_acc
    assert E.results_table([second]).iloc[0]["report_acc_%"] == 50.0
