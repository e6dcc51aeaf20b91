"""The explorers' controls: discrete sliders on grids where every notch changes something.

Each numeric control is a ``SelectionSlider`` over a short grid of values written as the text
writes them (learning rates 0.0001 … 3 in 1-3-10 steps, readout "0.03", not "3.0e-2"). A value
set from code is snapped to the grid when it differs only by rounding (0.9000000000000001 -> 0.9),
so the cache key of a setting never depends on how the value was reached.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, replace

import ipywidgets as widgets

from ..experiments.conventions import with_conventions
from ..model.initialisers import DEFAULT_FOR_ACTIVATION
from ..plots.notation import (
    ACTIVATION_NAMES,
    CONVENTION_NAMES,
    INITIALISER_NAMES,
    format_lambda,
    format_number,
    format_setting,
)

LR_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
MOMENTUM_GRID = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)      # effective step 1/(1-μ): 1, 2, 5, 10, 20, 100
# λ per penalty, chosen so that every notch visibly changes the curves of a 15-epoch explorer run
# (measured on the 300-per-class subset, 128 tanh units: neighbouring notches differ by 0.07-0.9 in
# training loss). Below them nothing changes in so few steps (L2 1e-4 -> 3e-4: 0.006); above them
# the network is flattened anyway (L1 0.1 -> 0.3: 0.02). Changing the penalty swaps the grid; with
# no penalty the (disabled) slider shows L2's.
LAMBDA_GRIDS = {"l1": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
                "l2": (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)}
SIZE_GRID = (16, 32, 64, 128, 256, 512, 1024)

STYLE = {"description_width": "110px"}
WIDTH = "440px"


def lambda_grid(penalty) -> tuple:
    """λ's notches under ``penalty`` ("l1", "l2"; "none": L2's)."""
    return LAMBDA_GRIDS.get(penalty, LAMBDA_GRIDS["l2"])


@dataclass(frozen=True)
class ControlSpec:
    """One control and the Config field it stands for.

    description: the label shown; options: the grid of values (λ's: lambda_grid, a function of the
    penalty); label(value): its readout; read(config): the control's value in a Config (where the
    slider starts); write(config, value): that Config with the control's value put in; menu: a
    dropdown, not a slider."""
    description: str
    options: tuple | Callable
    label: Callable
    read: Callable
    write: Callable
    menu: bool = False


def _field(name):
    """read and write of a control that is one Config field of the same name."""
    return {"read": lambda c: getattr(c, name), "write": lambda c, v: replace(c, **{name: v})}


# In the order config_of applies them: the penalty before λ (no penalty means λ = 0), the
# conventions switch last (it rewrites the initialiser and the normalisation).
CONTROLS = {
    "lr": ControlSpec("learning rate", LR_GRID, format_number, **_field("lr")),
    "momentum": ControlSpec("momentum", MOMENTUM_GRID, format_number, **_field("momentum")),
    "batch_size": ControlSpec("batch size", SIZE_GRID, str, **_field("batch_size")),
    "penalty": ControlSpec("penalty", ("none", "l1", "l2"), {"none": "none", "l1": "L1", "l2": "L2"}.get,
                           lambda c: c.penalty,
                           lambda c, v: replace(c, penalty=v, lam=0.0 if v == "none" else c.lam), menu=True),
    "lam": ControlSpec("λ (penalty)", lambda_grid, format_lambda, lambda c: c.lam or lambda_grid(c.penalty)[0],
                       lambda c, v: replace(c, lam=0.0 if c.penalty == "none" else v)),
    "hidden_units": ControlSpec("hidden units", SIZE_GRID, str, lambda c: c.hidden[0],
                                lambda c, v: replace(c, hidden=(v,) * len(c.hidden))),
    "hidden_layers": ControlSpec("hidden layers", (1, 2, 3), str, lambda c: len(c.hidden),
                                 lambda c, v: replace(c, hidden=(c.hidden[0],) * v)),
    "activation": ControlSpec("activation", tuple(ACTIVATION_NAMES), ACTIVATION_NAMES.get, **_field("activation"),
                              menu=True),
    "init": ControlSpec("initialiser", ("xavier", "he", "small_gaussian"),
                        lambda v: INITIALISER_NAMES[v].removesuffix(" init"),
                        lambda c: c.init or DEFAULT_FOR_ACTIVATION[c.activation],
                        lambda c, v: replace(c, init=v), menu=True),
    # The switch between the conventions the report describes and its likely unstated ones
    # (data-set statistics per colour, all-positive small initial weights and biases).
    "conventions": ControlSpec("conventions", ("described", "report"), CONVENTION_NAMES.get,
                               lambda c: "report" if with_conventions(c) == c else "described",
                               lambda c, v: with_conventions(c) if v == "report" else c, menu=True),
}


def config_of(base, values):
    """The Config that the controls' ``values`` ({name: value}) describe, starting from ``base``."""
    config = base
    for name, spec in CONTROLS.items():
        if name in values:
            config = spec.write(config, values[name])
    return config


def describe_values(values, names=None) -> str:
    """Control values in the text's notation, e.g. 'lr = 0.03, momentum 0.9' (``names``: only those);
    λ is left out while the penalty is none."""
    if values.get("penalty") == "none":
        values = {k: v for k, v in values.items() if k != "lam"}
    return format_setting(**{k: v for k, v in values.items() if names is None or k in names})


def grid(name, base, penalty=None) -> tuple:
    """The values of control ``name``: its grid, plus the base config's value if that is off it.
    λ's grid depends on the penalty (``penalty``, default the base config's)."""
    spec = CONTROLS[name]
    start, options = spec.read(base), spec.options
    if callable(options):
        penalty = base.penalty if penalty is None else penalty
        options = options(penalty)
        if penalty != base.penalty and base.penalty != "none":
            return options          # the base's λ belongs to the base's penalty
    if spec.menu or _find(options, start) is not None:
        return options
    return tuple(sorted({*options, start}))


def nearest(options, value):
    """The option closest to ``value`` on a log scale (for λ when its grid changes)."""
    return min(options, key=lambda option: abs(math.log(option) - math.log(value)))


def labelled(name, options) -> list:
    """[(readout, value), ...]: what a SelectionSlider or Dropdown takes as options."""
    return [(CONTROLS[name].label(value), value) for value in options]


def snap(name, value, options):
    """``value`` as the grid holds it (equal up to rounding), or a ValueError naming the grid."""
    found = _find(options, value)
    if found is None:
        readouts = ", ".join(CONTROLS[name].label(v) for v in options)
        raise ValueError(f"{name} = {value!r} is not on this slider; choose one of {readouts}")
    return found


def _find(options, value):
    numeric = isinstance(value, numbers.Real) and not isinstance(value, bool)
    for option in options:
        if isinstance(option, str) or not numeric:
            if option == value:
                return option
        elif math.isclose(option, value, rel_tol=1e-6, abs_tol=1e-12):
            return option
    return None


def make_control(name, base):
    """The widget of control ``name``, set to the base config's value."""
    spec = CONTROLS[name]
    options = grid(name, base)
    value = snap(name, spec.read(base), options)
    kind = widgets.Dropdown if spec.menu else widgets.SelectionSlider
    extra = {} if spec.menu else {"continuous_update": False}
    return kind(options=labelled(name, options), value=value, description=spec.description, style=STYLE,
                layout=widgets.Layout(width=WIDTH), **extra)


def control_values(controls) -> dict:
    """{name: value} of the controls (widgets made by make_control)."""
    return {name: control.value for name, control in controls.items()}
