"""End-to-end: a student opens a notebook with an explorer in JupyterLab and moves its sliders.

Drives a real JupyterLab server in headless Chromium (Debian's /usr/bin/chromium, through
Playwright; Playwright's own browser download is not needed). The notebook is a small one the test
writes itself (into a temporary folder: the lessons' notebooks change, the explorer's behaviour must
not), with one TrainingExplorer on the quick explorer subset:

1. start JupyterLab on a free port with a random token, isolated config/data/runtime dirs
   (the venv's labextensions, including @jupyter-widgets/jupyterlab-manager, stay visible
   through sys.prefix);
2. open the notebook, wait for the kernel, Run > Run All Cells, wait until no cell shows [*];
3. the explorer rendered: slider visible, no "Error displaying widget" / "model not found",
   no traceback in any output, its plot shown at >= 80 % of its own width;
4. live curves: one ArrowRight on the learning-rate slider (a setting never trained); the plot
   image must change at least three times while the status line still says "training";
5. cancelling: a move, then while it trains a move of the momentum slider: the first run is
   cancelled (the kernel's event list, printed by a cell the test re-runs) and the final plot and
   status line show the second setting;
6. the cache: back to a visited setting, the new plot is there in under 1 s;
7. keeping: "keep this run", then three moves: the kept run is still drawn; a screenshot of the
   compared runs goes to figures/browser_explorer.png;
8. Ctrl+S (widget state saving switched on), shut the kernel down, reopen the notebook without
   running anything: the explorer shows its controls and its last plot;
9. the same saved notebook as a reader on another machine gets it (not signed by this Jupyter,
   hence untrusted): the explorer's output shows its last plot as an ordinary image, never the
   raw widget text ``VBox(children=...``; after "Trust Notebook" the saved controls appear.

Run: MLP_QUICK=1 CIFAR10_DIR=... python -m pytest tests/test_browser.py -v -m browser
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_NAME = "explorer.ipynb"
EPOCH_PACE = 0.25           # s added to every epoch, so a fast machine cannot finish a run between two looks
# The test's notebook paces the explorer's training (a wait after every epoch): the tests act while a run
# trains, and on a quiet machine a 20-epoch run on the small subset can otherwise end within 2 s.
PACED_TRAINING = f"""
import time

from mlp_helpers.widgets import explorer as explorer_module

unpaced = explorer_module.train_config


def paced(config, data, **kwargs):
    after_epoch = kwargs["callback"]

    def callback(history):
        after_epoch(history)
        time.sleep({EPOCH_PACE})
    return unpaced(config, data, **{{**kwargs, "callback": callback}})


