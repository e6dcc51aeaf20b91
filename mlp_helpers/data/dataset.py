"""The experiment's data: the 40,000 / 10,000 / 10,000 split, class-balanced subsets, normalised splits.

Every split is made by a seeded permutation, so the same seed gives the same images everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import check_choice, check_int, check_optional_int
from .cifar10 import load_raw_cifar10, locate_cifar10, read_only
from .errors import DataError
from .fingerprint import data_fingerprint
from .normalisation import NORMALISATIONS, Normaliser
from .release import CLASS_NAMES


@dataclass(frozen=True, eq=False)
class Dataset:
    """Normalised splits: x_* (N, 3072) float arrays, y_* (N,) int64 labels in 0..9.

    scheme names the normalisation; source is the data_fingerprint of the copy the splits came from
    ("" when unknown), so results computed from different copies are never mixed up.
    """
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    scheme: str
    class_names: tuple = CLASS_NAMES
    source: str = ""

    def __post_init__(self):
        for split in ("train", "val", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if not isinstance(x, np.ndarray) or x.ndim != 2 or not isinstance(y, np.ndarray) or y.ndim != 1:
                raise ValueError(f"x_{split} must be a numpy array (N, features) and y_{split} one (N,); got "
                                 f"{type(x).__name__} {getattr(x, 'shape', '')} and {type(y).__name__} "
                                 f"{getattr(y, 'shape', '')}.")
            if len(x) != len(y) or len(x) == 0:
                raise ValueError(f"the {split} split must be non-empty with one label per row; got {len(x)} rows "
                                 f"and {len(y)} labels.")
        if not self.x_train.shape[1] == self.x_val.shape[1] == self.x_test.shape[1]:
            raise ValueError(f"the splits have different numbers of features: {self.x_train.shape[1]}, "
                             f"{self.x_val.shape[1]} and {self.x_test.shape[1]}.")

    def sizes(self) -> dict:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


def _check_rows_and_labels(x, y) -> None:
    """x: a numpy array with one entry per example (N, ...); y: (N,) integer labels; N > 0."""
    for name, value in (("x", x), ("y", y)):
        if not isinstance(value, np.ndarray):
            raise ValueError(f"{name} must be a numpy array, got {type(value).__name__}; convert it with np.asarray.")
    if x.ndim == 0 or y.ndim != 1 or y.dtype.kind not in "iu":
        raise ValueError(f"expected x with one entry per example (N, ...) and integer labels y (N,); got x of "
                         f"shape {x.shape} and y {y.dtype} of shape {y.shape}.")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must hold the same, non-zero number of examples; got {len(x)} and {len(y)}.")


def split_train_val(x, y, n_val=10_000, seed=0):
    """Hold out n_val rows chosen by a seeded permutation: (N, ...), (N,) → x_tr, y_tr, x_val, y_val."""
    _check_rows_and_labels(x, y)
    check_int("n_val", n_val)
    if n_val >= len(x):
        raise ValueError(f"n_val={n_val} leaves no training rows: need n_val < N = {len(x)}.")
    order = np.random.default_rng(seed).permutation(len(x))
    train, val = order[n_val:], order[:n_val]
    return x[train], y[train], x[val], y[val]


def subset_per_class(x, y, n_per_class, seed=0):
    """Pick n_per_class rows of each class (seeded), shuffled: (N, ...), (N,) → (10 n, ...), (10 n,)."""
    _check_rows_and_labels(x, y)
    check_int("n_per_class", n_per_class)
    if y.min() < 0 or y.max() >= len(CLASS_NAMES):
        raise ValueError(f"labels must be in 0..{len(CLASS_NAMES) - 1}, got {y.min()}..{y.max()}.")
    counts = np.bincount(y, minlength=len(CLASS_NAMES))
    if counts.min() < n_per_class:
        smallest = int(counts.argmin())
        raise DataError(f"class {smallest} ({CLASS_NAMES[smallest]}) has only {counts[smallest]} examples, fewer "
                        f"than n_per_class={n_per_class}; ask for at most {counts.min()} per class.")
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(y == label), n_per_class, replace=False)
              for label in range(len(CLASS_NAMES))]
    order = rng.permutation(np.concatenate(picked))  # shuffle so any prefix mixes the classes
    return x[order], y[order]


def one_hot(y, n_classes=10, dtype=np.float32) -> np.ndarray:
    """Labels (N,) ints in 0..n_classes-1 (an array or a list) → (N, n_classes) rows with a single 1."""
    check_int("n_classes", n_classes)
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu" or (y.size and (y.min() < 0 or y.max() >= n_classes)):
        raise ValueError(f"y must be 1-d integer labels (N,) in 0..{n_classes - 1}; got {y.dtype} of shape "
                         f"{y.shape}" + (f" with values {y.min()}..{y.max()}." if y.size and y.dtype.kind in "iu"
                                         else "."))
    out = np.zeros((len(y), n_classes), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


def load_dataset(scheme="per_image", n_per_class=None, n_eval_per_class=None, seed=0, data_dir=None,
                 dtype=np.float32, pixels=None, source=None) -> Dataset:
    """Load CIFAR-10, split 40,000/10,000 train/val (seeded), optionally subsample, and normalise.

    n_per_class subsamples the training split; n_eval_per_class subsamples val and test and defaults to
    max(1, n_per_class // 4) when n_per_class is given. Statistics come from the training split only.
    Returns read-only x_* (N, 3072) arrays of `dtype` and y_* (N,) int64 (they may be shared; edit a
    copy); source is the copy's data_fingerprint.
    pixels(x_uint8) -> x_uint8, if given, changes every split's pixels before normalisation (a probe
    such as a JPEG re-compression), and source(fingerprint) -> str then names the changed copy.
    """
    check_choice("scheme", scheme, NORMALISATIONS)
    check_optional_int("n_per_class", n_per_class)
    check_optional_int("n_eval_per_class", n_eval_per_class)
    if np.dtype(dtype).kind != "f":
        raise ValueError(f"dtype must be a floating type, got {np.dtype(dtype)}.")
    folder = locate_cifar10(data_dir)  # the same folder load_raw_cifar10 reads next (found twice, cheaply)
    x_train, y_train, x_test, y_test = load_raw_cifar10(data_dir)
    x_tr, y_tr, x_val, y_val = split_train_val(x_train, y_train, seed=seed)
    if n_per_class is not None:
        x_tr, y_tr = subset_per_class(x_tr, y_tr, n_per_class, seed)
        n_eval_per_class = n_eval_per_class or max(1, n_per_class // 4)
    if n_eval_per_class is not None:
        x_val, y_val = subset_per_class(x_val, y_val, n_eval_per_class, seed)
        x_test, y_test = subset_per_class(x_test, y_test, n_eval_per_class, seed)
    if pixels is not None:
        x_tr, x_val, x_test = (pixels(x) for x in (x_tr, x_val, x_test))
    normaliser = Normaliser.fit(x_tr, scheme)
    fingerprint = data_fingerprint(folder)
    splits = (normaliser.transform(x_tr, dtype), y_tr, normaliser.transform(x_val, dtype), y_val,
              normaliser.transform(x_test, dtype), np.array(y_test))
    return Dataset(*(read_only(array) for array in splits), scheme=scheme,
                   source=fingerprint if source is None else source(fingerprint))

