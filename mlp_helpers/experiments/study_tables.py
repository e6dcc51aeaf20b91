"""The conventions study as tables: each convention's effect, and each set's verdict on every row.

A report number counts as **reproduced** by a set when it lies inside that set's 95 % prediction
range for one run (``stats.prediction_range``) on that row: the range where one more run of ours
would land, which is the fair test for a single outside run.
"""
from __future__ import annotations

import pandas as pd

from .conventions import COMPARISONS, DESCRIBED, REPORT_SET, SINGLE_TEST_ROWS, SLOW_ROW, shift, supported
from .stats import interval, prediction_range, welch


def joined_from(table) -> tuple[str, ...]:
    """The optional conventions the registered rule adds, decided from ``table``'s stage-1 runs."""
    return supported(lambda name: accuracies(table, name))


def accuracies(table, name) -> list[float]:
    return table.loc[table["experiment"] == name, "test_acc_%"].astype(float).tolist()


def row_name(row, label) -> str:
    return row if label == DESCRIBED else f"{row}+{label}"


def set_summary(table, label) -> pd.DataFrame:
    """One line per comparison run under the set ``label``: the report's number, n seeds, our mean and
    sd, the 95 % prediction range for one run and whether the report's number is inside it."""
    lines = []
    for row, experiment in COMPARISONS.items():
        values = accuracies(table, row_name(row, label))
        if not values:
            continue
        n, mean, sd, _, _ = interval(values)
        low, high = prediction_range(values)
        lines.append({"row": row, "report %": experiment.report_acc, "n": n, "mean %": round(mean, 2),
                      "sd": round(sd, 2), "pred_low %": round(low, 2), "pred_high %": round(high, 2),
                      "reproduced": bool(low <= experiment.report_acc <= high)})
    return pd.DataFrame(lines)


def verdict_table(table, labels=(DESCRIBED, REPORT_SET)) -> pd.DataFrame:
    """One line per comparison: the report's number and, for each set in ``labels``, our mean ± sd,
    the prediction range and whether the report's number is inside it (text, for reading)."""
    out = pd.DataFrame({"row": list(COMPARISONS), "report %": [e.report_acc for e in COMPARISONS.values()]})
    for label in labels:
        summary = set_summary(table, label)
        if summary.empty:
            continue
        text = pd.DataFrame({
            "row": summary["row"],
            f"{label}: mean ± sd (n)": [f"{m:.2f} ± {s:.2f} ({n})" for m, s, n in
                                        zip(summary["mean %"], summary["sd"], summary["n"])],
            f"{label}: prediction range": [f"[{a:.2f}, {b:.2f}]" for a, b in
                                           zip(summary["pred_low %"], summary["pred_high %"])],
            f"{label}: reproduced": summary["reproduced"].map({True: "yes", False: "no"})})
        out = out.merge(text, on="row", how="left")
    return out


def reproduced_count(verdicts, label) -> tuple[int, int, str]:
    """(reproduced among the twelve report rows, how many were run, the lr-0.001 verdict)."""
    column = f"{label}: reproduced"
    if column not in verdicts:
        return 0, 0, "not run"
    twelve = verdicts[verdicts["row"] != SLOW_ROW]
    slow = verdicts.loc[verdicts["row"] == SLOW_ROW, column]
    ran = twelve[column].notna()
    return int((twelve[column] == "yes").sum()), int(ran.sum()), slow.iloc[0] if len(slow) else "not run"


def effects_table(table) -> pd.DataFrame:
    """Each convention alone: on each of its test rows, the change of mean test accuracy (convention
    minus described) with its Welch 95 % interval [low, high], and the registered verdict (toward /
    away / none)."""
    lines = []
    for name, rows in SINGLE_TEST_ROWS.items():
        for row in rows:
            described, changed = accuracies(table, row), accuracies(table, f"{row}+{name}")
            if len(described) < 2 or len(changed) < 2:
                continue
            diff, low, high = welch(changed, described)
            report = COMPARISONS[row].report_acc
            lines.append({"convention": name, "row": row, "report %": report,
                          "described %": round(sum(described) / len(described), 2),
                          "with it %": round(sum(changed) / len(changed), 2),
                          "change": round(diff, 2), "low": round(low, 2), "high": round(high, 2),
                          "verdict": shift(described, changed, report)})
    return pd.DataFrame(lines)
