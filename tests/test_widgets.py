"""Explorers driven from code, as a student would drive them: a moved slider changes the plot.

An exception inside an ipywidgets callback does not fail anything by itself, so these tests call
``set`` (which runs the same update the slider's observer runs) and check the plotted data.
Outside a kernel an explorer trains in the calling thread, so every call returns with its run
finished; ``background=True`` gives the kernel's behaviour (a worker thread, cancellation).
"""
import matplotlib

matplotlib.use("Agg")

import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from test_experiments import tiny_data

from mlp_helpers import experiments, plots
from mlp_helpers.widgets import CONTROLS, LAMBDA_GRIDS, TrainingExplorer, lambda_grid
from mlp_helpers.widgets import view as view_module
from mlp_helpers.widgets.controls import config_of, grid
from mlp_helpers.widgets.runner import one_blas_thread


def explorer(controls, data=None, **kwargs):
    return TrainingExplorer(data or tiny_data(), base=experiments.Config(hidden=(16,)), controls=controls,
                            epochs=kwargs.pop("epochs", 3), **kwargs)


def assert_plot_changed(before, after):
    assert before.keys() == after.keys() and before
    assert any(not np.array_equal(before[k], after[k]) for k in before), "the plotted curves did not change"


def record(widget):
    """Every value a widget takes from now on, with its time."""
    seen = []
    widget.observe(lambda change: seen.append((time.perf_counter(), change["new"])), names="value")
    return seen


@pytest.mark.parametrize("controls, move", [
    (("lr", "momentum", "batch_size"), {"lr": 0.1}),
    (("lr", "momentum", "batch_size"), {"batch_size": 32}),
    (("penalty", "lam", "lr", "hidden_units"), {"penalty": "l2", "lam": 1e-2}),
    (("activation", "init", "lr", "hidden_units"), {"activation": "relu", "init": "he"}),
    (("hidden_units", "hidden_layers", "lr", "init"), {"hidden_layers": 2, "hidden_units": 32}),
    (("lr", "hidden_units"), {"hidden_units": 64}),
])
def test_moving_a_control_retrains_and_redraws(controls, move):
    ex = explorer(controls)
    before, png_before = ex.plotted_data(), bytes(ex.image.value)
    ex.set(**move)
    png_after = bytes(ex.image.value)
    assert png_after.startswith(b"\x89PNG") and png_after != png_before
    for name, value in move.items():
        assert ex.controls[name].value == value
    assert_plot_changed(before, ex.plotted_data())
    config = ex.config()
    if "hidden_layers" in move:
        assert config.hidden == (move["hidden_units"],) * move["hidden_layers"]
    if "penalty" in move:
        assert (config.penalty, config.lam) == ("l2", 1e-2)


def test_a_slider_event_retrains_like_set_does():
    ex = explorer(("lr",))
    before = ex.plotted_data()
    ex.controls["lr"].value = 0.3          # what the browser does: the observer fires
    assert ex.config().lr == pytest.approx(0.3)
    assert_plot_changed(before, ex.plotted_data())


def test_returning_to_a_setting_uses_the_cache(monkeypatch):
    from mlp_helpers.widgets import explorer as explorer_module
    ex = explorer(("lr",))
    first = ex.plotted_data()
    ex.set(lr=0.03)
    assert len(ex.cache) == 2
    monkeypatch.setattr(explorer_module, "train_config", lambda *a, **k: pytest.fail("a cached setting retrained"))
    ex.set(lr=0.01)
    assert len(ex.cache) == 2 and "cached" in ex.status.value and ex.events[-1][0] == "cached"
    for key, values in first.items():
        np.testing.assert_array_equal(values, ex.plotted_data()[key])


def test_values_are_snapped_to_the_slider_grid_so_the_cache_hits():
    ex = explorer(("lr", "momentum"))
    ex.set(momentum=0.9000000000000001)       # what 0.9 becomes after float arithmetic
    assert ex.controls["momentum"].value == 0.9 and len(ex.cache) == 1
    assert ex.events[-1][0] == "cached"
    with pytest.raises(ValueError, match="not on this slider.*0.03"):
        ex.set(lr=0.05)


