"""``python -m mlp_helpers reproduce``: every experiment, one results table.

Runs each named experiment at full scale (or ``--quick``), skipping the ones
already in the run cache, so an interrupted reproduction resumes where it
stopped; a run cut short leaves nothing in the cache and simply starts again.
Writes ``results/results.csv``, ``results/results.md`` and one curve figure per
question into ``figures/``.
"""
from __future__ import annotations

import time
from pathlib import Path

import matplotlib
import pandas as pd

from . import experiments as E


def main(args):
    if args.list:
        for e in E.EXPERIMENTS.values():
            print(f"{e.name:24s} {e.question:15s} {e.config.describe()}")
        return 0
    names = args.names or list(E.EXPERIMENTS)
    unknown = [n for n in names if n not in E.EXPERIMENTS]
    if unknown:
        raise SystemExit(f"unknown experiment(s) {unknown}; `--list` shows the names")
    matplotlib.use("Agg")
    out = E.RUNS_DIR / "quick-results" if args.quick else E.RESULTS_DIR
    start = time.perf_counter()
    results = []
    for i, name in enumerate(names, 1):
        t0 = time.perf_counter()
        print(f"[{i}/{len(names)}] {name}: {E.EXPERIMENTS[name].config.describe()}", flush=True)
        r = E.run(name, quick=args.quick, force=args.force)
        if r.stop_reason == "interrupted":
            raise SystemExit("interrupted: finished runs are cached; run the same command to resume")
        fresh = time.perf_counter() - t0 > 1
        print(f"    test accuracy {100 * r.test_acc:.2f} %, loss {r.test_loss:.4f}, "
              f"{r.epochs_run} epochs ({r.stop_reason}), {r.seconds:.0f} s"
              f"{'' if fresh else ' (cached)'}", flush=True)
        results.append(r)
    table = E.results_table(results)
    write_tables(table, out, quick=args.quick)
    if not args.quick:
        save_question_figures(results)
    print(f"\n{table.to_string(index=False)}\n\nwrote {out}/results.csv and results.md "
          f"in {time.perf_counter() - start:.0f} s")
    return 0


DATA_NOTE = ("Data: the shared development copy of CIFAR-10, decoded from JPEG (quality 75) copies of the "
             "official images, with its test set in a different order from the official test_batch (see "
             "shared/data/cifar10/PROVENANCE.md). Accuracies are close to, not identical with, those on the "
             "official files; the order does not matter for a test accuracy.")


def targets_table(table):
    """Per question: the report's best row, our improved recipe, and the margin (target: >= 5 points)."""
    rows = []
    for question, group in table.groupby("question", sort=False):
        report, improved = group[group.kind == "report"], group[group.kind == "improved"]
        if report.empty or improved.empty:
            continue
        best = report.loc[report["report_acc_%"].idxmax()]
        ours = improved.iloc[0]
        rows.append({"question": question, "report's best row": best.experiment,
                     "report_acc_%": best["report_acc_%"], "our recipe": ours.experiment,
                     "our_test_acc_%": ours["test_acc_%"],
                     "margin": round(ours["test_acc_%"] - best["report_acc_%"], 2)})
    return pd.DataFrame(rows)


def write_tables(table, out, quick=False):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "results.csv", index=False)
    setting = "QUICK smoke-test setting, not comparable" if quick else "full 40k/10k/10k protocol"
    text = (f"Test accuracy of every experiment, produced by `make reproduce` ({setting}; seed 0 "
            "throughout; `seconds` is each run's training time). `report_acc_%` is the course report's "
            "number; `difference` = ours - report. `init=None` means the initialiser matched to the "
            f"activation (Xavier for tanh/sigmoid, He for ReLU).\n\n{DATA_NOTE}\n\n"
            f"{table.to_markdown(index=False)}\n\n"
            "## Our recipes against the report's best row for each question\n\n"
            f"{targets_table(table).to_markdown(index=False)}\n")
    (out / "results.md").write_text(text)


def save_question_figures(results):
    from .plots import plot_comparison, save_figure
    import matplotlib.pyplot as plt
    by_question = {}
    for r in results:
        by_question.setdefault(r.experiment.question, {})[r.name] = r.history
    for question, histories in by_question.items():
        fig = plot_comparison(histories, "val_acc", title=f"{question}: validation accuracy")
        save_figure(fig, f"reproduce_{question}")
        plt.close(fig)
