"""The training loop on tiny synthetic data: history, determinism, early stopping, divergence,
interruption, the float32 path, argument checks, flip augmentation, and an overfitting sanity check."""
import re
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mlp_helpers.data.images import flip_half
from mlp_helpers.model import MLP, make_penalty
from mlp_helpers.training import HISTORY_COLUMNS, SGD, EarlyStopping, StopOnRise, StopTraining, fit, make_schedule
from mlp_helpers.training.loop import Diverged, check_divergence
from mlp_helpers.training.progress import DisplayLine

METRICS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr"]    # all but wall time


def train(data, *, hidden=16, activation="tanh", model_seed=0, lr=0.05, momentum=0.9, **kwargs):
    """Build a small net for ``data`` and fit it; returns (model, result)."""
    sizes = [data.x_train.shape[1], hidden, int(data.y_train.max()) + 1]
    model = MLP(sizes, activation=activation, seed=model_seed, dtype=data.x_train.dtype)
    kwargs = {"epochs": 8, "batch_size": 16, "patience": None, "progress": False, **kwargs}
    return model, fit(model, SGD(lr, momentum), data, **kwargs)


def params_equal(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# --------------------------------------------------------------- history ---
def test_history_columns_and_length(blobs):
    schedule = make_schedule("step", 0.05, step_every=3, gamma=0.5)
    _, result = train(blobs, epochs=7, schedule=schedule)
    h = result.history
    assert list(h.columns) == HISTORY_COLUMNS and len(h) == 7
    assert list(h["epoch"]) == list(range(1, 8))
    np.testing.assert_allclose(h["lr"], [schedule(e) for e in range(7)])
    assert h[["train_acc", "val_acc"]].apply(lambda c: c.between(0, 1).all()).all()
    assert (h["seconds"] >= 0).all() and result.seconds >= h["seconds"].sum() * 0.99
    assert result.stop_reason == "completed" and result.message == ""
    assert h["val_acc"].iloc[-1] > 0.9            # the blobs are easy: it did learn


def test_train_loss_is_cross_entropy_without_the_penalty(blob_maker):
    """Full-batch, one epoch: the reported train loss is the data loss at the starting weights."""
    data = blob_maker(n_features=50)
    for kind in ("l1", "l2"):
        model = MLP([50, 16, 3], seed=0)
        start_loss = model.loss(data.x_train, data.y_train)         # no penalty
        result = fit(model, SGD(0.1, 0.9), data, epochs=1, batch_size=len(data.x_train),
                     penalty=make_penalty(kind, 1e-2), patience=None, progress=False)
        assert result.history["train_loss"].iloc[0] == pytest.approx(start_loss, rel=1e-5), kind


# ----------------------------------------------------------- determinism ---
def test_same_seed_same_history_and_weights(blobs):
    model_a, a = train(blobs, seed=3)
    model_b, b = train(blobs, seed=3)
    pd.testing.assert_frame_equal(a.history[METRICS], b.history[METRICS], check_exact=True)
    assert params_equal(model_a.params, model_b.params)


def test_different_seed_differs(blobs):
    model_a, a = train(blobs, seed=3)
    model_b, b = train(blobs, seed=4)
    assert not a.history["train_loss"].equals(b.history["train_loss"])
    assert not np.array_equal(model_a.params["W1"], model_b.params["W1"])


def test_determinism_with_flip_augmentation_and_penalty(blob_maker):
    data = blob_maker(n_train=48, n_val=16, n_features=3072, n_classes=4)
    runs = [train(data, epochs=3, augment=flip_half, penalty=make_penalty("l2", 1e-3), seed=s)
            for s in (1, 1, 2)]
    (m1, r1), (m2, r2), (m3, r3) = runs
    pd.testing.assert_frame_equal(r1.history[METRICS], r2.history[METRICS], check_exact=True)
    assert params_equal(m1.params, m2.params) and not params_equal(m1.params, m3.params)


def test_strided_training_rows_give_the_same_run(blob_maker):
    """A row-strided view of the data (x[::2]) must train exactly like its contiguous copy."""
    data = blob_maker(n_train=240)
    strided = SimpleNamespace(x_train=data.x_train[::2], y_train=data.y_train[::2],
                              x_val=data.x_val, y_val=data.y_val)
    dense = SimpleNamespace(**{**vars(strided), "x_train": strided.x_train.copy()})
    assert not strided.x_train.flags.c_contiguous
    (m1, r1), (m2, r2) = train(strided, seed=5), train(dense, seed=5)
    pd.testing.assert_frame_equal(r1.history[METRICS], r2.history[METRICS], check_exact=True)
    assert params_equal(m1.params, m2.params)


# -------------------------------------------------------- early stopping ---
def overfitting_data(blob_maker):
    """Noisy training labels: validation loss soon starts to rise."""
    data = blob_maker()
    data.y_train = np.random.default_rng(1).integers(0, 3, size=len(data.y_train))
    return data


@pytest.mark.parametrize("patience", [2, 3])
def test_early_stopping_restores_the_best_weights(blob_maker, patience):
    data = overfitting_data(blob_maker)
    model, result = train(data, hidden=32, lr=0.2, epochs=60, patience=patience)
    h = result.history
    assert result.stop_reason == "early_stopping"
    best = int(h["val_loss"].idxmin())
    assert result.best_epoch == h["epoch"][best]
    assert len(h) == result.best_epoch + patience            # exactly `patience` stale epochs
    val_loss, val_acc = model.evaluate(data.x_val, data.y_val)
    assert val_loss == pytest.approx(h["val_loss"][best], rel=1e-9)
    assert val_acc == h["val_acc"][best]


def test_monitor_val_acc(blob_maker):
    data = overfitting_data(blob_maker)
    model, result = train(data, hidden=32, lr=0.2, epochs=60, patience=3, monitor="val_acc")
    h = result.history
    best = int(h["val_acc"].idxmax())                # first epoch reaching the maximum
    assert result.stop_reason == "early_stopping" and len(h) == result.best_epoch + 3
    assert result.best_epoch == h["epoch"][best]
    assert best != h["val_loss"].idxmin()             # on this run the two monitors disagree
    assert model.evaluate(data.x_val, data.y_val)[1] == h["val_acc"][best]


# ------------------------------------------------------------ divergence ---
def test_divergence_stops_warns_and_restores_finite_weights(blobs):
    model = MLP([20, 32, 3], activation="relu", seed=0)
    start = model.get_params()
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="learning rate 1000 is most likely too high"):
        result = fit(model, SGD(1e3, 0.9), blobs, epochs=10, batch_size=16, progress=False)
    assert result.stop_reason == "diverged" and "1000" in result.message
    assert result.best_epoch == 0 and params_equal(model.params, start)
    assert all(np.isfinite(v).all() for v in model.params.values())
    assert len(result.history) < 10


