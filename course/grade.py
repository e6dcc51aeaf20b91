"""`make grade SUBMISSIONS=folder [JOBS=n]`: autograde a class with nbgrader, each student on their own.

The folder holds one sub-folder per student, named by the student id, with that student's
notebooks under their released names:

    submissions/alice/01_data_and_normalisation.ipynb
    submissions/alice/02_gradient_check.ipynb ...
    submissions/bob/...

One broken submission costs its author, never the class:

* the folder names are checked first; every one that is not a student id is named in one line and not
  graded, and the rest of the class is graded (the exit status is then 1);
* each notebook is checked, and repaired where the intent is clear, before nbgrader sees it
  (course/submissions.py); one that is not a notebook scores 0, as does one not handed in;
* each student is autograded on their own, in their own copy of the course (their own gradebook, so
  JOBS students are graded at once), and a notebook nbgrader still fails on scores 0 alone.

Each notebook is graded on the cells its graded cells need (course/grading_slice.py): the others are
shown in the feedback, unrun. Should a graded cell then meet a NameError (a name only a skipped cell
defined), that notebook is graded again, whole.

Every such reason is one line: printed under the student's score, in the `problems` column of
exercises.csv and in the student's feedback (a note at the top of the graded notebook's page, a page of its
own for a notebook that could not be graded, and grading-notes.html listing them all).

Each class is graded into its own folder, build/grade/<name of the submissions folder>/ (made afresh, from
notebooks/, each time that class is graded): gradebook.db, feedback/<student>/backprop/*.html, grades.csv
(nbgrader's export: one row per student) and exercises.csv (one column per exercise, and the problems).
"""
from __future__ import annotations

import argparse
import copy
import csv
import html
import os
import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course.exercise_cells import exercise_of
from course.grading_slice import graded_sources, slice_for_grading
from course.nbgrader_course import (
    ASSIGNMENT,
    BUILD,
    ROOT,
    autograde_student,
    copy_scores,
    failure_line,
    make_course,
    name_errors,
    nbgrader,
    require_data,
    scores,
    zero_scores,
)
from course.submissions import STUDENT_RULE, bad_student_ids, prepare

GRADE_ROOT = BUILD / "grade"
NOTEBOOKS = ROOT / "notebooks"
NOTES = "grading-notes.html"
STYLE = "feedback.css"          # the style sheet nbgrader repeats in every page, kept once per student
STYLE_RE = re.compile(r"<style[^>]*>.*?</style>\s*", re.S)


@dataclass
class Graded:
    """What `grade` did: the course folder, {student: {exercise: (score, max)}}, {student: [problem
    lines]}, the folder names that were not graded, the one-line error naming them ("" if none), and
    {student: [notebooks graded whole after a NameError in their sliced grading]}."""
    course: Path
    table: dict
    problems: dict
    not_graded: list = field(default_factory=list)
    id_error: str = ""
    whole: dict = field(default_factory=dict)


def exercise_scores(cells):
    """{exercise id or grade cell id: (score, max)} from a student's {grade cell id: (score, max)}."""
    result = {}
    for name, (score, top) in cells.items():
        key = exercise_of(name) or name
        old = result.get(key, (0.0, 0.0))
        result[key] = (old[0] + (score or 0.0), old[1] + top)
    return result


def write_exercise_csv(graded, path):
    """One row per student folder: a column per exercise, total, max and the problems (in one cell)."""
    keys = sorted({k for row in graded.table.values() for k in row})
    top = max((sum(v[1] for v in row.values()) for row in graded.table.values()), default=0)
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["student", *keys, "total", "max", "problems"])
        for s, row in graded.table.items():
            got = [row.get(k, (0, 0))[0] for k in keys]
            out.writerow([s, *got, sum(got), sum(v[1] for v in row.values()), "; ".join(graded.problems[s])])
        why = f"not graded: the folder name is not a student id ({STUDENT_RULE})"
        for s in graded.not_graded:
            out.writerow([s, *[""] * len(keys), "", top, why])


def class_folder(submissions, root=None):
    """Where a class is graded: build/grade/<name of its submissions folder> (or under `root`)."""
    return Path(root or GRADE_ROOT) / (Path(submissions).resolve().name or "class")


def student_id_error(bad):
    """The one line naming every folder that is not a student id."""
    return (f"error: {len(bad)} student folder name{'s are' if len(bad) > 1 else ' is'} not a student id "
            f"({STUDENT_RULE}): {', '.join(repr(b) for b in bad)}; not graded (rename "
            f"{'each' if len(bad) > 1 else 'it'} to the student's id and grade again)")


