"""CIFAR-10 for the MLP: find or download it safely, load it, split it and normalise it.

A pixel row is channel-planar: 1024 red values, then 1024 green, then 1024 blue, each plane a
row-major 32x32 image. Where the data comes from, in order: the folder named by $CIFAR10_DIR,
<data_dir>/cifar-10-batches-py, <data_dir>/cifar-10-python.tar.gz, then a download checked by md5.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

import numpy as np
from tqdm.auto import tqdm

try:  # numpy >= 2 keeps its internals in numpy._core; touching numpy.core there is deprecated
    from numpy._core import multiarray as _multiarray
except ImportError:  # numpy 1.x
    from numpy.core import multiarray as _multiarray

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
ENV_VAR = "CIFAR10_DIR"
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "data"
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
NORMALISATIONS = ("per_image", "per_channel", "per_feature")

ARCHIVE_NAME = "cifar-10-python.tar.gz"
BATCHES_FOLDER = "cifar-10-batches-py"
BATCH_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
N_FEATURES = 3 * 32 * 32
PLANE = 32 * 32
STD_FLOOR = 1.0  # one grey level (1/255 on a 0..1 scale): flat planes map to 0 instead of blowing up
_CHUNK_ROWS = 5000  # rows converted at a time, so float temporaries stay around 60 MB
_SAFE_FILTER = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # extra guard on 3.11.4+


class DataError(RuntimeError):
    """Raised when CIFAR-10 cannot be found, fetched or read; the message says what to do about it."""


def _manual_help(data_dir: Path, url: str) -> str:
    return (f"Or download {url} yourself (e.g. in a browser) and save it as {Path(data_dir) / ARCHIVE_NAME}, "
            f"or set {ENV_VAR} to a folder that holds {BATCHES_FOLDER} (see data/README.md).")


def _missing_batches(folder: Path) -> list[str]:
    return [name for name in BATCH_FILES if not (folder / name).is_file()]


def _md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def locate_cifar10(data_dir=None, download=True) -> Path:
    """Return the cifar-10-batches-py folder, extracting or downloading it if needed (see module doc)."""
    if os.environ.get(ENV_VAR):
        return _folder_named_by_env(os.environ[ENV_VAR])
    data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    batches, archive = data_dir / BATCHES_FOLDER, data_dir / ARCHIVE_NAME
    if batches.exists():
        if missing := _missing_batches(batches):
            raise DataError(f"{batches} is incomplete (no {', '.join(missing)}). Delete that folder and run "
                            "again to extract or download a fresh copy.")
        return batches
    if not archive.exists():
        if not download:
            raise DataError(f"CIFAR-10 is not in {data_dir} and download=False. Pass download=True to fetch it. "
                            + _manual_help(data_dir, CIFAR10_URL))
        # Module attributes are read here, at call time, so tests can point them at a local server.
        download_cifar10(data_dir, url=CIFAR10_URL, md5=CIFAR10_MD5)
    elif (actual := _md5_of(archive)) != CIFAR10_MD5:
        raise DataError(f"{archive} has md5 {actual}, expected {CIFAR10_MD5}: it is incomplete or not the "
                        "CIFAR-10 python archive. Delete it and run again to download a fresh copy.")
    return extract_archive(archive, data_dir)


def _folder_named_by_env(value: str) -> Path:
    folder = Path(value).expanduser()
    for candidate in (folder, folder / BATCHES_FOLDER):
        if candidate.is_dir() and not _missing_batches(candidate):
            return candidate
    problem = ("does not exist" if not folder.exists()
               else f"holds neither the batch files ({', '.join(BATCH_FILES)}) nor a {BATCHES_FOLDER} folder with them")
    raise DataError(f"{ENV_VAR} is set to {value!r}, but that folder {problem}. Point {ENV_VAR} at a folder "
                    f"holding {BATCHES_FOLDER} (or at that folder itself), or unset it to use {DEFAULT_DATA_DIR}.")


def download_cifar10(data_dir, url=CIFAR10_URL, md5=CIFAR10_MD5, progress=True) -> Path:
    """Download the archive to <data_dir>/cifar-10-python.tar.gz, checking its md5; return that path.

    The bytes go to a hidden temporary file in data_dir, which is renamed into place only once the md5
    matches, so an interrupted or bad download never looks like a good archive.
    """
    data_dir = Path(data_dir)
    archive, partial = data_dir / ARCHIVE_NAME, None
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(prefix=".cifar-10-download-", suffix=".part", dir=data_dir)
        with os.fdopen(fd, "wb") as out:
            actual = _stream_to_file(url, out, progress)
        if actual != md5:
            raise DataError(f"The file downloaded from {url} has md5 {actual}, expected {md5}: it is incomplete "
                            "or not the CIFAR-10 archive. Run again to retry. " + _manual_help(data_dir, url))
        os.replace(partial, archive)  # atomic: the archive is either absent or complete
    except (Exception, KeyboardInterrupt) as exc:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
        if isinstance(exc, DataError):
            raise
        raise DataError(f"Downloading {url} failed ({_describe(exc)}). Check your connection and run again to "
                        "retry. " + _manual_help(data_dir, url)) from exc
    return archive


def _stream_to_file(url: str, out, progress: bool) -> str:
    """Copy url into the open binary file `out` in 1 MiB pieces; return the md5 hex digest of the bytes."""
    digest = hashlib.md5(usedforsecurity=False)
    request = urllib.request.Request(url, headers={"User-Agent": "mlp_helpers"})
    with urllib.request.urlopen(request, timeout=60) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=ARCHIVE_NAME,
                  disable=not progress) as bar:
            while chunk := response.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    return digest.hexdigest()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"the server answered HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"could not reach the server: {exc.reason}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"{type(exc).__name__}: {exc}"


def extract_archive(archive, data_dir) -> Path:
    """Safely extract the archive's cifar-10-batches-py into data_dir; return that folder.

    Every member is checked before anything is written, extraction goes to a hidden temporary folder,
    and only a complete batches folder is renamed into place.
    """
    archive, data_dir = Path(archive), Path(data_dir)
    target = data_dir / BATCHES_FOLDER
    if not archive.is_file():
        raise DataError(f"{archive} does not exist. " + _manual_help(data_dir, CIFAR10_URL))
    if target.exists():
        raise DataError(f"{target} already exists; delete it first if you want to extract {archive} again.")
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".cifar-10-extract-", dir=data_dir)).resolve()
    try:
        try:
            with gzip.open(archive) as stream:  # read it all once: gzip's CRC check catches corrupted bytes
                while stream.read(1 << 20):
                    pass
            with tarfile.open(archive, "r:gz") as tar:
                members = tar.getmembers()  # reads the whole index, so truncation shows up here
                for member in members:
                    _check_member(member, staging, archive)
                tar.extractall(staging, members=members, **_SAFE_FILTER)
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise DataError(f"{archive} is damaged or not a tar.gz archive ({exc}). Delete it and run again to "
                            "download a fresh copy. " + _manual_help(data_dir, CIFAR10_URL)) from exc
        if missing := _missing_batches(staging / BATCHES_FOLDER):
            raise DataError(f"{archive} has no {BATCHES_FOLDER}/{', '.join(missing)}, so it is not the CIFAR-10 "
                            "python archive. Delete it and run again. " + _manual_help(data_dir, CIFAR10_URL))
        os.replace(staging / BATCHES_FOLDER, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _check_member(member: tarfile.TarInfo, root: Path, archive: Path) -> None:
    """Refuse members that could write outside `root` or create links and special files."""
    name = member.name
    if member.issym() or member.islnk():
        kind = "a link"
    elif not (member.isfile() or member.isdir()):
        kind = "a device, fifo or other special file"
    elif name.startswith(("/", "\\")) or PureWindowsPath(name).drive:
        kind = "an absolute path"
    elif not (root / name).resolve().is_relative_to(root):
        kind = "a path that leaves the target folder"
    else:
        return
    raise DataError(f"{archive} contains {name!r}, {kind}; refusing to extract it (the real CIFAR-10 archive "
                    f"holds only plain files). Delete it and download a fresh copy from {CIFAR10_URL}.")


# The official batches were pickled by Python 2 numpy; these are the only globals they use.
_ALLOWED_GLOBALS = {
    (module, name): getattr(_multiarray, name)
    for module in ("numpy.core.multiarray", "numpy._core.multiarray") for name in ("_reconstruct", "scalar")
} | {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}


class _BatchUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild numpy arrays and nothing else (a plain pickle can run any code)."""

    def __init__(self, file, path: Path):
        super().__init__(file, encoding="bytes")
        self.path = path

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED_GLOBALS:
            return _ALLOWED_GLOBALS[(module, name)]
        raise DataError(f"{self.path} tries to import {module}.{name}; refusing to load it, because a CIFAR-10 "
                        f"batch holds only numpy arrays. Delete {self.path.parent} and get a fresh copy.")


