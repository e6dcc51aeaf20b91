"""The benchmark scripts run and print their tables (no time is ever asserted)."""
import runpy
import sys
from pathlib import Path

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name):
    return runpy.run_path(str(BENCHMARKS / f"{name}.py"), run_name="benchmark_under_test")


def test_epoch_benchmark_runs_and_prints_its_table(capsys):
    main = load("epoch")["main"]
    assert main(["--rows", "300", "--hidden", "16", "24", "--threads", "1", "2", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for label in ("3072-16-10", "3072-24-10", "300 rows, 3 minibatches", "BLAS threads", "training epoch (s)",
                  "matmul floor (s)", "ratio", "(budget 1.35)", "L2 epoch / epoch", "L1 epoch / epoch",
                  "(budget 1.05; l2 lambda 0.0001)", "numpy"):
        assert label in out
    for bad in (["--repeats", "0"], ["--threads", "0"]):
        with pytest.raises(SystemExit):
            main(bad)
    assert sys.modules.get("benchmark_under_test") is None


def test_reproduce_floor_counts_a_row_and_its_twin_as_one_training(tmp_path, capsys):
    bench = load("reproduce_floor")
    runs = pd.DataFrame({"experiment": ["hidden_64", "hidden_64_report_rule", "hidden_64", "base_he",
                                        "momentum_b128+per_channel"],
                         "seed": [0, 0, 1, 0, 0], "epochs_run": [9, 14, 7, 8, 30]})
    table = bench["trainings"](runs)
    assert sorted(table["epochs"]) == [7, 8, 14]      # seed 0's row and twin: one training; no conventions run
    path = tmp_path / "results.csv"
    runs.iloc[:1].to_csv(path, index=False)
    assert bench["main"](["--results", str(path), "--cores", "2", "--sample-epochs", "0"]) == 0
    out = capsys.readouterr().out
    assert "3072-64-10" in out and "1 trainings, 9 epochs" in out and "budget 25 min" in out
    assert "sample" not in out


def test_the_reproduction_sample_trains_each_run_as_the_reproduction_does():
    sample = load("reproduce_floor")["sample_ratio"](("momentum_b128", "abl_l2"), epochs=1, n_train=256, n_val=64)
    assert list(sample["experiment"]) == ["momentum_b128", "abl_l2"] and list(sample["epochs"]) == [1, 1]
    assert list(sample["network"]) == ["3072-128-10", "3072-128-10"]
    assert (sample[["epochs (s)", "start-up (s)", "products (s)"]] > 0).all().all()