explorer_module.train_config = paced"""
EPOCHS = 20                 # per explorer run: long enough to move a second slider while it trains
NOTEBOOK_CELLS = [
    ("markdown", "# An explorer\n\nRun the cell below to use the sliders (the picture is the last plot saved)."),
    ("code", "from mlp_helpers import experiments\nfrom mlp_helpers.widgets import TrainingExplorer\n\n"
             "data = experiments.explorer_dataset()\n" + PACED_TRAINING),
    ("code", f"explorer = TrainingExplorer(data, controls=('lr', 'momentum'), epochs={EPOCHS}, recent=2)\n"
             "explorer"),
    ("code", "import json\n\nprint(json.dumps({'events': explorer.events, 'drawn': explorer.drawn(), "
             "'kept': len(explorer.kept)}))"),
    ("code", "from mlp_helpers import plots\n\nplots.plot_history(explorer.history, title=explorer.describe());"),
    # An unfinished exercise (tagged raises-exception, as the student edition tags it) and the status cell.
    ("code", 'from mlp_helpers import exercises\n\n\ndef square(x):\n'
             '    raise NotImplementedError("Exercise 99.1: write the body of square here")\n\n\n'
             'exercises.check("99.2", "1 + 1", 2, 1 + 1)\nexercises.check("99.1", "square(3)", 9, square(3))'),
    ("code", 'exercises.status("99.1", "99.2")'),
]
REPORT_CELL = 2             # index among the code cells: the cell that prints the explorer's state
FIGURE_CELL = 3             # an ordinary inline figure (plots.plot_history)
STUB_CELL, STATUS_CELL = 4, 5   # an unfinished exercise, and the exercise-status cell a notebook ends with
SCREENSHOT = ROOT / "figures" / "browser_explorer.png"

RUN_ALL_TIMEOUT = 180      # s: kernel start, data loading and the first training of every explorer
SLIDER_TIMEOUT = 60        # s: one retraining after the slider moves
SERVER_TIMEOUT = 60        # s: until /api/status answers

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def _find_chromium():
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


CHROMIUM = _find_chromium()
if CHROMIUM is None:
    pytest.skip("browser test needs Chromium (/usr/bin/chromium or `chromium` on PATH; "
                "Debian: apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser test needs the Python package playwright (pip install playwright)")

pytestmark = pytest.mark.browser

# JupyterLab user settings for the test server (written into its private settings dir).
LAB_SETTINGS = {
    # Widget state is written into the notebook on save, so a reader sees the controls.
    "@jupyter-widgets/jupyterlab-manager/plugin": {"saveState": True},
    # Every cell stays attached to the DOM, so every prompt and output can be inspected.
    # Execution times go into the cell metadata of the (temporary) copy: the report names the slowest cells.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "recordTiming": True},
    # No news / update requests, no "fetch news?" toast.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}

TIMINGS: dict[str, float] = {}
NOTES: list[str] = []


def _write_notebook(path):
    """The test's notebook: nbformat 4 JSON with a python3 kernelspec (so no kernel dialog)."""
    cells = [{"cell_type": kind, "source": source.splitlines(keepends=True),
              "metadata": {"tags": ["raises-exception"]} if 'NotImplementedError("Exercise' in source else {},
              **({"outputs": [], "execution_count": None} if kind == "code" else {})}
             for kind, source in NOTEBOOK_CELLS]
    notebook = {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                            "language": "python"}}}
    path.write_text(json.dumps(notebook, indent=1))


# ------------------------------------------------------------------ server ---
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid):
    """(state, ppid, start time) of a process from /proc, or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # after "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    # utime stime cutime cstime priority nice num_threads itrealvalue starttime ...
    return fields[0], int(fields[1]), int(fields[19])


def _descendants(pid):
    """{pid: start time} of every live descendant of ``pid``."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(entry.name)):
            children.setdefault(stat[1], []).append((int(entry.name), stat[2]))
    found, todo = {}, [pid]
    while todo:
        for child, started in children.get(todo.pop(), []):
            found[child] = started
            todo.append(child)
    return found


def _alive(pid, started):
    """The same process (pid and start time) still runs and is not a zombie."""
    stat = _stat(pid)
    return stat is not None and stat[2] == started and stat[0] != "Z"


def _die_with_parent():
    """Linux: the server gets SIGTERM (and shuts its kernels down) if pytest itself is killed
    before its finalisers can run (e.g. by a CI timeout)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except Exception:
        pass


class LabServer:
    """A JupyterLab server in its own process group, isolated in ``base`` (a temp dir)."""

    def __init__(self, base: Path, root_dir: Path):
        self.base, self.root_dir = base, root_dir
        self.port, self.token = _free_port(), secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "jupyterlab.log"
        self.proc = None
        self.known_pids = {}     # pid -> start time, of every child process seen

    def env(self):
        env = dict(os.environ)
        for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
            env[var] = str(self.base / sub)
        env.pop("JUPYTERLAB_SETTINGS_DIR", None)
        env.pop("JUPYTERLAB_WORKSPACES_DIR", None)
        env["MLP_QUICK"] = os.environ.get("MLP_QUICK", "1")
        if "CIFAR10_DIR" in os.environ:
            env["CIFAR10_DIR"] = os.environ["CIFAR10_DIR"]
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def write_settings(self):
        settings_dir = self.base / "config" / "lab" / "user-settings"
        for plugin, values in LAB_SETTINGS.items():
            path = settings_dir / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

    def start(self):
        self.write_settings()
        cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root_dir}", "--ServerApp.terminals_enabled=False",
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly",   # no PyPI queries for the extension manager
               f"--LabServerApp.workspaces_dir={self.base / 'workspaces'}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:   # containers, CI runners
            cmd.append("--allow-root")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=self.root_dir, env=self.env(), stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=_die_with_parent)

    def log_tail(self, n=60):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"

    def api(self, method, path, body=None, timeout=10):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/api/{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def wait_ready(self, timeout=SERVER_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "status", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.3)
        pytest.fail(f"JupyterLab did not answer /api/status within {timeout} s:\n{self.log_tail()}")

    def remember_processes(self):
        """Note the server's child processes (kernels run in their own sessions)."""
        if self.proc is not None and self.proc.poll() is None:
            self.known_pids.update(_descendants(self.proc.pid))

    def stop(self):
        if self.proc is None:
            return
        self.remember_processes()
        if self.proc.poll() is None:
            try:  # the polite way: the server shuts its kernels down, then exits
                self.api("POST", "shutdown", timeout=5)
            except Exception:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # Kernels run in sessions of their own: end any that outlived the server.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            left = [pid for pid, started in self.known_pids.items() if _alive(pid, started)]
            for pid in left:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 5
            while left and time.monotonic() < deadline:
                left = [pid for pid in left if _alive(pid, self.known_pids[pid])]
                time.sleep(0.1)
        self._log.close()

    def leftovers(self):
        return [pid for pid, started in self.known_pids.items() if _alive(pid, started)]


