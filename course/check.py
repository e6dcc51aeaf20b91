"""`make course-check`: build the student edition, then autograde three submissions of it.

    unsolved       the student edition as released                 must score 0
    solved         the instructor notebooks (notebooks/)            must score full marks
    planted-bugs   the instructor notebooks with PLANTED_BUGS       must lose exactly the points of the
                   substituted into their solution regions          exercises the bugs are in

and print `unsolved P0/P  solved P/P  planted-bugs Pb/P`. Every failure in the unsolved grading must
name its exercise; every planted-bug failure must name its exercise and say what was expected.
"""
from __future__ import annotations

import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from course.exercise_cells import exercise_of
from course.grade import exercise_scores
from course.nbgrader_course import ASSIGNMENT, BUILD, ROOT, autograde, feedback_files, require_data, scores, submit
from course.student import build

# exercise id: (what the bug is, lines of its solution, the lines that replace them)
PLANTED_BUGS = {
    "02.2": ("missing 1/N in the softmax gradient",
             ["dlogits = (probs - y_onehot) / n"], ["dlogits = probs - y_onehot"]),
    "03.1": ("momentum applied before the gradient",
             ["v = mu * v - lr * grad", "w = w + v"], ["w = w + v", "v = mu * v - lr * grad"]),
    "04.2": ("L1 gradient written 2 lam W", ["dW = lam * np.sign(W)"], ["dW = 2 * lam * W"]),
    "07.1": ("the interval of the mean instead of the prediction range for one run",
             ["half = t_quantile(n - 1) * values.std(ddof=1) * np.sqrt(1 + 1 / n)"],
             ["half = t_quantile(n - 1) * values.std(ddof=1) / np.sqrt(n)"]),
}


def _replace(lines, old, new):
    """Replace the run of lines equal to `old` (ignoring indentation) by `new`, indented alike."""
    stripped = [line.strip() for line in lines]
    for i in range(len(lines) - len(old) + 1):
        if stripped[i:i + len(old)] == old:
            indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
            return lines[:i] + [indent + line for line in new] + lines[i + len(old):], True
    return lines, False


def plant(nb, bugs):
    """Apply each bug inside its exercise's solution region; returns the ids planted."""
    planted = set()
    for cell in nb.cells:
        exercise = exercise_of(cell.metadata.get("nbgrader", {}).get("grade_id"))
        if exercise not in bugs or not cell.metadata["nbgrader"].get("solution"):
            continue
        lines = cell.source.split("\n")
        begin = next(i for i, line in enumerate(lines) if "BEGIN SOLUTION" in line)
        end = next(i for i, line in enumerate(lines) if "END SOLUTION" in line)
        region, ok = _replace(lines[begin:end], *bugs[exercise][1:])
        if not ok:
            raise SystemExit(f"planted bug of exercise {exercise} ({bugs[exercise][0]}): its solution "
                             f"has no lines {bugs[exercise][1]} (course/check.py PLANTED_BUGS; docs/instructors.md)")
        cell.source = "\n".join(lines[:begin] + region + lines[end:])
        planted.add(exercise)
    return planted


def failed_tests(course, student):
    """{exercise id: error text} of the graded test cells that failed in an autograded submission."""
    failures = {}
    for path in sorted((Path(course) / "autograded" / student / ASSIGNMENT).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
            if meta.get("grade") and errors:
                failures[exercise_of(meta["grade_id"]) or meta["grade_id"]] = \
                    f"{errors[0].ename}: {errors[0].evalue}"
    return failures


def grade_apart(course, submissions):
    """Autograde each submission {student: notebook paths} in its own copy of ``course`` (its own
    gradebook, so the gradings cannot lock each other), as many at once as there are cores; returns
    {student: its course folder}."""
    courses = {}
    for student, notebooks in submissions.items():
        copy = course.with_name(f"{course.name}-{student}")
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(course, copy)
        submit(copy, student, notebooks)
        courses[student] = copy
    with ThreadPoolExecutor(max_workers=min(len(courses), os.cpu_count() or 1)) as pool:
        list(pool.map(autograde, courses.values()))          # each call runs nbgrader in a subprocess
    return courses


def course_check(notebooks_dir=ROOT / "notebooks", bugs=None, folder=BUILD / "course-check"):
    """Run the three gradings; returns (summary line, list of problems, details dict)."""
    bugs = PLANTED_BUGS if bugs is None else bugs
    folder = Path(folder)
    course = folder / "course"
    dist, _ = build(notebooks_dir, dist=folder / "student", course=course)
    originals = sorted(Path(notebooks_dir).glob("*.ipynb"))
    (folder / "planted").mkdir(parents=True, exist_ok=True)
    planted = set()
    for path in originals:
        nb = nbformat.read(path, as_version=4)
        planted |= plant(nb, bugs)
        nbformat.write(nb, folder / "planted" / path.name)
    if missing := set(bugs) - planted:
        raise SystemExit(f"planted bugs for exercises not found in {notebooks_dir}: {sorted(missing)}")
    submissions = {"unsolved": sorted((dist / "notebooks").glob("*.ipynb")), "solved": originals,
                   "planted": sorted((folder / "planted").glob("*.ipynb"))}
    courses = grade_apart(course, submissions)
    got = {s: exercise_scores(scores(courses[s], s)) for s in submissions}
    total = {s: sum(v[0] for v in got[s].values()) for s in got}
    top = sum(v[1] for v in got["solved"].values())
    line = (f"unsolved {total['unsolved']:g}/{top:g}  solved {total['solved']:g}/{top:g}  "
            f"planted-bugs {total['planted']:g}/{top:g}")
    problems = []
    if top == 0:
        problems.append("no graded exercise found")
    if not 0 < total["planted"] < top:
        problems.append(f"planted bugs score {total['planted']:g}: not strictly between 0 and {top:g}")
    if total["unsolved"] != 0:
        problems.append(f"the unsolved edition scores {total['unsolved']:g}, not 0")
    if total["solved"] != top:
        problems.append("the instructor notebooks lose points: " + str(failed_tests(courses["solved"], "solved")))
    for exercise, (score, most) in got["planted"].items():
        if score != (0 if exercise in planted else most):
            problems.append(f"planted bugs: exercise {exercise} scores {score:g}/{most:g}")
    failures = {s: failed_tests(courses[s], s) for s in ("unsolved", "planted")}
    for exercise, text in failures["unsolved"].items():
        if f"Exercise {exercise}" not in text:
            problems.append(f"unsolved: the failure of exercise {exercise} does not name it: {text}")
    pages = "\n".join(p.read_text() for p in feedback_files(courses["planted"], "planted"))
    for exercise in sorted(planted):
        text = failures["planted"].get(exercise, "")
        if f"Exercise {exercise}" not in text or "expected" not in text:
            problems.append(f"planted bug in {exercise}: feedback does not say what was expected: {text!r}")
        elif f"Exercise {exercise}" not in pages:
            problems.append(f"planted bug in {exercise}: not in the HTML feedback")
    return line, problems, {"scores": got, "failures": failures, "points": top, "course": course, "courses": courses}


def main():
    require_data()
    line, problems, _ = course_check()
    print(line)
    for problem in problems:
        print("  FAIL:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
