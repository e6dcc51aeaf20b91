"""Check, and where the intent is clear repair, each submitted notebook before nbgrader sees it, so that
one broken submission costs its author, never the class (`make grade`, docs/instructors.md "Grade").

    bad_student_ids(names)           folder names that are not student ids
    prepare(path, release)           (repaired notebook, [notes]) or (None, [why it cannot be graded])

A repair never changes what the student's code does; each is one note, one line, shown in the printed
report, in exercises.csv and at the top of the student's feedback:

* a cell copied together with its grading data (a duplicated grade id or cell id): the first copy keeps
  the grading data, the others run as ordinary cells;
* damaged grading data on a cell (for example emptied): restored from the released notebook when the cell
  is recognisable (its cell id), otherwise dropped;
* a deleted graded test cell: put back from the released notebook, after the cell it followed there
  (nbgrader then restores its hidden tests, as for every test cell).

A file that is not a notebook (not JSON, not a Jupyter notebook, not valid against the notebook schema)
cannot be graded: it scores 0 with that reason.
"""
from __future__ import annotations

import copy
import json
import re
import uuid
import warnings

import nbformat

from course.exercise_cells import exercise_of

STUDENT_RE = re.compile(r"^[A-Za-z0-9_.@-]+$")
STUDENT_RULE = "ASCII letters, digits and _ . @ - only: no spaces, no accents"
# what decides grading: a change in any of these is damage (the checksum is nbgrader's own, it updates it)
KEYS = ("grade", "grade_id", "locked", "points", "solution", "task")


def bad_student_ids(names):
    """The folder names (in order) that cannot be student ids for nbgrader."""
    return [name for name in names if not STUDENT_RE.match(name)]


def _meta(cell):
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else None


def _grade_id(cell):
    meta = _meta(cell)
    return meta.get("grade_id") if meta else None


def _what(grade_id, release_cells):
    """'the graded test of exercise 01.1' / 'the answer cell of exercise 01.1' / 'cell <id>'."""
    meta = _meta(release_cells[grade_id])
    exercise = exercise_of(grade_id)
    if not exercise:
        return f"cell {grade_id}"
    return f"the {'graded test' if meta.get('grade') else 'answer cell'} of exercise {exercise}"


def read(path):
    """(notebook, None) or (None, why it is not a notebook, in a few words)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None, "not a notebook (not a text file; was another file renamed .ipynb?)"
    if not text.strip():
        return None, "not a notebook (the file is empty)"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        return None, (f"not a notebook (the file is damaged: invalid JSON at line {err.lineno}, "
                      f"column {err.colno})")
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        return None, "not a notebook (valid JSON, but not a Jupyter notebook)"
    try:
        with warnings.catch_warnings():         # nbformat warns as it renames duplicated cell ids
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
    except Exception as err:                     # nbformat raises several kinds for a broken notebook
        return None, f"not a readable notebook ({type(err).__name__}: {str(err).splitlines()[0][:120]})"
    return nb, None


def _fresh_id(used):
    while (new := uuid.uuid4().hex[:8]) in used:
        pass
    used.add(new)
    return new


def repair(nb, release):
    """Repair the grading structure of `nb` (in place) against the released notebook; returns notes."""
    notes = []
    release_cells = {_grade_id(c): c for c in release.cells if _grade_id(c)}
    release_by_cell_id = {c.get("id"): c for c in release.cells if _grade_id(c) and c.get("id")}
    intact = {_grade_id(c) for c in nb.cells if _grade_id(c) in release_cells}
    kept = set()
    for k, cell in enumerate(nb.cells):
        if "nbgrader" not in cell.get("metadata", {}):
            continue
        grade_id = _grade_id(cell)
        if grade_id in release_cells and grade_id not in kept:
            right = release_cells[grade_id].metadata["nbgrader"]
            if any(cell.metadata["nbgrader"].get(key) != right.get(key) for key in KEYS):
                notes.append(f"the grading data of {_what(grade_id, release_cells)} was changed: restored")
            cell.metadata["nbgrader"] = copy.deepcopy(right)
            kept.add(grade_id)
            continue
        if grade_id in kept:
            notes.append(f"{_what(grade_id, release_cells)} appears twice (copied?): the first copy is graded, "
                         "the other runs as an ordinary cell")
            del cell.metadata["nbgrader"]
            continue
        # damaged or foreign grading data: recognise the cell by its id, if its grade id is nowhere else
        original = release_by_cell_id.get(cell.get("id"))
        if original is not None and _grade_id(original) not in intact | kept:
            grade_id = _grade_id(original)
            notes.append(f"the grading data of {_what(grade_id, release_cells)} was damaged: restored")
            cell.metadata["nbgrader"] = copy.deepcopy(original.metadata["nbgrader"])
            kept.add(grade_id)
        else:
            meta = _meta(cell) or {}
            if any(meta.get(key) for key in ("grade", "solution", "locked", "task")):
                notes.append(f"cell {k + 1} had grading data that is not the assignment's: "
                             "it runs as an ordinary cell")
            del cell.metadata["nbgrader"]
    notes += _restore_missing_tests(nb, release, release_cells, kept)
    for grade_id, cell in release_cells.items():
        if grade_id not in kept and not _meta(cell).get("grade"):
            notes.append(f"{_what(grade_id, release_cells)} is missing (deleted?): its test ran on whatever "
                         "the notebook defines")
    _unique_cell_ids(nb)
    return notes


def _restore_missing_tests(nb, release, release_cells, kept):
    """Put each missing graded test cell back after the cell it followed in the release."""
    notes = []
    order = [c.get("id") for c in release.cells]
    for grade_id, original in release_cells.items():
        if grade_id in kept or not _meta(original).get("grade"):
            continue
        at = len(nb.cells)
        for before in reversed(release.cells[:order.index(original.get("id"))]):
            hits = [i for i, c in enumerate(nb.cells)
                    if (_grade_id(before) and _grade_id(c) == _grade_id(before))
                    or (not _grade_id(before) and before.get("id") and c.get("id") == before.get("id"))]
            if hits:
                at = hits[-1] + 1
                break
        nb.cells.insert(at, copy.deepcopy(original))
        kept.add(grade_id)
        notes.append(f"{_what(grade_id, release_cells)} was missing (deleted?): put back from the assignment")
    return notes


def _unique_cell_ids(nb):
    """Every cell gets an id, unique in the notebook (duplicates come from copying a notebook's JSON)."""
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        nb.nbformat_minor = 5
    used = set()
    for cell in nb.cells:
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", cell_id) or cell_id in used:
            cell["id"] = _fresh_id(used)
        else:
            used.add(cell_id)


def prepare(path, release):
    """(notebook ready for nbgrader, [notes]) or (None, [why it cannot be graded])."""
    nb, reason = read(path)
    if nb is None:
        return None, [reason]
    notes = repair(nb, release)
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        return None, [f"not a valid notebook ({str(err).splitlines()[0][:120]})"]
    return nb, notes