def test_readouts_use_the_texts_notation():
    ex = explorer(("lr", "momentum", "penalty", "lam"))
    lr_labels = [label for label, _ in ex.controls["lr"].options]
    assert "0.03" in lr_labels and "0.0001" in lr_labels and not any("e-0" in s for s in lr_labels)
    assert [label for label, _ in ex.controls["lam"].options][:3] == ["1e-3", "3e-3", "1e-2"]
    ex.set(lr=0.03)
    title = ex.curves._title.get_text()
    assert title.startswith("lr = 0.03, momentum 0.9") and "epochs=" not in title and "patience" not in title


def test_penalty_none_means_lambda_zero_and_a_disabled_slider():
    ex = explorer(("penalty", "lam"))
    assert ex.controls["lam"].disabled and "no effect" in ex.view.lam_note.value
    ex.set(lam=1e-2)
    assert ex.config().lam == 0.0
    assert len(ex.cache) == 1               # λ cannot matter: no retraining
    ex.set(penalty="l2")
    assert not ex.controls["lam"].disabled and ex.view.lam_note.value == ""
    assert ex.config().lam == 1e-2


def test_lambdas_grid_follows_the_penalty():
    ex = explorer(("penalty", "lam"))
    ex.set(penalty="l1", lam=1e-4)                 # on L1's grid only: the penalty is applied first
    assert (ex.config().penalty, ex.config().lam) == ("l1", 1e-4)
    assert [label for label, _ in ex.controls["lam"].options][:2] == ["1e-4", "3e-4"]
    ex.controls["penalty"].value = "l2"            # a student's move: λ goes to L2's nearest notch
    assert (ex.config().penalty, ex.config().lam) == ("l2", 1e-3)
    assert len(ex.cache) == 3


def test_every_epoch_redraws_with_a_progress_line_and_the_old_plot_marked_stale_at_once():
    ex = explorer(("lr",), epochs=4)
    images, statuses = record(ex.image), record(ex.status)
    ex.set(lr=0.1)
    # one picture marked stale at once (before any epoch), one per epoch, one finished
    assert len(images) >= 4 + 2
    texts = [text for _, text in statuses]
    assert "training" in texts[0] and "epoch 1 of 4" in texts[0]
    assert any("epoch 3 of 4" in t and "elapsed" in t and "left" in t for t in texts)
    assert "training" not in texts[-1] and "best epoch" in texts[-1]


def test_axes_are_fixed_and_earlier_runs_stay_as_labelled_traces():
    ex = explorer(("lr", "momentum"), recent=2)
    limits = [(ax.get_xlim(), ax.get_ylim()) for ax in ex.curves.axes]
    for lr in (0.1, 0.3, 1.0):
        ex.set(lr=lr)
        assert [(ax.get_xlim(), ax.get_ylim()) for ax in ex.curves.axes] == limits
    drawn = ex.drawn()
    assert drawn == {"current": "lr = 1", "traces": ["lr = 0.3", "lr = 0.1"]}      # the last 2 settings
    traces = ex.plotted_data(traces=True)
    assert "1/lr = 0.3/validation" in traces and len(traces["1/lr = 0.1/validation"]) == 3


def test_a_kept_run_stays_drawn():
    ex = explorer(("lr",), recent=1)
    ex.pin()
    assert ex.view.keep.value and ex.kept == [ex.current_key]
    for lr in (0.1, 0.3, 1.0):
        ex.set(lr=lr)
        assert not ex.view.keep.value          # the toggle shows whether the *current* run is kept
    assert ex.drawn()["traces"] == ["lr = 0.01", "lr = 0.3"]    # kept first, then the last setting
    ex.set(lr=0.01)
    assert ex.view.keep.value                  # back on a kept run: the toggle says so
    ex.view.clear.click()
    assert ex.kept == [] and not ex.view.keep.value


