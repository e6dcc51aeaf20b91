"""``python -m mlp_helpers reproduce-conventions``: the pre-registered conventions study, run and tabulated.

Stage 1 runs each convention alone on its test rows (with the described set on the same rows);
the registered rule (``conventions.supported``) then fixes the combined "report conventions" set;
stage 2 runs it on all thirteen comparisons; stage 3 runs the described set on the rest. Every
run goes through the run cache, so an interrupted study resumes where it stopped.

A full-scale study merges its rows into ``results/results.csv`` (column ``conventions``) and writes
its section of ``results/results.md``; a quick one writes under ``runs/`` instead.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd

from .. import settings
from ..experiments.conventions import (
    CONVENTIONS,
    DESCRIBED,
    REPORT_SET,
    combined_runs,
    described_runs,
    report_set,
    single_runs,
)
from ..experiments.parallel import run_many
from ..experiments.results import results_table
from ..experiments.study_tables import effects_table, joined_from, reproduced_count, verdict_table
from ..store import published
from ..store.atomic import write_atomically
from .files import STUDY_BEGIN, STUDY_END, split_study_section


def run_stage(label, experiments, **kwargs) -> list:
    items = [(e, seed) for e in experiments for seed in e.seeds]
    print(f"{label}: {len(items)} runs", flush=True)
    return run_many(items, published=False, **kwargs)


def main(*, quick=False, jobs=None, scheduler=None, cache_dir=None, force=False, progress=True) -> int:
    kwargs = dict(jobs=jobs or os.cpu_count() or 1, scheduler=scheduler, quick=quick, cache_dir=cache_dir,
                  force=force, progress=progress)
    start = time.perf_counter()
    singles = run_stage("stage 1, each convention alone", single_runs(), **kwargs)
    joined = joined_from(results_table(singles))
    print(f"the registered rule adds {', '.join(joined) or 'no optional convention'}; the report set is "
          f"{' + '.join(report_set(joined))}", flush=True)
    combined = run_stage("stage 2, the report conventions", combined_runs(joined), **kwargs)
    described = run_stage("stage 3, the described conventions", described_runs(), **kwargs)
    wall = time.perf_counter() - start
    table = results_table(singles + combined + described)
    out = settings.QUICK_RESULTS_DIR if quick else settings.RESULTS_DIR
    text = study_markdown(table, joined, quick=quick)
    merge_into(out, table, text)
    if not quick:
        published.write(singles + combined + described)     # kept beside the reproduction's own runs
    print(f"\n{text}\n\n{len(table)} runs in {wall / 60:.1f} min (cached runs included); "
          f"wrote {out}/results.csv, the study section of {out}/results.md"
          + ("" if quick else " and its runs in histories.csv.gz"), flush=True)
    return 0


def merge_into(out: Path, table: pd.DataFrame, text: str) -> None:
    """Replace the study's rows in ``out/results.csv`` (a run of any set, keyed by experiment and seed)
    and its marked section of ``out/results.md``, keeping everything else."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "results.csv"
    old = pd.read_csv(csv) if csv.is_file() else pd.DataFrame(columns=table.columns)
    if "conventions" not in old.columns:
        old.insert(old.columns.get_loc("kind") + 1 if "kind" in old.columns else 0, "conventions", DESCRIBED)
    keys = set(zip(table["experiment"], table["seed"]))
    kept = old[[(e, s) not in keys for e, s in zip(old["experiment"], old["seed"])]]
    merged = pd.concat([kept, table[old.columns.intersection(table.columns, sort=False)]], ignore_index=True)
    write_atomically(csv, merged.to_csv(index=False))
    md = out / "results.md"
    before = split_study_section(md.read_text())[0] if md.is_file() else ""
    write_atomically(md, before.rstrip() + f"\n\n{STUDY_BEGIN}\n{text.strip()}\n{STUDY_END}\n")


def study_markdown(table, joined, *, quick=False) -> str:
    """The study's section of results.md."""
    verdicts = verdict_table(table)
    effects = effects_table(table)
    counts = {label: reproduced_count(verdicts, label) for label in (DESCRIBED, REPORT_SET)}
    setting = " (QUICK smoke-test setting: not comparable)" if quick else ""
    conventions = "\n".join(f"- `{c.name}`: {c.meaning}" for c in CONVENTIONS.values())
    headline = "\n".join(
        f"- **{label} conventions: reproduced {n} of {ran}** report rows; the base row at lr 0.001 "
        f"(report: about 38 %): {slow}." for label, (n, ran, slow) in counts.items())
    return "\n".join([
        f"## The report's conventions, tested{setting}\n",
        "Pre-registered in `results/preregistration.md` before any run; command: "
        "`make reproduce-conventions`. Five seeds per row and set. A report number is **reproduced** when it "
        "lies inside our 95 % prediction range for one run, mean ± t·s·√(1 + 1/n).\n",
        "The conventions tested:\n", conventions + "\n",
        headline + "\n",
        f"The registered rule added to the report set: {', '.join(joined) or 'no optional convention'}; "
        f"so the report set is {' + '.join(report_set(joined))}.\n",
        "### Each convention alone\n",
        "`change` is the convention's mean minus the described set's, with its Welch 95 % interval "
        "[`low`, `high`]; `verdict` says whether it moved the row measurably toward or away from the report's "
        "number.\n",
        effects.to_markdown(index=False) + "\n",
        "### Every row under the described and the report conventions\n",
        verdicts.to_markdown(index=False) + "\n",
    ])
