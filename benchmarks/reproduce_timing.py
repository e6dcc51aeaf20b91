"""Benchmark: where the time of a reproduction goes, and how busy the machine was meanwhile.

Runs the named experiments (default: every one, every seed) as ``make reproduce`` does, through the
run cache (give an empty ``--cache-dir`` to time a fresh reproduction), while sampling the 1-minute load
average. Then prints the wall time, the CPU time of all training, and the training time per group of
runs (report rows, their report-rule twins, evidence runs, ablation steps, recipes). A report-rule run
trained together with its row counts only the epochs it ran beyond the row.

A run that fills a cache from empty saves this text beside the cache (``TIMING_FILE``); a later one
that finds every run cached quotes it.

    python benchmarks/reproduce_timing.py [names] [--quick] [--jobs N] [--scheduler ADDR] [--cache-dir DIR]

It prints figures and never asserts a time; it writes nothing into results/.
"""
from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

import pandas as pd

from mlp_helpers import settings
from mlp_helpers.experiments import EXPERIMENTS, run_many

TIMING_FILE = "reproduce-timing.md"
# The groups of the breakdown, in the order the developers' guide gives them.
GROUPS = {"report": "report rows", "report_rule": "report-rule runs (extra epochs only)",
          "evidence": "evidence runs", "ablation": "ablation steps", "improved": "128-unit recipes",
          "wide": "wide recipes (512, 1024-512)", "custom": "other"}


def group_of(result) -> str:
    kind = result.experiment.kind
    if kind == "improved" and max(result.config.hidden) > 128:
        return "wide"
    return kind


def time_breakdown(results) -> pd.DataFrame:
    """Per group: runs, runs trained in this call, their training seconds (wall clock, each run on one
    core) and CPU seconds. A report-rule run trained together with its row counts only the epochs it
    ran beyond the row."""
    by_key = {(r.name, r.seed): r for r in results}
    rows = {}
    for r in results:
        group = group_of(r)
        row = rows.setdefault(group, {"group": GROUPS.get(group, group), "runs": 0, "trained": 0, "seconds": 0.0,
                                      "cpu_seconds": 0.0})
        row["runs"] += 1
        if r.cached:
            continue
        row["trained"] += 1
        seconds, cpu = r.seconds, getattr(r, "cpu_seconds", 0.0)
        twin = by_key.get((r.name.removesuffix("_report_rule"), r.seed)) if group == "report_rule" else None
        if twin is not None and not twin.cached:
            seconds = max(0.0, r.seconds - twin.seconds)
            cpu = max(0.0, cpu - getattr(twin, "cpu_seconds", 0.0))
        row["seconds"] += seconds
        row["cpu_seconds"] += cpu if cpu == cpu else 0.0           # NaN (unknown) counts as 0
    order = [g for g in GROUPS if g in rows]
    table = pd.DataFrame([rows[g] for g in order])
    table[["seconds", "cpu_seconds"]] = table[["seconds", "cpu_seconds"]].round(0)
    return table


class LoadSampler:
    """The 1-minute load average every ``every`` seconds while the block runs (others share the machine)."""

    def __init__(self, every=15.0):
        self.every, self.samples, self.stop = every, [os.getloadavg()[0]], threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        while not self.stop.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.samples.append(os.getloadavg()[0])

    def text(self) -> str:
        return (f"1-minute load average during the run: mean {sum(self.samples) / len(self.samples):.1f}, "
                f"max {max(self.samples):.1f} ({len(self.samples)} samples, one every {self.every:.0f} s)")


def timing_text(results, wall, load_before, load_after, jobs, scheduler, load=None) -> str:
    breakdown = time_breakdown(results)
    if breakdown["trained"].sum() == 0:
        return f"All {len(results)} runs came from the run cache ({wall:.0f} s)."
    where = (f"the Dask cluster at {scheduler}" if scheduler
             else f"{jobs} local worker process(es), one BLAS thread each")
    return (f"Wall time {wall:.0f} s ({wall / 60:.1f} min) on {where}; {int(breakdown['trained'].sum())} of "
            f"{len(results)} runs trained, the rest from the run cache. Load average (1, 5, 15 min) at the start "
            f"{', '.join(f'{x:.1f}' for x in load_before)}, at the end {', '.join(f'{x:.1f}' for x in load_after)}"
            f"{'; ' + load if load else ''}. "
            f"CPU time of all training {breakdown['cpu_seconds'].sum():.0f} s, so an idle machine with {jobs} cores "
            f"would need about {breakdown['cpu_seconds'].sum() / max(jobs, 1) / 60:.1f} min plus data loading. "
            "Training time per group (`seconds`: wall clock of each run, on one core; `cpu_seconds`: CPU time; "
            "summed over runs):\n\n"
            f"{breakdown.to_markdown(index=False)}")


def remembered_timing(timing, results, folder) -> str:
    """``timing``, saved into ``folder``/TIMING_FILE when every run was trained, or followed by the saved
    text of the run that filled the cache when every run came from it."""
    path = Path(folder) / TIMING_FILE
    if not any(r.cached for r in results):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(timing)
    elif all(r.cached for r in results) and path.is_file():
        timing += f"\n\nThe run that filled this cache from empty:\n\n{path.read_text()}"
    return timing


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="experiments (default: all)")
    parser.add_argument("--quick", action="store_true", help="the quick setting (a smoke test)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scheduler", default=None)
    parser.add_argument("--cache-dir", default=str(settings.RUNS_DIR))
    args = parser.parse_args(argv)
    names = list(dict.fromkeys(args.names or EXPERIMENTS))
    items = [(name, seed) for name in names for seed in EXPERIMENTS[name].seeds]
    load_before, start = os.getloadavg(), time.perf_counter()
    with LoadSampler() as load:
        results = run_many(items, jobs=args.jobs, scheduler=args.scheduler, quick=args.quick,
                           cache_dir=args.cache_dir, published=False)
    timing = timing_text(results, time.perf_counter() - start, load_before, os.getloadavg(), args.jobs,
                         args.scheduler, load.text())
    print(remembered_timing(timing, results, args.cache_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
