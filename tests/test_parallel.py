"""Independent runs in parallel through joblib, locally or on a Dask cluster, with the
same numbers however they ran; failures that read as they would with one job, and no process left
behind. These use the real quick subset of CIFAR-10 (skipped without it) and start worker processes
and Dask clusters, so they take a few minutes."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from mlp_helpers import experiments
from mlp_helpers.__main__ import main as cli
from mlp_helpers.data import BATCH_FILES, DataError, locate_cifar10, protocol
from mlp_helpers.experiments import parallel, pool, runner

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
    monkeypatch.setattr(runner, "dataset_for", no_loading)
    for name in ("protocol_dataset", "dataset_for", "cached_dataset", "load_dataset"):
        monkeypatch.setattr(protocol, name, no_loading)
    hit = experiments.run(QUICK_RUN.with_seed(0), quick=True, cache_dir=tmp_path, progress=False)
    assert hit.cached and hit.test_loss == sequential[0].test_loss
    assert experiments.run_many([(QUICK_RUN, 0)], quick=True, cache_dir=tmp_path, progress=False)[0].cached


# ---- failures read as they would with one job, and nothing is left running ------------------------------
ROOT = Path(__file__).resolve().parents[1]


def damaged_copy(tmp_path):
    """The CIFAR-10 copy with data_batch_1 cut to two thirds (the other files linked, not copied)."""
    source, folder = locate_cifar10(download=False), tmp_path / "cut" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in [*BATCH_FILES, "batches.meta"]:
        if (source / name).exists():
            (folder / name).symlink_to(source / name)
    (folder / "data_batch_1").unlink()
    data = (source / "data_batch_1").read_bytes()
    (folder / "data_batch_1").write_bytes(data[: 2 * len(data) // 3])
    return folder.parent


def command(args, data, tmp_path, before=""):
    """``python -m mlp_helpers reproduce --quick --force ARGS`` in a fresh process on the copy ``data``,
    (after the Python statement ``before``): its exit code and stderr."""
    code = f"import sys\n{before}\nfrom mlp_helpers.__main__ import main\nsys.exit(main(sys.argv[1:]))"
    env = dict(os.environ, CIFAR10_DIR=str(data), OPENBLAS_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", code, "reproduce", "--quick", "--force", "--cache-dir",
                           str(tmp_path / "cache"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    return done.returncode, done.stderr


def one_line_error(returncode, stderr, *words):
    lines = [line for line in stderr.replace("\r", "\n").splitlines() if line.strip() and not line.startswith("runs:")]
    assert returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert all(word in lines[0] for word in words), lines[0]


def test_a_damaged_batch_is_one_line_with_two_worker_processes(tmp_path):
    one_line_error(*command(["--jobs", "2", "hidden_64"], damaged_copy(tmp_path), tmp_path), "data_batch_1")


def test_a_missing_data_folder_is_one_line_with_two_worker_processes(tmp_path):
    one_line_error(*command(["--jobs", "2", "hidden_64"], tmp_path / "nowhere", tmp_path), "CIFAR10_DIR")


def test_an_error_inside_a_worker_is_raised_as_itself(tmp_path):
    """With the check before dispatch skipped, the workers meet the damaged batch themselves."""
    skip_check = "from mlp_helpers.experiments import pool\npool.check_data = lambda: None"
    one_line_error(*command(["--jobs", "2", "hidden_64"], damaged_copy(tmp_path), tmp_path, skip_check),
                   "data_batch_1")


def children(pid, named="") -> list[int]:
    """The processes whose parent is ``pid`` (and whose command line holds ``named``)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid
                    and named in (entry / "cmdline").read_text()):
                found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


def running(pid) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_no_worker_process_outlives_a_killed_reproduction(tmp_path, sig):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    workers = []
    with open(tmp_path / "stderr", "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "mlp_helpers", "reproduce", "--quick", "--force", "--jobs", "2",
                                 "--cache-dir", str(tmp_path / "cache")], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 120
            while len(children(proc.pid, "LokyProcess")) < 2 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.2)
            workers = children(proc.pid)                     # the two workers, and joblib's resource trackers
            assert len(children(proc.pid, "LokyProcess")) == 2 and proc.poll() is None, "the workers never started"
            time.sleep(1.0)
            proc.send_signal(sig)
            assert proc.wait(timeout=30) in (130, 128 + signal.SIGTERM)
            deadline = time.monotonic() + 15
            while any(running(pid) for pid in workers) and time.monotonic() < deadline:
                time.sleep(0.2)
            left = [pid for pid in workers if running(pid)]
        finally:
            for pid in set(workers + children(proc.pid)):
                if running(pid):
                    os.kill(pid, signal.SIGKILL)
            proc.kill()
    assert not left, f"{len(left)} worker process(es) outlived the reproduction"


def test_an_address_that_never_answers_is_one_line_after_the_time_out(tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed")
    silent = socket.create_server(("127.0.0.1", 0))          # accepts connections, never says a word
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    monkeypatch.setattr(pool, "DASK_TIMEOUT", 1.0)
    monkeypatch.setattr(runner, "data_source", lambda config: "")        # nothing cached: it must dispatch
    started = time.monotonic()
    code = cli(["reproduce", "--quick", "--scheduler", f"tcp://127.0.0.1:{silent.getsockname()[1]}",
                "--cache-dir", str(tmp_path), "hidden_64"])
    assert time.monotonic() - started < 30
    one_line_error(code, capsys.readouterr().err, "cannot reach the Dask scheduler", "no answer")
    silent.close()


def test_a_cluster_without_workers_is_one_line_after_the_time_out(tmp_path, monkeypatch, capsys):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(pool, "DASK_TIMEOUT", 2.0)
    monkeypatch.setattr(runner, "data_source", lambda config: "")
    with distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=":0") as cluster:
        code = cli(["reproduce", "--quick", "--scheduler", cluster.scheduler_address, "--cache-dir", str(tmp_path),
                    "hidden_64"])
    one_line_error(code, capsys.readouterr().err, "has had no worker for 2 s")


@pytest.fixture
def dask_processes(tmp_path):
    """A scheduler and one worker as processes of their own (so that a test can kill either): the address
    and a dict with both ``Popen``s."""
    pytest.importorskip("distributed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address, dask = f"tcp://127.0.0.1:{port}", str(Path(sys.executable).parent / "dask")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    quiet = dict(cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    procs = {"scheduler": subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                            "--no-dashboard"], **quiet)}
    procs["worker"] = subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-nanny",
                                        "--no-dashboard"], **quiet)
    yield address, procs
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.parametrize("lost", ["scheduler", "worker"])
def test_losing_the_scheduler_or_every_worker_mid_run_is_one_line(dask_processes, lost, tmp_path, monkeypatch):
    address, procs = dask_processes
    monkeypatch.setattr(pool, "DASK_TIMEOUT", 5.0)
    real_store = parallel.store

    def store_then_kill(result, *args, **kwargs):            # the first run back: kill one side of the cluster
        if procs[lost].poll() is None:
            os.killpg(procs[lost].pid, signal.SIGKILL)
        return real_store(result, *args, **kwargs)
    monkeypatch.setattr(parallel, "store", store_then_kill)
    items = [(QUICK_RUN, seed) for seed in range(8)]
    started = time.monotonic()
    with pytest.raises(ConnectionError) as error:
        experiments.run_many(items, quick=True, scheduler=address, cache_dir=tmp_path, progress=False)
    assert time.monotonic() - started < 90
    message = str(error.value)
    assert "\n" not in message and address in message
    assert ("lost the Dask scheduler" if lost == "scheduler" else "has had no worker") in message
