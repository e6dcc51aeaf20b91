"""The on-disk cache of finished runs (``runs/``): a run is reused only if nothing it depends on changed.

An entry is a folder ``<name>-[quick-]<digest>`` holding ``result.json`` (the summary and the full
key), ``history.csv`` and ``params.npz``. The key covers everything a run's numbers depend on:

- the configuration (every hyperparameter),
- the data: the fingerprint of the CIFAR-10 copy (``Dataset.source``, computed from a few KB of the
  files, so looking a run up loads no data),
- the scale: the quick setting's sizes (``settings.QUICK``) for a quick run, None for a full one,
- the code: ``code_version()``, a hash of the source of every module but the plots, widgets and result writers.

``load`` checks the entry's checksums (SHA-256 of history.csv, params.npz and the summary, stored in
result.json when it was saved), then ``verify`` the stored key and the parameters' shapes, before an entry
is trusted: a hand-edited or damaged entry is a miss and is retrained. Anything unreadable raises
``CacheError`` (one line naming the folder), never a zip or json traceback.
``save`` writes into a hidden temporary folder and renames it into place, so a killed process
never leaves a half-written entry, and two processes saving the same run never crash: the first
rename wins and the second keeps the existing entry.
"""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
import time
import zipfile
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import settings

FORMAT = 3                       # bump when the layout of an entry changes (3: checksums)
PACKAGE_DIR = Path(__file__).resolve().parents[1]
# The modules whose source may decide a run's numbers (relative to the package folder): every layer up to
# experiments. A rule that cannot drift: only the drawing, interactive and results-writing layers (plots/,
# widgets/, reproduction/) are left out, so an edit anywhere on the training path, data reading included,
# makes every cached run stale.
CODE_FILES = ("*.py", "data/*.py", "model/*.py", "training/*.py", "store/*.py", "experiments/*.py")
NOT_ON_THE_TRAINING_PATH = ("plots", "widgets", "reproduction")
STALE_SECONDS = 600              # leftover temporary folders older than this are removed
FILES = ("result.json", "history.csv", "params.npz")


class CacheError(RuntimeError):
    """A cache entry that cannot be trusted; the message is one line naming the folder."""


class Entry(NamedTuple):
    """A cache entry as read from disk: ``summary`` is result.json (including ``key``)."""
    folder: Path
    summary: dict
    history: pd.DataFrame
    params: dict


@cache
def code_version(package_dir: Path = PACKAGE_DIR) -> str:
    """A hash of the source text of the modules in ``CODE_FILES`` (computed once per process)."""
    package_dir = Path(package_dir)
    digest = hashlib.sha1()
    for pattern in CODE_FILES:
        for path in sorted(package_dir.glob(pattern)):
            digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def key(config, data_source: str, quick: bool, code: str | None = None) -> dict:
    """Everything a run's result depends on, as a JSON-ready dict (see the module docstring)."""
    return {"format": FORMAT, "config": config.as_dict(), "data": data_source,
            "quick": dict(settings.QUICK) if quick else None,
            "code": code_version() if code is None else code}


def digest(run_key: dict) -> str:
    """A short hash of a key: the last part of the entry's folder name."""
    return hashlib.sha1(json.dumps(run_key, sort_keys=True).encode()).hexdigest()[:12]


def folder_for(cache_dir, name: str, run_key: dict) -> Path:
    scale = "quick-" if run_key["quick"] else ""
    return Path(cache_dir) / f"{name}-{scale}{digest(run_key)}"


def find(cache_dir, name: str, run_key: dict) -> Path | None:
    """The entry for ``run_key``: the one under ``name`` if present, else one saved under any name."""
    folder = folder_for(cache_dir, name, run_key)
    if folder.is_dir():
        return folder
    suffix = folder.name[len(name):]                  # "-[quick-]<digest>"
    matches = sorted(p for p in Path(cache_dir).glob(f"*{suffix}")
                     if p.is_dir() and not p.name.startswith("."))
    return matches[0] if matches else None


def unreadable(folder, reason: str) -> CacheError:
    return CacheError(f"run cache entry {folder} is unusable ({reason}); it will be retrained "
                      "(`--force` retrains without reading the cache; deleting the folder also works)")


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def summary_checksum(summary: dict) -> str:
    """The SHA-256 of a summary (with its key) as canonical JSON, leaving out the checksums themselves."""
    fields = {k: v for k, v in summary.items() if k != "checksums"}
    return checksum(json.dumps(fields, sort_keys=True).encode())


