"""`make student`: the student edition in dist/student/, made from a copy of notebooks/.

Cells tagged `solution-source` become a short note; nbgrader generate_assignment removes solution
regions, hidden tests and outputs; each stub is then made to name its exercise. The build fails
loudly if any solution code, hidden test, tagged cell, output or getsource of a solved function survives.
"""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat

from course.exercise_cells import SOURCE_TAG, exercise_of
from course.nbgrader_course import ASSIGNMENT, BUILD, ROOT, make_course, nbgrader

DIST = ROOT / "dist" / "student"
# The shipped results: the notebooks read the committed full-scale runs (the table, and the published
# runs' histories and weights) instead of retraining them.
# data/.gitignore keeps CIFAR-10 out of a student's repository (data/README.md says it is there).
SHIPPED = ["pyproject.toml", "environment.yml", "LICENSE", "data/README.md", "data/.gitignore",
           "results/results.csv", "results/results.md", "results/preregistration.md",
           "results/histories.csv.gz",
           *sorted(f"results/weights/{p.name}" for p in (ROOT / "results" / "weights").glob("*.npz"))]
# The edition's own .gitignore: what running the notebooks leaves behind, for a repository made from it.
GITIGNORE = """\
.venv/
__pycache__/
*.egg-info/
.ipynb_checkpoints/
runs/
"""
SOURCE_NOTE = ("*The package's code for this step is shown in the instructor edition only: "
               "you write it yourself in this notebook's exercises.*")
STUB = "raise NotImplementedError()"
FORBID_RE = re.compile(r"(?:exercises|checks)\.forbid\(\s*[\"'][^\"']*[\"']\s*,([^)]*)\)")
SHOWS_SOURCE = re.compile(r"getsource|(?<![.\w])show\(")     # inspect.getsource, or notebook 02's show()
DEF_RE = re.compile(r"^\s*(?:def|class)\s+(\w+)")


def forbidden_names(nb):
    """Names of package functions/classes the hidden tests forbid (`layers.affine_backward` ->
    affine_backward, `penalties.L1Penalty.add_gradient` -> L1Penalty)."""
    names = set()
    for cell in nb.cells:
        for args in FORBID_RE.findall(cell.source):
            for arg in filter(None, (a.strip() for a in args.split(",") if "=" not in a)):
                parts = arg.split(".")
                while len(parts) > 1 and parts[0][:1].islower():
                    parts.pop(0)
                names.add(parts[0])
    return names


def strip_source_cells(nb):
    """Replace every cell tagged `solution-source` by a markdown note; returns how many."""
    count = 0
    for i, cell in enumerate(nb.cells):
        if SOURCE_TAG in cell.metadata.get("tags", []):
            nb.cells[i] = nbformat.v4.new_markdown_cell(SOURCE_NOTE)
            count += 1
    return count


def enclosing_name(lines):
    """The function a stub sits in, as Class.method inside a class: the last def or class above."""
    name, cls, cls_indent = None, None, -1
    for line in lines:
        match = DEF_RE.match(line)
        if not match:
            continue
        indent = len(line) - len(line.lstrip())
        if line.lstrip().startswith("class"):
            name, cls, cls_indent = match[1], match[1], indent
        elif cls and indent > cls_indent:
            name = f"{cls}.{match[1]}"
        else:
            name, cls = match[1], None
    return name


def name_stubs(nb):
    """Make each nbgrader stub raise NotImplementedError naming its exercise and function."""
    for cell in nb.cells:
        exercise = exercise_of(cell.metadata.get("nbgrader", {}).get("grade_id"))
        if cell.cell_type != "code" or not exercise:
            continue
        lines = cell.source.split("\n")
        for i, line in enumerate(lines):
            if line.strip() == STUB:
                name = enclosing_name(lines[:i])
                what = f"the body of {name} here" if name else "your code here"
                message = f"Exercise {exercise}: write {what}"
                lines[i] = line.replace(STUB, f'raise NotImplementedError("{message}")')
        cell.source = "\n".join(lines)


EXPECTED_ERROR_TAG = "raises-exception"     # JupyterLab's Run All goes on past such a cell's error


