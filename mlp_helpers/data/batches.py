"""Reading one CIFAR-10 batch file safely: a pickle that may rebuild numpy arrays and nothing else.

A plain pickle can run any code when loaded, and a batch file may come from anywhere (a shared
drive, a colleague, an unofficial mirror), so the unpickler below refuses every global except the
four that Python 2 numpy pickles of arrays use.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from .errors import DataError, repair_advice
from .images import N_FEATURES
from .release import CLASS_NAMES

try:  # numpy >= 2 keeps its internals in numpy._core; touching numpy.core there is deprecated
    from numpy._core import multiarray as _multiarray
except ImportError:  # numpy 1.x
    from numpy.core import multiarray as _multiarray

# The official batches were pickled by Python 2 numpy; these are the only globals they use.
_ALLOWED_GLOBALS = {
    (module, name): getattr(_multiarray, name)
    for module in ("numpy.core.multiarray", "numpy._core.multiarray") for name in ("_reconstruct", "scalar")
} | {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}


class _BatchUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild numpy arrays and nothing else."""

    def __init__(self, file, path: Path):
        super().__init__(file, encoding="bytes")  # Python 2 str → bytes, as the official files need
        self.path = path

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED_GLOBALS:
            return _ALLOWED_GLOBALS[(module, name)]
        raise DataError(f"{self.path} tries to import {module}.{name}; refusing to load it, because a CIFAR-10 "
                        f"batch holds only numpy arrays. {repair_advice(self.path.parent)}")


def read_batch(path) -> tuple[np.ndarray, np.ndarray]:
    """Read one pickled batch file: images (N, 3072) uint8 C-contiguous and labels (N,) int64 in 0..9.

    Accepts the official layout (a dict with bytes keys b"data", b"labels", ...) and the same with str
    keys or flat pixel data; anything else raises a DataError that names the file and the fix.
    """
    path = Path(path)
    fix = repair_advice(path.parent)
    try:
        file = open(path, "rb")
    except FileNotFoundError as exc:
        raise DataError(f"The CIFAR-10 batch {path} is missing. {fix}") from exc
    except OSError as exc:  # e.g. no read permission: the file itself may be fine
        raise DataError(f"Cannot open the CIFAR-10 batch {path} ({exc}). Check that you can read it.") from exc
    with file:
        try:
            batch = _BatchUnpickler(file, path).load()
        except DataError:
            raise
        except Exception as exc:  # a bad pickle can fail in many ways; all mean "this file is broken"
            raise DataError(f"Cannot read the CIFAR-10 batch {path} ({type(exc).__name__}: {exc}). {fix}") from exc
    if not isinstance(batch, dict):
        raise DataError(f"{path} holds a {type(batch).__name__}, not a CIFAR-10 batch dict. {fix}")
    batch = {key.decode("latin-1") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise DataError(f"{path} has no 'data' or no 'labels' entry. {fix}")
    data, labels = batch["data"], batch["labels"]
    try:
        labels = np.asarray(labels)
    except (ValueError, TypeError) as exc:  # e.g. a ragged list
        raise DataError(f"{path}: 'labels' is not a list of integers ({exc}). {fix}") from exc
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
        raise DataError(f"{path}: 'data' is {getattr(data, 'dtype', type(data).__name__)}, expected uint8. {fix}")
    if data.ndim == 1 and data.size % N_FEATURES == 0:
        data = data.reshape(-1, N_FEATURES)
    if data.ndim != 2 or data.shape[1] != N_FEATURES or len(data) == 0:
        raise DataError(f"{path}: 'data' has shape {data.shape}, expected (N, {N_FEATURES}). {fix}")
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) != len(data):
        raise DataError(f"{path}: 'labels' must be {len(data)} integers, got {labels.dtype} {labels.shape}. {fix}")
    if labels.min() < 0 or labels.max() >= len(CLASS_NAMES):
        raise DataError(f"{path}: labels run from {labels.min()} to {labels.max()}, expected 0..9. {fix}")
    return np.ascontiguousarray(data), labels.astype(np.int64)
