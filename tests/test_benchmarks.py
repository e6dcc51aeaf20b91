"""The benchmark scripts run and print their tables (no time is ever asserted)."""
import runpy
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name):
    return runpy.run_path(str(BENCHMARKS / f"{name}.py"), run_name="benchmark_under_test")


def test_epoch_benchmark_runs_and_prints_its_table(capsys):
    main = load("epoch")["main"]
    assert main(["--rows", "300", "--hidden", "16", "24", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for label in ("3072-16-10", "3072-24-10", "300 rows, 3 minibatches", "training epoch (s)",
                  "matmul floor (s)", "ratio", "target ratio", "numpy"):
        assert label in out
    with pytest.raises(SystemExit):
        main(["--repeats", "0"])
    assert sys.modules.get("benchmark_under_test") is None
