"""`make course-check [JOBS=n]`: build the student edition, then grade these submissions of it, each as a
student of a class graded by `make grade` (course.grade: each in their own copy of the course, JOBS at once):

    unsolved       the student edition as released                 must score 0
    solved         the instructor notebooks (notebooks/)            must score full marks
    planted-1, 2   the instructor notebooks with PLANTED_BUGS       each must lose exactly the points of
                   substituted into their solution regions, the     the exercises its bugs are in
                   k-th bug of each exercise in planted-k

and print `unsolved P0/P  solved P/P  planted-bugs P1/P P2/P`. Every failure in the unsolved grading must
name its exercise; every planted-bug failure must name its exercise and say what was expected; each
submission's feedback must stay under FEEDBACK_LIMIT.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import nbformat

from course.exercise_cells import exercise_of
from course.grade import grade, jobs_argument
from course.nbgrader_course import ASSIGNMENT, BUILD, ROOT, feedback_files, require_data
from course.student import build

# (exercise id, what the bug is, lines of its solution, the lines that replace them[, lines added after the
# answer cell's code]). The k-th bug of each exercise goes into the k-th planted submission, so two bugs of
# one exercise never hide each other. Two are cheats: the graded test must not be fooled by them.
PLANTED_BUGS = [
    ("02.1", "a cheat: the package's code object copied into a new function (types.FunctionType)",
     ["dx = delta @ W.T", "dW = x.T @ delta", "db = delta.sum(axis=0)"], ["dx = dW = db = None"],
     ["import types", "package = layers.affine_backward",
      "affine_backward = types.FunctionType(package.__code__, globals(), None, package.__defaults__)"]),
    ("02.2", "missing 1/N in the softmax gradient",
     ["dlogits = (probs - y_onehot) / n"], ["dlogits = probs - y_onehot"]),
    ("02.2", "the loss from log p, which is -inf when p is 0 in float64 (logits near 1000, far apart)",
     ["loss = -np.sum(y_onehot * (shifted - np.log(sums))) / n"], ["loss = -np.sum(y_onehot * np.log(probs)) / n"]),
    ("02.4", "the perturbed entry put back by arithmetic (+eps, -2 eps, +eps), not exactly",
     ["original = theta[i]", "theta[i] = original + eps", "plus = f()", "theta[i] = original - eps",
      "minus = f()", "theta[i] = original"],
     ["theta[i] += eps", "plus = f()", "theta[i] -= 2 * eps", "minus = f()", "theta[i] += eps"]),
    ("03.1", "momentum applied before the gradient",
     ["v = mu * v - lr * grad", "w = w + v"], ["w = w + v", "v = mu * v - lr * grad"]),
    ("03.1", "the caller's w and v changed in place",
     ["v = mu * v - lr * grad", "w = w + v"], ["v *= mu", "v -= lr * grad", "w += v"]),
    ("04.1", "a cheat: a wrong gradient, and exercises.assert_close replaced by a no-op",
     ["dW = 2 * lam * W"], ["dW = lam * W", "exercises.assert_close = lambda *args, **kwargs: None"]),
    ("04.2", "L1 gradient written 2 lam W", ["dW = lam * np.sign(W)"], ["dW = 2 * lam * W"]),
    ("05.1", "the caller's da changed in place (tanh)", ["dz = da * (1 - a**2)"], ["da *= 1 - a**2", "dz = da"]),
    ("06.3", "no training: a model that memorises the labels (predict returns them)",
     ["for _ in range(200):", "result = model.loss_and_gradients(x, y)",
      "if result.loss < 0.01:              # memorised: every image classified, and with confidence", "break",
      "optimizer.step(model.params, result.grads)"],
     ["model.predict = lambda images: np.asarray(y)"]),
    ("08.2", "an endless loop (the graded test stops it after its time limit)",
     ["rate = base_lr * 0.5 * (1 + np.cos(np.pi * min(epoch, epochs) / epochs))"], ["while True:", "    pass"]),
    ("07.1", "the interval of the mean instead of the prediction range for one run",
     ["half = t_quantile(n - 1) * values.std(ddof=1) * np.sqrt(1 + 1 / n)"],
     ["half = t_quantile(n - 1) * values.std(ddof=1) / np.sqrt(n)"]),
]


FEEDBACK_LIMIT = 1_000_000     # bytes of feedback per student, all pages together


def bug_rounds(bugs=None):
    """The planted submissions: [{exercise id: (what, old lines, new lines[, added lines])}], the k-th bug of
    each exercise in the k-th."""
    rounds = []
    for exercise, *bug in PLANTED_BUGS if bugs is None else bugs:
        k = next((i for i, planted in enumerate(rounds) if exercise not in planted), len(rounds))
        if k == len(rounds):
            rounds.append({})
        rounds[k][exercise] = tuple(bug)
    return rounds


def _replace(lines, old, new):
    """Replace the run of lines equal to `old` (ignoring indentation) by `new`, indented alike."""
    stripped = [line.strip() for line in lines]
    for i in range(len(lines) - len(old) + 1):
        if stripped[i:i + len(old)] == old:
            indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
            return lines[:i] + [indent + line for line in new] + lines[i + len(old):], True
    return lines, False


def plant(nb, bugs):
    """Apply each bug ({exercise id: (what, old lines, new lines[, added lines])}) inside its exercise's
    solution region (the added lines go at the end of the answer cell); returns the ids planted."""
    planted = set()
    for cell in nb.cells:
        exercise = exercise_of(cell.metadata.get("nbgrader", {}).get("grade_id"))
        if exercise not in bugs or not cell.metadata["nbgrader"].get("solution"):
            continue
        lines = cell.source.split("\n")
        begin = next(i for i, line in enumerate(lines) if "BEGIN SOLUTION" in line)
        end = next(i for i, line in enumerate(lines) if "END SOLUTION" in line)
        region, ok = _replace(lines[begin:end], *bugs[exercise][1:3])
        if not ok:
            raise SystemExit(f"planted bug of exercise {exercise} ({bugs[exercise][0]}): its solution "
                             f"has no lines {bugs[exercise][1]} (course/check.py PLANTED_BUGS; docs/instructors.md)")
        added = list(bugs[exercise][3]) if len(bugs[exercise]) > 3 else []
        cell.source = "\n".join(lines[:begin] + region + lines[end:] + added)
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


def course_check(notebooks_dir=ROOT / "notebooks", bugs=None, folder=BUILD / "course-check", jobs=None):
    """Build the student edition, then grade its submissions as `make grade` grades a class (each one
    a student); returns (summary line, list of problems, details dict)."""
    rounds = bug_rounds(bugs)
    folder = Path(folder)
    dist, _ = build(notebooks_dir, dist=folder / "student", course=folder / "student-course")
    originals = sorted(Path(notebooks_dir).glob("*.ipynb"))
    submissions = folder / "submissions"
    shutil.rmtree(submissions, ignore_errors=True)
    for name, paths in (("unsolved", sorted((dist / "notebooks").glob("*.ipynb"))), ("solved", originals)):
        (submissions / name).mkdir(parents=True)
        for path in paths:
            shutil.copy(path, submissions / name / path.name)
    planted = {}
    for k, round_bugs in enumerate(rounds, 1):
        name = f"planted-{k}"
        (submissions / name).mkdir(parents=True)
        planted[name] = set()
        for path in originals:
            nb = nbformat.read(path, as_version=4)
            planted[name] |= plant(nb, round_bugs)
            nbformat.write(nb, submissions / name / path.name)
        if missing := set(round_bugs) - planted[name]:
            raise SystemExit(f"planted bugs for exercises not found in {notebooks_dir}: {sorted(missing)}")
    graded = grade(submissions, course=folder / "course", notebooks_dir=notebooks_dir, jobs=jobs)
    course, got = graded.course, graded.table
    total = {s: sum(v[0] for v in got[s].values()) for s in got}
    top = sum(v[1] for v in got["solved"].values())
    line = (f"unsolved {total['unsolved']:g}/{top:g}  solved {total['solved']:g}/{top:g}  planted-bugs "
            + " ".join(f"{total[s]:g}/{top:g}" for s in planted))
    problems = [f"{s}: {p}" for s in got for p in graded.problems[s]]     # a repair, a notebook not graded
    problems += [f"{s}: {n}.ipynb was graded whole: its sliced grading met a NameError (course/grading_slice.py)"
                 for s in got for n in graded.whole[s]]
    for s in got:
        size = sum(p.stat().st_size for p in (course / "feedback" / s).rglob("*") if p.is_file())
        if size > FEEDBACK_LIMIT:
            problems.append(f"{s}: the feedback is {size / 1e6:.2f} MB (more than {FEEDBACK_LIMIT / 1e6:g} MB)")
    if top == 0:
        problems.append("no graded exercise found")
    if total["unsolved"] != 0:
        problems.append(f"the unsolved edition scores {total['unsolved']:g}, not 0")
    if total["solved"] != top:
        problems.append("the instructor notebooks lose points: " + str(failed_tests(course, "solved")))
    failures = {s: failed_tests(course, s) for s in ("unsolved", *planted)}
    for exercise, text in failures["unsolved"].items():
        if f"Exercise {exercise}" not in text:
            problems.append(f"unsolved: the failure of exercise {exercise} does not name it: {text}")
    for name, exercises in planted.items():
        problems += _planted_problems(name, exercises, got[name], failures[name], course, top)
    return line, problems, {"scores": got, "failures": failures, "points": top, "course": course,
                            "planted": planted}


def _planted_problems(name, planted, got, failures, course, top):
    """What is wrong with one planted submission's grading: its total, an exercise that kept or lost
    points it should not have, a failure that does not name its exercise and what was expected."""
    problems = []
    total = sum(v[0] for v in got.values())
    if not 0 < total < top:
        problems.append(f"{name}: planted bugs score {total:g}: not strictly between 0 and {top:g}")
    for exercise, (score, most) in got.items():
        if score != (0 if exercise in planted else most):
            problems.append(f"{name}: exercise {exercise} scores {score:g}/{most:g}")
    pages = "\n".join(p.read_text() for p in feedback_files(course, name))
    for exercise in sorted(planted):
        text = failures.get(exercise, "")
        if f"Exercise {exercise}" not in text or "expected" not in text:
            problems.append(f"{name}: the bug in {exercise}: feedback does not say what was expected: {text!r}")
        elif f"Exercise {exercise}" not in pages:
            problems.append(f"{name}: the bug in {exercise}: not in the HTML feedback")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course.check", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=jobs_argument, default=None,
                        help="submissions graded at once (default: one per core)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    require_data()
    line, problems, _ = course_check(jobs=args.jobs)
    print(line)
    for problem in problems:
        print("  FAIL:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
