"""``reproduce``: only a full-scale run of every experiment writes
the committed results/ and figures/; "(cached)" means from the run cache; results.md describes the data
actually used and gives every experiment's seeds, intervals and ablations. The runs themselves are
faked: these tests are about what is written where."""
import runpy
from pathlib import Path

import pandas as pd
import pytest

from mlp_helpers import experiments, settings
from mlp_helpers.__main__ import main as cli
from mlp_helpers.experiments.runner import RunResult
from mlp_helpers.reproduction import reproduce

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


def fake_result(name, seed, quick):
    history = pd.DataFrame({"epoch": [1, 2], "train_loss": [2.0, 1.8], "train_acc": [0.2, 0.3],
                            "val_loss": [2.1, 1.9], "val_acc": [0.25, 0.35], "lr": [0.01, 0.01],
                            "seconds": [0.1, 0.1]})
    cached = name.startswith("l")
    acc = 0.35 + 0.001 * seed + 0.05 * experiments.EXPERIMENTS[name].config.augment_flip
    return RunResult(experiments.EXPERIMENTS[name].with_seed(seed), history, 2, "completed", 1.9, acc,
                                 0.2 if not cached else 300.0, bool(quick), cached=cached, data_source="fp-1234")


@pytest.fixture
def fake_runs(monkeypatch, tmp_path):
    """``run_many`` replaced by an instant fake (runs whose name starts with 'l' come 'from the cache');
    the data folder is a tmp copy with a PROVENANCE.md. Returns the (name, seed, quick) asked for."""
    calls = []

    def fake_run_many(items, *, jobs=None, scheduler=None, quick=None, force=False, progress=True, cache_dir=None,
                      published=True):
        calls.extend((name, seed, quick) for name, seed in items)
        return [fake_result(name, seed, quick) for name, seed in items]
    monkeypatch.setattr(reproduce, "run_many", fake_run_many)
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
    assert table["experiment"].tolist() == ["momentum_b128"] * 5 + ["relu"] * 5
    assert table["seed"].tolist() == [0, 1, 2, 3, 4] * 2
    assert (folders["QUICK_FIGURES_DIR"] / "reproduce_momentum.png").is_file()
    assert "partial run" in capsys.readouterr().out


@pytest.fixture
def no_figures(monkeypatch):
    """The figures skipped (drawing ten of them takes seconds): for tests about the tables."""
    import mlp_helpers.plots.spread
    monkeypatch.setattr(mlp_helpers.plots.spread, "save_reproduce_figures", lambda *args: [])


def test_a_quick_run_of_everything_never_overwrites_the_committed_table(folders, fake_runs, no_figures):
    assert cli(["reproduce", "--quick"]) == 0
    committed_untouched(folders)
    assert len(pd.read_csv(folders["QUICK_RESULTS_DIR"] / "results.csv")) == \
        sum(len(e.seeds) for e in experiments.EXPERIMENTS.values())
    assert {quick for _, _, quick in fake_runs} == {True}


def test_MLP_QUICK_alone_makes_the_command_line_quick(folders, fake_runs, monkeypatch, no_figures):
    monkeypatch.setenv(settings.QUICK_ENV, "1")
    assert cli(["reproduce"]) == 0
    assert {quick for _, _, quick in fake_runs} == {True}
    committed_untouched(folders)


def test_a_full_run_of_everything_writes_the_committed_table_and_figures(folders, fake_runs, monkeypatch):
    monkeypatch.setenv(settings.QUICK_ENV, "1")             # --full wins over the environment
    assert cli(["reproduce", "--full"]) == 0
    assert {quick for _, _, quick in fake_runs} == {False}
    table = pd.read_csv(folders["RESULTS_DIR"] / "results.csv")
    assert table["experiment"].tolist() == [n for n, e in experiments.EXPERIMENTS.items() for _ in e.seeds]
    assert table["seed"].tolist() == [s for e in experiments.EXPERIMENTS.values() for s in e.seeds]
    questions = {e.question for e in experiments.EXPERIMENTS.values() if e.kind in ("report", "evidence", "improved")}
    assert {p.name for p in folders["FIGURES_DIR"].iterdir()} == \
        {f"reproduce_{q}.png" for q in questions} | {f"reproduce_ablation_{q}.png" for q in experiments.ABLATIONS} \
        | {"reproduce_intervals.png"}
    assert (folders["FIGURES_DIR"] / "reproduce_momentum.png").read_bytes()[:4] == b"\x89PNG"
    assert not folders["QUICK_RESULTS_DIR"].exists()
    text = (folders["RESULTS_DIR"] / "results.md").read_text()
    for heading in ("Test-set noise", "under our stopping rule and under the report's", "Evidence runs",
                    "Measured here", "### momentum", "### topology", "Our recipes against", "seeds, mean, sd"):
        assert heading in text, heading
    assert "momentum_b128_report_rule" in text and "(1 seed)" in text
    shipped = pd.read_csv(folders["RESULTS_DIR"] / "histories.csv.gz")     # the published runs, every epoch
    assert len(shipped) == 2 * sum(len(e.seeds) for e in experiments.EXPERIMENTS.values())