def load_batch(path) -> tuple[np.ndarray, np.ndarray]:
    """Read one pickled batch file: returns images (N, 3072) uint8 C-contiguous and labels (N,) int64."""
    path = Path(path)
    refetch = f"Delete {path.parent} and run again to extract or download a fresh copy."
    try:
        with open(path, "rb") as f:
            batch = _BatchUnpickler(f, path).load()
    except DataError:
        raise
    except Exception as exc:  # a bad pickle can fail in many ways; all mean "this file is broken"
        raise DataError(f"Cannot read the CIFAR-10 batch {path} ({type(exc).__name__}: {exc}). {refetch}") from exc
    if not isinstance(batch, dict):
        raise DataError(f"{path} holds a {type(batch).__name__}, not a CIFAR-10 batch dict. {refetch}")
    batch = {key.decode("latin-1") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise DataError(f"{path} has no 'data' or no 'labels' entry. {refetch}")
    data, labels = batch["data"], batch["labels"]
    try:
        labels = np.asarray(labels)
    except (ValueError, TypeError) as exc:  # e.g. a ragged list
        raise DataError(f"{path}: 'labels' is not a list of integers ({exc}). {refetch}") from exc
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
        raise DataError(f"{path}: 'data' is {getattr(data, 'dtype', type(data).__name__)}, expected uint8. {refetch}")
    if data.ndim == 1 and data.size % N_FEATURES == 0:
        data = data.reshape(-1, N_FEATURES)
    if data.ndim != 2 or data.shape[1] != N_FEATURES or len(data) == 0:
        raise DataError(f"{path}: 'data' has shape {data.shape}, expected (N, {N_FEATURES}). {refetch}")
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) != len(data):
        raise DataError(f"{path}: 'labels' must be {len(data)} integers, got {labels.dtype} {labels.shape}. {refetch}")
    if labels.min() < 0 or labels.max() >= len(CLASS_NAMES):
        raise DataError(f"{path}: labels run from {labels.min()} to {labels.max()}, expected 0..9. {refetch}")
    return np.ascontiguousarray(data), labels.astype(np.int64)


