"""Independent runs in parallel through joblib, locally or on a Dask cluster, with the
same numbers however they ran. These use the real quick subset of CIFAR-10 (skipped without it) and
start worker processes, so they take about a minute."""
import numpy as np
import pytest

from mlp_helpers import experiments
from mlp_helpers.data import DataError, locate_cifar10
from mlp_helpers.experiments import runner

try:
    locate_cifar10(download=False)
    HAVE_DATA = True
except DataError:
    HAVE_DATA = False
pytestmark = pytest.mark.skipif(not HAVE_DATA, reason="needs CIFAR-10 (set CIFAR10_DIR)")

QUICK_RUN = experiments.Experiment("quick_pair", "test", experiments.Config(hidden=(16,), epochs=2), seeds=(0, 1))


def numbers(results):
    return [(r.name, r.seed, r.test_acc, r.test_loss, r.best_epoch, r.epochs_run) for r in results]


def same_runs(a, b):
    assert numbers(a) == numbers(b)
    for x, y in zip(a, b):
        for name in x.params:
            np.testing.assert_array_equal(x.params[name], y.params[name])


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    """The two seeds trained one after the other in this process (jobs=1)."""
    cache = tmp_path_factory.mktemp("sequential")
    results = experiments.run_seeds(QUICK_RUN, quick=True, jobs=1, cache_dir=cache, progress=False)
    assert not any(r.cached for r in results) and len({r.test_loss for r in results}) == 2
    return results


def test_run_many_in_two_local_processes_equals_sequential(sequential, tmp_path):
    local = experiments.run_many([(QUICK_RUN, 0), (QUICK_RUN, 1)], quick=True, jobs=2, cache_dir=tmp_path,
                                 progress=False)
    same_runs(local, sequential)
    assert not any(r.cached for r in local)
    again = experiments.run_many([(QUICK_RUN, 1)], quick=True, jobs=2, cache_dir=tmp_path, progress=False)
    assert again[0].cached and again[0].test_loss == sequential[1].test_loss


def test_run_alone_equals_sequential(sequential, tmp_path):
    alone = experiments.run(QUICK_RUN.with_seed(1), quick=True, cache_dir=tmp_path, progress=False)
    same_runs([alone], sequential[1:])


def test_run_many_on_a_dask_cluster_equals_the_local_run(sequential, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", processes=True,
                                  dashboard_address=None) as cluster:
        on_dask = experiments.run_many([(QUICK_RUN, 0), (QUICK_RUN, 1)], quick=True,
                                       scheduler=cluster.scheduler_address, cache_dir=tmp_path, progress=False)
    same_runs(on_dask, sequential)
    assert all(not r.cached for r in on_dask)
    assert all(r.cached for r in experiments.run_seeds(QUICK_RUN, quick=True, jobs=1, cache_dir=tmp_path,
                                                        progress=False))


def test_a_cache_hit_loads_no_data(sequential, tmp_path, monkeypatch):
    experiments.run_many([(QUICK_RUN, 0)], quick=True, jobs=1, cache_dir=tmp_path, progress=False)

    def no_loading(*args, **kwargs):
        raise AssertionError("a cache hit must not load the dataset")
    for name in ("protocol_dataset", "dataset_for", "cached_dataset", "load_dataset"):
        monkeypatch.setattr(runner, name, no_loading)
    hit = experiments.run(QUICK_RUN.with_seed(0), quick=True, cache_dir=tmp_path, progress=False)
    assert hit.cached and hit.test_loss == sequential[0].test_loss
    assert experiments.run_many([(QUICK_RUN, 0)], quick=True, cache_dir=tmp_path, progress=False)[0].cached
