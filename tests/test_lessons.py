"""Lean lessons: each core notebook one lesson of bounded length, a short README that routes each
reader, and no workplace words (development paths, tracker numbers, internal goals) anywhere a user reads."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ["01", "02", "03", "04", "05", "06"]        # the course's lessons; 07 and 08 build on them
MAX_WORDS, MAX_CELLS, MAX_CORE_WORDS = 3000, 60, 16_000
MAX_README_WORDS = 1300
WORD = re.compile(r"[A-Za-z0-9][\w'’\-.,%]*")
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")


def notebooks():
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def prose_words(path) -> int:
    """Words of markdown prose (images and their paths excluded)."""
    cells = json.loads(path.read_text())["cells"]
    return sum(len(WORD.findall(IMAGE.sub("", "".join(c["source"])))) for c in cells if c["cell_type"] == "markdown")


def counts():
    return {p.name[:2]: (prose_words(p), len(json.loads(p.read_text())["cells"])) for p in notebooks()}


def test_each_core_notebook_is_one_lesson_of_bounded_length():
    found = counts()
    for number, (words, cells) in found.items():
        print(f"notebook {number}: {words:5d} words of prose, {cells:3d} cells")
    core = {n: found[n] for n in CORE}
    total = sum(words for words, _ in core.values())
    print(f"notebooks 01-06: {total} words")
    too_long = {n: c for n, c in core.items() if c[0] > MAX_WORDS or c[1] > MAX_CELLS}
    assert not too_long, f"over {MAX_WORDS} words or {MAX_CELLS} cells: {too_long}"
    assert total < MAX_CORE_WORDS, f"notebooks 01-06 have {total} words of prose"


def test_the_report_study_and_beyond_the_report_exist():
    names = [p.name for p in notebooks()]
    assert any(n.startswith("07_") for n in names) and any(n.startswith("08_") for n in names), names


def test_readme_is_short_and_routes_each_reader_on_its_first_screen():
    text = (ROOT / "README.md").read_text()
    words = len(WORD.findall(IMAGE.sub("", text)))
    print(f"README: {words} words")
    assert words <= MAX_README_WORDS
    first_screen = "\n".join(text.splitlines()[:40])
    for route in ("course/README_student.md", "docs/instructors.md", "results/results.md"):
        assert route in first_screen, route


# Words of the workplace, not of the project: development paths, tracker numbers, internal goals. (The
# bracketed letters keep this file from matching itself.)
WORKPLACE = re.compile(r"\.\./s[h]ared|/w[o]rk/|\bi[s]sues?\b|\bt[a]rget (?:of|\d)|\bnot m[e]t\b"
                       r"|this (?:2-core )?m[a]chine|\b2-core m[a]chine", re.I)


def user_facing_texts():
    yield ROOT / "README.md", (ROOT / "README.md").read_text()
    for path in [ROOT / "docs" / "instructors.md", ROOT / "course" / "README_student.md"]:
        yield path, path.read_text()
    for path in notebooks():
        nb = json.loads(path.read_text())
        yield path, "\n".join("".join(c["source"]) for c in nb["cells"])
    for folder in ("mlp_helpers", "course", "benchmarks", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, path.read_text()


@pytest.mark.parametrize("path, text", list(user_facing_texts()), ids=lambda v: getattr(v, "name", ""))
def test_no_workplace_words(path, text):
    hits = [f"line {text[:m.start()].count(chr(10)) + 1}: {m.group(0)!r}" for m in WORKPLACE.finditer(text)]
    assert not hits, f"{path.relative_to(ROOT)}: {hits}"
