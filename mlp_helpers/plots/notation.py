"""Numbers and settings written as the notebooks' text writes them: "lr = 0.03", "L2, λ = 1e-3".

Learning rates and momenta are decimals (0.03, not 3.0e-2); penalties λ use powers of ten as the
report does (1e-4, 1e-2) below 0.1. Used for plot titles, legends and slider readouts.
"""
from __future__ import annotations

import math

ACTIVATION_NAMES = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "ReLU", "leaky_relu": "leaky ReLU"}
INITIALISER_NAMES = {"xavier": "Xavier init", "he": "He init", "small_gaussian": "small Gaussian init",
                     "uniform_small": "uniform [0, 0.01) init", None: "matched init"}
CONVENTION_NAMES = {"described": "as the report describes", "report": "the report's likely conventions"}
PENALTY_NAMES = {"l1": "L1", "l2": "L2"}


def format_number(x) -> str:
    """Up to 3 significant digits as a decimal: 0.03 -> '0.03', 3.0 -> '3', 0.0001 -> '0.0001';
    below 1e-4 a power of ten: 1e-05 -> '1e-5'."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    if 1e-4 <= abs(x) < 1000:
        return f"{x:.3g}"
    return str(int(x)) if x.is_integer() else format_power(x)


def format_power(x) -> str:
    """A power of ten without padding: 1e-4 -> '1e-4', 0.003 -> '3e-3', 3.16e-4 -> '3.16e-4'."""
    mantissa, exponent = f"{float(x):.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def format_lambda(x) -> str:
    """λ as the report writes it: 1e-4, 3e-3, 1e-2; from 0.1 on a decimal (0.1, 0.3, 1)."""
    x = float(x)
    return format_number(x) if x == 0 or abs(x) >= 0.1 else format_power(x)


def format_hidden(hidden) -> str:
    """(128,) -> '128 units'; (64, 64) -> '2 × 64 units'; (1024, 512) -> '1024-512 units'."""
    hidden = tuple(hidden)
    if len(hidden) > 1 and len(set(hidden)) == 1:
        return f"{len(hidden)} × {hidden[0]} units"
    return "-".join(map(str, hidden)) + " units"


# The order in which a setting is written, and how each part reads.
_PARTS = (
    ("hidden", format_hidden),
    ("activation", lambda v: ACTIVATION_NAMES.get(v, str(v))),
    ("init", lambda v: INITIALISER_NAMES.get(v, f"{v} init")),
    ("lr", lambda v: f"lr = {format_number(v)}"),
    ("momentum", lambda v: f"momentum {format_number(v)}"),
    ("nesterov", lambda v: "Nesterov" if v else ""),
    ("batch_size", lambda v: f"batch {v}"),
    ("conventions", lambda v: "" if v == "described" else CONVENTION_NAMES.get(v, str(v))),
)


def format_setting(**values) -> str:
    """The named hyperparameters in the text's notation, in a fixed order, e.g.
    ``format_setting(lr=0.03, momentum=0.9)`` -> 'lr = 0.03, momentum 0.9';
    ``format_setting(penalty="l2", lam=1e-3)`` -> 'L2, λ = 1e-3'; penalty "none" -> 'no penalty'.
    ``hidden_units``/``hidden_layers`` (the explorer's controls) are combined into ``hidden``."""
    values = dict(values)
    if "hidden_units" in values or "hidden_layers" in values:
        units, layers = values.pop("hidden_units", None), values.pop("hidden_layers", None)
        hidden = values.get("hidden") or (units or 128,)
        values["hidden"] = (units or hidden[0],) * (layers or len(hidden))
    parts = [fmt(values.pop(name)) for name, fmt in _PARTS if name in values]
    penalty, lam = values.pop("penalty", None), values.pop("lam", None)
    if penalty == "none":
        parts.append("no penalty")
    elif penalty is not None:
        parts.append(PENALTY_NAMES.get(penalty, penalty) + ("" if lam is None else f", λ = {format_lambda(lam)}"))
    elif lam is not None:
        parts.append(f"λ = {format_lambda(lam)}")
    parts += [f"{name} {value:g}" if isinstance(value, float) else f"{name} {value}"
              for name, value in values.items()]
    return ", ".join(p for p in parts if p)
