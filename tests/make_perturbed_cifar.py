"""Write a second copy of CIFAR-10 whose pixels differ slightly from a source copy's.

    python tests/make_perturbed_cifar.py SRC_FOLDER DEST_FOLDER [--seed N]

The tests and notebooks must pass on any valid copy of CIFAR-10, not only on the one they
were written against. CI builds this copy and runs the notebooks on it (CIFAR10_DIR=DEST_FOLDER).

SRC_FOLDER holds cifar-10-batches-py/ (or is that folder); the copy goes to DEST_FOLDER/cifar-10-batches-py/.
Every pixel moves 1 to 3 grey levels up or down (clipped to 0..255), drawn from a fixed seed, so the
copy is the same on every run. Each batch file is the source file byte for byte except its pixel
bytes, so the format (Python 2 protocol-2 pickle), the dict keys (batch_label, labels, data,
filenames), the labels and the file names are exactly the source's; batches.meta is copied as is.
The copy is written to a hidden folder inside DEST_FOLDER and renamed into place once complete.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from mlp_helpers.data import BATCH_FILES, BATCHES_FOLDER, read_batch

SEED = 9  # any fixed value will do
CHUNK_ROWS = 1000  # images perturbed at a time, to keep the int16 temporaries small


def perturb(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """x (N, 3072) uint8 → a new (N, 3072) uint8 array, each value moved by ±1..3 and clipped to 0..255."""
    out = np.empty_like(x)
    for start in range(0, len(x), CHUNK_ROWS):
        block = x[start:start + CHUNK_ROWS].astype(np.int16)
        step = rng.integers(1, 4, size=block.shape, dtype=np.int16)
        sign = rng.integers(0, 2, size=block.shape, dtype=np.int16) * 2 - 1
        out[start:start + CHUNK_ROWS] = np.clip(block + sign * step, 0, 255)
    return out


def splice(raw: bytes, x: np.ndarray, new_x: np.ndarray, path: Path) -> bytes:
    """The batch file bytes `raw` (read from `path`, holding pixels x) with new_x's pixel bytes in their place."""
    pixels = x.tobytes()
    at = raw.find(pixels)
    if at < 0 or raw.find(pixels, at + 1) >= 0:
        raise SystemExit(f"{path}: cannot find its {len(pixels)} pixel bytes exactly once in the file; this "
                         "script expects the official layout (one C-ordered uint8 array).")
    return raw[:at] + new_x.tobytes() + raw[at + len(pixels):]


def write_copy(src: Path, dest: Path, seed: int = SEED) -> Path:
    """Write the perturbed copy of `src` (a batches folder) into dest/cifar-10-batches-py; return that folder."""
    target = dest / BATCHES_FOLDER
    if target.exists():
        raise SystemExit(f"{target} already exists; delete it or choose another DEST_FOLDER.")
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".perturbed-cifar-", dir=dest))
    try:
        for index, name in enumerate(BATCH_FILES):
            x, y = read_batch(src / name)  # the safe reader: the source is checked before anything is written
            new_x = perturb(x, np.random.default_rng([seed, index]))  # one stream per file, independent
            (staging / name).write_bytes(splice((src / name).read_bytes(), x, new_x, src / name))
            check_x, check_y = read_batch(staging / name)  # read back: written as intended
            if not (np.array_equal(check_y, y) and np.array_equal(check_x, new_x)):
                raise SystemExit(f"{staging / name} does not read back as written; nothing was kept.")
        if (src / "batches.meta").is_file():
            shutil.copyfile(src / "batches.meta", staging / "batches.meta")
        os.chmod(staging, 0o755)  # mkdtemp makes it private; the copy is for anyone who can read DEST
        os.rename(staging, target)  # atomic: the copy is either absent or complete
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, help="folder holding cifar-10-batches-py/ (or that folder)")
    parser.add_argument("dest", type=Path, help="folder to write cifar-10-batches-py/ into")
    parser.add_argument("--seed", type=int, default=SEED, help=f"noise seed (default {SEED})")
    args = parser.parse_args(argv)
    src = args.src / BATCHES_FOLDER if (args.src / BATCHES_FOLDER).is_dir() else args.src
    missing = [name for name in BATCH_FILES if not (src / name).is_file()]
    if missing:
        parser.error(f"{src} has no {', '.join(missing)}")
    target = write_copy(src, args.dest, args.seed)
    print(f"perturbed copy of {src} written to {target} (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
