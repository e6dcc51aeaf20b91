"""Shared fixtures: small synthetic datasets, so no test needs CIFAR-10 on disk."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mlp_helpers.experiments import parallel, runner


def make_blobs(n_train=120, n_val=60, n_features=20, n_classes=3, spread=1.0, seed=0,
               dtype=np.float32):
    """A learnable toy problem: Gaussian clusters around one random centre per class.

    Returns a namespace with x_train (n_train, n_features), y_train (n_train,) int64,
    x_val, y_val, shaped like the real dataset object that ``fit`` expects."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_classes, n_features)) * 2

    def draw(n):
        y = rng.integers(0, n_classes, size=n)
        x = centres[y] + spread * rng.standard_normal((n, n_features))
        return x.astype(dtype), y.astype(np.int64)

    (x_train, y_train), (x_val, y_val) = draw(n_train), draw(n_val)
    return SimpleNamespace(x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val)


@pytest.fixture
def blobs():
    """The default toy problem: 120 train / 60 val rows, 20 features, 3 classes, float32."""
    return make_blobs()


@pytest.fixture
def blob_maker():
    """``make_blobs`` itself, for tests that need a toy problem of another size or dtype."""
    return make_blobs


def fake_training(calls):
    """A stand-in for runner.train_runs: instant results whose accuracy depends on the config."""
    def train_runs(group, *, quick=None, progress=False):
        out = []
        for e in group:
            calls.append(e.config)
            acc = 0.30 + 0.002 * (e.config.seed + len(calls) % 3) + 0.01 * e.config.augment_flip
            shapes = runner.parameter_shapes(e.config)
            params = {k: np.zeros(v, np.float32) for k, v in shapes.items()}
            history = pd.DataFrame({"epoch": [1], "train_loss": [2.0], "train_acc": [acc], "val_loss": [2.0],
                                    "val_acc": [acc], "lr": [0.01], "seconds": [0.1]})
            out.append(runner.RunResult(e, history, 1, "completed", 1.9, acc, 0.1, bool(quick), params,
                                        data_source="fingerprint-F"))
        return out
    return train_runs


@pytest.fixture
def fake_train(monkeypatch):
    """Instant stand-in training for ``run_many``; the list of configs it trained."""
    calls = []
    monkeypatch.setattr(parallel, "train_runs", fake_training(calls))
    monkeypatch.setattr(runner, "data_source", lambda config: "fingerprint-F")
    return calls