def test_validation_loss_explosion_counts_as_divergence():
    initial = 2.3                                       # the untrained network's validation loss
    check_divergence(2.3, initial, 0.1, 1)              # fine
    with pytest.raises(Diverged, match="epoch 2"):
        check_divergence(23.1, initial, 0.1, 2)         # more than 10x the loss before training
    with pytest.raises(Diverged, match="learning rate 0.1"):
        check_divergence(float("nan"), initial, 0.1, 2)


def test_an_exploded_first_epoch_is_judged_against_the_untrained_network(blob_maker):
    """The first epoch's exploded-but-finite weights must not become "best"; the
    divergence threshold comes from the loss before training, and the restored weights are the
    initial ones."""
    data = blob_maker(n_features=200, spread=3.0)
    model = MLP([200, 64, 3], activation="relu", seed=0)
    start = model.get_params()
    initial_loss = model.evaluate(data.x_val, data.y_val)[0]
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="diverged in epoch 1"):
        result = fit(model, SGD(3.0, 0.9), data, epochs=5, batch_size=120, progress=False)
    first = result.history["val_loss"].iloc[0]
    assert np.isfinite(first) and first > 10 * initial_loss          # finite but exploded
    assert result.stop_reason == "diverged" and result.best_epoch == 0
    assert params_equal(model.params, start)
    assert model.evaluate(data.x_val, data.y_val)[0] == pytest.approx(initial_loss)
    assert result.initial_val_loss == pytest.approx(initial_loss)


