"""An nbgrader course directory under build/, and the calls into nbgrader the other scripts share.

One assignment, "backprop", holds the notebooks. Grading runs every notebook in quick mode and grading
mode (MLP_QUICK=1, MLP_GRADING=1: explorers and figures skipped; MPLBACKEND=Agg: no figure is drawn
into the feedback; one BLAS thread; CIFAR10_DIR passes through) with a timeout per cell as a last resort
(each graded call of a student's code has its own, shorter limit: exercises.forbid).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
ASSIGNMENT = "backprop"
CELL_TIMEOUT = 120          # seconds per cell when grading: the graded cells need a few
GRADE_ENV = {"MLP_QUICK": "1", "MLP_GRADING": "1", "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
             "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}

def require_data():
    """Stop before any grading, in one line, if CIFAR-10 cannot be found (or fetched): every notebook
    needs it, and without it each student would lose points to an error that is not theirs."""
    from mlp_helpers.data import DataError, locate_cifar10
    try:
        locate_cifar10()
    except DataError as err:
        raise SystemExit(f"error: no CIFAR-10 for the notebooks, so nothing was graded: {err}") from None


# The course folder is the one this config file sits in, so a copied course grades in its copy.
CONFIG = """\
import os
c = get_config()
here = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = here
c.CourseDirectory.course_id = "mlp-backprop"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
# nbgrader scores a test cell 0 if it writes anything to stderr (a RuntimeWarning, a tqdm bar), even when
# every assertion passes: the grading kernel sends stderr to stdout, so such text shows and costs nothing.
c.Execute.extra_arguments = ["--IPKernelApp.exec_lines=import sys; sys.stderr = sys.stdout"]
"""


def make_course(folder, notebooks, fresh=True):
    """Create an nbgrader course directory at `folder` whose source assignment holds copies of
    `notebooks` (paths); returns its path. The source notebooks themselves are never changed."""
    folder = Path(folder).resolve()
    if fresh and folder.exists():
        shutil.rmtree(folder)
    source = folder / "source" / ASSIGNMENT
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    for path in notebooks:
        shutil.copy(path, source / Path(path).name)
    (folder / "nbgrader_config.py").write_text(
        CONFIG.format(timeout=CELL_TIMEOUT))
    return folder


def nbgrader(course, *args, grading=False):
    """Run `nbgrader ARGS` in the course directory; raise with its log if it fails."""
    env = dict(os.environ, **(GRADE_ENV if grading else {}))
    # nbgrader runs `alembic` (its gradebook migrations) from PATH: put this Python's scripts first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    cmd = [sys.executable, "-m", "nbgrader", *args]
    done = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed in {course}:\n{done.stdout}\n{done.stderr[-4000:]}")
    return done.stdout + done.stderr


FAILURE_RE = re.compile(r"^\s*(?:[\w.]+\.)?(\w+(?:Error|Exception|Entry)): (.+)$")
LOG_RE = re.compile(r"^\[\w+ \| (INFO|WARNING|ERROR)\] (.+)$")


def failure_line(log):
    """What went wrong, in one line, from an nbgrader log: its last exception line (e.g. 'ValidationError:
    Duplicate grade id: ex01_1'), else the last warning about the notebook before nbgrader's first error
    (its advice on some errors, such as running `nbgrader update`, is about the course, not the
    notebook), else that error."""
    lines = log.splitlines()
    found = [m for m in map(FAILURE_RE.match, lines) if m and m[1] != "NbGraderException"]
    if found:
        return f"{found[-1][1]}: {found[-1][2].strip()[:160]}"
    logged = [m for m in map(LOG_RE.match, lines) if m]
    first_error = next((i for i, m in enumerate(logged) if m[1] == "ERROR"), None)
    if first_error is None:
        return "nbgrader failed without saying why"
    started = [i for i, m in enumerate(logged[:first_error]) if m[2].startswith(("Sanitizing", "Autograding"))]
    warned = [m[2] for m in logged[started[-1] if started else 0:first_error] if m[1] == "WARNING"]
    return (warned[-1] if warned else logged[first_error][2]).strip()[:160]


def autograde_student(course, student, notebooks, alone=False):
    """Autograde one student's submitted notebooks (names, e.g. "01_toy"); a notebook nbgrader fails on
    is tried alone so the others still count (``alone``: each is graded alone from the start). Returns
    {notebook name: one-line reason} of the failures; nbgrader's log of each failure is kept in course/logs/."""
    common = ("autograde", ASSIGNMENT, f"--student={student}", "--create", "--force")
    if not alone:
        try:
            nbgrader(course, *common, grading=True)
            return {}
        except RuntimeError:
            pass
    failed = {}
    for name in notebooks:
        try:
            nbgrader(course, *common, f"--notebook={name}", grading=True)
        except RuntimeError as err:
            logs = Path(course) / "logs"
            logs.mkdir(exist_ok=True)
            (logs / f"{student}-{name}.log").write_text(str(err))
            failed[name] = failure_line(str(err))
    return failed


def name_errors(path):
    """How many cells of an autograded notebook failed with a NameError (a name no cell that ran defined)."""
    return sum(o.get("ename") == "NameError" for cell in nbformat.read(path, as_version=4).cells
               for o in cell.get("outputs", []) if o.output_type == "error")


def copy_scores(source, target, student):
    """Put one student's scores from the gradebook of course ``source`` into that of course ``target``
    (a student graded in a copy of the course joins the class's gradebook)."""
    from nbgrader.api import Gradebook

    with Gradebook(_db(source)) as origin, Gradebook(_db(target)) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")          # SQLAlchemy's autoflush notes from inside nbgrader's API
        gb.update_or_create_student(student)
        gb.update_or_create_submission(ASSIGNMENT, student)
        for notebook in origin.find_submission(ASSIGNMENT, student).notebooks:
            graded = {g.name: g for g in notebook.grades}
            for grade in gb.find_submission_notebook(notebook.name, ASSIGNMENT, student).grades:
                mark = graded[grade.name]
                grade.auto_score, grade.manual_score = mark.auto_score, mark.manual_score
                grade.needs_manual_grade = mark.needs_manual_grade
        gb.db.commit()


def _db(course):
    return "sqlite:///" + str(Path(course) / "gradebook.db")


def zero_scores(course, student, notebooks):
    """Record 0 for every graded cell of `notebooks` (names) of `student`, creating the student and the
    submission in the gradebook if need be, so the export and the scores count them as 0."""
    from nbgrader.api import Gradebook

    with Gradebook(_db(course)) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")          # SQLAlchemy's autoflush notes from inside nbgrader's API
        gb.update_or_create_student(student)
        gb.update_or_create_submission(ASSIGNMENT, student)
        for name in notebooks:
            for grade in gb.find_submission_notebook(name, ASSIGNMENT, student).grades:
                grade.auto_score, grade.manual_score, grade.needs_manual_grade = 0, None, False
        gb.db.commit()


def scores(course, student):
    """{grade cell id: (score, max score)} of one student's autograded submission."""
    from nbgrader.api import Gradebook

    result = {}
    with Gradebook(_db(course)) as gb:
        for notebook in gb.find_submission(ASSIGNMENT, student).notebooks:
            for grade in notebook.grades:
                result[grade.name] = (grade.score, grade.max_score)
    return result


def feedback_files(course, student):
    """The HTML feedback pages of one student."""
    return sorted((Path(course) / "feedback" / student / ASSIGNMENT).glob("*.html"))
