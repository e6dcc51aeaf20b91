"""The data of the protocol: which images a run trains, validates and tests on, loaded once per process.

The report's protocol is 40,000 / 10,000 / 10,000 images, normalised as the run's configuration says; the
quick setting (``settings.QUICK``) takes a small class-balanced subset of it. ``data_source(config)``
names the copy a run uses (its fingerprint) without loading any data, so a cache lookup stays cheap.
``explorer_dataset`` is the small subset the sliders train on.
"""
from __future__ import annotations

from functools import lru_cache

from .. import settings
from .cifar10 import locate_cifar10
from .dataset import load_dataset
from .fingerprint import data_fingerprint
from .recompressed import load_recompressed_dataset, recompressed_source

EXPLORER_PER_CLASS = {"full": 300, "quick": 100}    # training images per class for the explorers
EXPLORER_EVAL_PER_CLASS = 100


@lru_cache(maxsize=4)
def cached_dataset(normalisation, n_per_class, n_eval_per_class):
    """``load_dataset`` remembered per process (a full dataset takes seconds to load)."""
    return load_dataset(normalisation, n_per_class=n_per_class, n_eval_per_class=n_eval_per_class)


@lru_cache(maxsize=1)
def cached_recompressed(normalisation, quality, n_per_class, n_eval_per_class):
    return load_recompressed_dataset(normalisation, quality, n_per_class=n_per_class,
                                     n_eval_per_class=n_eval_per_class)


def protocol_sizes(quick=None) -> tuple:
    """(training images per class, validation/test images per class): (None, None) at full scale."""
    if settings.quick_mode(quick):
        return settings.QUICK["n_per_class"], settings.QUICK["n_eval_per_class"]
    return None, None


def protocol_dataset(normalisation="per_image", quick=None):
    """The report's protocol: 40k/10k/10k, normalised; the quick subset (``settings.QUICK``)
    when ``settings.quick_mode(quick)``."""
    return cached_dataset(normalisation, *protocol_sizes(quick))


def dataset_for(config, quick=None):
    """The data ``config`` trains on: the protocol's, or its JPEG re-compressed probe copy."""
    if config.recompress_jpeg is not None:
        return cached_recompressed(config.normalisation, config.recompress_jpeg, *protocol_sizes(quick))
    return protocol_dataset(config.normalisation, quick)


def data_source(config) -> str:
    """The ``Dataset.source`` that ``dataset_for(config)`` will have, without loading any data: the
    fingerprint of the CIFAR-10 copy (SHA-256 of every byte, hashed once and then remembered), marked for a
    re-compressed copy."""
    fingerprint = data_fingerprint(locate_cifar10())
    if config.recompress_jpeg is not None:
        return recompressed_source(fingerprint, config.recompress_jpeg)
    return fingerprint


def explorer_dataset(normalisation="per_image", n_per_class=None):
    """A small class-balanced subset for the interactive explorers, where a slider move must answer
    in seconds: 300 training images per class (100 in the quick setting), 100 per class to validate
    and test."""
    if n_per_class is None:
        n_per_class = EXPLORER_PER_CLASS["quick" if settings.quick_mode() else "full"]
    return cached_dataset(normalisation, n_per_class, EXPLORER_EVAL_PER_CLASS)
