"""Where things live, and the quick-mode switch: the bottom layer every other module may use.

Quick mode is the small, fast setting of tests and CI: small class-balanced subsets and few
epochs. One rule everywhere: an explicit flag wins, else the environment variable ``MLP_QUICK``,
else full scale (a student's run).

Grading mode (``MLP_GRADING``, set by the course kit's grader) skips what no graded cell needs:
explorers, and figures' rendering; it implies nothing else.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"          # the downloaded archive and its extracted batches
RUNS_DIR = PROJECT_ROOT / "runs"          # the run cache (git-ignored)
RESULTS_DIR = PROJECT_ROOT / "results"    # committed tables of a full reproduction
FIGURES_DIR = PROJECT_ROOT / "figures"    # committed figures of full runs
QUICK_RESULTS_DIR = RUNS_DIR / "quick-results"   # where quick or partial runs write instead
QUICK_FIGURES_DIR = RUNS_DIR / "quick-figures"

QUICK_ENV = "MLP_QUICK"
GRADING_ENV = "MLP_GRADING"
# The quick setting: training images per class, validation/test images per class, most epochs.
QUICK = {"n_per_class": 100, "n_eval_per_class": 50, "max_epochs": 6}

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


def switch(name: str) -> bool:
    """An on/off environment variable: 1, true, yes, on / 0, false, no, off or unset; else a one-line error."""
    value = os.environ.get(name, "").strip().lower()
    if value not in _TRUE | _FALSE:
        raise ValueError(f"{name}={os.environ[name]!r} is neither on (1, true, yes, on) "
                         "nor off (0, false, no, off, empty); set it to 1 or unset it")
    return value in _TRUE


def quick_mode(flag: bool | None = None) -> bool:
    """True for the small, fast setting: ``flag`` if given, else ``MLP_QUICK``, else False."""
    return bool(flag) if flag is not None else switch(QUICK_ENV)


def grading_mode() -> bool:
    """True while the course kit grades submissions (``MLP_GRADING``): skip explorers and figures."""
    return switch(GRADING_ENV)


def figures_dir(quick: bool | None = None) -> Path:
    """``figures/`` for full runs; a folder under ``runs/`` for quick ones, so a test never
    overwrites a figure the README shows."""
    return QUICK_FIGURES_DIR if quick_mode(quick) else FIGURES_DIR
