"""The run cache: an entry is reused only if its configuration, data,
scale and code all match; corrupt, stale or half-saved entries never crash a run; two processes
saving the same run never crash."""
import json
import os
import shutil
import threading
import time

import numpy as np
import pytest
from test_experiments import small, tiny_data

from mlp_helpers import experiments, settings
from mlp_helpers.data import protocol
from mlp_helpers.experiments import runner
from mlp_helpers.store import run_cache


@pytest.fixture
def data_source(monkeypatch):
    """Synthetic data whose fingerprint a test can change: ``data_source["value"] = "B"``."""
    state = {"value": "fingerprint-A"}
    monkeypatch.setattr(protocol, "protocol_dataset",
                        lambda normalisation="per_image", quick=None: tiny_data(source=state["value"]))
    monkeypatch.setattr(runner, "data_source", lambda config: state["value"])
    return state


def go(tmp_path, config=None, **kwargs):
    return experiments.run(config or small(), cache_dir=tmp_path, progress=False, **{"quick": False, **kwargs})


def only_entry(cache):
    (folder,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    return folder


# ---- item 1: the key covers configuration, data, scale and code -------------------------------
def test_the_key_covers_config_data_scale_and_code():
    base = run_cache.key(small(), "A", quick=False, code="c1")
    variants = [run_cache.key(small(lr=0.02), "A", quick=False, code="c1"),
                run_cache.key(small(), "B", quick=False, code="c1"),
                run_cache.key(small(), "A", quick=True, code="c1"),
                run_cache.key(small(), "A", quick=False, code="c2")]
    digests = {run_cache.digest(k) for k in [base, *variants]}
    assert len(digests) == 5
    assert base["config"]["lr"] == 0.01 and base["data"] == "A" and base["quick"] is None


@pytest.mark.parametrize("change", ["config", "data", "quick_sizes", "code"])
def test_changing_any_ingredient_is_a_cache_miss(data_source, tmp_path, monkeypatch, change):
    quick = change == "quick_sizes"
    first = go(tmp_path, quick=quick)
    assert go(tmp_path, quick=quick).cached
    config = small()
    if change == "config":
        config = small(lr=0.02)
    elif change == "data":
        data_source["value"] = "fingerprint-B"           # another copy of CIFAR-10
    elif change == "quick_sizes":
        monkeypatch.setitem(settings.QUICK, "max_epochs", settings.QUICK["max_epochs"] + 1)
    else:
        monkeypatch.setattr(run_cache, "code_version", lambda: "edited-code")
    second = go(tmp_path, config, quick=quick)
    assert not second.cached
    assert not first.cached
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 2


def test_the_code_version_covers_every_module_but_the_plots_and_widgets(tmp_path):
    """A rule that cannot drift: an edit anywhere on the training path (data reading included) makes the
    cache stale; only the drawing and interactive layers are left out."""
    package = tmp_path / "pkg"
    names = ("settings.py", "model/network.py", "training/loop.py", "data/dataset.py", "data/batches.py",
             "data/cifar10.py", "experiments/runner.py", "experiments/tables.py", "plots/figures.py",
             "widgets/explorer.py")
    for name in names:
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(f"# {name}\n")
    before = run_cache.code_version(package)
    assert run_cache.code_version(package) == before      # computed once, then remembered
    for name in names:
        edited = tmp_path / name.replace("/", "_")
        shutil.copytree(package, edited)
        (edited / name).write_text("# changed\n")
        left_out = name.split("/")[0] in run_cache.NOT_ON_THE_TRAINING_PATH
        assert (run_cache.code_version(edited) == before) is left_out, name
    assert run_cache.code_version() == run_cache.code_version(run_cache.PACKAGE_DIR)


def test_every_module_of_the_package_is_hashed_unless_it_only_draws(tmp_path):
    package = run_cache.PACKAGE_DIR
    hashed = {p for pattern in run_cache.CODE_FILES for p in package.glob(pattern)}
    for path in package.rglob("*.py"):
        if path.relative_to(package).parts[0] not in run_cache.NOT_ON_THE_TRAINING_PATH:
            assert path in hashed, f"{path.relative_to(package)} is not covered by the run cache's code version"


def test_the_entry_stores_its_full_key_and_a_mismatch_is_retrained(data_source, tmp_path, capsys):
    go(tmp_path)
    folder = only_entry(tmp_path)
    summary = json.loads((folder / "result.json").read_text())
    assert set(summary["key"]) == {"format", "config", "data", "quick", "code"}
    assert summary["key"]["data"] == "fingerprint-A"
    summary["key"]["data"] = "fingerprint-Z"               # e.g. copied in from another machine
    (folder / "result.json").write_text(json.dumps(summary))
    resign(folder)                                          # a consistent entry, made with another key
    again = go(tmp_path)
    assert not again.cached
    err = capsys.readouterr().err
    assert str(folder) in err and "--force" in err and "data" in err
    assert go(tmp_path).cached                              # the retrained run replaced the entry


def resign(folder):
    """Recompute an entry's checksums after a test changed its files on purpose."""
    summary = json.loads((folder / "result.json").read_text())
    summary["checksums"] = {name: run_cache.checksum((folder / name).read_bytes())
                            for name in ("history.csv", "params.npz")}
    summary["checksums"]["summary"] = run_cache.summary_checksum(summary)
    (folder / "result.json").write_text(json.dumps(summary))


@pytest.mark.parametrize("edit", ["test_acc", "history", "params"])
def test_a_hand_edited_entry_is_not_trusted(data_source, tmp_path, capsys, edit):
    first = go(tmp_path)
    folder = only_entry(tmp_path)
    if edit == "test_acc":
        summary = json.loads((folder / "result.json").read_text())
        summary["test_acc"] = 0.99
        (folder / "result.json").write_text(json.dumps(summary))
    elif edit == "history":
        (folder / "history.csv").write_text((folder / "history.csv").read_text().replace("0.", "0.9", 1))
    else:
        with np.load(folder / "params.npz") as npz:
            params = {k: npz[k] * 2 for k in npz.files}
        np.savez(folder / "params.npz", **params)
    result = go(tmp_path)
    err = capsys.readouterr().err
    assert not result.cached and result.test_acc == first.test_acc
    assert "changed after the run was saved" in err and len(err.strip().splitlines()) == 1


def test_parameters_of_the_wrong_shape_are_not_trusted(data_source, tmp_path, capsys):
    go(tmp_path)
    folder = only_entry(tmp_path)
    np.savez(folder / "params.npz", W1=np.zeros((3072, 16)), b1=np.zeros(16), W2=np.zeros((16, 10)),
             b2=np.zeros(10))
    resign(folder)
    result = go(tmp_path)
    assert not result.cached and result.params["W1"].shape == (3072, 8)
    assert "shapes" in capsys.readouterr().err


# ---- item 5: corrupt entries, leftovers, concurrent saves, the cached flag -------------------
@pytest.mark.parametrize("damage", ["bad_zip", "truncated_zip", "missing_file", "bad_json", "bad_csv"])
def test_a_corrupt_entry_is_one_line_and_is_retrained(data_source, tmp_path, capsys, damage):
    first = go(tmp_path)
    folder = only_entry(tmp_path)
    if damage == "bad_zip":
        (folder / "params.npz").write_bytes(b"this is not a zip file")
    elif damage == "truncated_zip":
        data = (folder / "params.npz").read_bytes()
        (folder / "params.npz").write_bytes(data[: len(data) // 2])
    elif damage == "missing_file":
        (folder / "history.csv").unlink()
    elif damage == "bad_json":
        (folder / "result.json").write_text("{not json")
    else:
        (folder / "history.csv").write_text("")
    result = go(tmp_path)
    err = capsys.readouterr().err
    assert not result.cached and result.test_acc == first.test_acc
    assert len(err.strip().splitlines()) == 1, err
    assert str(folder) in err and "--force" in err and "Traceback" not in err
    assert go(tmp_path).cached                              # repaired


def test_force_retrains_and_replaces_a_good_entry(data_source, tmp_path):
    go(tmp_path)
    folder = only_entry(tmp_path)
    stamp = (folder / "result.json").stat().st_mtime_ns
    time.sleep(0.01)
    assert not go(tmp_path, force=True).cached
    assert only_entry(tmp_path) == folder and (folder / "result.json").stat().st_mtime_ns != stamp


def test_a_save_that_fails_halfway_leaves_nothing_and_is_redone(data_source, tmp_path, monkeypatch, capsys):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(run_cache.np, "savez", disk_full)
    result = go(tmp_path)                                   # the trained result is still returned
    assert result.epochs_run == 2 and not result.cached
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "No space left" in err and str(tmp_path) in err
    assert list(tmp_path.iterdir()) == []                  # no partial entry, no temporary folder
    monkeypatch.undo()
    monkeypatch.setattr(protocol, "protocol_dataset", lambda normalisation="per_image", quick=None: tiny_data())
    monkeypatch.setattr(runner, "data_source", lambda config: "fingerprint-A")
    assert not go(tmp_path).cached and go(tmp_path).cached


def test_old_half_saved_folders_are_removed_and_young_ones_kept(data_source, tmp_path):
    old = tmp_path / ".custom-abc.k2j3h4"
    young = tmp_path / ".custom-abc.x9y8z7"
    for folder in (old, young):
        folder.mkdir()
        (folder / "history.csv").write_text("epoch\n1\n")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    go(tmp_path)
    assert not old.exists() and young.exists()


def save_args(result, config=None):
    config = config or small()
    run_key = run_cache.key(config, "fingerprint-A", quick=False)
    summary = {"name": "custom", "best_epoch": result.best_epoch, "stop_reason": result.stop_reason,
               "test_loss": result.test_loss, "test_acc": result.test_acc, "seconds": result.seconds,
               "quick": False}
    shapes = runner.parameter_shapes(config)
    return run_key, summary, result.history, result.params, shapes


def test_saving_over_an_existing_entry_keeps_it(data_source, tmp_path):
    result = go(tmp_path / "elsewhere")
    run_key, summary, history, params, shapes = save_args(result)
    folder = run_cache.folder_for(tmp_path, "custom", run_key)
    run_cache.save(folder, run_key, {**summary, "seconds": 1.0}, history, params, shapes=shapes)
    run_cache.save(folder, run_key, {**summary, "seconds": 2.0}, history, params, shapes=shapes)
    assert json.loads((folder / "result.json").read_text())["seconds"] == 1.0
    assert [p.name for p in tmp_path.iterdir() if p.name != "elsewhere"] == [folder.name]   # no temp left


def test_concurrent_saves_of_one_run_never_crash(data_source, tmp_path):
    result = go(tmp_path / "elsewhere")
    run_key, summary, history, params, shapes = save_args(result)
    folder = run_cache.folder_for(tmp_path / "cache", "custom", run_key)
    errors, start = [], threading.Barrier(6)

    def save(i):
        try:
            start.wait()
            for _ in range(5):
                run_cache.save(folder, run_key, {**summary, "seconds": float(i)}, history, params,
                               shapes=shapes, replace=(i % 2 == 0))
        except Exception as exc:          # noqa: BLE001 - any exception is the failure under test
            errors.append(exc)
    threads = [threading.Thread(target=save, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    run_cache.verify(run_cache.load(folder), run_key, shapes)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [folder.name]


def test_cached_means_from_the_cache_not_fast(data_source, tmp_path):
    fresh = go(tmp_path)
    assert fresh.cached is False and fresh.seconds < 5       # a fast run is still a fresh run
    assert go(tmp_path).cached is True
    assert go(tmp_path, force=True).cached is False


def test_a_dataset_without_a_fingerprint_is_never_cached(monkeypatch, tmp_path):
    monkeypatch.setattr(protocol, "protocol_dataset",
                        lambda normalisation="per_image", quick=None: tiny_data(source=""))
    monkeypatch.setattr(runner, "data_source", lambda config: "fingerprint-A")
    go(tmp_path)
    assert not go(tmp_path).cached
    assert list(tmp_path.iterdir()) == []


# ---- a cache hit is cheap ----------------------------------------------------------------------------
def test_a_cache_hit_never_loads_the_dataset(data_source, tmp_path, monkeypatch):
    first = go(tmp_path)

    def loader(*args, **kwargs):
        raise AssertionError("a cache hit must not load (or normalise) the dataset")
    monkeypatch.setattr(protocol, "protocol_dataset", loader)
    monkeypatch.setattr(protocol, "cached_dataset", loader)
    hit = go(tmp_path)
    assert hit.cached and hit.test_acc == first.test_acc
    many = experiments.run_many([small()], cache_dir=tmp_path, quick=False, jobs=1, progress=False)
    assert many[0].cached and many[0].test_loss == first.test_loss
    data_source["value"] = "fingerprint-B"               # a miss does load: the key still covers the data
    with pytest.raises(AssertionError, match="must not load"):
        go(tmp_path)


def test_the_cheap_key_is_the_copys_fingerprint_and_marks_the_jpeg_probe(monkeypatch, tmp_path):
    monkeypatch.setattr(protocol, "locate_cifar10", lambda: tmp_path)
    monkeypatch.setattr(protocol, "data_fingerprint", lambda folder: f"fp-of-{folder.name}")
    assert runner.data_source(small()) == f"fp-of-{tmp_path.name}"
    probe = runner.data_source(small(recompress_jpeg=75))
    assert probe.startswith(f"fp-of-{tmp_path.name}+jpeg75-shift4-pillow")
    assert run_cache.digest(run_cache.key(small(), "fp", False)) != \
        run_cache.digest(run_cache.key(small(recompress_jpeg=75), "fp", False))