# ---------------------------------------------------------------- fixtures ---
@pytest.fixture(scope="module", autouse=True)
def _report_timings(request):
    start = time.monotonic()
    yield
    if not TIMINGS:
        return
    TIMINGS["total (incl. shutdown)"] = time.monotonic() - start
    line = "browser test timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items())
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line, *NOTES, sep="\n")
        return
    with capture.global_and_fixture_disabled():     # shown even without -s
        reporter.write_line("")
        for text in (line, *NOTES):
            reporter.write_line(text)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    base = tmp_path_factory.mktemp("jupyterlab")
    root_dir = base / "notebooks"
    root_dir.mkdir()
    _write_notebook(root_dir / NOTEBOOK_NAME)
    server = LabServer(base, root_dir)
    start = time.monotonic()
    try:
        server.start()
        server.wait_ready()
        TIMINGS["server start"] = time.monotonic() - start
        yield server
    finally:
        server.stop()
        left = server.leftovers()
        assert not left, f"processes left behind by the JupyterLab server: {left}"


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")        # a fresh user-data dir
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000})
        try:
            yield context
        finally:
            context.close()


# --------------------------------------------------------------- page steps ---
def _open_notebook(context, lab, name=None, workspace=None):
    """A new page with the notebook open and its kernel idle. ``workspace``: a fresh
    JupyterLab workspace, so tabs of earlier pages are not restored next to it."""
    name = name or NOTEBOOK_NAME
    prefix = f"/lab/workspaces/{workspace}" if workspace else "/lab"
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{lab.url}{prefix}/tree/{name}?token={lab.token}")
    _panel(page).wait_for(state="visible", timeout=60_000)
    _wait_kernel_idle(page, lab, timeout=90)
    lab.remember_processes()
    return page


def _panel(page):
    """The notebook panel of the visible tab."""
    return page.locator(".jp-NotebookPanel:visible").first


def _kernel_idle(page):
    """A kernel is connected and idle: the status bar reads 'Python 3 (ipykernel) | Idle'
    (the toolbar's execution indicator also says idle while there is no kernel yet)."""
    item = page.locator('#jp-main-statusbar .jp-StatusBar-TextItem[title^="Change kernel"]')
    if not item.count():
        return False
    text = item.first.inner_text().strip()
    return bool(re.search(r"\|\s*Idle$", text)) and not text.startswith("No Kernel")


