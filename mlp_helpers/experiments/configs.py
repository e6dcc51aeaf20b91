"""Named configurations: the course report's runs, our evidence runs and our improved recipes.

A ``Config`` names every hyperparameter of one run; an ``Experiment`` gives a config a name, the
notebook question it answers and, for the report's rows, the report's own numbers.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace

from ..data import NORMALISATIONS
from ..model.activations import ACTIVATIONS
from ..model.initialisers import INITIALISERS
from ..model.penalties import PENALTIES
from ..training.loop import SHUFFLES
from ..validation import check_choice, check_int, check_number, check_optional_int

STOPPING_RULES = ("best", "report")      # EarlyStopping, StopOnRise (the report's rule)
REPORT_SEEDS = (0, 1, 2, 3, 4)           # report rows, their report-rule twins, evidence runs
RECIPE_SEEDS = (0, 1, 2)                 # 128-unit recipes and ablation steps
WIDE_SEEDS = (0,)                        # the 512 and 1024-512 recipes: one seed (the time budget)

@dataclass(frozen=True)
class Config:
    """Every hyperparameter of one run. The defaults are the report's base model.

    ``init=None`` means the initialiser matched to the activation (Xavier for tanh and
    sigmoid, He for ReLU). ``augment_flip`` mirrors a random half of each minibatch.
    ``stopping`` is the early-stopping rule: "best" (``EarlyStopping``: keep the best epoch, stop after
    ``patience`` epochs without a new best) or "report" (``StopOnRise``: the report's rule, stop after
    ``patience`` epochs of rise in a row, keep the epoch before the rise). ``recompress_jpeg`` (a JPEG
    quality, or None) trains and tests on the data copy re-compressed once more at that quality (a probe
    of how much the copy's compression moves the numbers). ``shuffle`` is "every_epoch" or "once" (one
    minibatch order kept for every epoch). ``seed`` sets the initial weights and the
    shuffling (the 40k/10k split is always the same)."""
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
    stopping: str = "best"
    recompress_jpeg: int | None = None
    shuffle: str = "every_epoch"
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
        check_choice("stopping", self.stopping, STOPPING_RULES)
        check_choice("shuffle", self.shuffle, SHUFFLES)
        if self.recompress_jpeg is not None:
            check_int("recompress_jpeg", self.recompress_jpeg)
            check_number("recompress_jpeg", self.recompress_jpeg, 1, 95)
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
    (accuracy in %), None for our own runs; ``seeds`` are the seeds it is run with (``run``
    alone runs ``config.seed``); ``kind`` is 'report', 'report_rule', 'evidence', 'ablation',
    'improved', 'convention' (a row of the conventions study) or 'custom'; ``conventions`` names the
    set of conventions it runs under (``conventions.py``): 'described' for every run but the study's."""
    name: str
    question: str
    config: Config
    report_acc: float | None = None
    report_loss: float | None = None
    note: str = ""
    seeds: tuple = (0,)
    kind: str = "custom"
    conventions: str = "described"

    def with_seed(self, seed) -> Experiment:
        """The same experiment with ``config.seed = seed``."""
        return replace(self, config=replace(self.config, seed=check_int("seed", seed, minimum=0)))


def report_row(name, question, acc, loss, **overrides) -> Experiment:
    """One of the report's runs: the base model with ``overrides``, and the report's numbers."""
    return Experiment(name, question, Config(**overrides), acc, loss, seeds=REPORT_SEEDS, kind="report")


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

REPORT_RULE_SUFFIX = "_report_rule"

# Each report row again under the report's own stopping rule (stop after 5 epochs of rising validation
# loss, keep the epoch before the rise). Trained together with its row: the same seed gives the same
# epochs, so one training serves both rules (see ``stopping``).
REPORT_RULE_EXPERIMENTS = [
    replace(e, name=e.name + REPORT_RULE_SUFFIX, config=replace(e.config, stopping="report"), kind="report_rule",
            note="the report row under the report's stopping rule")
    for e in REPORT_EXPERIMENTS
]


def evidence(name, question, note, **overrides) -> Experiment:
    return Experiment(name, question, Config(**overrides), note=note, seeds=REPORT_SEEDS, kind="evidence")


# Evidence runs: one change to a report row, to show why a report number came out as it did.
EVIDENCE_EXPERIMENTS = [
    evidence("base_per_feature", "momentum",
             "the base model with per-feature standardisation instead of per-image z-scores",
             normalisation="per_feature"),
    evidence("base_per_channel", "normalisation", "the base model with per-channel dataset statistics",
             normalisation="per_channel"),
    evidence("base_he", "momentum", "the base model with He initialisation (the report never states its own)",
             init="he"),
    evidence("base_small_init", "momentum", "the base model with N(0, 0.01^2) initial weights", init="small_gaussian"),
    evidence("base_jpeg75", "momentum",
             "PROBE: the base model on the data copy re-compressed once more at JPEG quality 75, a rough "
             "measure of how much one round of q75 compression moves the numbers (not the official files)",
             recompress_jpeg=75),
    evidence("relu_he", "activations", "the report's ReLU row with He initialisation", activation="relu", init="he"),
    evidence("two_layers_64_small_init", "topology",
             "two hidden layers with N(0, 0.01^2) weights: the signal shrinks layer by layer",
             hidden=(64, 64), init="small_gaussian"),
]

