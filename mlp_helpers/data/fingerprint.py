"""The fingerprint of a CIFAR-10 copy: SHA-256 of every byte of its files, remembered so a lookup is cheap.

Two copies get the same fingerprint only if each of the six batch files (and batches.meta, when
present) is byte for byte the same, so a copy with one pixel or one label changed is a different copy
to the run cache. Hashing the 180 MB of a copy takes a fraction of a second (docs/development.md
gives the measured time); it is done once per file and remembered under the file's identity:

    (resolved path, size, mtime_ns, inode, ctime_ns)

in the process, and in MEMO_NAME beside the batches when the loader may write there. A remembered
hash is used only if every part of the identity is what the file shows now: an edit, a copy or a
replacement changes at least one, and the file is hashed again. (ctime cannot be set back by hand,
so even an edit that restores the old mtime is caught.) A copy named by $CIFAR10_DIR is only ever
read, so its hashes are remembered in the process alone.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path

from .cifar10 import batches_in
from .errors import DataError, named_by_env
from .release import BATCH_FILES, BATCHES_FOLDER

META_FILE = "batches.meta"
MEMO_NAME = ".sha256-memo.json"   # {file name: {"identity": [...], "sha256": hex}} for that folder's files
_MEMO_VERSION = 1

_remembered: dict[tuple, str] = {}   # identity -> SHA-256 hex digest, for this process


def data_fingerprint(folder) -> str:
    """16 hex digits naming a copy of CIFAR-10 by its content: the same bytes anywhere give the same value.

    `folder` holds the six batch files (or a cifar-10-batches-py folder with them). The digest covers
    the SHA-256 of every byte of each batch file and of batches.meta if present (module doc for the
    cost and how hashes are remembered; data_fingerprint.cache_clear() forgets this process's).
    """
    batches = batches_in(Path(folder))
    if batches is None:
        raise DataError(f"{folder} holds neither the batch files ({', '.join(BATCH_FILES)}) nor a "
                        f"{BATCHES_FOLDER} folder with them, so there is no copy to fingerprint.")
    batches = batches.resolve()
    names = [*BATCH_FILES, META_FILE] if (batches / META_FILE).is_file() else list(BATCH_FILES)
    digest = hashlib.sha256()
    for name, file_hash in file_hashes(batches, names).items():
        digest.update(f"{name} {file_hash}\n".encode())
    return digest.hexdigest()[:16]


def file_hashes(folder: Path, names) -> dict[str, str]:
    """{name: SHA-256 hex of that file in `folder`}, from memory when the file's identity is unchanged."""
    identities, hashes, memo, hashed_now = {}, {}, None, False
    for name in names:
        path = folder / name
        try:
            identities[name] = identity = _identity(path)
            known = _remembered.get(identity)
            if known is None:
                memo = _read_memo(folder) if memo is None else memo      # read only when needed
                entry = memo.get(name, {})
                known = entry.get("sha256") if entry.get("identity") == list(identity) else None
                if not _is_sha256(known):
                    known, hashed_now = _sha256_of(path), True
                _remembered[identity] = known
        except OSError as exc:
            raise DataError(f"Cannot read {path} to fingerprint the copy ({exc}). Check that you can read it.") from exc
        hashes[name] = known
    if hashed_now and _may_write(folder):
        _write_memo(folder, {name: {"identity": list(identities[name]), "sha256": hashes[name]} for name in names})
    return hashes


def _identity(path: Path) -> tuple:
    """What must be unchanged for a remembered hash of `path` to hold."""
    info = path.stat()
    return str(path), info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns


def _sha256_of(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _is_sha256(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _read_memo(folder: Path) -> dict:
    """The memo beside the batches as {name: entry}; empty when absent, unreadable or not ours."""
    try:
        content = json.loads((folder / MEMO_NAME).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(content, dict) or content.get("version") != _MEMO_VERSION \
            or not isinstance(content.get("files"), dict):
        return {}
    return {name: entry for name, entry in content["files"].items() if isinstance(entry, dict)}


def _may_write(folder: Path) -> bool:
    """Whether the loader may leave a memo in `folder`: not a copy named by $CIFAR10_DIR (only ever read),
    and the folder is writable by its permission bits too (root may write anywhere, yet a folder made
    read-only is meant to stay as it is)."""
    try:
        mode = folder.stat().st_mode
    except OSError:
        return False
    return not named_by_env(folder) and bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) \
        and os.access(folder, os.W_OK)


def _write_memo(folder: Path, files: dict) -> None:
    """Write the memo atomically (a temporary file renamed over it); a failure only costs a rehash later."""
    temporary = None
    try:
        fd, temporary = tempfile.mkstemp(prefix=MEMO_NAME + ".", suffix=".part", dir=folder)
        with os.fdopen(fd, "w") as f:
            json.dump({"version": _MEMO_VERSION, "files": files}, f, indent=1, sort_keys=True)
        os.chmod(temporary, 0o644)    # mkstemp makes it private; whoever may read the data may read this
        os.replace(temporary, folder / MEMO_NAME)
    except OSError:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


data_fingerprint.cache_clear = _remembered.clear
