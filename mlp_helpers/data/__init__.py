"""CIFAR-10 for the MLP: find or download it safely, load it, split it and normalise it.

    release.py        where the official archive lives, its md5, its file and class names
    errors.py         DataError, and messages that name the real cause of a failure and its fix
    archive.py        download (md5-checked) and guarded extraction of the archive
    batches.py        reading one batch file with a restricted unpickler
    cifar10.py        locate_cifar10, load_raw_cifar10 (read-only uint8 arrays)
    fingerprint.py    data_fingerprint: a copy named by the SHA-256 of all its bytes, remembered per file
    images.py         the channel-planar pixel layout; images() for display, colour statistics, flip_half()
    normalisation.py  Normaliser: per_image, per_channel or per_feature standardisation
    dataset.py        the 40k/10k/10k split, class-balanced subsets, one_hot, load_dataset → Dataset (read-only)
    protocol.py       the data a run uses (protocol_dataset, dataset_for, data_source), loaded once per process
"""
from .archive import download_cifar10, extract_archive
from .batches import read_batch
from .cifar10 import RawCifar10, load_raw_cifar10, locate_cifar10
from .dataset import Dataset, load_dataset, one_hot, split_train_val, subset_per_class
from .errors import DataError
from .fingerprint import data_fingerprint
from .images import COLOUR_STATISTICS, N_FEATURES, PLANE, colour_statistics, flip_half, images
from .normalisation import NORMALISATIONS, STD_FLOOR, Normaliser
from .release import ARCHIVE_NAME, BATCH_FILES, BATCHES_FOLDER, CIFAR10_MD5, CIFAR10_URL, CLASS_NAMES, ENV_VAR

__all__ = ["ARCHIVE_NAME", "BATCH_FILES", "BATCHES_FOLDER", "CIFAR10_MD5", "CIFAR10_URL", "CLASS_NAMES", "ENV_VAR",
           "DataError", "RawCifar10", "data_fingerprint", "download_cifar10", "extract_archive", "load_raw_cifar10",
           "locate_cifar10", "read_batch", "Dataset", "load_dataset", "one_hot", "split_train_val",
           "subset_per_class", "COLOUR_STATISTICS", "N_FEATURES", "PLANE", "colour_statistics", "flip_half",
           "images", "NORMALISATIONS", "STD_FLOOR", "Normaliser"]
