"""Grading a real class (`make grade`): one broken submission costs its author, never the class.

One class is graded once (the two-exercise fixture course, tests/fixtures/course/: 01.1 is worth 2
points, 02.1 one), with a student per kind of trouble met in real classes:

    good           both notebooks solved                              3/3
    tinkerer       01: the answer cell copy-pasted with its grading   3/3, each repair named
                   data (same grade id, same cell id); 02: the test
                   cell's nbgrader metadata emptied
    broken         01 is not JSON (a damaged file); 02 solved         1/3, "not a notebook" named
    deleter        01's graded test cell deleted; 02 solved           3/3, the test put back and named
    noisy          01's answer writes a RuntimeWarning, a tqdm bar    3/3
                   and a line to stderr while the hidden test runs
    empty          a folder with no notebook                          0/3, "no notebook handed in"
    looper         01's answer never returns; 02 has an extra cell    1/3 in seconds: 01.1 stopped by its time
                   that never ends (no graded cell needs it)          limit, the extra cell not run
    roundabout     01's answer reads a name that a cell defines by    3/3: the sliced grading meets a NameError,
                   setattr (the slice cannot see it)                  so the notebook is graded again, whole
    'alice smith', 'josé'   not student ids                           not graded, both named in one line
"""
import copy
import csv
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest

import course.grade
from course.grading_slice import NOTE, cell_names, needed_cells, slice_for_grading
from course.nbgrader_course import ASSIGNMENT
from course.student import build

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "course" / "notebooks"
NOISE = ("    import sys, warnings\n    from tqdm import tqdm\n"
         "    warnings.warn(\"a slow loop\", RuntimeWarning)\n"
         "    for _ in tqdm(range(3)):\n        pass\n"
         "    print(\"debug: grad computed\", file=sys.stderr)\n")


def _read(name):
    return nbformat.read(FIXTURE / name, as_version=4)


