"""The pixel layout of a CIFAR-10 row, and the one augmentation the training loop can apply.

A row is channel-planar: 1024 red values, then 1024 green, then 1024 blue, each plane a row-major
32x32 image, so a batch of N images is an (N, 3072) array.
"""
from __future__ import annotations

import numpy as np

N_FEATURES = 3 * 32 * 32  # values per image (one input per value)
PLANE = 32 * 32           # values per colour plane


def images(rows) -> np.ndarray:
    """Channel-planar rows (N, 3072) → (N, 32, 32, 3) images for display (a view); one row (3072,) → (32, 32, 3)."""
    x = np.asarray(rows)
    if x.ndim not in (1, 2) or x.shape[-1] != N_FEATURES:
        raise ValueError(f"expected one row ({N_FEATURES},) or rows (N, {N_FEATURES}) of channel-planar pixels, "
                         f"got shape {x.shape}; images shaped (N, 32, 32, 3) are already displayable.")
    return np.moveaxis(x.reshape(*x.shape[:-1], 3, 32, 32), -3, -1)


def colour_statistics(rows) -> np.ndarray:
    """Each image's mean and std of its red, green and blue planes: exactly the six numbers that
    per-image z-scoring removes.  rows (N, 3072) -> (N, 6) float32 [mean R, G, B, std R, G, B]."""
    x = np.asarray(rows)
    if x.ndim != 2 or x.shape[1] != N_FEATURES:
        raise ValueError(f"expected rows (N, {N_FEATURES}) of channel-planar pixels, got shape {x.shape}")
    planes = x.reshape(len(x), 3, PLANE).astype(np.float32)
    return np.concatenate([planes.mean(axis=2), planes.std(axis=2)], axis=1)


COLOUR_STATISTICS = ("mean R", "mean G", "mean B", "std R", "std G", "std B")


def flip_half(xb, rng) -> None:
    """Mirror a random half of the minibatch left-right, in place.

    xb: (B, 3072) channel-planar rows of any dtype (a writable array: the loop's batch buffer).
    rng: a numpy Generator; exactly B uniform draws are taken from it, so a seeded run repeats.
    Every augmentation has this signature, augment(xb, rng), and returns nothing.
    """
    if not isinstance(xb, np.ndarray) or xb.ndim != 2 or xb.shape[1] != N_FEATURES:
        raise ValueError(f"xb must be a numpy array of rows (B, {N_FEATURES}), got "
                         f"{type(xb).__name__} {getattr(xb, 'shape', '')}.")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}.")
    pick = rng.random(len(xb)) < 0.5
    planes = xb[pick].reshape(-1, 3, 32, 32)  # a copy (boolean indexing), so writing back cannot alias
    xb[pick] = planes[..., ::-1].reshape(len(planes), -1)