# ------------------------------------------------- interruption, callback ---
def test_keyboard_interrupt_from_callback_keeps_the_best_weights(blob_maker):
    data = overfitting_data(blob_maker)
    seen = []

    def callback(history):
        seen.append(history.copy())
        if len(history) == 5:
            raise KeyboardInterrupt

    model, result = train(data, hidden=32, lr=0.2, epochs=50, patience=None, callback=callback)
    h = result.history
    assert result.stop_reason == "interrupted" and "interrupted" in result.message
    assert len(h) == 5 and [len(s) for s in seen] == [1, 2, 3, 4, 5]
    assert all(list(s.columns) == HISTORY_COLUMNS for s in seen)
    pd.testing.assert_frame_equal(seen[-1][METRICS], h[METRICS])
    best = int(h["val_loss"].idxmin())
    assert result.best_epoch == best + 1
    assert model.evaluate(data.x_val, data.y_val)[0] == pytest.approx(h["val_loss"][best], rel=1e-9)


# ---------------------------------------------------------- float32 path ---
@pytest.mark.parametrize("nesterov", [False, True])
def test_float32_stays_float32_during_training(blobs, nesterov):
    model = MLP([20, 16, 8, 3], seed=0)
    optimizer = SGD(0.05, 0.9, nesterov=nesterov)
    seen, real = [], model.loss_and_gradients

    def spy(x, y, penalty=None):
        result = real(x, y, penalty)
        seen.append([x.dtype, result.logits.dtype, *(g.dtype for g in result.grads.values()),
                     *(p.dtype for p in model.params.values())])
        return result

    model.loss_and_gradients = spy
    fit(model, optimizer, blobs, epochs=2, batch_size=32, penalty=make_penalty("l2", 1e-3),
        patience=None, progress=False)
    assert len(seen) == 2 * 4
    assert {dt for row in seen for dt in row} == {np.dtype(np.float32)}
    assert all(v.dtype == np.float32 for v in model.params.values())
    assert all(v.dtype == np.float32 for v in optimizer.velocity.values())


def test_fit_refuses_float64_inputs_for_a_float32_model(blob_maker):
    data = blob_maker(dtype=np.float64)
    with pytest.raises(ValueError, match=r"training split's inputs are float64 but the model is float32"):
        fit(MLP([20, 8, 3]), SGD(0.1), data, progress=False)


def test_float64_model_trains_on_float64_inputs(blob_maker):
    model, result = train(blob_maker(dtype=np.float64), epochs=2)
    assert model.params["W1"].dtype == np.float64 and len(result.history) == 2


