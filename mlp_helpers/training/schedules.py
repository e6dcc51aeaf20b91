"""Learning-rate schedules: functions epoch (0-based) -> learning rate.

    constant:  eta_0
    step:      eta_0 * gamma ** (epoch // step_every)
    cosine:    eta_0 * (1 + cos(pi * epoch / epochs)) / 2      (decays to 0 at ``epochs``)

``warmup`` epochs ramp linearly up to the schedule first.
"""
from __future__ import annotations

import math

from ..validation import check_choice, check_int, check_number

SCHEDULES = ("constant", "step", "cosine")


def make_schedule(name="constant", base_lr=0.01, epochs=100, step_every=30, gamma=0.1, warmup=0):
    """A function epoch -> learning rate; every argument is checked here, not at the first call."""
    check_choice("schedule", name, SCHEDULES)
    base_lr = check_number("learning rate", base_lr, 0, math.inf, low_open=True)
    epochs = check_int("epochs", epochs, 1)
    step_every = check_int("step_every", step_every, 1)
    gamma = check_number("gamma", gamma, 0, 1, low_open=True)
    warmup = check_int("warmup", warmup, 0)
    shapes = {
        "constant": lambda e: base_lr,
        "step": lambda e: base_lr * gamma ** (e // step_every),
        "cosine": lambda e: base_lr * 0.5 * (1 + math.cos(math.pi * min(e, epochs) / epochs)),
    }
    shape = shapes[name]

    def schedule(epoch):
        return shape(epoch) * min(1.0, (epoch + 1) / (warmup + 1))

    schedule.name = name
    return schedule