def load(folder) -> Entry:
    """Read an entry; ``CacheError`` if a file is missing, unreadable or changed since it was saved."""
    folder = Path(folder)
    missing = [f for f in FILES if not (folder / f).is_file()]
    if missing:
        raise unreadable(folder, f"no {', '.join(missing)}")
    try:
        summary = json.loads((folder / "result.json").read_text())
        if not isinstance(summary, dict) or not isinstance(summary.get("key"), dict):
            raise ValueError("result.json holds no key")
        raw = {name: (folder / name).read_bytes() for name in ("history.csv", "params.npz")}
        stored = summary.get("checksums")
        if not isinstance(stored, dict):
            raise ValueError("result.json holds no checksums")
        changed = [name for name, data in raw.items() if stored.get(name) != checksum(data)]
        if stored.get("summary") != summary_checksum(summary):
            changed.append("result.json")
        if changed:
            raise unreadable(folder, f"{', '.join(changed)} changed after the run was saved")
        history = pd.read_csv(io.BytesIO(raw["history.csv"]))
        with np.load(io.BytesIO(raw["params.npz"]), allow_pickle=False) as npz:
            params = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, pd.errors.ParserError) as exc:
        raise unreadable(folder, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") \
            from None
    return Entry(folder, summary, history, params)


def verify(entry: Entry, run_key: dict, shapes: dict) -> Entry:
    """``entry`` if it was made with exactly ``run_key`` and holds parameters of ``shapes``
    (name -> shape, from the config); otherwise ``CacheError`` saying what differs."""
    stored = entry.summary["key"]
    differ = sorted(k for k in run_key.keys() | stored.keys() if stored.get(k) != run_key.get(k))
    if differ:
        raise unreadable(entry.folder, f"made with a different {', '.join(differ)}")
    got = {k: tuple(v.shape) for k, v in entry.params.items()}
    want = {k: tuple(v) for k, v in shapes.items()}
    if got != want:
        raise unreadable(entry.folder, f"parameter shapes {got} do not match the config's {want}")
    for field in ("best_epoch", "stop_reason", "test_loss", "test_acc", "seconds"):
        if field not in entry.summary:
            raise unreadable(entry.folder, f"result.json has no {field}")
    return entry


def save(folder, run_key: dict, summary: dict, history: pd.DataFrame, params: dict, *,
         shapes: dict, replace: bool = False) -> Path:
    """Write an entry atomically: into ``.<name>.<random>/`` beside it, then rename into place.

    If ``folder`` already exists (another process finished the same run meanwhile, or an old
    entry), a valid existing entry is kept and ours dropped, unless ``replace``; an unusable
    one is moved aside and replaced."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        history.to_csv(tmp / "history.csv", index=False)
        np.savez(tmp / "params.npz", **params)
        record = {**summary, "key": run_key}
        record["checksums"] = {name: checksum((tmp / name).read_bytes()) for name in ("history.csv", "params.npz")}
        record["checksums"]["summary"] = summary_checksum(record)
        (tmp / "result.json").write_text(json.dumps(record, indent=1))
        problem = "other processes keep replacing it"
        for _ in range(5):                    # a few attempts: others may be moving the same folder
            try:
                tmp.rename(folder)            # atomic; fails if folder exists and is not empty
                return folder
            except OSError as err:
                if not folder.exists():
                    problem = str(err)
                    continue
            if not replace and usable(folder, run_key, shapes):
                return folder                 # keep the existing verified entry, drop ours
            move_aside(folder)
            replace = False                   # ours replaces it next; a newer rival would be kept
        raise CacheError(f"could not save the run into {folder}: {problem}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def usable(folder, run_key: dict, shapes: dict) -> bool:
    try:
        verify(load(folder), run_key, shapes)
    except CacheError:
        return False
    return True


def move_aside(folder: Path) -> None:
    """Rename ``folder`` to a hidden temporary name and delete it (a rename is atomic, so a
    reader never sees a half-deleted entry)."""
    aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
    try:
        folder.rename(aside / folder.name)
    except OSError:
        pass                                  # gone already, or someone else moved it
    shutil.rmtree(aside, ignore_errors=True)


def remove_leftovers(cache_dir, older_than: float = STALE_SECONDS) -> list[Path]:
    """Delete hidden temporary folders (``.<name>.*``) older than ``older_than`` seconds: the
    half-saved runs of a killed process. Younger ones may belong to a process saving right now."""
    cache_dir = Path(cache_dir)
    if not cache_dir.is_dir():
        return []
    now, removed = time.time(), []
    for path in cache_dir.glob(".*"):
        try:
            old = path.is_dir() and now - path.stat().st_mtime > older_than
        except OSError:
            continue
        if old:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
