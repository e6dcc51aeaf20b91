"""The course kit: the exercise helpers, and the course check that builds the student
edition and autogrades its submissions (unsolved, solved, one per round of planted bugs) with nbgrader.

The pipeline is course.check.course_check, the same code `make course-check` runs; it runs once on a
two-exercise fixture (tests/fixtures/course/) and once on the real notebooks.
"""
import inspect
import re
import sys
import time
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course.check import PLANTED_BUGS, bug_rounds, course_check, plant
from course.exercise_cells import HIDDEN_PROLOGUE, SOURCE_TAG, list_exercises
from course.student import build
from mlp_helpers import exercises
from mlp_helpers.model import gradcheck

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "course"
FIXTURE_BUGS = [("01.1", "missing 1/N", ["grad = 2 * x / x.size"], ["grad = 2 * x"])]
MIN_EXERCISES = 14


def test_check_prints_expected_against_got(capsys):
    assert exercises.check("02.1", "dW", np.ones((2, 3)), np.ones((2, 3)))
    assert not exercises.check("02.1", "dW", np.ones((2, 3)), np.ones((3, 2)))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("02.1 dW: expected (2, 3)") and out[0].endswith("ok")
    assert "WRONG" in out[1] and "shape (3, 2) should be (2, 3)" in out[1]


def test_assert_close_names_the_exercise_and_what_was_expected():
    exercises.assert_close("04.2", "dW", [1.0, -1.0], [1.0, -1.0])
    with pytest.raises(AssertionError, match=r"Exercise 04\.2, dW: expected \(2,\) \[1, -1\]"):
        exercises.assert_close("04.2", "dW", [1.0, -1.0], [2.0, -2.0])
    assert exercises.relative_error([1.0], [1.0 + 1e-9]) < 1e-9


def test_the_checks_and_the_gradient_check_share_one_relative_error(monkeypatch):
    """One definition and one tolerance, in model/gradcheck.py; the checks hold a copy of that file's
    own, so a cell that loosened gradcheck.TOLERANCE does not loosen a hidden test."""
    assert exercises.relative_error.__code__.co_filename == gradcheck.relative_error.__code__.co_filename
    assert exercises.TOLERANCE == gradcheck.TOLERANCE
    a, n = np.array([3.0, 4.0]), np.array([3.0, 4.0 + 1e-3])
    assert exercises.relative_error(a, n) == gradcheck.relative_error(a, n) == pytest.approx(1e-4, rel=1e-3)
    monkeypatch.setattr(gradcheck, "TOLERANCE", 1.0)
    namespace = {}
    exec(HIDDEN_PROLOGUE, namespace)
    with pytest.raises(AssertionError, match=r"relative error 1\.0e-04 \(should be < 1e-06\)"):
        namespace["checks"].assert_close("02.4", "gradient", a, n)


def test_assert_unchanged_wants_the_callers_array_back_bit_for_bit():
    before = np.array([0.1, -2.0, 3.0])
    exercises.assert_unchanged("02.4", "theta", before, before.copy())
    restored = before.copy()
    restored[0] = restored[0] + 1e-5 - 2e-5 + 1e-5                  # put back by arithmetic: not 0.1
    with pytest.raises(AssertionError, match=r"Exercise 02\.4, theta: expected .* exactly as it was .*"
                                             r"\(1 of 3 entries changed, by up to 1\.4e-17\)"):
        exercises.assert_unchanged("02.4", "theta", before, restored)
    with pytest.raises(AssertionError, match=r"shape \(2,\) should be \(3,\)"):
        exercises.assert_unchanged("03.1", "w", before, before[:2])


def _reference(x):
    """The 'package' function of these tests."""
    return 2 * x


def _undocumented(x):
    return 2 * x


class _Thing:
    def method(self, x):
        return x


def test_forbid_makes_the_package_function_raise_under_any_name_and_restores_it():
    alias, thing = _reference, _Thing()
    with exercises.forbid("01.1", _reference, _Thing.method):
        with pytest.raises(AssertionError, match=r"Exercise 01\.1: your code called the package's _reference"):
            alias(1.0)
        with pytest.raises(AssertionError, match="_Thing.method"):
            thing.method(1)
    assert alias(1.0) == 2.0 and thing.method(3) == 3


