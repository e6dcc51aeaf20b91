"""Normalisation: uint8 pixel rows (N, 3072) → float rows with mean 0 and std 1, three ways.

The statistics are computed exactly: sums of uint8 values and of their squares fit in integers,
so one pass gives the mean and the variance without float round-off, whatever the order of rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import check_choice
from .images import N_FEATURES, PLANE

NORMALISATIONS = ("per_image", "per_channel", "per_feature")
STD_FLOOR = 1.0   # one grey level (1/255 on a 0..1 scale): flat planes map to 0 instead of blowing up
CHUNK_ROWS = 5000  # rows converted at a time, so float temporaries stay around 60 MB


def check_pixels(x) -> np.ndarray:
    """Return `x` if it is raw pixel rows: a uint8 numpy array (N, 3072); raise ValueError otherwise."""
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != N_FEATURES:
        raise ValueError(f"expected raw pixels: a numpy uint8 array of rows (N, {N_FEATURES}), as "
                         f"load_raw_cifar10 returns them; got {type(x).__name__} "
                         f"{getattr(x, 'dtype', '')} {getattr(x, 'shape', '')}.")
    return x


def _mean_std(total, total_sq, count):
    """Mean and floored std (float64) from sums of x and x**2; the sums are exact, so one pass is accurate."""
    mean = total / count
    variance = np.maximum(total_sq / count - mean**2, 0.0)
    return mean, np.maximum(np.sqrt(variance), STD_FLOOR)


def _sums(x: np.ndarray, axis):
    """Exact sums of uint8 x and x**2 over `axis`, which must span < 66,000 values so uint32 cannot overflow."""
    return x.sum(axis=axis, dtype=np.uint32), np.square(x, dtype=np.uint16).sum(axis=axis, dtype=np.uint32)


@dataclass(eq=False)
class Normaliser:
    """Maps uint8 rows (N, 3072) to float rows with mean 0 and std 1; fit on the training split only.

    per_image: each image's three 1024-value colour planes are standardised on their own (nothing fitted).
    per_channel: mean and std of shape (3,) over all training pixels of each colour.
    per_feature: mean and std of shape (3072,), one per input, over the training images.
    Any std below STD_FLOOR (one grey level) is raised to it, so near-constant inputs stay finite.
    """
    scheme: str
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    def __post_init__(self):
        check_choice("scheme", self.scheme, NORMALISATIONS)

    @classmethod
    def fit(cls, x_train_uint8, scheme) -> Normaliser:
        """Statistics of the training rows x_train_uint8 (N, 3072) uint8 for `scheme` (none for per_image)."""
        check_choice("scheme", scheme, NORMALISATIONS)
        x = check_pixels(x_train_uint8)
        if scheme == "per_image":
            return cls(scheme)
        if len(x) == 0:
            raise ValueError("cannot fit a Normaliser on zero images: the training split is empty.")
        # Chunks of rows keep each uint32 sum below 5000 * 255**2 < 2**32; int64 adds up the chunks.
        sums = [_sums(x[i:i + CHUNK_ROWS], axis=0) for i in range(0, len(x), CHUNK_ROWS)]
        total, total_sq = (np.sum(parts, axis=0, dtype=np.int64) for parts in zip(*sums))  # (3072,) each
        count = len(x)
        if scheme == "per_channel":
            total, total_sq, count = total.reshape(3, PLANE).sum(1), total_sq.reshape(3, PLANE).sum(1), count * PLANE
        return cls(scheme, *_mean_std(total, total_sq, count))

    def transform(self, x_uint8, dtype=np.float32) -> np.ndarray:
        """Rows (N, 3072) uint8 → a new (N, 3072) array of `dtype`; works in place on chunks of rows."""
        x = check_pixels(x_uint8)
        if np.dtype(dtype).kind != "f":
            raise ValueError(f"dtype must be a floating type, got {np.dtype(dtype)}.")
        if self.scheme != "per_image" and self.mean is None:
            raise ValueError(f"this {self.scheme} Normaliser has no statistics; build it with Normaliser.fit.")
        out = np.empty(x.shape, dtype=dtype)
        if self.scheme != "per_image":
            repeat = PLANE if self.scheme == "per_channel" else 1
            mean, std = (np.repeat(stat, repeat).astype(dtype) for stat in (self.mean, self.std))  # (3072,)
        for start in range(0, len(x), CHUNK_ROWS):
            rows, block = x[start:start + CHUNK_ROWS], out[start:start + CHUNK_ROWS]
            block[...] = rows
            if self.scheme == "per_image":
                planes, block = rows.reshape(-1, 3, PLANE), block.reshape(-1, 3, PLANE)
                mean, std = (s[..., None].astype(dtype) for s in _mean_std(*_sums(planes, axis=2), PLANE))
            block -= mean  # in place: no float64 or second float32 copy of the block
            block /= std
        return out