# The changes our 128-unit recipes make, one at a time from the report's base row (the ablation chains).
PER_FEATURE = dict(normalisation="per_feature")
RELU_HE = dict(PER_FEATURE, activation="relu", init="he")
NESTEROV = dict(RELU_HE, nesterov=True)
VAL_ACC = dict(NESTEROV, monitor="val_acc", patience=10)
COSINE = dict(VAL_ACC, schedule="cosine", epochs=30)
FLIPS = dict(COSINE, augment_flip=True)
L2 = dict(FLIPS, penalty="l2", lam=1e-4)


def step(name, question, note, settings) -> Experiment:
    return Experiment(name, question, Config(**settings), note=note, seeds=RECIPE_SEEDS, kind="ablation")


ABLATION_EXPERIMENTS = [
    step("abl_relu_he", "activations", "per-feature inputs, ReLU units with He initialisation", RELU_HE),
    step("abl_nesterov", "momentum", "as abl_relu_he, with Nesterov momentum", NESTEROV),
    step("abl_val_acc", "momentum", "as abl_nesterov, early stopping on validation accuracy, patience 10", VAL_ACC),
    step("abl_l2", "regularisation", "momentum_improved (128 units) with L2 weight decay 1e-4", L2),
]


def improved(name, question, note, seeds, **settings) -> Experiment:
    return Experiment(name, question, Config(**settings), note=note, seeds=seeds, kind="improved")


# Our recipes, one per question, each meant to beat the report's best row for it by >= 5 points.
IMPROVED_EXPERIMENTS = [
    improved("momentum_improved", "momentum",
             "128 units as in the report, but ReLU with He initialisation, Nesterov momentum, early stopping on "
             "validation accuracy, a cosine learning rate over 30 epochs, per-feature inputs and horizontal flips",
             RECIPE_SEEDS, **FLIPS),
    improved("activations_improved", "activations",
             "128 ReLU units with He initialisation, Nesterov, early stopping on validation accuracy, a cosine "
             "learning rate over 30 epochs, per-feature inputs (no flips)", RECIPE_SEEDS, **COSINE),
    improved("regularisation_improved", "regularisation", "512 ReLU units, L2 weight decay and horizontal flips "
             "(one seed: the time budget)", WIDE_SEEDS, **dict(L2, hidden=(512,))),
    improved("topology_improved", "topology", "two wide ReLU layers (1024, 512), L2 and horizontal flips "
             "(one seed: the time budget)", WIDE_SEEDS, **dict(L2, hidden=(1024, 512))),
]

BASE_ROW = "momentum_b128"          # the report's base row: 128 tanh units, lr 0.01, batch 128

EXPERIMENTS = {e.name: e for e in REPORT_EXPERIMENTS + REPORT_RULE_EXPERIMENTS + EVIDENCE_EXPERIMENTS
               + ABLATION_EXPERIMENTS + IMPROVED_EXPERIMENTS}

QUESTIONS = ("momentum", "regularisation", "activations", "topology")

# Per question: the chain from a report row to our recipe, one change per step: (experiment, change).
MOMENTUM_CHAIN = [
    ("momentum_b128", "the report's base row (128 tanh, per-image z-scores)"),
    ("base_per_feature", "+ per-feature inputs"),
    ("abl_relu_he", "+ ReLU units, He init"),
    ("abl_nesterov", "+ Nesterov momentum"),
    ("abl_val_acc", "+ early stopping on val. accuracy, patience 10"),
    ("activations_improved", "+ cosine schedule, 30 epochs"),
    ("momentum_improved", "+ horizontal flips"),
]
ABLATIONS = {
    "momentum": MOMENTUM_CHAIN,
    "activations": [("relu", "the report's ReLU row (Xavier init, per-image z-scores)"),
                    ("relu_he", "+ He init"), ("abl_relu_he", "+ per-feature inputs")] + MOMENTUM_CHAIN[3:6],
    "regularisation": MOMENTUM_CHAIN + [("abl_l2", "+ L2 weight decay 1e-4"),
                                        ("regularisation_improved", "+ 512 units (1 seed)")],
}
ABLATIONS["topology"] = ABLATIONS["regularisation"] + [("topology_improved", "two layers, 1024 and 512 units (1 seed)")]


def experiments_for(question) -> list[Experiment]:
    """The report's runs, our evidence runs and our improved recipe for one notebook's question
    (not the report-rule twins or the ablation steps: see ``ABLATIONS``)."""
    found = [e for e in EXPERIMENTS.values() if e.question == question and e.kind in ("report", "evidence", "improved")]
    if not found:
        known = sorted({e.question for e in EXPERIMENTS.values()})
        raise ValueError(f"unknown question {question!r}; choose one of {', '.join(known)}")
    return found


def experiment_kind(experiment) -> str:
    """'report' (a row of the report), 'report_rule' (one under the report's stopping rule), 'evidence',
    'ablation' (a step of an ablation chain), 'improved' (our recipe) or 'custom'. A custom experiment
    that carries a report number counts as a report row."""
    if experiment.kind == "custom" and experiment.report_acc is not None:
        return "report"
    return experiment.kind


def as_experiment(experiment) -> Experiment:
    """A name from ``EXPERIMENTS``, an ``Experiment`` or a ``Config`` (named 'custom')."""
    if isinstance(experiment, Experiment):
        return experiment
    if isinstance(experiment, Config):
        return Experiment("custom", "custom", experiment, seeds=(experiment.seed,))
    if experiment not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {experiment!r}; known: {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[experiment]
