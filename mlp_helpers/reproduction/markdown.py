"""``results/results.md``: every number with how sure it is.

Sections: the test-set noise; the report's twelve rows (our rule and the report's rule, each with n
seeds, mean ± sd, the 95 % interval of the mean, the 95 % prediction range for one run, and whether the
report's number lies inside that range: "reproduced"); the evidence runs
against the row they change; what was measured and what is conjecture; the ablation chains; our
recipes against the report; the time; every run.
"""
from __future__ import annotations

import math

import pandas as pd

from ..experiments.configs import ABLATIONS, BASE_ROW, EXPERIMENTS, REPORT_RULE_SUFFIX
from ..experiments.stats import ablation_summary, binomial_sd, compare, seed_summary
from .files import targets_table

# The run each evidence run changes one thing of (default: the report's base row).
EVIDENCE_BASELINES = {"relu_he": "relu", "two_layers_64_small_init": "two_layers_64"}


def number(value, digits=2) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def spread(row) -> str:
    """'36.40 ± 0.52' (or '36.40 (1 seed)')."""
    if row["n"] < 2:
        return f"{number(row['mean_%'])} (1 seed)"
    return f"{number(row['mean_%'])} ± {number(row['sd_%'])}"


def span(low, high) -> str:
    return "" if math.isnan(low) else f"[{number(low)}, {number(high)}]"


def inside(value) -> str:
    return {True: "yes", False: "**no**"}.get(value, "")


def gap(found) -> str:
    """'+1.20 [0.40, 2.00]': a ``stats.compare`` result's difference and its interval."""
    return f"{found['difference']:+.2f} {span(found['ci_low'], found['ci_high'])}".strip()


def report_rows(table, summary) -> pd.DataFrame:
    by_name = summary.set_index("experiment")
    rows = []
    for name in [e for e in summary["experiment"] if EXPERIMENTS.get(e) and EXPERIMENTS[e].kind == "report"]:
        ours, twin = by_name.loc[name], name + REPORT_RULE_SUFFIX
        row = {"row": name, "hyperparameters": EXPERIMENTS[name].config.describe(), "report": ours["report_acc_%"],
               "n": ours["n"], "ours (best epoch)": spread(ours),
               "95 % interval": span(ours["ci_low_%"], ours["ci_high_%"]),
               "prediction range": span(ours["pred_low_%"], ours["pred_high_%"]),
               "reproduced (ours)?": inside(ours["reproduced"])}
        if twin in by_name.index:
            rule = by_name.loc[twin]
            row.update({"report's rule": spread(rule),
                        "its prediction range": span(rule["pred_low_%"], rule["pred_high_%"]),
                        "reproduced (its rule)?": inside(rule["reproduced"]),
                        "rule effect (theirs - ours)": gap(compare(table, twin, name))})
        rows.append(row)
    return pd.DataFrame(rows)


def evidence_rows(table, summary) -> pd.DataFrame:
    by_name = summary.set_index("experiment")
    rows = []
    for name in [e for e in summary["experiment"] if EXPERIMENTS.get(e) and EXPERIMENTS[e].kind == "evidence"]:
        base = EVIDENCE_BASELINES.get(name, BASE_ROW)
        row = by_name.loc[name]
        entry = {"run": name, "changes": EXPERIMENTS[name].config.describe(), "n": row["n"], "test acc": spread(row),
                 "95 % interval": span(row["ci_low_%"], row["ci_high_%"]), "against": base}
        if base in by_name.index:
            found = compare(table, name, base)
            entry["difference"], entry["verdict"] = gap(found), found["verdict"]
        rows.append(entry)
    return pd.DataFrame(rows)


def ablation_section(table) -> str:
    parts = []
    present = set(table["experiment"])
    for question, chain in ABLATIONS.items():
        if not all(name in present for name, _ in chain):
            continue
        steps = ablation_summary(table, chain)
        shown = steps.assign(**{"test acc": [spread(r) for _, r in steps.iterrows()],
                                "95 % interval": [span(r["ci_low_%"], r["ci_high_%"]) for _, r in steps.iterrows()],
                                "gain [95 % interval]": ["" if math.isnan(r["gain"]) else
                                                         f"{r['gain']:+.2f} {span(r['gain_low'], r['gain_high'])}"
                                                         for _, r in steps.iterrows()],
                                "measured?": [{True: "yes", False: "no measurable difference"}.get(m, "one seed")
                                              if k else "" for k, m in enumerate(steps["measured"])]})
        measured = steps[steps["measured"].eq(True)]
        total = steps["mean_%"].iloc[-1] - steps["mean_%"].iloc[0]
        gains = [f"{r['change'].lstrip('+ ')} ({r['gain']:+.2f})" for _, r in measured.iterrows() if r["gain"] > 0]
        losses = [f"{r['change'].lstrip('+ ')} ({r['gain']:+.2f})" for _, r in measured.iterrows() if r["gain"] < 0]
        columns = ["step", "change", "experiment", "n", "test acc", "95 % interval", "gain [95 % interval]",
                   "measured?"]
        parts.append(f"### {question}\n\n{shown[columns].to_markdown(index=False)}\n\n"
                     f"From the first step to the last: {total:+.2f} points. Measured gains (interval above 0): "
                     f"{', '.join(gains) or 'none'}; measured losses: {', '.join(losses) or 'none'}. Only the "
                     "measured gains are credited; a step marked 'no measurable difference' may still help a little, "
                     "but these seeds cannot tell, and a one-seed step has no interval.\n")
    return "\n".join(parts)


