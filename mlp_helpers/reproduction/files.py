"""The files a reproduction writes: ``results.csv`` and ``results.md``, each replaced atomically, with the
conventions study's rows and section kept; the note on the data the runs used; our recipes against the
report's best rows."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data import BATCHES_FOLDER
from ..experiments.stats import interval
from ..store.atomic import write_atomically

PROVENANCE = "PROVENANCE.md"


def targets_table(table) -> pd.DataFrame:
    """Per question: the report's best row, our best improved recipe (by mean over its seeds, with n and
    the 95 % interval), and the margin of that mean over the report's number (the target is at least 5)."""
    rows = []
    for question, group in table.groupby("question", sort=False):
        report, improved = group[group["kind"] == "report"], group[group["kind"] == "improved"]
        if report.empty or improved.empty:
            continue
        best = report.loc[report["report_acc_%"].idxmax()]
        name = improved.groupby("experiment", sort=False)["test_acc_%"].mean().idxmax()
        n, mean, _, low, high = interval(improved.loc[improved["experiment"] == name, "test_acc_%"])
        rows.append({"question": question, "report's best row": best["experiment"],
                     "report_acc_%": best["report_acc_%"], "our recipe": name, "n": n,
                     "our_test_acc_%": round(mean, 2), "ci_low_%": round(low, 2), "ci_high_%": round(high, 2),
                     "margin": round(mean - best["report_acc_%"], 2)})
    return pd.DataFrame(rows)


def first_heading(path) -> str:
    """The first Markdown heading of a file, without its '#' marks ('' if it has none)."""
    for line in Path(path).read_text(errors="replace").splitlines():
        if line.lstrip().startswith("#"):
            return line.strip().lstrip("#").strip()
    return ""


def data_note(data_folder, sources) -> str:
    """One paragraph on the data the runs used: the name of the CIFAR-10 folder (the one holding
    ``cifar-10-batches-py/``, as ``CIFAR10_DIR`` names it), the fingerprint(s) of the copy, and the
    first heading of a PROVENANCE.md beside the batches, if there is one. It claims nothing else:
    whether the files match the official archive's is for that PROVENANCE.md to say."""
    folder = Path(data_folder)
    root = folder.parent if folder.name == BATCHES_FOLDER else folder
    sources = sorted({s for s in sources if s})
    if not sources:
        prints = "no fingerprint recorded"
    elif len(sources) == 1:
        prints = f"fingerprint `{sources[0]}`"
    else:
        prints = f"fingerprints {', '.join(f'`{s}`' for s in sources)}: the runs used different copies"
    text = f"Data: the CIFAR-10 copy in a folder named `{root.name}` ({prints})."
    provenance = next((p for p in (root / PROVENANCE, folder.parent / PROVENANCE) if p.is_file()), None)
    if provenance is not None:
        heading = first_heading(provenance)
        title = f" (\"{heading}\")" if heading else ""
        text += (f" The {PROVENANCE} beside it{title} describes where this copy comes from and how it "
                 "differs from the official archive, if at all.")
    else:
        text += (f" No {PROVENANCE} sits beside it; whether its files are those of the official "
                 "archive is not recorded here.")
    return text


def write_tables(table, out, *, note: str, quick=False, text=None) -> Path:
    """Write ``results.csv`` (``table``: one row per run) and ``results.md`` into ``out``: ``text`` if
    given (``markdown.results_markdown``), else the table with ``note`` on the data and the targets.
    Each file is written to a temporary name and renamed, so a reader never sees half."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if text is None:
        setting = "QUICK smoke-test setting, not comparable" if quick else "full 40k/10k/10k protocol"
        text = (f"Test accuracy of every run, produced by `make reproduce` ({setting}; `seconds` is each "
                "run's training time). `report_acc_%` is the course report's number; `difference` = ours - "
                f"report.\n\n{note}\n\n{table.to_markdown(index=False)}\n\n"
                "## Our recipes against the report's best row for each question\n\n"
                f"{targets_table(table).to_markdown(index=False)}\n")
    table, text = with_study_kept(out, table, text)
    write_atomically(out / "results.csv", table.to_csv(index=False))
    write_atomically(out / "results.md", text)
    return out


STUDY_KIND = "convention"
STUDY_BEGIN = "<!-- conventions study: written by `python -m mlp_helpers reproduce-conventions` -->"
STUDY_END = "<!-- end of the conventions study -->"


def with_study_kept(out, table, text):
    """``table`` and ``text`` with the conventions study's rows and section of the files already in
    ``out`` carried over, so a reproduction never erases the study (``make reproduce-conventions``)."""
    csv, md = Path(out) / "results.csv", Path(out) / "results.md"
    if csv.is_file():
        old = pd.read_csv(csv)
        if "kind" in old:
            study = old[(old["kind"] == STUDY_KIND) & ~old["experiment"].isin(table["experiment"])]
            table = pd.concat([table, study[study.columns.intersection(table.columns)]], ignore_index=True)
    section = split_study_section(md.read_text())[1] if md.is_file() else ""
    if section:
        text = text.rstrip() + "\n\n" + section + "\n"
    return table, text


def split_study_section(text) -> tuple[str, str]:
    """(``text`` without the conventions study's marked section, that section with its markers, or "")."""
    if STUDY_BEGIN not in text or STUDY_END not in text:
        return text, ""
    head, rest = text.split(STUDY_BEGIN, 1)
    inside, tail = rest.split(STUDY_END, 1)
    rest_of_text = head.rstrip() + ("\n\n" + tail.lstrip() if tail.strip() else "\n")
    return rest_of_text, STUDY_BEGIN + inside + STUDY_END
