"""Getting the official archive onto disk safely: download with an md5 check, then a guarded extraction.

Nothing half-done ever looks complete: the download goes to a hidden `.part` file that is renamed into
place only once its md5 matches, and extraction goes to a hidden staging folder from which only a
complete cifar-10-batches-py/ is renamed into place. Leftovers of a killed process are removed later.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path, PureWindowsPath

from tqdm.auto import tqdm

from .errors import DataError, describe, explain_os_error
from .release import (
    ARCHIVE_MB,
    ARCHIVE_NAME,
    BATCH_FILES,
    BATCHES_FOLDER,
    CIFAR10_MD5,
    CIFAR10_URL,
    ENV_VAR,
    EXTRACTED_MB,
)

DOWNLOAD_PREFIX, EXTRACT_PREFIX = ".cifar-10-download-", ".cifar-10-extract-"
# A live process keeps touching its leftovers: a download writes its .part file every chunk (and gives
# up after 60 s without data), an extraction creates files in its staging folder within a minute or
# two. So anything untouched for 10 minutes belongs to a process that died, and two processes sharing
# data/ never remove each other's live files. Simpler and safer than tracking process ids.
STALE_AFTER_SECONDS = 600
_SAFE_FILTER = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # extra guard on 3.11.4+


def manual_help(data_dir: Path, url: str = CIFAR10_URL) -> str:
    """The two ways around an automatic download that cannot work."""
    return (f"Or download {url} yourself (e.g. in a browser) and save it as {Path(data_dir) / ARCHIVE_NAME}, "
            f"or set {ENV_VAR} to a folder that holds {BATCHES_FOLDER} (see data/README.md).")


def md5_of(path: Path) -> str:
    """The md5 hex digest of a file, read 1 MiB at a time."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _newest_mtime(path: Path) -> float:
    """Latest modification time of `path` and, for a folder, of anything inside it (not following links)."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                try:
                    newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
                except FileNotFoundError:  # removed meanwhile by its owner
                    pass
    return newest


def remove_leftovers(data_dir, stale_after: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Remove `.part` downloads and staging folders untouched for `stale_after` seconds; return what went.

    Only names this module creates are considered, and failures are ignored: a leftover that cannot be
    removed (or that another process removes first) does no harm.
    """
    data_dir, removed = Path(data_dir), []
    now = time.time()
    for path in [*data_dir.glob(f"{DOWNLOAD_PREFIX}*.part"), *data_dir.glob(f"{EXTRACT_PREFIX}*")]:
        try:
            if now - _newest_mtime(path) < stale_after:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed


def download_cifar10(data_dir, url=CIFAR10_URL, md5=CIFAR10_MD5, progress=True) -> Path:
    """Download the archive to <data_dir>/cifar-10-python.tar.gz, checking its md5; return that path."""
    data_dir = Path(data_dir)
    archive, partial = data_dir / ARCHIVE_NAME, None
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        remove_leftovers(data_dir)
        fd, partial = tempfile.mkstemp(prefix=DOWNLOAD_PREFIX, suffix=".part", dir=data_dir)
        with os.fdopen(fd, "wb") as out:
            actual = _stream_to_file(url, out, progress)
        if actual != md5:
            raise DataError(f"The file downloaded from {url} has md5 {actual}, expected {md5}: it is incomplete "
                            "or not the CIFAR-10 archive. Run again to retry. " + manual_help(data_dir, url))
        os.replace(partial, archive)  # atomic: the archive is either absent or complete
    except (Exception, KeyboardInterrupt) as exc:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
        if isinstance(exc, DataError):
            raise
        # A full disk or a folder we may not write to is not a network problem: say so.
        if disk := explain_os_error(exc, f"Saving the download in {data_dir}", data_dir, ARCHIVE_MB + EXTRACTED_MB):
            raise DataError(disk) from exc
        raise DataError(f"Downloading {url} failed ({describe(exc)}). Check your connection and run again to "
                        "retry. " + manual_help(data_dir, url)) from exc
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


def extract_archive(archive, data_dir) -> Path:
    """Safely extract the archive's cifar-10-batches-py into data_dir; return that folder.

    The whole archive is read once first (gzip's CRC check catches corrupted bytes), every member is
    checked before anything is written, and extraction goes to a hidden staging folder.
    """
    archive, data_dir = Path(archive), Path(data_dir)
    target = data_dir / BATCHES_FOLDER
    if not archive.is_file():
        raise DataError(f"{archive} does not exist. " + manual_help(data_dir))
    if target.exists():
        raise DataError(f"{target} already exists; delete it first if you want to extract {archive} again.")
    staging = None
    try:
        with gzip.open(archive) as stream:  # before the staging folder exists, so it is never idle for long
            while stream.read(1 << 20):
                pass
        data_dir.mkdir(parents=True, exist_ok=True)
        remove_leftovers(data_dir)
        staging = Path(tempfile.mkdtemp(prefix=EXTRACT_PREFIX, dir=data_dir)).resolve()
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()  # reads the whole index, so truncation shows up here
            for member in members:
                _check_member(member, staging, archive)
            tar.extractall(staging, members=members, **_SAFE_FILTER)
        if missing := [name for name in BATCH_FILES if not (staging / BATCHES_FOLDER / name).is_file()]:
            raise DataError(f"{archive} has no {BATCHES_FOLDER}/{', '.join(missing)}, so it is not the CIFAR-10 "
                            "python archive. Delete it and run again. " + manual_help(data_dir))
        try:
            os.replace(staging / BATCHES_FOLDER, target)
        except OSError:
            if not target.is_dir():  # else another process finished first, and renames are atomic: its copy is whole
                raise
    except DataError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise _extraction_error(exc, archive, data_dir) from exc
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _extraction_error(exc: Exception, archive: Path, data_dir: Path) -> DataError:
    """Tell a full disk or a refused write (keep the archive) from a damaged archive (fetch it again)."""
    keep = f" {archive} itself is not the problem: keep it."
    if disk := explain_os_error(exc, f"Extracting {archive}", data_dir, EXTRACTED_MB):
        return DataError(disk + keep)
    if isinstance(exc, OSError) and exc.errno is not None:  # e.g. an I/O error: the disk, not the archive
        return DataError(f"Extracting {archive} into {data_dir} failed ({exc}). Check that disk and run again."
                         + keep)
    # What is left is the archive's own bytes: tar, gzip (BadGzipFile has no errno), zlib or an early end.
    return DataError(f"{archive} is damaged or not a tar.gz archive ({type(exc).__name__}: {exc}). Delete it and "
                     "run again to download a fresh copy. " + manual_help(data_dir))


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
