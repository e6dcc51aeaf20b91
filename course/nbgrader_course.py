"""An nbgrader course directory under build/, and the calls into nbgrader the other scripts share.

One assignment, "backprop", holds the notebooks. Grading runs every notebook in quick mode
(MLP_QUICK=1, one BLAS thread; CIFAR10_DIR passes through) with a timeout per cell.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
ASSIGNMENT = "backprop"
CELL_TIMEOUT = 300          # seconds per cell when grading
GRADE_ENV = {"MLP_QUICK": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
             "MKL_NUM_THREADS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}

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


def submit(course, student, notebooks):
    """Put one student's notebooks (paths) where nbgrader looks for submissions."""
    folder = Path(course) / "submitted" / student / ASSIGNMENT
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in notebooks:
        shutil.copy(path, folder / Path(path).name)


def autograde(course):
    """Autograde every submission (quick mode) and write the students' HTML feedback."""
    nbgrader(course, "autograde", ASSIGNMENT, "--create", "--force", grading=True)
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")


def scores(course, student):
    """{grade cell id: (score, max score)} of one student's autograded submission."""
    from nbgrader.api import Gradebook

    result = {}
    with Gradebook("sqlite:///" + str(Path(course) / "gradebook.db")) as gb:
        for notebook in gb.find_submission(ASSIGNMENT, student).notebooks:
            for grade in notebook.grades:
                result[grade.name] = (grade.score, grade.max_score)
    return result


def feedback_files(course, student):
    """The HTML feedback pages of one student."""
    return sorted((Path(course) / "feedback" / student / ASSIGNMENT).glob("*.html"))