def hold_training(monkeypatch, lr):
    """Make the explorer's run at learning rate ``lr`` wait after its first epoch until the returned
    ``release`` event is set; ``held`` is set when it waits. No sleeping, no race with a fast machine."""
    from mlp_helpers.widgets import explorer as explorer_module
    held, release, real = threading.Event(), threading.Event(), explorer_module.train_config

    def train_config(config, data, **kwargs):
        after_epoch = kwargs["callback"]

        def callback(history):
            after_epoch(history)                   # raises StopTraining once the run is outdated
            if config.lr == lr and len(history) == 1:
                held.set()
                assert release.wait(60), "the test never released the held training"
        return real(config, data, **{**kwargs, "callback": callback})
    monkeypatch.setattr(explorer_module, "train_config", train_config)
    return held, release


def test_a_new_move_cancels_the_running_training_at_the_next_epoch(monkeypatch):
    held, release = hold_training(monkeypatch, lr=0.1)
    ex = explorer(("lr",), data=tiny_data(n=2400), epochs=12, background=True)
    assert ex.wait(60)
    ex.controls["lr"].value = 0.1              # the browser's slider events, on the kernel's main thread
    assert held.wait(60)
    ex.controls["lr"].value = 0.3
    release.set()
    assert ex.wait(60)
    kinds = [(what, setting) for what, setting, _ in ex.events]
    assert ("cancelled", "lr = 0.1") in kinds and kinds[-1] == ("trained", "lr = 0.3")
    cancelled_at = next(epochs for what, setting, epochs in ex.events if what == "cancelled")
    assert cancelled_at < 12
    assert ex.drawn()["current"] == "lr = 0.3" and ex.config().lr == 0.3
    assert "lr = 0.3" in ex.status.value and "best epoch" in ex.status.value


def test_a_cached_setting_shows_at_once_even_while_another_trains(monkeypatch):
    held, release = hold_training(monkeypatch, lr=0.1)
    ex = explorer(("lr",), data=tiny_data(n=2400), epochs=12, background=True)
    assert ex.wait(60)
    ex.controls["lr"].value = 0.1
    assert held.wait(60)                       # the lr = 0.1 run is mid-training, held until released
    ex.controls["lr"].value = 0.01             # the first setting: in the cache, shown without waiting
    assert "cached" in ex.status.value and ex.history is ex.cache[ex.current_key].history
    release.set()
    assert ex.wait(60)
    # the cancellation is noted at the running training's next epoch boundary, after the cached view
    assert sorted(e[0] for e in ex.events) == ["cached", "cancelled", "trained"]


def test_set_waits_for_the_run_in_the_background_mode_too():
    ex = explorer(("lr",), background=True)
    assert ex.wait(60) and ex.result is not None
    ex.set(lr=0.1)
    assert not ex._jobs.busy and ex.config().lr == 0.1 and ex.result.history is ex.history
    ex.set(lr=0.3, wait=False)
    assert ex.wait(60) and ex.events[-1][:2] == ("trained", "lr = 0.3")


def test_explorer_runs_use_one_blas_thread():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with one_blas_thread():
        blas = [pool for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)


def test_divergence_is_shown_in_the_status_line():
    data = tiny_data()
    data.x_train *= 100                     # huge inputs and a huge step: the loss explodes
    ex = TrainingExplorer(data, base=experiments.Config(hidden=(16,), activation="relu", init="he"),
                          controls=("lr",), epochs=3)
    with pytest.warns(RuntimeWarning, match="learning rate"):
        ex.set(lr=3.0)
    assert "diverged" in ex.status.value


def test_the_display_bundle_carries_the_plot_as_an_ordinary_image():
    ex = explorer(("lr",))
    shown_before_bundle = bytes(ex.image.value)
    bundle = ex.view.bundle(ex.describe)
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
    import base64
    import io

    from PIL import Image
    saved = Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    shown = Image.open(io.BytesIO(bytes(ex.image.value)))
    assert saved.size == shown.size and saved.tobytes() != shown.tobytes()    # the plot, with a note on it
    assert ex.image.value == shown_before_bundle                                # the widget's picture unchanged
    assert "run this cell" in bundle["text/plain"] and "VBox" not in bundle["text/plain"]


