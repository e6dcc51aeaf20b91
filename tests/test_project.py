"""Project hygiene: the conda and pip dependency lists agree; the README names the commands CI uses."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement):
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _conda_names():
    names, section = set(), None
    for line in (ROOT / "environment.yml").read_text().splitlines():
        stripped = line.strip()
        if not line.startswith((" ", "-")) and stripped.endswith(":"):
            section = stripped[:-1]          # a top-level key: channels, dependencies
        if section != "dependencies" or not stripped.startswith("- "):
            continue
        item = stripped[2:].strip()
        if item == "pip:" or item.startswith("-e"):
            continue
        names.add(_name(item))
    return names - {"python", "pip"}


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():      # test, course
        pip_names |= {_name(r) for r in extra}
    assert _conda_names() == pip_names


def test_environment_yml_installs_the_package_editable():
    assert re.search(r"^\s*-\s*-e\s+\.\s*$", (ROOT / "environment.yml").read_text(), re.M)


def test_readme_names_the_commands_ci_and_students_use():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make test" in ci
    assert "make lab" in readme and "make reproduce" in readme


KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def test_notebooks_store_what_jupyterlab_would_write_and_no_machine_paths():
    """Opening a notebook must not mark it modified (its kernelspec is JupyterLab's own),
    and no saved output shows a path of the machine that ran it."""
    import json

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        assert nb["metadata"].get("kernelspec") == KERNELSPEC, path.name
        outputs = json.dumps([cell.get("outputs", []) for cell in nb["cells"]])
        assert not re.search(r"(?<![\w.:])/(?:work|root|home|tmp|Users)/[\w.+-]+", outputs), path.name


def test_the_version_has_one_home():
    """pyproject.toml reads the version from the package, so the two cannot disagree."""
    import importlib.metadata

    import mlp_helpers
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert importlib.metadata.version("mlp_helpers") == mlp_helpers.__version__