def measured_text(table) -> str:
    """What this table measured and what stays conjecture (only the parts whose runs are present)."""
    present = set(table["experiment"])
    kinds = set(table["kind"])
    measured = ["the seed spread of every row"]
    if "report_rule" in kinds:
        measured.append("the effect of the stopping rule (the report's rule against ours, same seeds, so the same "
                        "training up to the earlier stop)")
    if {"base_he", "base_small_init"} & present:
        measured.append("the effect of the initialisation on the base row (Xavier, our assumption, against He and "
                        "N(0, 0.01²))")
    if "base_jpeg75" in present:
        measured.append("the effect of one more round of JPEG q75 compression (`base_jpeg75`, a PROBE: the copy "
                        "re-compressed on a block grid shifted by 4 pixels; it is not a measurement of the official "
                        "files)")
    return (f"**Measured here** (intervals above, the same test set for every run): {'; '.join(measured)}. "
            "**Not measured, so conjecture wherever a text leans on it:** the report's own seeds, initialisation, "
            "momentum coefficient and code, and how far accuracies on other copies of the data would move. The "
            "pre-registered study of its likely unstated conventions is the last section.")


def results_markdown(table, *, note, quick=False, n_test=10_000, timing=None) -> str:
    """The whole of results.md from ``table`` (one row per run); ``timing``: optional Markdown text."""
    summary = seed_summary(table, n_test)
    setting = "QUICK smoke-test setting, not comparable" if quick else "full 40k/10k/10k protocol"
    noise = float(binomial_sd(40.0, n_test))
    seeds = table.groupby("experiment")["seed"].nunique()
    parts = [
        "# Results of `make reproduce`\n",
        f"Setting: {setting}. Every experiment ran with {seeds.min()}-{seeds.max()} seeds (each seed sets the "
        "initial weights and the shuffling; the 40k/10k/10k split is fixed); the wide recipes ran with one seed "
        "(the time budget), and their rows say so. Intervals are 95 % t-intervals of the mean test accuracy over "
        "seeds; a difference of two experiments is given with its Welch 95 % interval, and where that interval "
        "contains 0 the verdict is 'no measurable difference'. `init=None` means the initialiser matched to the "
        "activation.\n",
        f"**Test-set noise.** The test set has {n_test:,} images: an accuracy near 40 % has a binomial sampling sd "
        f"of {noise:.2f} points (√(p(1-p)/n)). Every run uses the same test set, so this error is shared by all "
        "rows and is not in the seed sd; compare the two to see which dominates (`test_sd_%` below).\n",
        note + "\n",
        "## The report's rows, under our stopping rule and under the report's\n",
        "Our rule keeps the epoch of lowest validation loss (patience 5); the report's rule stops after 5 epochs of "
        "rising validation loss and keeps the epoch before the rise. 'rule effect' is the report's rule minus "
        "ours, with its interval. The report's number is **reproduced** when it lies inside our 95 % prediction "
        "range for one run, mean ± t·s·√(1 + 1/n): the fair test for one outside run (the interval of the mean is "
        "for comparing two means).\n",
        report_rows(table, summary).to_markdown(index=False) + "\n",
        "## Evidence runs: one change to a row\n",
        evidence_rows(table, summary).to_markdown(index=False) + "\n",
        measured_text(table) + "\n",
        "## One change at a time: the ablation chains\n",
        ablation_section(table),
        "## Our recipes against the report's best row for each question\n",
        targets_table(table).to_markdown(index=False) + "\n",
        "## Every experiment: seeds, mean, sd, interval\n",
        summary.to_markdown(index=False) + "\n",
    ]
    if timing:
        parts += ["## Time\n", timing + "\n"]
    parts += ["## Every run\n", table.to_markdown(index=False) + "\n"]
    return "\n".join(parts)