def test_cached_is_printed_for_runs_from_the_cache_only(folders, fake_runs, capsys, no_figures):
    cli(["reproduce", "--full", "momentum_b128", "l2_1e-4", "relu", "l1_1e-2"])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "test accuracy" in line]
    assert ["(cached)" in line for line in lines] == [False, True, False, True]
    assert all("5 seed(s)" in line and "±" in line for line in lines)


def test_jobs_scheduler_and_cache_dir_reach_run_many(folders, monkeypatch, tmp_path, fake_runs, no_figures):
    seen = {}
    real = reproduce.run_many

    def spy(items, **kwargs):
        seen.update(kwargs)
        return real(items, **kwargs)
    monkeypatch.setattr(reproduce, "run_many", spy)
    assert cli(["reproduce", "--quick", "--jobs", "3", "--scheduler", "tcp://127.0.0.1:1", "--cache-dir",
                str(tmp_path / "c"), "relu"]) == 0
    assert seen["jobs"] == 3 and seen["scheduler"] == "tcp://127.0.0.1:1" and seen["cache_dir"] == str(tmp_path / "c")
    with pytest.raises(SystemExit) as exit_:
        cli(["reproduce", "--jobs", "0"])
    assert exit_.value.code == 2


def test_results_md_describes_the_data_actually_used(folders, fake_runs):
    cli(["reproduce", "--full", "momentum_b128"])
    text = (folders["QUICK_RESULTS_DIR"] / "results.md").read_text()
    assert "`some_cifar_copy`" in text and "`fp-1234`" in text and "Provenance of this test copy" in text
    assert "JPEG" not in text


def test_a_name_given_twice_runs_and_counts_once(folders, fake_runs):
    assert cli(["reproduce", "--quick", "hidden_64", "hidden_64"]) == 0
    assert sorted(fake_runs) == sorted(set(fake_runs)) and len(fake_runs) == 5


def test_ctrl_c_in_a_training_of_this_process_stops_the_reproduction(folders, monkeypatch, tmp_path, fake_train):
    """With --jobs 1 the training runs in this process, where fit turns Ctrl-C into an 'interrupted' run:
    the reproduction must stop (exit 130), not cache or tabulate it."""
    from dataclasses import replace as dc_replace

    from mlp_helpers.experiments import parallel
    trained = parallel.train_runs

    def interrupted(group, **kwargs):
        return [dc_replace(r, stop_reason="interrupted") for r in trained(group, **kwargs)]
    monkeypatch.setattr(parallel, "train_runs", interrupted)
    assert cli(["reproduce", "--quick", "--jobs", "1", "--cache-dir", str(tmp_path / "cache"), "hidden_64"]) == 130
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())
    assert not (folders["QUICK_RESULTS_DIR"] / "results.csv").exists()


def test_results_md_says_how_long_the_call_took_and_what_it_trained(folders, fake_runs):
    cli(["reproduce", "--full", "momentum_b128", "l2_1e-4"])
    text = (folders["QUICK_RESULTS_DIR"] / "results.md").read_text()
    time_section = text.split("## Time\n", 1)[1].split("\n## ", 1)[0]
    assert "Wall time" in time_section and "5 of 10 runs trained" in time_section


def test_the_timing_benchmark_counts_only_the_extra_epochs_of_report_rule_runs():
    from types import SimpleNamespace
    bench = runpy.run_path(str(Path(__file__).resolve().parents[1] / "benchmarks" / "reproduce_timing.py"),
                           run_name="benchmark_under_test")

    def result(name, seconds, cached=False, seed=0):
        return SimpleNamespace(name=name, seed=seed, seconds=seconds, cached=cached,
                               experiment=experiments.EXPERIMENTS[name], config=experiments.EXPERIMENTS[name].config)
    rows = [result("relu", 10.0), result("relu_report_rule", 14.0), result("sigmoid", 8.0, cached=True),
            result("topology_improved", 300.0), result("momentum_improved", 30.0)]
    table = bench["time_breakdown"](rows).set_index("group")
    assert table.loc["report rows", "runs"] == 2 and table.loc["report rows", "trained"] == 1
    assert table.loc["report rows", "seconds"] == 10
    assert table.loc["report-rule runs (extra epochs only)", "seconds"] == 4
    assert table.loc["wide recipes (512, 1024-512)", "seconds"] == 300
    assert table.loc["128-unit recipes", "seconds"] == 30