def test_forbid_fails_the_test_on_a_copy_of_the_package_code():
    """A new function made from the package function's code object, its code renamed, or its source pasted
    into a cell: each fails the block that ran it, even if the student's code swallowed exceptions."""
    pasted = {"np": np}
    exec(inspect.getsource(_reference), pasted)
    copies = {"code object": types.FunctionType(_reference.__code__, globals()),
              "renamed code": types.FunctionType(_reference.__code__.replace(co_name="mine"), globals()),
              "pasted source": pasted["_reference"]}
    for how, copy in copies.items():
        with pytest.raises(AssertionError, match=r"Exercise 02\.1: your code ran a copy of the package's "
                                                 r"_reference; expected your own code"):
            with exercises.forbid("02.1", _reference):
                try:
                    copy(1.0)
                except Exception:                 # a student's code that hides errors
                    pass
        assert copy(1.0) == 2.0, how


def test_forbid_lets_the_students_own_code_run():
    """Even code that is, by chance, the same as a short package function without a docstring."""
    def own(x):
        return x + x

    twin = {}
    exec("def twin(x):\n    return 2 * x\n", twin)
    with exercises.forbid("02.1", _reference, _undocumented):
        assert own(1.5) == 3.0 and twin["twin"](1.5) == 3.0
    assert sys.getprofile() is None


def test_forbid_stops_an_endless_loop_in_one_line():
    """Even one that swallows exceptions: the test fails after its time limit, not the cell's timeout."""
    start = time.perf_counter()
    with pytest.raises(AssertionError, match=r"^Exercise 08\.2: expected your code to finish within 0\.5 s; "
                                             r"it was stopped then \(an endless loop\?\)$"):
        with exercises.forbid("08.2", _reference, seconds=0.5):
            while True:
                try:
                    pass
                except Exception:                 # a student's code that hides errors
                    pass
    assert time.perf_counter() - start < 5
    with exercises.forbid("08.2", _reference, seconds=0.5):
        pass
    time.sleep(1.2)                                 # no alarm is left behind


def test_hidden_tests_use_checks_that_no_cell_can_replace(monkeypatch):
    """The hidden-test prologue loads exercises.py afresh: a patched exercises module changes nothing."""
    monkeypatch.setattr(exercises, "assert_close", lambda *args, **kwargs: None)
    namespace = {}
    exec(HIDDEN_PROLOGUE, namespace)
    checks = namespace["checks"]
    assert checks is not exercises and checks.__file__ == exercises.__file__
    with pytest.raises(AssertionError, match=r"Exercise 04\.1, dW: expected"):
        checks.assert_close("04.1", "dW", [1.0], [2.0])


def test_requires_says_finish_the_exercise_first_while_it_is_a_stub():
    def stub(x):
        raise NotImplementedError("Exercise 02.1: write the body of stub here")

    exercises.requires("02.1", _reference, _Thing)          # done: nothing happens
    with pytest.raises(NotImplementedError, match=r"finish exercise 02\.1 first \(.*stub") as info:
        exercises.requires("02.1", _reference, stub)
    assert info.value._render_traceback_() == [f"NotImplementedError: {info.value}"]


def _edition_leaks(dist):
    leaks = []
    for path in sorted((dist / "notebooks").glob("*.ipynb")):
        for k, cell in enumerate(nbformat.read(path, as_version=4).cells):
            for marker in ("### BEGIN SOLUTION", "HIDDEN TESTS"):
                if marker in cell.source:
                    leaks.append(f"{path.name} cell {k}: {marker}")
            if SOURCE_TAG in cell.metadata.get("tags", []):
                leaks.append(f"{path.name} cell {k}: tagged {SOURCE_TAG}")
    return leaks


