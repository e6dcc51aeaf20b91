"""Shared fixtures: small synthetic datasets, so no test needs CIFAR-10 on disk."""
from types import SimpleNamespace

import numpy as np
import pytest


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
