"""A probe of a data copy: the same images re-compressed once more as JPEG.

Some copies of CIFAR-10 were decoded from JPEG files (a PROVENANCE.md beside the copy says so). Such a
copy cannot be turned back into the official, lossless files, but one can ask the opposite question:
how much does ONE MORE round of compression move a run's numbers? ``recompress_jpeg`` encodes every
image with Pillow at ``quality`` and decodes it again; ``load_recompressed_dataset`` is
``load_dataset`` on those pixels.

Re-compressing on the same 8x8 block grid at the same quality is nearly idempotent, so it would probe
nothing. The image is therefore shifted by ``shift`` pixels (reflect-padded to 40x40) before encoding
and cropped back after, so the blocks straddle the old ones. It is a rough guide to the size of the
effect, not a measurement of the official files (docs/development.md gives the sizes measured on the
development copy).
"""
from __future__ import annotations

import io

import numpy as np

from ..validation import check_int, check_number
from .dataset import Dataset, load_dataset
from .images import N_FEATURES, images


def pillow_version() -> str:
    import PIL
    return PIL.__version__


GRID_SHIFT = 4   # pixels: half a JPEG block, so the new blocks straddle the old ones


def recompressed_source(fingerprint: str, quality: int, shift: int = GRID_SHIFT) -> str:
    """The ``Dataset.source`` of a re-compressed copy: the copy's fingerprint, the quality, the grid
    shift and the Pillow version (another JPEG library gives slightly different pixels)."""
    return f"{fingerprint}+jpeg{quality}-shift{shift}-pillow{pillow_version()}"


def recompress_jpeg(rows, quality=75, shift=GRID_SHIFT) -> np.ndarray:
    """uint8 channel-planar rows (N, 3072) -> the same images after a JPEG round trip at ``quality``
    on a block grid shifted by ``shift`` pixels (0-7; Pillow's defaults otherwise: 4:2:0 chroma
    subsampling, as the copy's JPEGs), as new rows."""
    from PIL import Image

    check_int("quality", quality)
    check_number("quality", quality, 1, 95)
    check_int("shift", shift, minimum=0)
    check_number("shift", shift, 0, 7)
    x = np.asarray(rows)
    if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != N_FEATURES:
        raise ValueError(f"expected uint8 rows (N, {N_FEATURES}), got {x.dtype} {x.shape}")
    out = np.empty_like(x)
    pad = ((shift, 8 - shift), (shift, 8 - shift), (0, 0))
    for i, picture in enumerate(images(x)):
        buffer = io.BytesIO()
        Image.fromarray(np.pad(picture, pad, mode="reflect")).save(buffer, format="JPEG", quality=quality)
        buffer.seek(0)
        decoded = np.asarray(Image.open(buffer).convert("RGB"))[shift:shift + 32, shift:shift + 32]
        out[i] = np.moveaxis(decoded, -1, 0).reshape(-1)
    return out


def load_recompressed_dataset(scheme="per_image", quality=75, n_per_class=None, n_eval_per_class=None, seed=0,
                              data_dir=None, dtype=np.float32) -> Dataset:
    """``load_dataset`` (same split, subsets and normalisation) on the copy re-compressed at ``quality``.
    Only the images the split keeps are re-compressed (all 60,000 at full scale: about ten seconds)."""
    return load_dataset(scheme, n_per_class, n_eval_per_class, seed, data_dir, dtype,
                        pixels=lambda x: recompress_jpeg(x, quality),
                        source=lambda fingerprint: recompressed_source(fingerprint, quality))
