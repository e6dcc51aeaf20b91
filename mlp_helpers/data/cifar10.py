"""CIFAR-10 as stored: find or fetch a copy, and load it once per process.

Where the data comes from, in order: the folder named by $CIFAR10_DIR (read, never written to),
<data_dir>/cifar-10-batches-py, <data_dir>/cifar-10-python.tar.gz (md5-checked, then extracted), then
a download checked by md5. data_dir defaults to settings.DATA_DIR, the repository's data/ folder.
The mechanics live next door: archive.py (download, extraction), batches.py (reading one file);
fingerprint.py names a copy by its content.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import settings
from .archive import download_cifar10, extract_archive, manual_help, md5_of
from .batches import read_batch
from .errors import DataError
from .release import ARCHIVE_NAME, BATCH_FILES, BATCHES_FOLDER, CIFAR10_MD5, CIFAR10_URL, ENV_VAR

__all__ = ["locate_cifar10", "RawCifar10", "load_raw_cifar10"]


class RawCifar10(NamedTuple):
    """The data set as stored, read-only because every caller shares the same arrays.

    x_train (50000, 3072) uint8 channel-planar rows, y_train (50000,) int64 labels in 0..9,
    x_test (10000, 3072) uint8, y_test (10000,) int64.
    """
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def _missing_batches(folder: Path) -> list[str]:
    return [name for name in BATCH_FILES if not (folder / name).is_file()]


def batches_in(folder: Path) -> Path | None:
    """`folder` or `folder`/cifar-10-batches-py, whichever holds all six batch files, else None."""
    for candidate in (folder, folder / BATCHES_FOLDER):
        if candidate.is_dir() and not _missing_batches(candidate):
            return candidate
    return None


def locate_cifar10(data_dir=None, download=True) -> Path:
    """Return the folder holding the six batch files, extracting or downloading them if needed (module doc).

    data_dir (default settings.DATA_DIR) holds cifar-10-batches-py/ or the archive, or is a folder
    holding the six batch files itself.
    """
    if os.environ.get(ENV_VAR):
        return _folder_named_by_env(os.environ[ENV_VAR])
    data_dir = Path(data_dir) if data_dir is not None else settings.DATA_DIR
    if data_dir.is_dir() and not _missing_batches(data_dir):
        return data_dir  # the batches folder itself, as $CIFAR10_DIR may name it too
    batches, archive = data_dir / BATCHES_FOLDER, data_dir / ARCHIVE_NAME
    if batches.exists():
        if missing := _missing_batches(batches):
            raise DataError(f"{batches} is incomplete (no {', '.join(missing)}). Delete that folder and run "
                            "again to extract or download a fresh copy.")
        return batches
    if not archive.exists():
        if not download:
            raise DataError(f"CIFAR-10 is not in {data_dir} and download=False. Pass download=True to fetch it. "
                            + manual_help(data_dir, CIFAR10_URL))
        # Module attributes are read here, at call time, so tests can point them at a local server.
        download_cifar10(data_dir, url=CIFAR10_URL, md5=CIFAR10_MD5)
    else:
        try:
            actual = md5_of(archive)
        except OSError as exc:
            raise DataError(f"Cannot read {archive} ({exc}). Check that you can read it.") from exc
        if actual != CIFAR10_MD5:
            raise DataError(f"{archive} has md5 {actual}, expected {CIFAR10_MD5}: it is incomplete or not the "
                            "CIFAR-10 python archive. Delete it and run again to download a fresh copy.")
    return extract_archive(archive, data_dir)


def _folder_named_by_env(value: str) -> Path:
    """The batches folder $CIFAR10_DIR names (it may name the folder or its parent); never downloads."""
    folder = Path(value).expanduser()
    if (batches := batches_in(folder)) is not None:
        return batches
    problem = ("does not exist" if not folder.exists()
               else f"holds neither the batch files ({', '.join(BATCH_FILES)}) nor a {BATCHES_FOLDER} folder with them")
    raise DataError(f"{ENV_VAR} is set to {value!r}, but that folder {problem}. Point {ENV_VAR} at a folder "
                    f"holding {BATCHES_FOLDER} (or at that folder itself), or unset it to use {settings.DATA_DIR}.")


def load_raw_cifar10(data_dir=None, download=True) -> RawCifar10:
    """Locate (see locate_cifar10) and read the six batches: a RawCifar10 of read-only arrays.

    Loaded once per folder and process; load_raw_cifar10.cache_clear() forgets what was loaded.
    """
    return _load_folder(locate_cifar10(data_dir, download).resolve())


@functools.lru_cache(maxsize=2)
def _load_folder(folder: Path) -> RawCifar10:
    train = [read_batch(folder / name) for name in BATCH_FILES[:-1]]
    raw = RawCifar10(np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]),
                     *read_batch(folder / BATCH_FILES[-1]))
    return RawCifar10(*(read_only(array) for array in raw))


def read_only(array: np.ndarray) -> np.ndarray:
    """`array` itself, marked read-only. Loaded data is shared (one RawCifar10 per process, Datasets
    cached by the experiments), so an in-place edit (x -= x.mean()) must fail loudly rather than
    change the data of every later run. Edit a copy instead: x = data.x_train - data.x_train.mean()."""
    array.flags.writeable = False
    return array


load_raw_cifar10.cache_clear = _load_folder.cache_clear
