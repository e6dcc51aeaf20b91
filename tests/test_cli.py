"""The command line: --help lists only commands that exist, --quick/--full
against MLP_QUICK, and a DataError printed as one line with exit code 1."""
import pytest

import mlp_helpers.data
from mlp_helpers import settings
from mlp_helpers.__main__ import main as cli
from mlp_helpers.data import DataError
from mlp_helpers.reproduction import reproduce


def test_help_advertises_only_the_commands_that_exist(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "reproduce" in out and "data" in out
    assert "{reproduce,reproduce-conventions,data}" in out and "bench," not in out and ",bench" not in out
    with pytest.raises(SystemExit) as exit_:
        cli(["bench"])
    assert exit_.value.code == 2


def test_reproduce_help_shows_the_scale_flags(capsys):
    with pytest.raises(SystemExit):
        cli(["reproduce", "--help"])
    out = capsys.readouterr().out
    assert "--quick" in out and "--full" in out and "--force" in out and "MLP_QUICK" in out
    assert "--jobs" in out and "--scheduler" in out and "--cache-dir" in out


def test_quick_and_full_exclude_each_other():
    with pytest.raises(SystemExit) as exit_:
        cli(["reproduce", "--quick", "--full"])
    assert exit_.value.code == 2


@pytest.mark.parametrize("env, flags, expected", [
    (None, [], False), ("1", [], True), ("0", [], False), ("yes", [], True),
    ("1", ["--full"], False), ("0", ["--quick"], True), (None, ["--quick"], True), (None, ["--full"], False)])
def test_the_flag_wins_else_MLP_QUICK_else_full_scale(monkeypatch, env, flags, expected):
    if env is None:
        monkeypatch.delenv(settings.QUICK_ENV, raising=False)
    else:
        monkeypatch.setenv(settings.QUICK_ENV, env)
    seen = {}

    def fake_main(names, *, quick, force, list_only, **kwargs):
        seen.update(names=names, quick=quick, force=force)
        return 0
    monkeypatch.setattr(reproduce, "main", fake_main)
    assert cli(["reproduce", *flags, "relu", "--force"]) == 0
    assert seen == {"names": ["relu"], "quick": expected, "force": True}


def test_a_nonsense_MLP_QUICK_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv(settings.QUICK_ENV, "maybe")
    assert cli(["reproduce", "relu"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "MLP_QUICK" in err


def test_a_data_error_is_one_line_with_its_advice_and_exit_code_1(monkeypatch, capsys):
    advice = "CIFAR-10 is not in /nowhere. Set CIFAR10_DIR to the folder that holds cifar-10-batches-py/."

    def missing(*args, **kwargs):
        raise DataError(advice)
    monkeypatch.setattr(reproduce, "main", missing)
    assert cli(["reproduce", "--quick", "relu"]) == 1
    monkeypatch.setattr(mlp_helpers.data, "locate_cifar10", missing)
    assert cli(["data"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines == [f"error: {advice}"] * 2 and "Traceback" not in captured.err + captured.out


def test_the_data_command_prints_shapes_and_fingerprint(monkeypatch, capsys, tmp_path):
    from types import SimpleNamespace

    import numpy as np
    raw = SimpleNamespace(x_train=np.zeros((50, 3072), np.uint8), x_test=np.zeros((10, 3072), np.uint8))
    monkeypatch.setattr(mlp_helpers.data, "locate_cifar10", lambda *a, **k: tmp_path)
    monkeypatch.setattr(mlp_helpers.data, "load_raw_cifar10", lambda *a, **k: raw)
    monkeypatch.setattr(mlp_helpers.data, "data_fingerprint", lambda folder: "fp-42")
    assert cli(["data"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out and "(50, 3072)" in out and "fp-42" in out


def test_list_and_unknown_names(capsys, monkeypatch):
    monkeypatch.delenv(settings.QUICK_ENV, raising=False)
    assert cli(["reproduce", "--list"]) == 0
    assert "momentum_b128" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="unknown experiment"):
        cli(["reproduce", "not_an_experiment"])


def test_reproduce_conventions_takes_the_run_options(monkeypatch):
    from mlp_helpers.reproduction import study
    asked = {}
    monkeypatch.setattr(study, "main", lambda **kwargs: asked.update(kwargs) or 0)
    assert cli(["reproduce-conventions", "--quick", "--jobs", "1", "--cache-dir", "somewhere"]) == 0
    assert asked["quick"] is True and asked["jobs"] == 1 and asked["cache_dir"] == "somewhere"


def test_a_malformed_dask_address_is_one_line(capsys, monkeypatch, tmp_path):
    pytest.importorskip("distributed")
    from mlp_helpers.experiments import runner
    monkeypatch.setattr(runner, "data_source", lambda config: "")      # nothing cached: it must dispatch
    assert cli(["reproduce", "--quick", "--scheduler", "not an address", "--cache-dir", str(tmp_path),
                "hidden_64"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: 'not an address' is not a Dask scheduler address") and "tcp://" in err[-1]
