"""A student edition's Run All: an unfinished exercise shows one line, and the last cell says which
exercises are done (run in a real kernel, since the one-line error is IPython's doing)."""
import nbformat
import pytest
from nbclient import NotebookClient

from mlp_helpers import exercises

CELLS = [
    "from mlp_helpers import exercises",
    'def square(x):\n    raise NotImplementedError("Exercise 01.1: write the body of square here")',
    'exercises.check("01.1", "square(3)", 9, square(3))',
    'exercises.check("01.2", "1 + 1", 2, 1 + 1)',
    'exercises.check("01.3", "2 + 2", 4, 5)',
    "raise NotImplementedError('a plain one, not an exercise')",
    'exercises.status("01.1", "01.2", "01.3", "01.4")',
]


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    return nb.cells


def test_an_unfinished_exercise_fails_with_its_one_line(executed):
    (error,) = executed[2].outputs
    assert error.output_type == "error"
    assert error.traceback == ["NotImplementedError: Exercise 01.1: write the body of square here"]


def test_any_other_error_keeps_its_traceback(executed):
    (error,) = executed[5].outputs
    assert error.output_type == "error" and len(error.traceback) > 1


def test_the_status_cell_names_each_exercise(executed):
    text = executed[6].outputs[0].text.splitlines()
    assert text[0] == "01.1 not yet: Exercise 01.1: write the body of square here"
    assert text[1] == "01.2 done"
    assert text[2].startswith("01.3 not yet: 01.3 2 + 2: expected 4  got 5") and "WRONG" in text[2]
    assert text[3].startswith("01.4 not run yet") and len(text) == 4


def test_status_outside_ipython(capsys):
    exercises._outcomes.clear()
    exercises.check("09.1", "x", 1.0, 1.0)
    exercises.status("09.1")
    assert capsys.readouterr().out.splitlines()[-1] == "09.1 done"
    exercises.check("09.1", "y", 1.0, 2.0)                    # a later failure of the same exercise
    exercises.status("09.1")
    assert capsys.readouterr().out.splitlines()[-1].startswith("09.1 not yet: 09.1 y: expected 1")