def _assert_course_check(notebooks, bugs, folder, expected_planted):
    """Run the check; expected_planted: the score of each planted submission, in order."""
    line, problems, details = course_check(notebooks, bugs, folder)
    total = details["points"]
    assert problems == [], line + "\n" + "\n".join(problems)
    assert line == (f"unsolved 0/{total:g}  solved {total:g}/{total:g}  planted-bugs "
                    + " ".join(f"{p:g}/{total:g}" for p in expected_planted))
    assert _edition_leaks(Path(folder) / "student") == []
    unsolved = details["failures"]["unsolved"]
    assert set(unsolved) == set(details["scores"]["solved"])         # every graded test failed ...
    for exercise, text in unsolved.items():                           # ... naming its exercise
        assert re.search(rf"Exercise {re.escape(exercise)}\b", text), text
    for k, round_bugs in enumerate(bug_rounds(bugs), 1):
        for exercise in round_bugs:
            assert "expected" in details["failures"][f"planted-{k}"][exercise]
    return details


def test_course_check_on_the_fixture(tmp_path):
    details = _assert_course_check(FIXTURE / "notebooks", FIXTURE_BUGS, tmp_path, expected_planted=[1])
    assert details["points"] == 3
    student = (tmp_path / "student" / "notebooks" / "01_toy.ipynb").read_text()
    assert 'raise NotImplementedError(\\"Exercise 01.1: write the body of mean_square here\\")' in student
    # the notebooks read the committed full-scale runs: the edition ships them
    assert (tmp_path / "student" / "results" / "results.csv").is_file()
    assert (tmp_path / "student" / "results" / "histories.csv.gz").is_file()        # the published runs
    assert len(list((tmp_path / "student" / "results" / "weights").glob("*.npz"))) >= 10
    assert "instructor edition only" in student                       # the tagged source cell's note


def test_two_bugs_of_one_exercise_go_to_different_submissions():
    rounds = bug_rounds(PLANTED_BUGS)
    assert len(rounds) >= 2 and all(len(r) >= 1 for r in rounds)
    planted = [(e, bug[0]) for r in rounds for e, bug in r.items()]
    assert sorted(planted) == sorted((e, what) for e, what, *_ in PLANTED_BUGS)


def test_course_check_on_the_notebooks(tmp_path):
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    found = {p.name: list_exercises(p) for p in notebooks}
    count = sum(len(v) for v in found.values())
    assert count >= MIN_EXERCISES and all(len(v) >= 2 for v in found.values()), \
        f"the notebooks have {count} exercises (need >= {MIN_EXERCISES}, >= 2 each): {found}"
    points = {e: p for v in found.values() for e, p in v}
    total = sum(points.values())
    _assert_course_check(ROOT / "notebooks", PLANTED_BUGS, tmp_path,
                         expected_planted=[total - sum(points[e] for e in r) for r in bug_rounds(PLANTED_BUGS)])


def test_build_fails_loudly_when_a_solved_functions_source_would_show(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for path in (FIXTURE / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            cell.metadata.pop("tags", None)                            # forget the solution-source tag
        nbformat.write(nb, notebooks / path.name)
    with pytest.raises(SystemExit, match=r"01_toy.ipynb cell \d+: shows the source of a solved function"):
        build(notebooks, dist=tmp_path / "dist", course=tmp_path / "course")
    assert not (tmp_path / "dist").exists()


def test_a_planted_bug_whose_lines_are_missing_names_its_exercise():
    nb = nbformat.read(FIXTURE / "notebooks" / "01_toy.ipynb", as_version=4)
    bugs = bug_rounds(FIXTURE_BUGS)[0]
    assert plant(nb, bugs) == {"01.1"} and "grad = 2 * x\n" in nb.cells[3].source
    with pytest.raises(SystemExit, match=r"planted bug of exercise 01\.1"):
        plant(nb, bugs)                                                # already planted: lines gone


@pytest.mark.parametrize("entry", ["grade", "check"])
def test_missing_data_stops_grading_up_front_in_one_line(entry, tmp_path, monkeypatch):
    """With no CIFAR-10 the class is not graded at all (every student would lose points to it)."""
    import course.check
    import course.grade
    monkeypatch.setenv("CIFAR10_DIR", str(tmp_path / "nowhere"))
    (tmp_path / "class" / "alice").mkdir(parents=True)
    main = course.grade.main if entry == "grade" else course.check.main
    args = [[str(tmp_path / "class")]] if entry == "grade" else [[]]
    with pytest.raises(SystemExit, match=r"^error: no CIFAR-10 for the notebooks, so nothing was graded: .*nowhere"):
        main(*args)
    assert not (tmp_path / "class" / "alice" / "feedback").exists()
