"""Named configurations: the course report's runs, our evidence runs and our improved recipes.

A ``Config`` names every hyperparameter of one run; an ``Experiment`` gives a config a name, the
notebook question it answers and, for the report's rows, the report's own numbers.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from ..data import NORMALISATIONS
from ..model.activations import ACTIVATIONS
from ..model.initialisers import INITIALISERS
from ..model.penalties import PENALTIES
from ..validation import check_choice, check_int, check_number, check_optional_int


@dataclass(frozen=True)
class Config:
    """Every hyperparameter of one run. The defaults are the report's base model.

    ``init=None`` means the initialiser matched to the activation (Xavier for tanh and
    sigmoid, He for ReLU). ``augment_flip`` mirrors a random half of each minibatch."""
    hidden: tuple = (128,)
    activation: str = "tanh"
    init: str | None = "xavier"
    lr: float = 0.01
    momentum: float = 0.9
    nesterov: bool = False
    batch_size: int = 128
    epochs: int = 100
    patience: int | None = 5
    monitor: str = "val_loss"
    penalty: str = "none"
    lam: float = 0.0
    schedule: str = "constant"
    normalisation: str = "per_image"
    augment_flip: bool = False
    seed: int = 0

    def __post_init__(self):
        hidden = (self.hidden,) if isinstance(self.hidden, int) else tuple(self.hidden)
        for i, units in enumerate(hidden):
            check_int(f"hidden[{i}]", units)
        object.__setattr__(self, "hidden", tuple(int(u) for u in hidden))
        check_choice("activation", self.activation, ACTIVATIONS)
        if self.init is not None:
            check_choice("init", self.init, INITIALISERS)
        check_choice("penalty", self.penalty, PENALTIES)
        check_choice("normalisation", self.normalisation, NORMALISATIONS)
        check_number("lr", self.lr, 0, low_open=True)
        check_number("momentum", self.momentum, 0, 1, high_open=True)
        check_number("lam", self.lam, 0)
        check_int("batch_size", self.batch_size)
        check_int("epochs", self.epochs)
        check_optional_int("patience", self.patience)
        check_int("seed", self.seed, minimum=0)
        for name in ("nesterov", "augment_flip"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")

    def as_dict(self) -> dict:
        """The hyperparameters as plain JSON-ready values (``hidden`` as a list)."""
        values = asdict(self)
        values["hidden"] = list(self.hidden)
        return values

    def key(self) -> str:
        """A short hash of the hyperparameters: it changes whenever any of them does. (The run
        cache's key also covers the data, the quick setting and the code: see ``run_cache``.)"""
        text = json.dumps(self.as_dict(), sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:10]

    def describe(self) -> str:
        """The hyperparameters that differ from the base model, e.g. 'penalty=l2, lam=0.01'."""
        base, parts = Config(), []
        for name, value in asdict(self).items():
            if name != "seed" and value != getattr(base, name):
                parts.append(f"{name}={format_value(name, value)}")
        return ", ".join(parts) or "base (128 tanh, lr 0.01, momentum 0.9, batch 128)"


def format_value(name, value) -> str:
    """One hyperparameter as the tables show it: hidden=(64, 64) -> '64-64', 0.0001 -> '0.0001'."""
    if name == "hidden":
        return "-".join(map(str, value))
    return f"{value:.3g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Experiment:
    """A named run: ``question`` is the notebook that asks it (momentum, regularisation,
    activations, topology); ``report_acc``/``report_loss`` are the report's test numbers
    (accuracy in %), None for our own runs."""
    name: str
    question: str
    config: Config
    report_acc: float | None = None
    report_loss: float | None = None
    note: str = ""


def report_row(name, question, acc, loss, **overrides) -> Experiment:
    """One of the report's runs: the base model with ``overrides``, and the report's numbers."""
    return Experiment(name, question, Config(**overrides), acc, loss)


REPORT_EXPERIMENTS = [
    report_row("momentum_b128", "momentum", 40.97, 1.7546),
    report_row("momentum_b64", "momentum", 40.61, 1.7552, batch_size=64),
    report_row("l2_1e-4", "regularisation", 41.54, 1.7385, penalty="l2", lam=1e-4),
    report_row("l2_1e-2", "regularisation", 41.86, 1.7484, penalty="l2", lam=1e-2),
    report_row("l1_1e-4", "regularisation", 41.02, 1.7518, penalty="l1", lam=1e-4),
    report_row("l1_1e-2", "regularisation", 45.50, 1.5793, penalty="l1", lam=1e-2),
    report_row("sigmoid", "activations", 41.36, 1.7511, activation="sigmoid"),
    report_row("relu", "activations", 35.77, 1.8525, activation="relu"),
    report_row("hidden_256", "topology", 43.89, 1.7261, hidden=(256,)),
    report_row("hidden_64", "topology", 39.36, 1.7796, hidden=(64,)),
    report_row("two_layers_64", "topology", 34.28, 1.8929, hidden=(64, 64)),
    # The report gives "about 39%" and no loss for this one.
    report_row("two_layers_128", "topology", 39.0, None, hidden=(128, 128)),
]

# Evidence runs: one change to a report row, to show why a report number came out as it did.
EVIDENCE_EXPERIMENTS = [
    Experiment("base_per_feature", "momentum", Config(normalisation="per_feature"),
               note="the base model with per-feature standardisation instead of per-image z-scores"),
    Experiment("base_per_channel", "normalisation", Config(normalisation="per_channel"),
               note="the base model with per-channel dataset statistics"),
    Experiment("relu_he", "activations", Config(activation="relu", init="he"),
               note="the report's ReLU row with He initialisation"),
    Experiment("two_layers_64_small_init", "topology", Config(hidden=(64, 64), init="small_gaussian"),
               note="two hidden layers with N(0, 0.01^2) weights: the signal shrinks layer by layer"),
]

# Our recipes, one per question, each meant to beat the report's best row for it by >= 5 points.
MODERN = dict(init=None, normalisation="per_feature", monitor="val_acc", schedule="cosine",
              nesterov=True, patience=10)
IMPROVED_EXPERIMENTS = [
    Experiment("momentum_improved", "momentum",
               Config(activation="relu", augment_flip=True, epochs=30, **MODERN),
               note="128 units as in the report, but ReLU with He initialisation, Nesterov momentum, "
                    "a cosine learning rate, per-feature inputs and horizontal flips"),
    Experiment("activations_improved", "activations",
               Config(activation="relu", epochs=40, **MODERN),
               note="128 ReLU units with He initialisation"),
    Experiment("regularisation_improved", "regularisation",
               Config(hidden=(512,), activation="relu", penalty="l2", lam=1e-4, augment_flip=True,
                      epochs=30, **MODERN),
               note="512 ReLU units, L2 weight decay and horizontal flips"),
    Experiment("topology_improved", "topology",
               Config(hidden=(1024, 512), activation="relu", penalty="l2", lam=1e-4, augment_flip=True,
                      epochs=30, **MODERN),
               note="two wide ReLU layers, L2 and horizontal flips"),
]

EXPERIMENTS = {e.name: e for e in REPORT_EXPERIMENTS + EVIDENCE_EXPERIMENTS + IMPROVED_EXPERIMENTS}

QUESTIONS = ("momentum", "regularisation", "activations", "topology")


def experiments_for(question) -> list[Experiment]:
    """The report's runs, our evidence runs and our improved recipe for one notebook's question."""
    found = [e for e in EXPERIMENTS.values() if e.question == question]
    if not found:
        known = sorted({e.question for e in EXPERIMENTS.values()})
        raise ValueError(f"unknown question {question!r}; choose one of {', '.join(known)}")
    return found


def experiment_kind(experiment) -> str:
    """'report' (a row of the report), 'improved' (our recipe), 'evidence' or 'custom'."""
    if experiment.report_acc is not None:
        return "report"
    if experiment in IMPROVED_EXPERIMENTS:
        return "improved"
    return "evidence" if experiment in EVIDENCE_EXPERIMENTS else "custom"


def as_experiment(experiment) -> Experiment:
    """A name from ``EXPERIMENTS``, an ``Experiment`` or a ``Config`` (named 'custom')."""
    if isinstance(experiment, Experiment):
        return experiment
    if isinstance(experiment, Config):
        return Experiment("custom", "custom", experiment)
    if experiment not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {experiment!r}; known: {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[experiment]