def _wait_kernel_idle(page, lab, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # A notebook without kernelspec makes JupyterLab ask for a kernel: take the default.
        dialog = page.locator(".jp-Dialog")
        if dialog.count() and "kernel" in dialog.first.inner_text().lower():
            dialog.locator(".jp-Dialog-button.jp-mod-accept").first.click()
        if _kernel_idle(page):
            return
        time.sleep(0.25)
    pytest.fail(f"the notebook's kernel was not idle within {timeout} s:\n{lab.log_tail()}")


def _prompts(page):
    return _panel(page).locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()


def _run_all_cells(page):
    """Run > Run All Cells, through the menu bar, as a student would."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^\s*Run\s*$")).first.click()
    page.locator(".lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel",
                 has_text=re.compile(r"^\s*Run All Cells\s*$")).first.click()


def _palette(page, command):
    """Run a command by its label from the command palette (Ctrl+Shift+C)."""
    _panel(page).locator(".jp-InputPrompt").first.click()      # focus the notebook (command mode)
    page.keyboard.press("Control+Shift+c")
    search = page.locator(".lm-CommandPalette-input:visible").first
    search.fill(command)
    page.locator(".lm-CommandPalette-item:visible .lm-CommandPalette-itemLabel",
                 has_text=re.compile(rf"^\s*{re.escape(command)}\s*$")).first.click()


def _wait_until_executed(page, lab, timeout):
    deadline = time.monotonic() + timeout
    started, retried, clicked = False, False, time.monotonic()
    while time.monotonic() < deadline:
        prompts = _prompts(page)
        busy = any("*" in p for p in prompts)
        started = started or busy or any(re.search(r"\d", p) for p in prompts)
        if started and not busy and _kernel_idle(page):
            return prompts
        if not started and not retried and time.monotonic() - clicked > 15:
            _palette(page, "Run All Cells")      # the menu click did not take: second route
            retried = True
        time.sleep(0.5)
    pytest.fail(f"notebook still running after {timeout} s (prompts {_prompts(page)}):\n"
                f"{lab.log_tail()}")


def _tracebacks(page):
    stderr = _panel(page).locator('.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')
    return [text for text in stderr.all_inner_texts() if "Traceback" in text]


def _widget_problems(page):
    text = _panel(page).inner_text()
    return [bad for bad in ("Error displaying widget", "model not found") if bad in text]


def _explorer(page):
    """(the explorer's VBox, its 'learning rate' slider): the explorer's first control."""
    # ``has`` locators are relative to the element they filter, hence page.locator(...) there.
    lr = page.locator(".widget-slider", has=page.locator(".widget-label", has_text="learning rate"))
    explorer = _panel(page).locator(".widget-vbox", has=lr).first
    return explorer, _slider(explorer, "learning rate")


def _slider(explorer, label):
    page = explorer.page
    return explorer.locator(".widget-slider", has=page.locator(".widget-label", has_text=label)).first


# An ipywidgets Image shows its PNG through a blob: URL that changes at every redraw; read the
# bytes behind it, so "the plot changed" means the picture changed, as a data: URI.
_IMG_AS_DATA_URI = """async img => {
    if (img.src.startsWith('data:')) return img.src;
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    const png = bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
    return 'data:image/' + (png ? 'png' : 'unknown') + ';base64,' + btoa(text);
}"""

# Records every new picture (the img's src changes) with the time and the status line then.
_WATCH = """img => {
    const status = img.closest('.widget-vbox').querySelector('.widget-html');
    window.__pictures = [];
    if (window.__observer) window.__observer.disconnect();
    window.__observer = new MutationObserver(() => window.__pictures.push(
        {t: performance.now(), status: status ? status.innerText : ''}));
    window.__observer.observe(img, {attributes: true, attributeFilter: ['src']});
}"""


def _plot_img(explorer):
    return explorer.locator("img.widget-image, .widget-image img").first


def _img_src(explorer):
    images = explorer.locator("img.widget-image, .widget-image img, .widget-output img")
    return images.first.evaluate(_IMG_AS_DATA_URI) if images.count() else None


def _watch(explorer):
    """Start recording the explorer's pictures; returns the page's clock (ms) now."""
    _plot_img(explorer).evaluate(_WATCH)
    return explorer.page.evaluate("performance.now()")


def _pictures(page):
    return page.evaluate("window.__pictures || []")


def _status(explorer):
    return explorer.locator(".widget-html").first.inner_text()


def _press(slider, key):
    """Focus the slider's handle and press ``key``: one step (ArrowRight/Left), one change event."""
    slider.locator(".noUi-handle").first.focus()
    slider.page.keyboard.press(key)


def _wait_status(explorer, predicate, what, timeout=SLIDER_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = _status(explorer)
        if predicate(text):
            return text
        time.sleep(0.05)
    pytest.fail(f"the status line never showed {what} within {timeout} s (it reads {_status(explorer)!r})")


def _wait_finished(explorer, setting):
    """Until the status line reports the finished (or cached) run of ``setting``."""
    def finished(text):
        return "training" not in text and text.removeprefix("(cached) ").startswith(setting + ":")
    return _wait_status(explorer, finished, f"the finished run of {setting!r}")


def _setting(explorer):
    """'lr = 0.03, momentum 0.9' from the two sliders' readouts."""
    lr = _slider(explorer, "learning rate").locator(".widget-readout").inner_text().strip()
    momentum = _slider(explorer, "momentum").locator(".widget-readout").inner_text().strip()
    return f"lr = {lr}, momentum {momentum}"


def _explorer_state(page):
    """Re-run the cell that prints the explorer's events and what it draws; return them (JSON)."""
    cell = _panel(page).locator(".jp-CodeCell").nth(REPORT_CELL)
    before = cell.locator(".jp-OutputArea-output").all_inner_texts()
    cell.locator(".jp-InputArea-editor").first.click()
    page.keyboard.press("Control+Enter")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        texts = cell.locator(".jp-OutputArea-output").all_inner_texts()
        if texts and texts != before and "*" not in cell.locator(".jp-InputArea-prompt").inner_text():
            return json.loads(texts[-1])
        time.sleep(0.2)
    pytest.fail(f"the state cell did not print within 30 s (outputs {before})")


def _slowest_cells(notebook, n=3):
    """The n slowest cells, from the timing JupyterLab records (recordTiming)."""
    from datetime import datetime
    spans = []
    for index, cell in enumerate(notebook["cells"]):
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            start, end = (datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                          for k in ("iopub.execute_input", "shell.execute_reply"))
            spans.append(((end - start).total_seconds(), index))
    return sorted(spans, reverse=True)[:n]


# ------------------------------------------------------------------- tests ---
@pytest.fixture(scope="module")
def executed_page(lab, browser_context):
    """The notebook open in the browser, after Run > Run All Cells."""
    start = time.monotonic()
    page = _open_notebook(browser_context, lab)
    TIMINGS["open notebook + kernel"] = time.monotonic() - start
    start = time.monotonic()
    _run_all_cells(page)
    prompts = _wait_until_executed(page, lab, RUN_ALL_TIMEOUT)
    lab.remember_processes()
    TIMINGS["run all cells"] = time.monotonic() - start
    tracebacks = _tracebacks(page)
    assert not tracebacks, "a cell raised an error:\n" + "\n---\n".join(tracebacks)
    unexecuted = [i for i, p in enumerate(prompts) if not re.search(r"\d", p)]
    assert not unexecuted, f"code cells {unexecuted} did not run (prompts {prompts})"
    yield page
    if not page.is_closed():
        page.close()


def test_an_unfinished_exercise_shows_one_line_and_the_status_cell_names_it(executed_page):
    cells = _panel(executed_page).locator(".jp-CodeCell")
    stub = cells.nth(STUB_CELL).locator(".jp-OutputArea").first.inner_text()
    assert "NotImplementedError: Exercise 99.1: write the body of square here" in stub, stub
    assert "Traceback" not in stub and "File " not in stub, f"more than the exercise's one line:\n{stub}"
    status = cells.nth(STATUS_CELL).locator(".jp-OutputArea").first.inner_text()
    assert "99.1 not yet: Exercise 99.1: write the body of square here" in status, status
    assert "99.2 done" in status, status


def test_explorer_renders_with_its_plot_at_full_size(executed_page):
    page = executed_page
    problems = _widget_problems(page)
    assert not problems, f"after Run All the notebook shows {problems}"
    explorer, lr = _explorer(page)
    assert lr.count(), ("no slider labelled 'learning rate' (a TrainingExplorer's first control) "
                        "rendered; is the @jupyter-widgets/jupyterlab-manager labextension installed?")
    explorer.scroll_into_view_if_needed()
    assert lr.is_visible(), "the learning-rate slider is not visible"
    src = _img_src(explorer)
    assert src and src.startswith("data:image/png;base64,"), "the explorer shows no PNG plot below its controls"
    shown = _plot_img(explorer).evaluate("img => img.getBoundingClientRect().width / img.naturalWidth")
    NOTES.append(f"  explorer plot shown at {shown:.0%} of its width")
    assert shown >= 0.8, f"the plot is shown at {shown:.0%} of its width (at least 80 %)"
    figure = _panel(page).locator(".jp-CodeCell").nth(FIGURE_CELL).locator(".jp-RenderedImage img").first
    inline = figure.evaluate("img => img.getBoundingClientRect().width / img.naturalWidth")
    NOTES.append(f"  inline figure (plots.plot_history) shown at {inline:.0%} of its width")
    assert inline >= 0.8, f"an inline figure of plots is shown at {inline:.0%} of its width (at least 80 %)"
    assert _setting(explorer) == "lr = 0.01, momentum 0.9"
    assert _status(explorer).startswith("lr = 0.01, momentum 0.9: best epoch")
    # In a live (trusted) session the widget is what shows, not the image kept for readers.
    cell = _panel(page).locator(".jp-CodeCell").nth(1)
    assert not cell.locator(".jp-RenderedImage").count(), "the fallback image shows next to the live explorer"
    output = cell.locator(".jp-OutputArea").first.inner_text()
    assert "running kernel" not in output, "the hint for a notebook without a kernel shows under a working explorer"


def test_curves_grow_live_while_a_new_setting_trains(executed_page):
    explorer, lr = _explorer(executed_page)
    t0 = _watch(explorer)
    _press(lr, "ArrowRight")                       # 0.01 -> 0.03: never trained
    assert _setting(explorer) == "lr = 0.03, momentum 0.9"
    _wait_finished(explorer, "lr = 0.03, momentum 0.9")
    pictures = _pictures(executed_page)
    live = [p for p in pictures if "training" in p["status"]]
    TIMINGS["move -> first new picture"] = (pictures[0]["t"] - t0) / 1000 if pictures else float("nan")
    TIMINGS["move -> finished plot"] = (pictures[-1]["t"] - t0) / 1000 if pictures else float("nan")
    assert len(live) >= 3, (f"the plot changed {len(live)} times while training ({len(pictures)} in all): "
                            "the curves are not drawn live")
    assert pictures[0]["t"] - t0 < 5000, "the old plot was not marked stale within 5 s of the move"


def test_a_second_move_while_training_cancels_the_first(executed_page):
    page = executed_page
    explorer, lr = _explorer(page)
    _press(lr, "ArrowRight")                       # 0.03 -> 0.1, momentum 0.9: trains ...
    _wait_status(explorer, lambda t: "training" in t and "epoch 2 of" in t, "epoch 2 of the run for lr = 0.1")
    _press(_slider(explorer, "momentum"), "ArrowLeft")    # ... and is replaced by momentum 0.8
    assert _setting(explorer) == "lr = 0.1, momentum 0.8"
    _wait_finished(explorer, "lr = 0.1, momentum 0.8")
    state = _explorer_state(page)
    cancelled = [e for e in state["events"] if e[0] == "cancelled"]
    assert [e[1] for e in cancelled] == ["lr = 0.1, momentum 0.9"], state["events"]
    assert cancelled[0][2] < EPOCHS, f"the cancelled run went on to its last epoch: {state['events']}"
    assert state["events"][-1][:2] == ["trained", "lr = 0.1, momentum 0.8"]
    assert state["drawn"]["current"].startswith("lr = 0.1, momentum 0.8")


def test_a_visited_setting_redraws_in_under_a_second(executed_page):
    explorer, lr = _explorer(executed_page)
    _press(lr, "ArrowRight")                       # lr 0.3, momentum 0.8: trains
    _wait_finished(explorer, "lr = 0.3, momentum 0.8")
    t0 = _watch(explorer)
    _press(lr, "ArrowLeft")                        # back to lr 0.1, momentum 0.8: in the cache
    deadline = time.monotonic() + 10
    while not _pictures(executed_page) and time.monotonic() < deadline:
        time.sleep(0.02)
    pictures = _pictures(executed_page)
    assert pictures, "returning to a visited setting did not redraw the plot within 10 s"
    seconds = (pictures[0]["t"] - t0) / 1000
    TIMINGS["move to a visited setting -> plot"] = seconds
    assert seconds < 1.0, f"returning to a visited setting took {seconds:.2f} s to redraw (goal < 1 s)"
    assert "(cached)" in _wait_finished(explorer, "lr = 0.1, momentum 0.8")


def test_a_kept_run_stays_drawn(executed_page):
    page = executed_page
    explorer, lr = _explorer(page)
    keep = explorer.locator("button", has_text="keep this run").first
    keep.click()                                   # keep lr 0.1, momentum 0.8
    momentum = _slider(explorer, "momentum")
    for slider, key, setting in ((lr, "ArrowRight", "lr = 0.3, momentum 0.8"),
                                 (momentum, "ArrowLeft", "lr = 0.3, momentum 0.5"),
                                 (lr, "ArrowLeft", "lr = 0.1, momentum 0.5")):
        _press(slider, key)
        _wait_finished(explorer, setting)
    state = _explorer_state(page)
    assert state["kept"] == 1
    # the chart keeps two earlier settings; the kept run is older than both, and still drawn
    assert state["drawn"]["traces"][0] == "lr = 0.1, momentum 0.8", state["drawn"]
    assert len(state["drawn"]["traces"]) == 3, state["drawn"]
    assert "mod-active" not in (keep.get_attribute("class") or ""), "the toggle should show the new run is not kept"
    tracebacks = _tracebacks(page)
    assert not tracebacks, "moving the sliders raised an error:\n" + "\n".join(tracebacks)
    explorer.scroll_into_view_if_needed()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    explorer.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 5_000


@pytest.fixture(scope="module")
def saved_notebook(executed_page, lab):
    """Ctrl+S in the browser; then the kernel is shut down (a reader starts from a fresh one).
    Returns the saved notebook (JSON)."""
    page = executed_page
    path = lab.root_dir / NOTEBOOK_NAME
    mtime = path.stat().st_mtime
    _panel(page).locator(".jp-InputPrompt").first.click()        # command mode, notebook focused
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and path.stat().st_mtime == mtime:
        time.sleep(0.2)
    assert path.stat().st_mtime != mtime, "Ctrl+S did not save the notebook within 20 s"
    time.sleep(0.5)                                                # let the write finish
    notebook = json.loads(path.read_text())
    page.close()
    for session in lab.api("GET", "sessions"):
        lab.api("DELETE", f"sessions/{session['id']}")
    NOTES.extend(f"  slow cell: index {i} (0-based, markdown counted) {seconds:.1f} s"
                 for seconds, i in _slowest_cells(notebook))
    return notebook


def _widget_state(notebook):
    return (notebook.get("metadata", {}).get("widgets", {})
            .get("application/vnd.jupyter.widget-state+json", {}).get("state", {}))


def _check_reopened(page, where):
    """The explorer of a notebook opened without running anything: controls and plot."""
    problems = _widget_problems(page)
    assert not problems, f"{where}: the notebook shows {problems}"
    explorer, lr = _explorer(page)
    explorer.scroll_into_view_if_needed()
    assert lr.is_visible(), f"{where}: the learning-rate slider is not visible"
    src = _img_src(explorer)
    assert src and src.startswith("data:image/png;base64,"), f"{where}: the explorer shows no saved plot"


def _wait_for_slider_or_fallback(page, timeout=30):
    """Widget views render asynchronously: wait until the slider, the plain image or the raw
    widget text shows in the explorer's output."""
    panel, deadline = _panel(page), time.monotonic() + timeout
    cell = panel.locator(".jp-CodeCell").nth(1)
    while time.monotonic() < deadline:
        if panel.locator(".widget-slider").count() or _widget_problems(page):
            return "widgets"
        if cell.locator(".jp-RenderedImage img").count():
            return "image"
        if panel.locator(".jp-OutputArea-output", has_text=re.compile(r"^\s*VBox\(children=")).count():
            return "text"
        time.sleep(0.25)
    return "nothing"


def test_saved_notebook_reopens_with_its_widgets(saved_notebook, lab, browser_context):
    """Save, shut the kernel down, reopen in a new page without running anything: the
    explorer shows its controls and last plot, restored from the widget state in the file."""
    assert _widget_state(saved_notebook), \
        "the saved notebook holds no widget state (is the jupyterlab-manager setting saveState on?)"
    (output,) = saved_notebook["cells"][2]["outputs"]
    assert {"application/vnd.jupyter.widget-view+json", "image/png"} <= set(output["data"]), \
        "the explorer's saved output has no plain image of its plot for readers"
    start = time.monotonic()
    page = _open_notebook(browser_context, lab, workspace="reopen")
    try:
        shown = _wait_for_slider_or_fallback(page)
        assert shown == "widgets", f"reopened: the explorer shows {shown} instead of its controls"
        _check_reopened(page, "reopened without running")
        TIMINGS["reopen"] = time.monotonic() - start
    finally:
        page.close()
        for session in lab.api("GET", "sessions"):
            lab.api("DELETE", f"sessions/{session['id']}")


def test_unsigned_copy_shows_the_last_plot_without_running(saved_notebook, lab, browser_context):
    """What a reader on another machine sees: the same saved notebook, but not signed here
    (untrusted). JupyterLab does not render widget views in an untrusted notebook; the explorer's
    output also holds its last plot as image/png, which it does render: the plot, no raw text."""
    notebook = json.loads(json.dumps(saved_notebook))
    notebook["metadata"]["browser_test"] = "reader copy"    # new content: no signature matches
    name = "reader_copy.ipynb"
    (lab.root_dir / name).write_text(json.dumps(notebook, indent=1))
    page = _open_notebook(browser_context, lab, name=name, workspace="reader")
    try:
        shown = _wait_for_slider_or_fallback(page)
        if shown == "widgets":                   # a JupyterLab that renders widgets untrusted
            _check_reopened(page, "unsigned copy")
            return
        if shown != "image":
            html = _panel(page).locator(".jp-CodeCell").nth(1).locator(".jp-OutputArea").first.inner_html()
            pytest.fail(f"unsigned copy: the explorer shows {shown}, not its last plot; its output:\n{html[:3000]}")
        assert not _panel(page).locator(".jp-OutputArea-output", has_text="VBox(children=").count()
        _palette(page, "Trust Notebook")           # trusting brings the saved controls back
        page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").first.click()
        try:
            _panel(page).locator(".widget-slider").first.wait_for(state="visible", timeout=30_000)
        except sync_api.TimeoutError:
            pytest.fail("unsigned copy: after Trust Notebook the explorer's controls do not show")
        _check_reopened(page, "unsigned copy, after Trust Notebook")
    finally:
        page.close()
        for session in lab.api("GET", "sessions"):
            lab.api("DELETE", f"sessions/{session['id']}")


# ------------------------------------------------------ the student edition ---
STUDENT_NOTEBOOK = "04_regularisation.ipynb"      # two exercises, quick to run


@pytest.fixture(scope="module")
def student_notebook(lab, tmp_path_factory):
    """The student edition of one lesson (built as `make student` builds it), in the lab's folder."""
    from course.student import build

    work = tmp_path_factory.mktemp("student-build")
    (work / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / STUDENT_NOTEBOOK, work / "notebooks" / STUDENT_NOTEBOOK)
    dist, stubs = build(notebooks_dir=work / "notebooks", dist=work / "dist", course=work / "course")
    assert stubs >= 2
    name = f"student_{STUDENT_NOTEBOOK}"
    shutil.copy(dist / "notebooks" / STUDENT_NOTEBOOK, lab.root_dir / name)
    return name


def test_the_student_edition_runs_top_to_bottom_with_only_its_exercises_unfinished(
        student_notebook, lab, browser_context):
    """Every cell of the student edition runs in JupyterLab; the only errors are the
    unfinished exercises' own NotImplementedError, each naming its exercise."""
    page = _open_notebook(browser_context, lab, name=student_notebook, workspace="student")
    try:
        # Shift+Enter through every cell, as a student stepping through the lesson does (Run All
        # would stop at the first unfinished exercise; every later cell must still work).
        cells = _panel(page).locator(".jp-Notebook .jp-Cell")
        n_code = len(_prompts(page))
        cells.first.locator(".jp-InputPrompt").click()
        deadline = time.monotonic() + RUN_ALL_TIMEOUT
        for _ in range(cells.count()):
            page.keyboard.press("Shift+Enter")
            time.sleep(0.3)
            while not (_kernel_idle(page) and not any("*" in p for p in _prompts(page))):
                assert time.monotonic() < deadline, f"still running after {RUN_ALL_TIMEOUT} s"
                time.sleep(0.25)
        prompts = _prompts(page)[:n_code]     # Shift+Enter on the last cell adds an empty one
        unexecuted = [i for i, p in enumerate(prompts) if not re.search(r"\d", p)]
        assert not unexecuted, f"code cells {unexecuted} did not run (prompts {prompts})"
        errors = _panel(page).locator('.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')
        texts = [t for t in errors.all_inner_texts() if "Error" in t]
        assert texts, "an unfinished exercise must say so"
        for text in texts:
            assert "NotImplementedError" in text and re.search(r"[Ee]xercise 04\.\d", text), text
            assert "numpy" not in text, f"a traceback from inside numpy instead of the exercise's message:\n{text}"
    finally:
        page.close()