def _write(nb, path):
    """Write the JSON as is (nbformat.write would validate, and could repair, what the test breaks)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1))


def _index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _make_class(folder):
    for student in ("good", "broken", "deleter", "noisy", "tinkerer", "looper", "roundabout", "alice smith", "josé"):
        for name in ("01_toy.ipynb", "02_toy.ipynb"):
            _write(_read(name), folder / student / name)
    (folder / "empty").mkdir()
    nb = _read("01_toy.ipynb")                                    # copy-paste of the answer cell
    at = _index(nb, "ex01_1")
    nb.cells.insert(at + 1, copy.deepcopy(nb.cells[at]))
    _write(nb, folder / "tinkerer" / "01_toy.ipynb")
    nb = _read("02_toy.ipynb")                                    # the test cell's grading data emptied
    nb.cells[_index(nb, "ex02_1_test")].metadata["nbgrader"] = {}
    _write(nb, folder / "tinkerer" / "02_toy.ipynb")
    text = (FIXTURE / "01_toy.ipynb").read_text()                 # a damaged file
    (folder / "broken" / "01_toy.ipynb").write_text(text[: len(text) // 2])
    nb = _read("01_toy.ipynb")                                    # the graded test cell deleted
    del nb.cells[_index(nb, "ex01_1_test")]
    _write(nb, folder / "deleter" / "01_toy.ipynb")
    nb = _read("01_toy.ipynb")                                    # stderr while the hidden test runs
    cell = nb.cells[_index(nb, "ex01_1")]
    cell.source = cell.source.replace("    return value, grad", NOISE + "    return value, grad")
    _write(nb, folder / "noisy" / "01_toy.ipynb")
    nb = _read("01_toy.ipynb")                                    # an endless loop in the answer ...
    cell = nb.cells[_index(nb, "ex01_1")]
    cell.source = cell.source.replace("    value = float(np.mean(x * x))", "    while True:\n        pass")
    _write(nb, folder / "looper" / "01_toy.ipynb")
    nb = _read("02_toy.ipynb")                                    # ... and in a cell no graded cell needs
    nb.cells.append(nbformat.v4.new_code_cell("while True:\n    pass"))
    _write(nb, folder / "looper" / "02_toy.ipynb")
    nb = _read("01_toy.ipynb")                                    # a name defined where the slice cannot see
    cell = nb.cells[_index(nb, "ex01_1")]
    cell.source = cell.source.replace("grad = 2 * x / x.size", "grad = two * x / x.size")
    nb.cells.insert(1, nbformat.v4.new_code_cell('import sys\n\nsetattr(sys.modules["__main__"], "two", 2)'))
    _write(nb, folder / "roundabout" / "01_toy.ipynb")


def _grade_class(tmp, name):
    """`make grade`'s entry point on the class folder tmp/name, with the fixture course; (status, output)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(course.grade, "GRADE_ROOT", tmp / "grade")
        patch.setattr(course.grade, "NOTEBOOKS", FIXTURE)
        patch.setattr(course.grade, "require_data", lambda: None)
        out = io.StringIO()
        with redirect_stdout(out):
            status = course.grade.main([str(tmp / name)])
    return status, out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class above, graded once through `make grade`'s entry point; its output and results."""
    tmp = tmp_path_factory.mktemp("grading")
    _make_class(tmp / "class-a")
    status, out = _grade_class(tmp, "class-a")
    folder = tmp / "grade" / "class-a"
    with open(folder / "exercises.csv", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return {"status": status, "out": out.getvalue(), "rows": rows, "folder": folder, "tmp": tmp}


def _feedback(graded, student):
    folder = graded["folder"] / "feedback" / student / ASSIGNMENT
    return {p.name: p.read_text() for p in folder.glob("*.html")}


def _report(graded, student):
    """The printed score line of a student and the problem lines under it."""
    lines = graded["out"].splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{student}: "))
    block = [lines[at]]
    for line in lines[at + 1:]:
        if not line.startswith("    "):
            break
        block.append(line.strip())
    return block


def test_one_malformed_submission_costs_its_author_never_the_class(graded):
    rows, out = graded["rows"], graded["out"]
    # everyone with a valid id is graded; the good student normally
    assert {"good", "tinkerer", "broken", "deleter", "noisy", "empty", "looper", "roundabout"} <= set(rows)
    assert _report(graded, "good")[0].startswith("good: 3/3") and rows["good"]["problems"] == ""
    assert set(_feedback(graded, "good")) == {"01_toy.html", "02_toy.html"}
    # a copy-pasted answer cell and emptied grading data are repaired, named, and cost nothing
    assert _report(graded, "tinkerer")[0].startswith("tinkerer: 3/3")
    problems = rows["tinkerer"]["problems"]
    assert "01_toy.ipynb: the answer cell of exercise 01.1 appears twice" in problems
    assert "02_toy.ipynb: the grading data of the graded test of exercise 02.1 was damaged: restored" in problems
    assert "appears twice" in _feedback(graded, "tinkerer")["01_toy.html"]
    # a damaged file scores 0 with its reason, in one line, in the report, the CSV and the feedback
    reason = "01_toy.ipynb: not a notebook (the file is damaged: invalid JSON at line"
    assert _report(graded, "broken")[0].startswith("broken: 1/3")
    assert any(line.startswith(reason) and line.endswith("scored 0") for line in _report(graded, "broken")[1:])
    assert rows["broken"]["01.1"] == "0.0" and rows["broken"]["02.1"] == "1.0"
    assert reason in rows["broken"]["problems"]
    pages = _feedback(graded, "broken")
    assert reason in pages["01_toy.html"] and reason in pages["grading-notes.html"] and "02_toy.html" in pages
    # a folder with no notebook scores 0, saying so
    report = _report(graded, "empty")
    assert report[0].startswith("empty: 0/3")
    assert report[1:] == ["no notebook handed in (empty/ holds no .ipynb file): scored 0"]
    assert rows["empty"]["total"] == "0.0" and "no notebook handed in" in rows["empty"]["problems"]
    assert "not handed in: scored 0" in _feedback(graded, "empty")["01_toy.html"]
    # folder names that are not student ids: all named in one line, not graded, the others graded
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert errors and all("'alice smith'" in line and "'josé'" in line for line in errors)
    assert graded["status"] == 1
    assert rows["alice smith"]["total"] == "" and rows["josé"]["problems"].startswith("not graded")
    assert "nbgrader update" not in out


def test_stderr_in_a_hidden_test_costs_no_points(graded):
    """A RuntimeWarning, a tqdm bar and a print to stderr while the hidden test runs: full marks."""
    assert _report(graded, "noisy") == [_report(graded, "noisy")[0]]        # no problem line
    assert _report(graded, "noisy")[0].startswith("noisy: 3/3")
    assert graded["rows"]["noisy"]["01.1"] == "2.0"
    assert "debug: grad computed" in _feedback(graded, "noisy")["01_toy.html"]     # the text still shows


def test_an_endless_loop_costs_its_exercise_seconds_and_no_other_cell_runs_it(graded):
    report = _report(graded, "looper")
    assert len(report) == 1 and report[0].startswith("looper: 1/3")
    assert graded["rows"]["looper"]["01.1"] == "0.0" and graded["rows"]["looper"]["02.1"] == "1.0"
    autograded = graded["folder"] / "autograded" / "looper" / ASSIGNMENT / "01_toy.ipynb"
    errors = [o for c in nbformat.read(autograded, as_version=4).cells for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert [e.evalue for e in errors] == ["Exercise 01.1: expected your code to finish within 10 s; it was stopped "
                                         "then (an endless loop?)"]
    page = _feedback(graded, "looper")["02_toy.html"]
    assert "Not run while grading: no graded cell needs this cell." in page and "while True:" in page


def test_a_name_the_slice_could_not_see_grades_the_notebook_whole(graded):
    assert _report(graded, "roundabout") == [_report(graded, "roundabout")[0]]        # no problem line
    assert _report(graded, "roundabout")[0].startswith("roundabout: 3/3")
    folder = graded["folder"] / "autograded"
    assert "Not run while grading" not in (folder / "roundabout" / ASSIGNMENT / "01_toy.ipynb").read_text()
    assert "Not run while grading" in (folder / "good" / ASSIGNMENT / "01_toy.ipynb").read_text()      # sliced


def test_feedback_pages_share_one_style_sheet(graded):
    pages = _feedback(graded, "good")
    assert all('<link rel="stylesheet" href="feedback.css">' in page and "<style" not in page
               for page in pages.values())
    css = graded["folder"] / "feedback" / "good" / ASSIGNMENT / "feedback.css"
    assert "Bootstrap" in css.read_text() and css.stat().st_size > 50_000


def test_a_deleted_test_cell_is_restored_and_reported(graded):
    assert _report(graded, "deleter")[0].startswith("deleter: 3/3")
    line = "01_toy.ipynb: the graded test of exercise 01.1 was missing (deleted?): put back from the assignment"
    assert line in _report(graded, "deleter") and line in graded["rows"]["deleter"]["problems"]
    autograded = graded["folder"] / "autograded" / "deleter" / ASSIGNMENT / "01_toy.ipynb"
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nbformat.read(autograded, as_version=4).cells]
    test = nbformat.read(autograded, as_version=4).cells[ids.index("ex01_1_test")]
    assert "BEGIN HIDDEN TESTS" in test.source                      # nbgrader restored its hidden tests
    assert ids.index("ex01_1_test") > ids.index("ex01_1")          # after the answer it tests


def test_each_class_is_graded_into_its_own_folder(graded):
    tmp = graded["tmp"]
    (tmp / "class-b" / "carol").mkdir(parents=True)
    status, out = _grade_class(tmp, "class-b")
    assert status == 0
    assert str(tmp / "grade" / "class-b") in out.getvalue()               # says where
    assert (tmp / "grade" / "class-b" / "exercises.csv").is_file()
    assert (graded["folder"] / "feedback" / "good" / ASSIGNMENT / "01_toy.html").is_file()     # class-a kept
    assert (graded["folder"] / "exercises.csv").is_file()


def _cells(*sources, graded=()):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    for k in graded:
        nb.cells[k].metadata["nbgrader"] = {"grade": True, "grade_id": f"ex01_{k}_test", "points": 1}
    return nb


def test_the_grading_slice_keeps_what_graded_cells_read_and_shows_the_rest_unrun():
    nb = _cells("import numpy as np\nfrom mlp_helpers import data",         # 0 read by 5 and 6
                "history = train()\nplot(history)",                         # 1 a demonstration: skipped
                "rng = np.random.default_rng(0)\nif flag:\n    scale = 3",  # 2 binds scale (maybe)
                "scale = 2\nfor scale in []:\n    pass",                   # 3 binds scale surely
                "def helper(x):\n    return scale * data.one_hot(x)",      # 4 read by 6 when called
                "x = np.ones(3)\nx[0] += 1",                                # 5 read by 6
                "y = helper(x)\nz = [w for w in y]\nassert z",            # 6 graded
                "fig = plot(z)",                                            # 7 after the graded cell
                graded=[6])
    assert needed_cells(nb) == {0, 2, 3, 4, 5, 6}         # 2 binds scale: every cell binding a wanted name stays
    turned = slice_for_grading(nb)
    assert turned == 2 and [c.cell_type for c in nb.cells].count("markdown") == 2
    assert nb.cells[1].source.startswith(NOTE) and "history = train()" in nb.cells[1].source


def test_a_cell_the_slice_cannot_read_keeps_every_cell_before_it():
    nb = _cells("a = 1", "b = 2", "globals()['c'] = a", "assert c", graded=[3])
    assert needed_cells(nb) == {0, 1, 2, 3}
    assert cell_names("%time y = f(x)") is None            # a magic's code is a string the slice cannot read
    assert cell_names("from os import *") is None


def test_the_student_edition_ships_its_gitignore(tmp_path):
    dist, _ = build(FIXTURE, dist=tmp_path / "dist", course=tmp_path / "course")
    assert "*\n" in (dist / "data" / ".gitignore").read_text()              # as its data/README.md says
    assert ".gitignore" in (dist / "data" / "README.md").read_text()
    assert "runs/" in (dist / ".gitignore").read_text().splitlines()