def test_the_kernel_hint_is_only_in_the_text_a_live_notebook_does_not_show():
    ex = explorer(("lr",))
    texts = [child.value for child in ex.widget.children if hasattr(child, "value") and isinstance(child.value, str)]
    assert not any("kernel" in text for text in texts), texts            # never under a working explorer
    bundle = ex.view.bundle(ex.describe)
    assert "need a running kernel" in bundle["text/plain"]               # where no widget can render


def test_while_grading_an_explorer_trains_nothing_and_says_so_in_one_line(monkeypatch):
    from mlp_helpers.widgets import explorer as explorer_module
    monkeypatch.setenv("MLP_GRADING", "1")
    monkeypatch.setattr(explorer_module, "train_config", lambda *a, **k: pytest.fail("trained while grading"))
    shown = []
    monkeypatch.setattr(view_module, "display", lambda data, **kwargs: shown.append(data))
    ex = explorer(("lr", "momentum"))
    ex._ipython_display_()
    assert shown == [{"text/plain": view_module.GRADING_LINE}]
    assert "\n" not in view_module.GRADING_LINE and "grading" in view_module.GRADING_LINE
    with pytest.raises(ValueError, match="needs a dataset"):            # bad arguments still say so
        TrainingExplorer(None)


@pytest.mark.parametrize("name", sorted(CONTROLS))
def test_each_control_writes_and_reads_its_own_config_field(name):
    """config() is the controls' writes in turn: each value a control can take comes back when read."""
    spec, base = CONTROLS[name], experiments.Config(penalty="l2", lam=1e-3)
    for value in grid(name, base):
        assert spec.read(config_of(base, {name: value})) == value, (name, value)
    assert config_of(base, {}) == base


def test_lambdas_grid_has_one_home():
    assert CONTROLS["lam"].options is lambda_grid
    assert lambda_grid("l1") is LAMBDA_GRIDS["l1"] and lambda_grid("none") is LAMBDA_GRIDS["l2"]
    assert grid("lam", experiments.Config(penalty="l1", lam=1e-4)) == LAMBDA_GRIDS["l1"]
    assert config_of(experiments.Config(), {"penalty": "none", "lam": 0.1}).lam == 0.0
    assert config_of(experiments.Config(), {"lam": 0.1, "penalty": "l2"}).lam == 0.1    # order of the dict is no matter


def test_unknown_controls_are_clear_errors():
    with pytest.raises(ValueError, match="unknown controls"):
        explorer(("dropout",))
    ex = explorer(("lr",))
    with pytest.raises(ValueError, match="no control"):
        ex.set(momentum=0.5)
    assert set(CONTROLS) >= {"lr", "lam", "hidden_units", "momentum", "batch_size", "activation", "penalty"}


# ------------------------------------------------------------------ plots ---
def test_settings_are_written_in_the_texts_notation():
    assert plots.format_setting(lr=0.03, momentum=0.9) == "lr = 0.03, momentum 0.9"
    assert plots.format_setting(penalty="l2", lam=1e-3) == "L2, λ = 1e-3"
    assert plots.format_setting(hidden_units=64, hidden_layers=2, activation="relu") == "2 × 64 units, ReLU"
    assert [plots.format_number(x) for x in (1e-4, 0.0003, 0.9000000000000001, 3.0)] == ["0.0001", "0.0003",
                                                                                       "0.9", "3"]


def test_figures_fit_the_notebook_width():
    import matplotlib.pyplot as plt
    rng = np.random.default_rng(0)
    history = tiny_history()
    figures = [plots.plot_history(history), plots.plot_comparison({"a": history}),
               plots.plot_image_grid(rng.integers(0, 256, (24, 3072), dtype=np.uint8), np.repeat([0, 1], 12),
                                     per_class=12, class_names=["cat", "dog"]),
               plots.plot_first_layer_weights(rng.standard_normal((3072, 12)), n=12, ncols=12),
               plots.plot_activation_histograms([rng.standard_normal(100)] * 5, list("abcde"))]
    for fig in figures:
        assert fig.get_size_inches()[0] <= plots.FULL_WIDTH
        plt.close(fig)
    assert len(figures[-1].axes) == 5