def mark_expected_errors(nb):
    """Tag the cells that raise while an exercise is unfinished (its public check, its graded test,
    and cells guarded by ``exercises.requires``), so Run All runs the whole student edition and
    stops nowhere but shows each unfinished exercise's one-line error."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        solution = cell.metadata.get("nbgrader", {}).get("solution")
        if (cell.metadata.get("exercise") and not solution) or "exercises.requires(" in cell.source:
            tags = cell.metadata.setdefault("tags", [])
            if EXPECTED_ERROR_TAG not in tags:
                tags.append(EXPECTED_ERROR_TAG)


def problems_in(nb, name, forbidden):
    """What must not be in a student notebook, one line per finding."""
    found = []
    graded = {exercise_of(c.metadata.get("nbgrader", {}).get("grade_id")) for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade")} - {None}
    for exercise in sorted(graded):
        if not any(f'NotImplementedError("Exercise {exercise}:' in c.source for c in nb.cells):
            found.append(f"{name}: exercise {exercise} has no stub (a solution cell without BEGIN/END markers?)")
    for k, cell in enumerate(nb.cells):
        where = f"{name} cell {k}"
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
            if marker in cell.source:
                found.append(f"{where}: contains {marker!r}")
        if SOURCE_TAG in cell.metadata.get("tags", []):
            found.append(f"{where}: tagged {SOURCE_TAG}")
        if cell.cell_type != "code":
            continue
        if STUB in cell.source:
            found.append(f"{where}: a stub that does not name its exercise (grade id not exNN_k?)")
        if cell.outputs:
            found.append(f"{where}: has outputs")
        for line in cell.source.splitlines():
            if SHOWS_SOURCE.search(line) and any(
                    re.search(rf"\b{re.escape(n)}\b", line) for n in forbidden):
                found.append(f"{where}: shows the source of a solved function (tag it {SOURCE_TAG}): {line.strip()}")
    return found


def build(notebooks_dir=ROOT / "notebooks", dist=DIST, course=BUILD / "student"):
    """Generate the student edition into `dist`; returns (dist, number of exercise stubs)."""
    course = make_course(course, sorted(Path(notebooks_dir).glob("*.ipynb")))
    source = course / "source" / ASSIGNMENT
    forbidden = set()
    for path in sorted(source.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        forbidden |= forbidden_names(nb)
        strip_source_cells(nb)
        nbformat.write(nb, path)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = sorted((course / "release" / ASSIGNMENT).glob("*.ipynb"))
    problems, stubs = [], 0
    for path in release:
        nb = nbformat.read(path, as_version=4)
        name_stubs(nb)
        mark_expected_errors(nb)
        nbformat.write(nb, path)
        stubs += sum(c.source.count("raise NotImplementedError(\"Exercise") for c in nb.cells)
        problems += problems_in(nb, path.name, forbidden)
    if dist.exists():
        shutil.rmtree(dist)
    (dist / "notebooks").mkdir(parents=True)
    for path in release:
        shutil.copy(path, dist / "notebooks" / path.name)
    shutil.copytree(ROOT / "mlp_helpers", dist / "mlp_helpers",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in SHIPPED:
        if (ROOT / name).exists():
            (dist / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, dist / name)
    shutil.copy(Path(__file__).with_name("README_student.md"), dist / "README.md")
    (dist / ".gitignore").write_text(GITIGNORE)
    for path in (dist / "mlp_helpers").rglob("*.py"):
        text = path.read_text()
        problems += [f"{path}: contains {m!r}" for m in ("BEGIN SOLUTION", "HIDDEN TESTS") if m in text]
    if problems:
        shutil.rmtree(dist)
        raise SystemExit("student edition NOT written; it would leak:\n  " + "\n  ".join(problems))
    return dist, stubs


def main():
    dist, stubs = build()
    notebooks = sorted(p.name for p in (dist / "notebooks").glob("*.ipynb"))
    print(f"student edition: {dist} ({len(notebooks)} notebooks, {stubs} exercise stubs; "
          "no solution, hidden test or solved source)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
