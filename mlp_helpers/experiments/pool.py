"""Where the trainings of ``run_many`` run: this process, local worker processes, or a Dask cluster.

``finished(train, groups, ...)`` yields each group's results as its training ends. Failures read as
they would with one job, in one line:

- the data is read here before any worker starts, so a missing or damaged copy is the ``DataError``
  it is in this process;
- an exception raised in a worker is raised here as itself;
- a Dask cluster that does not answer (not a Dask scheduler, or nothing listening), that has had no
  worker for ``DASK_TIMEOUT`` seconds, or whose scheduler is lost is a one-line ``ConnectionError``.

Local workers are joblib's loky processes (one BLAS thread each, ``runner.train_runs``); the Dask path
needs the optional ``dask`` extra (``pip install -e ".[dask]"``).
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import CancelledError

from joblib import Parallel, delayed

from ..data import BATCH_FILES, locate_cifar10, read_batch
from ..data.protocol import protocol_dataset

DASK_TIMEOUT = 30.0      # seconds to reach a scheduler, and to wait while its cluster has no worker
POLL_SECONDS = 0.2       # how often the Dask path looks for finished trainings


def finished(train, groups, quick, jobs, scheduler=None):
    """``train(group, quick=quick, progress=False)`` for every group, wherever it runs; yields the
    results of each as it ends (the order of finishing, not of ``groups``)."""
    if not groups:
        return
    if scheduler is None and jobs == 1:
        for group in groups:
            yield train(group, quick=quick, progress=False)
        return
    check_data()
    if scheduler is None:
        yield from local(train, groups, quick, jobs)
    else:
        yield from on_dask(train, groups, quick, scheduler)


def check_data():
    """Read every batch of the CIFAR-10 copy here, before a worker starts: a missing or damaged copy is
    then the one-line ``DataError`` it is with one job, not a worker dying with its message unseen."""
    folder = locate_cifar10()
    for name in BATCH_FILES:
        read_batch(folder / name)


def preload(normalisations, quick):
    """A local worker's first act: load the protocol datasets the planned runs use. A loky worker whose
    memory grows by more than 300 MB after its first task is replaced (joblib's leak guard), and one
    normalised copy is 0.7 GB, so a worker that met a second normalisation would restart and reload.
    A failure is left to the training that needs the data, which raises it as itself: an exception here
    would kill the worker, and the parent would only learn that it died."""
    try:
        for normalisation in normalisations:
            protocol_dataset(normalisation, quick)
    except Exception:       # see above
        pass


def local(train, groups, quick, jobs):
    """The trainings on ``jobs`` loky processes; a worker's exception comes back as itself."""
    normalisations = sorted({g[0].config.normalisation for g in groups if g[0].config.recompress_jpeg is None})
    init = dict(initializer=preload, initargs=(tuple(normalisations), quick)) if normalisations else {}
    pool = Parallel(n_jobs=jobs, return_as="generator_unordered", batch_size=1, pre_dispatch="n_jobs", **init)
    yield from pool(delayed(train)(group, quick=quick, progress=False) for group in groups)


def on_dask(train, groups, quick, scheduler, timeout=None):
    """The trainings on the Dask cluster at ``scheduler``; the client is closed afterwards, whatever happens.
    distributed's own error log is held back meanwhile: what went wrong is the one line raised here."""
    timeout = DASK_TIMEOUT if timeout is None else timeout
    client, logging_was = connect(scheduler, timeout), logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        pending = [client.submit(train, group, quick=quick, progress=False, pure=False) for group in groups]
        last_worker = time.monotonic()
        while pending:
            fetched = [(f, r) for f in pending if f.done() and (r := result(f, client, scheduler, timeout)) is not None]
            for future, results in fetched:
                pending.remove(future)
                yield results
            if fetched:
                continue
            if workers(client, scheduler):
                last_worker = time.monotonic()
            elif time.monotonic() - last_worker > timeout:
                raise ConnectionError(f"the Dask cluster at {scheduler} has had no worker for {timeout:.0f} s; "
                                      f"start one with `dask worker {scheduler}`")
            time.sleep(POLL_SECONDS)
    finally:
        client.close()
        logging.disable(logging_was)


def result(future, client, scheduler, timeout):
    """A finished training's results; the training's own exception raised as itself; None when its results
    were lost with the worker that held them (the cluster trains it again)."""
    try:
        if not future.cancelled():                  # a future cancelled for the lost scheduler
            return future.result(timeout=timeout)
    except OSError:                                 # the comm closed, or the fetch timed out
        if future.status == "error":
            raise                                   # the training's own OSError
    except CancelledError:
        pass
    if future.cancelled() or client.status != "running":
        raise ConnectionError(lost(scheduler)) from None
    return None


def connect(scheduler, timeout):
    """A ``distributed.Client`` for ``scheduler``, or a one-line ``ConnectionError`` within about ``timeout``
    seconds. (The client's own time-out does not cover an address that accepts a connection and never
    answers, such as a web server: the attempt runs in a thread that is abandoned if it hangs.)"""
    try:
        from distributed import Client
    except ImportError as err:
        raise ImportError("a Dask scheduler needs the dask extra: pip install -e '.[dask]'") from err
    outcome = {}

    def attempt():
        try:
            outcome["client"] = Client(scheduler, timeout=f"{timeout}s")
        except Exception as err:                    # reported below, in the caller's thread
            outcome["error"] = err
    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout + 5)
    if "client" in outcome:
        return outcome["client"]
    error = outcome.get("error")
    if isinstance(error, ValueError):              # not an address at all
        raise ConnectionError(f"{scheduler!r} is not a Dask scheduler address ({error}); give one like "
                              "tcp://127.0.0.1:8786")
    reason = error or f"no answer in {timeout:.0f} s: is a Dask scheduler listening there?"
    raise ConnectionError(f"cannot reach the Dask scheduler at {scheduler} ({reason}); is it running?")


def workers(client, scheduler) -> int:
    """How many workers the cluster has now (a lost scheduler is a one-line ``ConnectionError``)."""
    try:
        return len(client.nthreads())
    except OSError:                                 # the comm to the scheduler closed or timed out
        raise ConnectionError(lost(scheduler)) from None


def lost(scheduler) -> str:
    return (f"lost the Dask scheduler at {scheduler}; the runs finished so far are cached: start it again and "
            "run the same command to resume")