def test_plots_import_neither_experiments_nor_ipywidgets():
    code = ("import sys, mlp_helpers.plots; "
            "print([m for m in ('mlp_helpers.experiments', 'ipywidgets') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def tiny_history(n=5):
    import pandas as pd
    epochs = np.arange(1, n + 1)
    return pd.DataFrame({"epoch": epochs, "train_loss": 2.3 / epochs, "val_loss": 2.3 / np.sqrt(epochs),
                         "train_acc": 0.1 * epochs, "val_acc": 0.05 * epochs})


# ---------------------------------------------------------- in a kernel ---
HEADLESS_CELLS = [
    "import numpy as np\nfrom types import SimpleNamespace\nfrom mlp_helpers import experiments\n"
    "from mlp_helpers.widgets import TrainingExplorer\nrng = np.random.default_rng(0)\n"
    "x = rng.standard_normal((600, 3072)).astype(np.float32)\ny = rng.integers(0, 10, 600)\n"
    "data = SimpleNamespace(x_train=x[:500], y_train=y[:500], x_val=x[500:], y_val=y[500:])",
    "explorer = TrainingExplorer(data, base=experiments.Config(hidden=(16,)), controls=('lr',), epochs=4)\n"
    "explorer",
    "print(explorer.background, explorer._jobs.busy, explorer.events)",
    "hidden = TrainingExplorer(data, base=experiments.Config(hidden=(16,)), controls=('lr',), epochs=4)",
    "print(hidden._jobs.busy, hidden.events)",
]


def test_a_notebook_executed_headless_saves_the_finished_plot():
    """nbclient (what nbval runs): in a kernel the explorer trains on a worker thread, yet the cell
    that makes it ends only when the first run is done, and the saved output holds its plot both
    as the widget's state and as an ordinary image (what an untrusted notebook shows)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in HEADLESS_CELLS])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (display,) = nb.cells[1].outputs
    assert display.output_type == "display_data"
    assert {"application/vnd.jupyter.widget-view+json", "image/png", "text/plain"} <= set(display.data)
    assert "run this cell" in display.data["text/plain"]
    assert nb.cells[2].outputs[0].text.startswith("True False [('trained', 'lr = 0.01', 4)]")
    assert nb.cells[4].outputs[0].text.startswith("False [('trained'")        # not displayed: still waited for
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    saved_pngs = [buffer["data"] for model in state.values() if model["model_name"] == "ImageModel"
                  for buffer in model.get("buffers", [])]
    import base64
    import io

    from PIL import Image
    saved = Image.open(io.BytesIO(base64.b64decode(display.data["image/png"])))
    finished = [Image.open(io.BytesIO(base64.b64decode(png))) for png in saved_pngs]
    # the image is the finished plot (with a note in its top-left corner)
    height = saved.size[1]
    assert any(saved.crop((0, height // 10, *saved.size)).tobytes() == f.crop((0, height // 10, *f.size)).tobytes()
               for f in finished)


def test_the_conventions_switch_trains_under_the_reports_likely_conventions(monkeypatch):
    from mlp_helpers.widgets import explorer as explorer_module
    loaded = []

    def per_channel_subset(normalisation, n_per_class):
        loaded.append((normalisation, n_per_class))
        return tiny_data(seed=1)
    monkeypatch.setattr(explorer_module, "explorer_dataset", per_channel_subset)
    ex = explorer(("lr", "conventions"))
    assert ex.controls["conventions"].value == "described" and ex.config().init == "xavier"
    before = ex.plotted_data()
    ex.set(conventions="report")
    config = ex.config()
    assert (config.normalisation, config.init) == ("per_channel", "uniform_small")
    assert loaded == [("per_channel", 8)]                 # the same-sized subset, normalised per channel
    assert_plot_changed(before, ex.plotted_data())
    assert "report's likely conventions" in ex.describe()
    ex.set(conventions="described")                        # back: from the cache, no new data
    assert ex.events[-1][0] == "cached" and len(loaded) == 1


def test_an_explorer_without_data_names_what_it_needs():
    with pytest.raises(ValueError, match=r"TrainingExplorer needs a dataset .* got NoneType: pass experiments"):
        TrainingExplorer(None)