def stderr_losses(path):
    """Graded test cells of an autograded notebook scored 0 only because they wrote to stderr
    (the grading kernel sends stderr to stdout, so this is a safety net)."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        outputs = cell.get("outputs", [])
        if meta.get("grade") and not any(o.output_type == "error" for o in outputs):
            text = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
            if text:
                first = next((line for t in text for line in t.splitlines() if line.strip()), "")
                found.append(f"{exercise_of(meta['grade_id']) or meta['grade_id']} scored 0 only because "
                             f"it wrote to stderr ({first.strip()[:100]})")
    return found


def _add_note(path, lines):
    """Put a markdown note with `lines` at the top of an autograded notebook (its feedback page shows it)."""
    os.chmod(path, 0o644)
    nb = nbformat.read(path, as_version=4)
    text = "**Grading notes** for this notebook:\n\n" + \
        "\n".join(f"* {html.escape(line)}" for line in lines)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(text))
    nbformat.write(nb, path)


def share_styles(folder):
    """Move the style sheets nbgrader writes into each feedback page (about 120 kB a page) into one file
    of the folder, STYLE, which each page links to instead; returns how many pages were changed."""
    pages = [p for p in sorted(Path(folder).glob("*.html")) if STYLE_RE.search(p.read_text(encoding="utf-8"))]
    if not pages:
        return 0
    styles = "".join(STYLE_RE.findall(pages[0].read_text(encoding="utf-8")))
    changed = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if "".join(STYLE_RE.findall(text)) != styles:
            continue                                 # not the same style sheets: the page keeps its own
        first = STYLE_RE.search(text)                # the link goes where the first sheet was
        page.write_text(text[:first.start()] + f'<link rel="stylesheet" href="{STYLE}">\n'
                        + STYLE_RE.sub("", text[first.end():]), encoding="utf-8")
        changed += 1
    css = re.sub(r"</?style[^>]*>", "", styles)
    (Path(folder) / STYLE).write_text(css, encoding="utf-8")
    return changed


def _page(path, title, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    items = "".join(f"<li>{html.escape(line)}</li>\n" for line in lines)
    path.write_text(f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
                    f"</head>\n<body>\n<h1>{html.escape(title)}</h1>\n<ul>\n{items}</ul>\n</body></html>\n")


def grade(submissions, course=None, notebooks_dir=None, jobs=None):
    """Autograde every student folder of `submissions` into `course` (default: its class folder under
    build/grade/) against the notebooks of `notebooks_dir` (default: notebooks/), `jobs` students at a
    time (default: one per core); returns a Graded."""
    submissions = Path(submissions).resolve()
    sources = sorted(Path(notebooks_dir or NOTEBOOKS).glob("*.ipynb"))
    folders = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))
    bad = bad_student_ids(folders)
    students = [s for s in folders if s not in bad]
    id_error = student_id_error(bad) if bad else ""
    if not students:
        raise SystemExit(id_error or f"error: {submissions} has no student folder "
                                     "(expected folder/<student_id>/<notebook>.ipynb); nothing was graded")
    if id_error:
        print(id_error + "; grading the others", flush=True)
    course = Path(course if course is not None else class_folder(submissions)).resolve()
    if course == submissions or course in submissions.parents or submissions in course.parents:
        raise SystemExit(f"error: the submissions ({submissions}) and the grading folder ({course}) overlap")
    course = make_course(course, sources)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = {p.stem: nbformat.read(p, as_version=4)
               for p in sorted((course / "release" / ASSIGNMENT).glob("*.ipynb"))}
    tests = {p.stem: graded_sources(nbformat.read(p, as_version=4))       # the hidden tests the slice must see
             for p in sorted((course / "source" / ASSIGNMENT).glob("*.ipynb"))}
    work = course.parent / f".{course.name}-students"          # each student's copy of the course
    shutil.rmtree(work, ignore_errors=True)
    problems, whole = {}, {}
    with ThreadPoolExecutor(max_workers=max(1, min(jobs or os.cpu_count() or 1, len(students)))) as pool:
        graded = {pool.submit(_grade_apart, course, work / s, s, submissions / s, release, tests): s
                  for s in students}
        for done in as_completed(graded):
            problems[graded[done]], whole[graded[done]] = done.result()     # nbgrader runs in a subprocess
            print(f"graded {graded[done]}", flush=True)
    for student in students:                                        # one at a time: one writer of the gradebook
        _join(work / student, course, student)
    shutil.rmtree(work, ignore_errors=True)
    table = {s: exercise_scores(scores(course, s)) for s in students}
    graded = Graded(course, table, {s: problems[s] for s in students}, bad, id_error, whole)
    write_exercise_csv(graded, course / "exercises.csv")
    nbgrader(course, "export", f"--CsvExportPlugin.filename={course / 'grades.csv'}")
    return graded


def _grade_apart(course, copy_to, student, folder, release, tests):
    """Grade one student in a copy of the course, their feedback included; returns (their problem lines,
    the notebooks graded whole)."""
    shutil.copytree(course, copy_to)
    problems, notes, zeros, whole = _grade_student(copy_to, student, folder, release, tests)
    for name, lines in notes.items():
        path = copy_to / "autograded" / student / ASSIGNMENT / f"{name}.ipynb"
        if lines and path.is_file():
            _add_note(path, lines)
    if any((copy_to / "autograded" / student / ASSIGNMENT).glob("*.ipynb")):
        try:
            nbgrader(copy_to, "generate_feedback", ASSIGNMENT, f"--student={student}", "--force")
        except RuntimeError as err:
            problems.append(f"no feedback page from nbgrader ({failure_line(str(err))})")
    pages = copy_to / "feedback" / student / ASSIGNMENT
    share_styles(pages)
    for name, reason in zeros.items():
        _page(pages / f"{name}.html", f"{name}.ipynb: 0 points", [f"{name}.ipynb: {reason}: scored 0"])
    if problems:
        _page(pages / NOTES, f"Grading notes for {student}", problems)
    return problems, whole


def _join(copy_from, course, student):
    """Move a student's grading from their copy of the course into the class's course."""
    for part in ("submitted", "autograded", "feedback"):
        if (copy_from / part / student).is_dir():
            shutil.rmtree(course / part / student, ignore_errors=True)
            (course / part).mkdir(exist_ok=True)
            shutil.move(copy_from / part / student, course / part / student)
    for log in sorted((copy_from / "logs").glob("*.log")):
        (course / "logs").mkdir(exist_ok=True)
        shutil.move(log, course / "logs" / log.name)
    copy_scores(copy_from, course, student)


def _grade_student(course, student, folder, release, tests):
    """Check, repair, slice (``tests``: {notebook: {grade id: test source}}, the hidden tests the slice
    must see), submit and autograde one student's notebooks; returns (problem lines,
    {notebook: note lines for its feedback}, {notebook: why it scored 0 without being graded},
    [notebooks graded whole])."""
    problems, notes, zeros, whole = [], {}, {}, {}
    target = course / "submitted" / student / ASSIGNMENT
    target.mkdir(parents=True)
    handed = sorted(folder.glob("*.ipynb"))
    if not handed:
        problems.append(f"no notebook handed in ({folder.name}/ holds no .ipynb file): scored 0")
    for path in handed:
        if path.stem not in release:
            problems.append(f"{path.name} is not a notebook of the assignment: ignored")
            print(f"warning: {student}/{path.name} is not a notebook of the assignment: ignored")
            continue
        nb, lines = prepare(path, release[path.stem])
        if nb is None:
            zeros[path.stem] = lines[0]
            continue
        whole[path.stem] = copy.deepcopy(nb)
        slice_for_grading(nb, tests[path.stem])
        nbformat.write(nb, target / path.name)
        notes[path.stem] = lines
    for name in release:
        if not (folder / f"{name}.ipynb").is_file():
            zeros[name] = "not handed in"
    submitted = sorted(p.stem for p in target.glob("*.ipynb"))
    if submitted:
        for name, reason in autograde_student(course, student, submitted).items():
            zeros[name] = f"nbgrader could not grade it ({reason})"
    autograded = course / "autograded" / student / ASSIGNMENT
    again = [n for n in submitted if n not in zeros and (autograded / f"{n}.ipynb").is_file()
             and name_errors(autograded / f"{n}.ipynb")]
    for name in again:                             # a name only a skipped cell defined: grade it whole
        nbformat.write(whole[name], target / f"{name}.ipynb")
    for name, reason in (autograde_student(course, student, again, alone=True) if again else {}).items():
        zeros[name] = f"nbgrader could not grade it ({reason})"
    for name in submitted:
        path = autograded / f"{name}.ipynb"
        if name not in zeros and path.is_file():
            notes[name] = notes.get(name, []) + stderr_losses(path)
    if zeros:
        zero_scores(course, student, sorted(zeros))
    for name in sorted(release):
        problems += [f"{name}.ipynb: {line}" for line in notes.get(name, [])]
        if name in zeros and handed:
            problems.append(f"{name}.ipynb: {zeros[name]}: scored 0")
    return problems, notes, zeros, again


def _shown(path):
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


USAGE = "usage: make grade SUBMISSIONS=folder [JOBS=n]   (folder/<student_id>/<notebook>.ipynb)"


def jobs_argument(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"JOBS={text!r} is not a number of students graded at once (1, 2, ...)")
    return int(text)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course.grade", usage=USAGE)
    parser.add_argument("submissions")
    parser.add_argument("--jobs", type=jobs_argument, default=None,
                        help="students graded at once (default: one per core)")
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as stop:
        return stop.code
    if not Path(args.submissions).is_dir():
        print(USAGE)
        return 2
    require_data()
    graded = grade(args.submissions, jobs=args.jobs)
    course = graded.course
    print()
    for student, row in graded.table.items():
        got, top = sum(v[0] for v in row.values()), sum(v[1] for v in row.values())
        print(f"{student}: {got:g}/{top:g}   feedback: {_shown(course / 'feedback' / student / ASSIGNMENT)}/")
        for line in graded.problems[student]:
            print(f"    {line}")
    print(f"\nclass graded in {_shown(course)}/:\n  grades: {_shown(course / 'grades.csv')}\n"
          f"  per exercise and problems: {_shown(course / 'exercises.csv')}\n"
          f"  gradebook: {_shown(course / 'gradebook.db')}")
    if (course / "logs").is_dir():
        print(f"  nbgrader's logs of the notebooks it could not grade: {_shown(course / 'logs')}/")
    if graded.id_error:
        print(graded.id_error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
