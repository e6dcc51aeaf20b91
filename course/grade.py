"""`make grade SUBMISSIONS=folder`: autograde a class with nbgrader.

The folder holds one sub-folder per student, named by the student id, with that student's
notebooks under their released names:

    submissions/alice/01_data_and_normalisation.ipynb
    submissions/alice/02_gradient_check.ipynb ...
    submissions/bob/...

A notebook a student did not hand in scores 0. Results (the course directory is made afresh,
from notebooks/, each time): build/grade/gradebook.db, build/grade/feedback/<student>/backprop/*.html,
build/grade/grades.csv (nbgrader's export: one row per student) and build/grade/exercises.csv
(one column per exercise).
"""
from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from course.exercise_cells import exercise_of
from course.nbgrader_course import (
    ASSIGNMENT,
    BUILD,
    ROOT,
    autograde,
    feedback_files,
    make_course,
    nbgrader,
    require_data,
    scores,
    submit,
)

STUDENT_RE = re.compile(r"^[A-Za-z0-9_.@-]+$")


def exercise_scores(cells):
    """{exercise id or grade cell id: (score, max)} from a student's {grade cell id: (score, max)}."""
    result = {}
    for name, (score, top) in cells.items():
        key = exercise_of(name) or name
        old = result.get(key, (0.0, 0.0))
        result[key] = (old[0] + score, old[1] + top)
    return result


def write_exercise_csv(course, students, path):
    table = {s: exercise_scores(scores(course, s)) for s in students}
    keys = sorted({k for row in table.values() for k in row})
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["student", *keys, "total", "max"])
        for s, row in table.items():
            got = [row.get(k, (0, 0))[0] for k in keys]
            out.writerow([s, *got, sum(got), sum(v[1] for v in row.values())])
    return table


def grade(submissions, course=BUILD / "grade", notebooks_dir=ROOT / "notebooks"):
    """Autograde every student folder of `submissions`; returns (course dir, {student: exercise scores})."""
    submissions = Path(submissions)
    sources = sorted(Path(notebooks_dir).glob("*.ipynb"))
    names = {p.name for p in sources}
    students = sorted(p.name for p in submissions.iterdir() if p.is_dir())
    bad = [s for s in students if not STUDENT_RE.match(s)]
    if not students or bad:
        raise SystemExit(f"{submissions}: expected one folder per student id (letters, digits, _.@-); "
                         f"found {students or 'none'}")
    course = make_course(course, sources)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    for student in students:
        handed_in = sorted((submissions / student).glob("*.ipynb"))
        for path in handed_in:
            if path.name not in names:
                print(f"warning: {student}/{path.name} is not a notebook of the assignment: ignored")
        submit(course, student, [p for p in handed_in if p.name in names])
    autograde(course)
    nbgrader(course, "export", f"--CsvExportPlugin.filename={course / 'grades.csv'}")
    table = write_exercise_csv(course, students, course / "exercises.csv")
    return course, table


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: make grade SUBMISSIONS=folder   (folder/<student_id>/<notebook>.ipynb)")
        return 2
    require_data()
    course, table = grade(args[0])
    for student, row in table.items():
        got, top = sum(v[0] for v in row.values()), sum(v[1] for v in row.values())
        pages = ", ".join(str(p.relative_to(ROOT)) for p in feedback_files(course, student))
        print(f"{student}: {got:g}/{top:g}   feedback: {pages}")
    print(f"grades: {course / 'grades.csv'}\nper exercise: {course / 'exercises.csv'}\n"
          f"gradebook: {course / 'gradebook.db'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
