"""Insert an exercise's four correctly-marked cells into a notebook (docs/instructors.md describes the cells).

    from course.exercise_cells import add_exercise, tag_source_cells
    python -m course.exercise_cells list notebooks/*.ipynb      # the exercises found, and points
"""
from __future__ import annotations

import re
import sys

import nbformat

SOURCE_TAG = "solution-source"
# The first lines of every hidden test: the checks (assert_close, forbid, ...) as a new module object,
# executed from the package's file, so nothing a notebook cell did to `exercises` (say
# `exercises.assert_close = lambda *a, **k: None`) reaches them. The hidden test then calls `checks.`.
HIDDEN_PROLOGUE = """\
# The checks, loaded afresh from the package's file: a module object that no notebook cell can have changed.
from importlib import util as import_util

checks_spec = import_util.spec_from_file_location("checks", import_util.find_spec("mlp_helpers.exercises").origin)
checks = import_util.module_from_spec(checks_spec)
checks_spec.loader.exec_module(checks)
"""
ID_RE = re.compile(r"^\d\d\.\d+$")
GRADE_ID_RE = re.compile(r"^ex(\d\d)_(\d+)(_test)?$")


def grade_id(exercise, test=False):
    """"02.1" -> "ex02_1" (the solution cell) or "ex02_1_test" (the graded test cell)."""
    return "ex" + exercise.replace(".", "_") + ("_test" if test else "")


def exercise_of(grade):
    """"ex02_1_test" -> "02.1" (None for a grade id outside the convention)."""
    match = GRADE_ID_RE.match(grade or "")
    return f"{match[1]}.{match[2]}" if match else None


def _nbgrader(exercise, solution, points=None):
    meta = {"grade": points is not None, "grade_id": grade_id(exercise, test=points is not None),
            "locked": not solution, "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _validate(exercise, points, solution, check, hidden):
    problems = []
    if not ID_RE.match(exercise):
        problems.append(f"exercise id {exercise!r} is not NN.k")
    if not (isinstance(points, int) and points > 0):
        problems.append(f"points must be a positive integer, got {points!r}")
    if solution.count("### BEGIN SOLUTION") != solution.count("### END SOLUTION") or \
            "### BEGIN SOLUTION" not in solution:
        problems.append("the solution needs matching ### BEGIN SOLUTION / ### END SOLUTION lines")
    if not re.search(r"^\s*(def|class) \w+", solution, re.M):
        problems.append("the solution must define the function (or class) the student completes")
    if "exercises." not in check:
        problems.append("the check must use mlp_helpers.exercises helpers (exercises.check)")
    if "checks." not in hidden or "exercises." in hidden:
        problems.append("the hidden test must use the fresh checks (checks.forbid, checks.assert_close), "
                        "never exercises.")
    if "HIDDEN TESTS" in hidden:
        problems.append("pass only the lines between the hidden-test markers")
    if problems:
        raise ValueError(f"exercise {exercise}: " + "; ".join(problems))


def exercise_cells(exercise, title, points, what, shapes, hint, solution, check, hidden):
    """The four cells of one exercise: markdown, solution, public check, graded test."""
    _validate(exercise, points, solution, check, hidden)
    text = (f"### Exercise {exercise}: {title} ({points} point{'s' if points > 1 else ''})\n\n"
            f"**Write** {what}\n\n**Shapes:** {shapes}\n\n**Hint:** {hint}\n\n"
            "Run the next cell to check your answer (it prints expected against got); "
            "a hidden test grades it.")
    test = (f"# Graded test for exercise {exercise} ({points} point{'s' if points > 1 else ''}); "
            "its hidden tests run when your notebook is graded.\n"
            f"### BEGIN HIDDEN TESTS\n{HIDDEN_PROLOGUE}{hidden.strip()}\n### END HIDDEN TESTS")
    cells = [nbformat.v4.new_markdown_cell(text),
             nbformat.v4.new_code_cell(solution.strip()),
             nbformat.v4.new_code_cell(check.strip()),
             nbformat.v4.new_code_cell(test)]
    cells[1].metadata["nbgrader"] = _nbgrader(exercise, True)
    cells[3].metadata["nbgrader"] = _nbgrader(exercise, False, points)
    for cell in cells:
        cell.metadata["exercise"] = exercise
    return cells


def _find(cells, text):
    """Index of the one cell (outside exercises) containing `text`, or of the last cell of exercise `text`."""
    if ID_RE.match(text):
        hits = [i for i, c in enumerate(cells) if c.metadata.get("exercise") == text][-1:]
    else:
        hits = [i for i, c in enumerate(cells) if text in c.source and "exercise" not in c.metadata]
    if len(hits) != 1:
        raise ValueError(f"{text!r} is in {len(hits)} cells (outside exercises); it must be in exactly one")
    return hits[0]


def add_exercise(path, after, exercise, **fields):
    """Insert (or replace) exercise `exercise`'s four cells after the cell containing the text `after`
    (or, if `after` is an exercise id such as "02.1", after that exercise's cells)."""
    nb = nbformat.read(path, as_version=4)
    new = exercise_cells(exercise, **fields)
    old = [i for i, c in enumerate(nb.cells) if c.metadata.get("exercise") == exercise]
    for i in reversed(old):
        del nb.cells[i]
    at = _find(nb.cells, after) + 1
    nb.cells[at:at] = new
    nbformat.validate(nb)
    nbformat.write(nb, path)


def tag_source_cells(path, text):
    """Tag every code cell containing `text` as showing an exercise's package source; returns
    how many cells were tagged (0 raises: the text was not found)."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and text in c.source]
    if not cells:
        raise ValueError(f"no code cell of {path} contains {text!r}")
    for cell in cells:
        tags = cell.metadata.setdefault("tags", [])
        if SOURCE_TAG not in tags:
            tags.append(SOURCE_TAG)
    nbformat.write(nb, path)
    return len(cells)


def list_exercises(nb):
    """[(exercise id, points)] of the graded test cells of a notebook (object or path)."""
    if not hasattr(nb, "cells"):
        nb = nbformat.read(nb, as_version=4)
    found = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and exercise_of(meta.get("grade_id")):
            found.append((exercise_of(meta["grade_id"]), meta.get("points", 0)))
    return found


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2 or args[0] != "list":
        print("usage: python -m course.exercise_cells list NOTEBOOK...")
        return 2
    total = 0
    for path in args[1:]:
        found = list_exercises(path)
        total += sum(p for _, p in found)
        print(f"{path}: {len(found)} exercises " + " ".join(f"{e}({p})" for e, p in found))
    print(f"total points: {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
