"""DataError, and what a failure while fetching or reading CIFAR-10 means for the user.

Every DataError message names the real cause and the fix. Two rules shape them: a full disk or a
refused write is never blamed on the archive (so nobody deletes a good 163 MB download), and a copy
named by $CIFAR10_DIR is never to be deleted (it may be a shared or read-only copy): the user is told
to repair it or to point $CIFAR10_DIR elsewhere.
"""
from __future__ import annotations

import errno
import os
import urllib.error
from pathlib import Path

from .release import BATCHES_FOLDER, ENV_VAR

NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})               # disk full, or over the user's quota
NO_PERMISSION = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})  # refused, or a read-only file system


class DataError(RuntimeError):
    """Raised when CIFAR-10 cannot be found, fetched or read; the message says what to do about it."""


def os_cause(exc: BaseException) -> frozenset | None:
    """NO_SPACE or NO_PERMISSION when `exc` is an operating-system error of that kind, else None.

    URLError is an OSError too, but its errno is unset: network failures never land here.
    """
    if isinstance(exc, OSError) and not isinstance(exc, urllib.error.URLError):
        for cause in (NO_SPACE, NO_PERMISSION):
            if exc.errno in cause:
                return cause
    return None


def explain_os_error(exc: OSError, doing: str, folder: Path, megabytes: int) -> str | None:
    """The first sentences of a message for a full disk or a refused access while `doing`; None otherwise.

    `folder` is where the data was being written, `megabytes` the free space the step needs.
    """
    cause = os_cause(exc)
    if cause is NO_SPACE:
        return (f"{doing} failed because the disk is full ({exc}). Free about {megabytes} MB in {folder} and "
                f"run again, or pass another data_dir, or set {ENV_VAR} to a folder holding an extracted copy.")
    if cause is NO_PERMISSION:
        why = "the file system is read-only" if exc.errno == errno.EROFS else "permission was denied"
        return (f"{doing} failed because {why} ({exc}). Make {folder} writable (and the files in it readable) "
                f"and run again, or pass a data_dir you can write to, or set {ENV_VAR} to a folder holding an "
                "extracted copy.")
    return None


def describe(exc: BaseException) -> str:
    """A short account of a download failure, for the message's parenthesis."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"the server answered HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"could not reach the server: {exc.reason}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"{type(exc).__name__}: {exc}"


def named_by_env(folder: Path) -> bool:
    """Whether `folder` is the copy $CIFAR10_DIR names (the variable may name it or its parent)."""
    value = os.environ.get(ENV_VAR)
    if not value:
        return False
    named = Path(value).expanduser()
    return Path(folder).resolve() in {named.resolve(), (named / BATCHES_FOLDER).resolve()}


def repair_advice(folder: Path) -> str:
    """How to get a good batch file into `folder`, without suggesting to delete a copy from $CIFAR10_DIR."""
    folder = Path(folder)
    if named_by_env(folder):
        return (f"That folder is the copy {ENV_VAR}={os.environ[ENV_VAR]!r} names: repair or replace that copy "
                f"(for example, copy the file again from where the copy came from), or point {ENV_VAR} at "
                "another copy, or unset it to download the official archive into data/.")
    if folder.name == BATCHES_FOLDER:  # the folder this package extracts: a fresh one is one run away
        return f"Delete {folder} and run again to extract or download a fresh copy."
    return f"Replace it with the file of the same name from the official archive {BATCHES_FOLDER}/."
