"""Argument checks shared by every module: one rule each, one style of message.

Each check returns the value it accepted (converted to a plain Python type) or raises a
``ValueError`` that names the argument, says what was expected and shows what was given.
``True`` and ``False`` are never accepted as numbers: ``epochs=True`` is a mistake, not 1.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_int(name: str, value, minimum: int = 1) -> int:
    """An integer >= ``minimum``."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_optional_int(name: str, value, minimum: int = 1) -> int | None:
    """None, or an integer >= ``minimum``."""
    return None if value is None else check_int(name, value, minimum)


def check_number(name: str, value, low: float = -math.inf, high: float = math.inf, *,
                 low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number in the interval [low, high] (either end open on request)."""
    ok = _is_number(value) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return float(value)


def check_choice(name: str, value, choices):
    """One of ``choices`` (a mapping's keys or any collection); the message lists them."""
    options = list(choices.keys() if isinstance(choices, Mapping) else choices)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(map(str, sorted(options)))}")
    return value


def check_has_methods(name: str, value, methods) -> object:
    """An object offering every method in ``methods`` (for user-supplied activations, penalties...)."""
    missing = [m for m in methods if not callable(getattr(value, m, None))]
    if missing:
        raise ValueError(f"{name} must be a name or an object with methods {', '.join(methods)}; "
                         f"{value!r} lacks {', '.join(missing)}")
    return value


def check_labelled_arrays(split: str, x, y, n_features: int, n_classes: int, dtype):
    """A split's inputs x (N, n_features) of ``dtype``, all finite, and its labels y: (N,)
    integers in 0..n_classes-1 or (N, n_classes) one-hot rows. Returns (x, y) unchanged."""
    where = f"the {split} split"
    for name, array in (("inputs", x), ("labels", y)):
        if not isinstance(array, np.ndarray):
            raise ValueError(f"{where}'s {name} must be a numpy array, got {type(array).__name__}: "
                             "convert it with np.asarray")
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(f"{where}'s inputs must have shape (N, {n_features}), got {x.shape}"
                         + (": flatten each image to one row first" if x.ndim > 2 else ""))
    if len(x) == 0:
        raise ValueError(f"{where} is empty: it needs at least one row")
    if x.dtype != dtype:
        raise ValueError(f"{where}'s inputs are {x.dtype} but the model is {np.dtype(dtype)}: cast one of them "
                         f"(e.g. x.astype(np.{np.dtype(dtype).name})) so nothing upcasts silently")
    if not np.isfinite(x).all():
        raise ValueError(f"{where}'s inputs contain NaN or infinite values ({np.count_nonzero(~np.isfinite(x))} "
                         "of them): fix the data (e.g. its normalisation) before training")
    if len(y) != len(x):
        raise ValueError(f"{where} has {len(x)} input rows but {len(y)} labels: they must pair up one to one")
    if y.ndim == 1:
        if y.dtype.kind not in "iu":
            raise ValueError(f"{where}'s labels must be integers, got {y.dtype}")
        if y.min() < 0 or y.max() >= n_classes:
            raise ValueError(f"{where}'s labels must lie in 0..{n_classes - 1}, got {y.min()}..{y.max()}")
    elif y.shape != (len(x), n_classes):
        raise ValueError(f"{where}'s labels must be (N,) integers or (N, {n_classes}) one-hot rows, got {y.shape}")
    return x, y