# -------------------------------------------------------------- bad args ---
@pytest.mark.parametrize("kwargs, problem", [
    ({"epochs": 0}, "epochs"),
    ({"epochs": 2.5}, "epochs"),
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": -8}, "batch_size"),
    ({"patience": 0}, "patience"),
    ({"monitor": "train_loss"}, "monitor"),
])
def test_bad_fit_arguments(blobs, kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        fit(MLP([20, 8, 3]), SGD(0.1), blobs, progress=False, **kwargs)


# ---------------------------------------------------------------- sanity ---
def test_overfits_100_images_with_fixed_random_labels():
    """A 3072-64-10 tanh net must be able to memorise 100 image-like rows with arbitrary labels:
    if backprop or the update were subtly wrong, this is where it would show."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(100, 3072)).astype(np.float32)
    x = (pixels - pixels.mean(axis=1, keepdims=True)) / pixels.std(axis=1, keepdims=True)
    y = rng.integers(0, 10, size=100)
    # Validating on the training set itself: early stopping's "best weights" are then the first
    # to reach 100 % training accuracy, and the callback ends the run there.
    data = SimpleNamespace(x_train=x, y_train=y, x_val=x, y_val=y)
    model = MLP([3072, 64, 10], activation="tanh", seed=0)
    result = fit(model, SGD(0.01, 0.9), data, epochs=300, batch_size=100, patience=None,
                 monitor="val_acc", callback=_stop_when_memorised, progress=False)
    h = result.history
    assert result.stop_reason == "memorised", "did not reach 100 % training accuracy in 300 epochs"
    assert model.evaluate(x, y)[1] == 1.0
    assert h["train_loss"].iloc[-1] < h["train_loss"].iloc[0] and h["val_acc"].iloc[0] < 1.0


def _stop_when_memorised(history):
    if history["val_acc"].iloc[-1] == 1.0:
        raise StopTraining("memorised")       # the documented way to stop early from a callback


# ------------------------------------------- inputs checked before training ---
def no_step_optimizer():
    """An SGD whose step must never run: the checks below must fail before the first update."""
    opt = SGD(0.1)

    def step(*args, **kwargs):
        raise AssertionError("an update ran before the inputs were checked")

    opt.step = step
    return opt


@pytest.mark.parametrize("change, problem", [
    (lambda d: setattr(d, "y_train", np.concatenate([d.y_train, d.y_train[:5]])), "120 input rows but 125 labels"),
    (lambda d: setattr(d, "y_train", d.y_train[:-1]), "120 input rows but 119 labels"),
    (lambda d: setattr(d, "y_val", d.y_val[:-3]), "validation split has 60 input rows but 57 labels"),
    (lambda d: setattr(d, "x_val", d.x_val[:, :10]), r"validation split's inputs must have shape \(N, 20\)"),
    (lambda d: setattr(d, "y_train", d.y_train.astype(np.float32)), "labels must be integers"),
    (lambda d: setattr(d, "y_val", d.y_val + 3), r"labels must lie in 0..2"),
    (lambda d: setattr(d, "x_train", d.x_train[:0]), "training split is empty"),
    (lambda d: setattr(d, "y_train", list(d.y_train)), "must be a numpy array, got list"),
    (lambda d: setattr(d, "x_train", d.x_train.reshape(120, 4, 5)), "flatten each image"),
    (lambda d: d.x_train.__setitem__((3, 4), np.nan), "NaN or infinite"),
    (lambda d: d.x_val.__setitem__((0, 0), np.inf), "validation split's inputs contain NaN or infinite"),
])
def test_fit_checks_every_split_before_the_first_step(blob_maker, change, problem):
    """A longer y used to train silently on misaligned pairs, a shorter one ended in a
    bare IndexError, and bad validation data surfaced only after a whole epoch."""
    data = blob_maker()
    change(data)
    with pytest.raises(ValueError, match=problem):
        fit(MLP([20, 8, 3]), no_step_optimizer(), data, progress=False)


@pytest.mark.parametrize("value, problem", [(float("nan"), "gave nan"), (-0.1, "gave -0.1")])
def test_a_bad_learning_rate_from_a_schedule_is_named_as_such(blobs, value, problem):
    with pytest.raises(ValueError, match=f"schedule {problem} for epoch 1.*finite number > 0"):
        fit(MLP([20, 8, 3]), SGD(0.1), blobs, schedule=lambda epoch: value, progress=False)


def test_a_callback_error_leaves_the_best_weights_and_the_history(blob_maker):
    data = overfitting_data(blob_maker)
    model = MLP([20, 32, 3], seed=0)

    def callback(history):
        if len(history) == 4:
            raise RuntimeError("plotting failed")

    with pytest.raises(RuntimeError, match="plotting failed") as caught:
        fit(model, SGD(0.2, 0.9), data, epochs=20, batch_size=16, patience=None, callback=callback,
            progress=False)
    partial = caught.value.train_result
    assert len(partial.history) == 4 and partial.stop_reason == "error"
    best = int(partial.history["val_loss"].idxmin())
    assert partial.best_epoch == best + 1
    assert model.evaluate(data.x_val, data.y_val)[0] == pytest.approx(partial.history["val_loss"][best], rel=1e-9)
    assert "the history so far" in "".join(caught.value.__notes__)


def test_stop_training_from_a_callback_has_its_own_reason(blobs):
    def callback(history):
        if len(history) == 2:
            raise StopTraining("cancelled")

    _, result = train(blobs, epochs=10, callback=callback)
    assert result.stop_reason == "cancelled" and len(result.history) == 2 and "cancelled" in result.message


def test_an_early_stopping_object_can_be_passed_and_printed(blob_maker):
    data = overfitting_data(blob_maker)
    stopper = EarlyStopping(patience=2, monitor="val_acc")
    assert repr(stopper) == "EarlyStopping(patience=2, monitor='val_acc')"
    _, a = train(data, hidden=32, lr=0.2, epochs=60, early_stopping=stopper)
    _, b = train(data, hidden=32, lr=0.2, epochs=60, patience=2, monitor="val_acc")
    pd.testing.assert_frame_equal(a.history[METRICS], b.history[METRICS], check_exact=True)
    assert a.best_epoch == b.best_epoch == stopper.best_epoch


@pytest.mark.parametrize("kwargs, problem", [
    ({"epochs": True}, "epochs"),
    ({"batch_size": True}, "batch_size"),
    ({"patience": True}, "patience"),
])
def test_booleans_are_not_counts(blobs, kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        fit(MLP([20, 8, 3]), SGD(0.1), blobs, progress=False, **kwargs)


# ------------------------------------------------- the report's stopping rule ---
class Scripted:
    """A stand-in model whose 'weights' are the epoch number, so restoring is visible."""

    def __init__(self):
        self.epoch = 0

    def get_params(self):
        return {"epoch": self.epoch}

    def set_params(self, params):
        self.epoch = params["epoch"]


def drive(stopper, losses):
    model = Scripted()
    stopper.start(model, {"val_loss": 3.0, "val_acc": 0.1})
    for epoch, loss in enumerate(losses, 1):
        model.epoch = epoch
        if stopper.update(epoch, {"val_loss": loss, "val_acc": 0.0}, model):
            stopper.restore(model)
            return "stopped", model.epoch, stopper.best_epoch
    stopper.restore(model, completed=True)
    return "completed", model.epoch, stopper.best_epoch


def test_stop_on_rise_needs_consecutive_rises_and_restores_the_epoch_before():
    #           1    2    3    4    5    6    7    8    9   10
    losses = [2.0, 1.8, 1.9, 1.7, 1.75, 1.8, 1.85, 1.9, 2.0, 2.1]
    # Epoch 3 rises once, then 4 falls: no stop. 5..9 rise five times in a row: stop after 9 and
    # restore epoch 4, the epoch before the rise.
    assert drive(StopOnRise(patience=5), losses) == ("stopped", 4, 4)
    # The two rules differ when the validation loss wiggles instead of rising steadily:
    wiggly = [2.0, 1.5, 1.6, 1.55, 1.6, 1.58, 1.62, 1.7]
    assert drive(EarlyStopping(patience=5), wiggly) == ("stopped", 2, 2)
    assert drive(StopOnRise(patience=5), wiggly) == ("completed", 8, 8)


def test_stop_on_rise_anchor_is_the_epoch_before_the_rise_not_the_best_one():
    losses = [1.0, 1.5, 1.4, 1.45, 1.5, 1.55, 1.6]   # best is epoch 1; the last rise starts after 3
    assert drive(StopOnRise(patience=4), losses) == ("stopped", 3, 3)
    assert drive(EarlyStopping(patience=4), losses) == ("stopped", 1, 1)


def test_fit_runs_the_report_rule(blob_maker):
    data = overfitting_data(blob_maker)
    model, result = train(data, hidden=32, lr=0.2, epochs=60, early_stopping=StopOnRise(patience=3))
    h = result.history
    assert result.stop_reason == "early_stopping"
    rises = (h["val_loss"].diff() > 0).to_numpy()
    assert rises[-3:].all() and not rises[-4]                    # exactly three rises in a row at the end
    assert result.best_epoch == len(h) - 3
    assert model.evaluate(data.x_val, data.y_val)[0] == pytest.approx(h["val_loss"].iloc[-4], rel=1e-9)


def test_one_hot_labels_train_like_integer_labels_and_soft_targets_are_refused(blobs):
    def fit_three_classes(data, epochs):
        model = MLP([blobs.x_train.shape[1], 16, 3], seed=0)
        return fit(model, SGD(0.05, 0.9), data, epochs=epochs, batch_size=16, patience=None, progress=False)

    one_hot = SimpleNamespace(x_train=blobs.x_train, y_train=np.eye(3)[blobs.y_train],
                              x_val=blobs.x_val, y_val=np.eye(3, dtype=np.float32)[blobs.y_val])
    by_index, by_row = fit_three_classes(blobs, 3), fit_three_classes(one_hot, 3)
    pd.testing.assert_frame_equal(by_index.history.drop(columns="seconds"), by_row.history.drop(columns="seconds"))
    soft = SimpleNamespace(**{**vars(one_hot), "y_train": np.full((len(blobs.y_train), 3), 1 / 3)})
    with pytest.raises(ValueError, match="training split's labels are .* not one-hot"):
        fit_three_classes(soft, 1)


def test_a_penalty_too_strong_for_the_step_is_named_as_the_cause(blobs):
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="penalty is most likely too strong"):
        _, result = train(blobs, epochs=3, penalty=make_penalty("l2", 1000.0), lr=0.01)
    assert result.stop_reason == "diverged" and "lambda = 10" in result.message


# ------------------------------------------------ the learning rate's home ---
class RecordingSGD(SGD):
    """SGD that notes the rate ``optimizer.lr`` holds at every step."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rates = []

    def step(self, params, grads):
        self.rates.append(self.lr)
        super().step(params, grads)


def test_the_schedule_writes_each_epochs_rate_into_the_optimizer(blobs):
    schedule = make_schedule("step", 0.05, step_every=2, gamma=0.5)
    optimizer = RecordingSGD(0.05, 0.9)
    result = fit(MLP([20, 8, 3]), optimizer, blobs, epochs=5, batch_size=40, schedule=schedule, patience=None,
                 progress=False)
    steps_per_epoch = 3                                                # 120 rows in minibatches of 40
    assert optimizer.rates == [schedule(e) for e in range(5) for _ in range(steps_per_epoch)]
    assert list(result.history["lr"]) == [schedule(e) for e in range(5)] and optimizer.lr == schedule(4)


# ------------------------------------------------------------ progress bar ---
def bar_states(text):
    """The successive states of a text progress bar (each redraw starts with a carriage return)."""
    return [state.strip() for state in text.split("\r") if state.strip()]


def test_progress_shows_the_time_left_once_an_epoch_is_done_and_ends_full(blobs, capsys):
    def slow_epochs(history):          # redraws are at most every 0.1 s: make each epoch show
        time.sleep(0.12)

    train(blobs, epochs=3, progress=True, callback=slow_epochs)
    states = bar_states(capsys.readouterr().out)
    assert "0/3" in states[0] and "<?" in states[0]                   # no speed measured yet: no time left
    assert len(states) >= 3 and all(re.search(r"[123]/3 \[\d\d:\d\d<\d\d:\d\d", s) for s in states[1:])
    assert "100%" in states[-1] and "3/3" in states[-1] and "val_acc=" in states[-1]


def test_an_early_stopped_run_ends_full_and_says_why(blob_maker, capsys):
    _, result = train(overfitting_data(blob_maker), hidden=32, lr=0.2, epochs=60, patience=3, progress=True)
    last = bar_states(capsys.readouterr().out)[-1]
    n = len(result.history)
    assert result.stop_reason == "early_stopping" and n < 60
    assert "100%" in last and f"{n}/{n}" in last and f"stopped after {n} of 60 epochs: early stopping" in last


def test_a_diverged_run_ends_where_it_stopped(blobs, capsys):
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="diverged"):
        fit(MLP([20, 32, 3], activation="relu", seed=0), SGD(1e3, 0.9), blobs, epochs=10, batch_size=16)
    last = bar_states(capsys.readouterr().out)[-1]
    assert "/10" in last and "100%" not in last and "diverged" in last


def test_in_a_notebook_the_bar_is_one_output_that_each_redraw_replaces(blobs, monkeypatch):
    """What a notebook saves is that output's last text: the finished line, not its first state."""
    shown, updates = [], []

    class Handle:
        def update(self, obj, raw):
            updates.append(obj["text/plain"])

    def display(obj, raw, display_id):
        shown.append(obj)
        return Handle()

    from mlp_helpers.training import progress
    assert progress.notebook_line() is None                    # the tests run outside a Jupyter kernel
    monkeypatch.setattr(progress, "notebook_line", lambda: DisplayLine(display))
    train(blobs, epochs=3, progress=True)
    assert len(shown) == 1                                     # one output for the whole run
    assert "0/3" in updates[0] and "100%" in updates[-1] and "3/3" in updates[-1]
    assert not any("\r" in u or "\n" in u for u in updates)