def load_cifar10(data_dir=None, download=True):
    """Return x_train (50000, 3072) uint8, y_train (50000,) int64, x_test (10000, 3072) uint8, y_test (10000,).

    Loaded once per folder and process (load_cifar10.cache_clear() forgets them); the arrays are
    read-only because every caller shares them.
    """
    return _load_folder(locate_cifar10(data_dir, download).resolve())


@functools.lru_cache(maxsize=2)
def _load_folder(folder: Path):
    train = [load_batch(folder / name) for name in BATCH_FILES[:-1]]
    arrays = (np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]),
              *load_batch(folder / BATCH_FILES[-1]))
    for array in arrays:
        array.flags.writeable = False
    return arrays


load_cifar10.cache_clear = _load_folder.cache_clear


def _check_positive_int(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def _check_scheme(scheme) -> None:
    if scheme not in NORMALISATIONS:
        raise ValueError(f"scheme must be one of {', '.join(NORMALISATIONS)}; got {scheme!r}.")


def split_train_val(x, y, n_val=10_000, seed=0):
    """Hold out n_val rows chosen by a seeded permutation: (N, ...), (N,) → x_tr, y_tr, x_val, y_val."""
    _check_positive_int(n_val, "n_val")
    if len(x) != len(y) or n_val >= len(x):
        raise ValueError(f"need len(x) == len(y) > n_val; got {len(x)}, {len(y)} and n_val={n_val}.")
    order = np.random.default_rng(seed).permutation(len(x))
    train, val = order[n_val:], order[:n_val]
    return x[train], y[train], x[val], y[val]


def subset_per_class(x, y, n_per_class, seed=0):
    """Pick n_per_class rows of each class (seeded), shuffled: (N, ...), (N,) → (10 n, ...), (10 n,)."""
    _check_positive_int(n_per_class, "n_per_class")
    y = np.asarray(y)
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
    """Labels (N,) ints in 0..n_classes-1 → (N, n_classes) rows with a single 1."""
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu" or (y.size and (y.min() < 0 or y.max() >= n_classes)):
        raise ValueError(f"y must be a 1-d array of integers in 0..{n_classes - 1}.")
    out = np.zeros((len(y), n_classes), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


def _check_pixels(x) -> np.ndarray:
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != N_FEATURES:
        raise ValueError(f"expected a uint8 array of shape (N, {N_FEATURES}), got "
                         f"{getattr(x, 'dtype', type(x).__name__)} {getattr(x, 'shape', '')}.")
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
        _check_scheme(self.scheme)

    @classmethod
    def fit(cls, x_train_uint8, scheme) -> "Normaliser":
        _check_scheme(scheme)
        x = _check_pixels(x_train_uint8)
        if scheme == "per_image":
            return cls(scheme)
        if len(x) == 0:
            raise ValueError("cannot fit a Normaliser on zero images.")
        sums = [_sums(x[i:i + _CHUNK_ROWS], axis=0) for i in range(0, len(x), _CHUNK_ROWS)]
        total, total_sq = (np.sum(parts, axis=0, dtype=np.int64) for parts in zip(*sums))  # (3072,) each
        count = len(x)
        if scheme == "per_channel":
            total, total_sq, count = total.reshape(3, PLANE).sum(1), total_sq.reshape(3, PLANE).sum(1), count * PLANE
        return cls(scheme, *_mean_std(total, total_sq, count))

    def transform(self, x_uint8, dtype=np.float32) -> np.ndarray:
        """Return a new (N, 3072) float array; works in place on chunks of rows to stay fast and small."""
        x = _check_pixels(x_uint8)
        if np.dtype(dtype).kind != "f":
            raise ValueError(f"dtype must be a floating type, got {np.dtype(dtype)}.")
        if self.scheme != "per_image" and self.mean is None:
            raise ValueError(f"this {self.scheme} Normaliser has no statistics; build it with Normaliser.fit.")
        out = np.empty(x.shape, dtype=dtype)
        if self.scheme != "per_image":
            repeat = PLANE if self.scheme == "per_channel" else 1
            mean, std = (np.repeat(stat, repeat).astype(dtype) for stat in (self.mean, self.std))  # (3072,)
        for start in range(0, len(x), _CHUNK_ROWS):
            rows, block = x[start:start + _CHUNK_ROWS], out[start:start + _CHUNK_ROWS]
            block[...] = rows
            if self.scheme == "per_image":
                planes, block = rows.reshape(-1, 3, PLANE), block.reshape(-1, 3, PLANE)
                mean, std = (s[..., None].astype(dtype) for s in _mean_std(*_sums(planes, axis=2), PLANE))
            block -= mean  # in place: no float64 or second float32 copy of the block
            block /= std
        return out


@dataclass(frozen=True, eq=False)
class Dataset:
    """Normalised splits: x_* (N, 3072) float arrays, y_* (N,) int64 labels in 0..9."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    scheme: str
    class_names: tuple = CLASS_NAMES

    def sizes(self) -> dict:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


def load_dataset(scheme="per_image", n_per_class=None, n_eval_per_class=None, seed=0, data_dir=None,
                 dtype=np.float32) -> Dataset:
    """Load CIFAR-10, split 40,000/10,000 train/val (seeded), optionally subsample, and normalise.

    n_per_class subsamples the training split; n_eval_per_class subsamples val and test and defaults to
    max(1, n_per_class // 4) when n_per_class is given. Statistics come from the training split only.
    """
    _check_scheme(scheme)
    for value, name in ((n_per_class, "n_per_class"), (n_eval_per_class, "n_eval_per_class")):
        if value is not None:
            _check_positive_int(value, name)
    if np.dtype(dtype).kind != "f":
        raise ValueError(f"dtype must be a floating type, got {np.dtype(dtype)}.")
    x_train, y_train, x_test, y_test = load_cifar10(data_dir)
    x_tr, y_tr, x_val, y_val = split_train_val(x_train, y_train, seed=seed)
    if n_per_class is not None:
        x_tr, y_tr = subset_per_class(x_tr, y_tr, n_per_class, seed)
        n_eval_per_class = n_eval_per_class or max(1, n_per_class // 4)
    if n_eval_per_class is not None:
        x_val, y_val = subset_per_class(x_val, y_val, n_eval_per_class, seed)
        x_test, y_test = subset_per_class(x_test, y_test, n_eval_per_class, seed)
    normaliser = Normaliser.fit(x_tr, scheme)
    return Dataset(normaliser.transform(x_tr, dtype), y_tr, normaliser.transform(x_val, dtype), y_val,
                   normaliser.transform(x_test, dtype), np.array(y_test), scheme=scheme)


def images(x_uint8_rows) -> np.ndarray:
    """Channel-planar rows (N, 3072) → (N, 32, 32, 3) images for display (a view); one row → (32, 32, 3)."""
    x = np.asarray(x_uint8_rows)
    if x.ndim not in (1, 2) or x.shape[-1] != N_FEATURES:
        raise ValueError(f"expected rows of {N_FEATURES} values, got shape {x.shape}.")
    return np.moveaxis(x.reshape(*x.shape[:-1], 3, 32, 32), -3, -1)
