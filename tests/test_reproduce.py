"""``reproduce`` (issue 9 items 3, 5 and 6): only a full-scale run of every experiment writes the
committed results/ and figures/; "(cached)" means from the run cache; results.md describes the data
actually used. The runs themselves are faked: these tests are about where things are written."""
import pandas as pd
import pytest

from mlp_helpers import experiments, settings
from mlp_helpers.__main__ import main as cli
from mlp_helpers.experiments import reproduce

SENTINEL = "the committed table of a full run\n"


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """settings' folders moved into tmp_path, the committed ones holding a sentinel file."""
    paths = {name: tmp_path / name.lower() for name in
             ("RESULTS_DIR", "FIGURES_DIR", "QUICK_RESULTS_DIR", "QUICK_FIGURES_DIR", "RUNS_DIR")}
    for name, path in paths.items():
        monkeypatch.setattr(settings, name, path)
    paths["RESULTS_DIR"].mkdir()
    (paths["RESULTS_DIR"] / "results.csv").write_text(SENTINEL)
    paths["FIGURES_DIR"].mkdir()
    (paths["FIGURES_DIR"] / "reproduce_momentum.png").write_text(SENTINEL)
    monkeypatch.delenv(settings.QUICK_ENV, raising=False)
    return paths


@pytest.fixture
def fake_runs(monkeypatch, tmp_path):
    """``run`` replaced by an instant fake (runs whose name starts with 'l' come 'from the cache');
    the data folder is a tmp copy with a PROVENANCE.md. Returns the calls made."""
    calls = []

    def fake_run(name, *, quick=None, force=False, progress=True):
        calls.append((name, quick))
        history = pd.DataFrame({"epoch": [1, 2], "train_loss": [2.0, 1.8], "train_acc": [0.2, 0.3],
                                "val_loss": [2.1, 1.9], "val_acc": [0.25, 0.35], "lr": [0.01, 0.01],
                                "seconds": [0.1, 0.1]})
        cached = name.startswith("l")
        return experiments.RunResult(experiments.EXPERIMENTS[name], history, 2, "completed", 1.9, 0.35,
                                     0.2 if not cached else 300.0, bool(quick), cached=cached,
                                     data_source="fp-1234")
    monkeypatch.setattr(reproduce, "run", fake_run)
    copy = tmp_path / "some_cifar_copy"
    (copy / "cifar-10-batches-py").mkdir(parents=True)
    (copy / "PROVENANCE.md").write_text("# Provenance of this test copy\n")
    monkeypatch.setattr(reproduce, "data_folder", lambda: copy)
    return calls


def committed_untouched(folders):
    assert (folders["RESULTS_DIR"] / "results.csv").read_text() == SENTINEL
    assert not (folders["RESULTS_DIR"] / "results.md").exists()
    assert (folders["FIGURES_DIR"] / "reproduce_momentum.png").read_text() == SENTINEL
    assert sorted(p.name for p in folders["FIGURES_DIR"].iterdir()) == ["reproduce_momentum.png"]


def test_a_partial_full_scale_run_never_overwrites_the_committed_table(folders, fake_runs, capsys):
    assert cli(["reproduce", "--full", "momentum_b128", "relu"]) == 0
    committed_untouched(folders)
    table = pd.read_csv(folders["QUICK_RESULTS_DIR"] / "results.csv")
    assert table["experiment"].tolist() == ["momentum_b128", "relu"]
    assert (folders["QUICK_FIGURES_DIR"] / "reproduce_momentum.png").is_file()
    assert "partial run" in capsys.readouterr().out


def test_a_quick_run_of_everything_never_overwrites_the_committed_table(folders, fake_runs):
    assert cli(["reproduce", "--quick"]) == 0
    committed_untouched(folders)
    assert len(pd.read_csv(folders["QUICK_RESULTS_DIR"] / "results.csv")) == len(experiments.EXPERIMENTS)
    assert {quick for _, quick in fake_runs} == {True}


def test_MLP_QUICK_alone_makes_the_command_line_quick(folders, fake_runs, monkeypatch):
    monkeypatch.setenv(settings.QUICK_ENV, "1")
    assert cli(["reproduce"]) == 0
    assert {quick for _, quick in fake_runs} == {True}
    committed_untouched(folders)


def test_a_full_run_of_everything_writes_the_committed_table_and_figures(folders, fake_runs, monkeypatch):
    monkeypatch.setenv(settings.QUICK_ENV, "1")             # --full wins over the environment
    assert cli(["reproduce", "--full"]) == 0
    assert {quick for _, quick in fake_runs} == {False}
    table = pd.read_csv(folders["RESULTS_DIR"] / "results.csv")
    assert table["experiment"].tolist() == list(experiments.EXPERIMENTS)
    questions = {e.question for e in experiments.EXPERIMENTS.values()}
    assert {p.name for p in folders["FIGURES_DIR"].iterdir()} == {f"reproduce_{q}.png" for q in questions}
    assert (folders["FIGURES_DIR"] / "reproduce_momentum.png").read_bytes()[:4] == b"\x89PNG"
    assert not folders["QUICK_RESULTS_DIR"].exists()


def test_cached_is_printed_for_runs_from_the_cache_only(folders, fake_runs, capsys):
    cli(["reproduce", "--full", "momentum_b128", "l2_1e-4", "relu", "l1_1e-2"])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "test accuracy" in line]
    assert ["(cached)" in line for line in lines] == [False, True, False, True]


def test_results_md_describes_the_data_actually_used(folders, fake_runs):
    cli(["reproduce", "--full", "momentum_b128"])
    text = (folders["QUICK_RESULTS_DIR"] / "results.md").read_text()
    assert "`some_cifar_copy`" in text and "`fp-1234`" in text and "Provenance of this test copy" in text
    assert "JPEG" not in text
