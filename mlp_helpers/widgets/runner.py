"""Training in the background for the explorers: one run at a time, the newest request wins.

In a Jupyter kernel an explorer trains on a worker thread, so the kernel's main thread stays free
to receive the next slider move; the newer move cancels the running training at its next epoch
boundary (the explorer's fit callback raises StopTraining) and its job runs next. Outside a kernel
(tests, scripts) jobs run in the calling thread, so every call returns with its run finished.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import lru_cache


def in_kernel() -> bool:
    """True inside a Jupyter kernel (JupyterLab, nbclient/nbval), whose main thread must stay free."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


@lru_cache(maxsize=1)
def _threadpools():
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController()


@contextmanager
def one_blas_thread():
    """Limit BLAS to one thread while an explorer trains: its matrices are small, and two threads
    fighting JupyterLab and the browser for two cores made the same run take 0.7-24 s instead of a
    steady 1 s. (threadpoolctl's limit is process-wide; it is lifted when the run ends.)"""
    with _threadpools().limit(limits=1, user_api="blas"):
        yield


class JobQueue:
    """A queue of length one: ``submit(job)`` replaces any job not yet started; a worker thread
    (background=True) or the caller runs jobs until none is left. ``wait()`` blocks until idle."""

    def __init__(self, background: bool):
        self.background = background
        self._lock = threading.Lock()
        self._next = None
        self._worker = None
        self._idle = threading.Event()
        self._idle.set()

    def submit(self, job):
        with self._lock:
            self._next = job
            self._idle.clear()
            start = self.background and self._worker is None
            if start:
                self._worker = threading.Thread(target=self._work, name="explorer-training", daemon=True)
        if start:
            self._worker.start()
        elif not self.background:
            self._work()

    def _work(self):
        while True:
            with self._lock:
                job, self._next = self._next, None
                if job is None:
                    self._worker = None
                    self._idle.set()
                    return
            try:
                job()
            except BaseException:
                if self.background:
                    continue          # the job reports its own errors; the worker goes on
                with self._lock:
                    self._next = None
                    self._idle.set()
                raise

    @property
    def busy(self) -> bool:
        return not self._idle.is_set()

    def wait(self, timeout=None) -> bool:
        """Block until no job is running or waiting; False if ``timeout`` (s) passed first."""
        return self._idle.wait(timeout)
