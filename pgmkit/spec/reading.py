"""Reading raw values with every problem collected: the collector and scalar parsers
that the model, variable and CPD readers share."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from pgmkit.errors import Problem, did_you_mean
from pgmkit.spec.yaml_io import line_of


class Collector:
    """Gathers problems with their source and line."""

    def __init__(self, source: str | None):
        self.source = source
        self.items: list[Problem] = []
        self.lines: dict[str, int] = {}

    def add(self, message: str, variable: str | None = None, line: int | None = None):
        if line is None and variable is not None:  # at least where the variable is defined
            line = self.lines.get(variable) or None
        self.items.append(Problem(message, variable, line, self.source))



def unknown_keys(mapping: Mapping, allowed: Sequence[str], what: str, col: Collector,
                  var: str | None) -> None:
    for key in mapping:
        if str(key) not in allowed:
            col.add(f"unknown key '{key}' in {what}{did_you_mean(str(key), allowed)}; "
                    f"expected one of {list(allowed)}", var, line_of(mapping, key))


def boolean(mapping: Mapping, key: str, default: bool, col: Collector, var: str | None) -> bool:
    value = mapping.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    col.add(f"'{key}' must be true or false; received '{value}'", var, line_of(mapping, key))
    return default


def number(value, what: str, col: Collector, var: str | None, line: int | None = None) -> float:
    """Parse one number, reporting the line when it is not one."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        col.add(f"{what}: expected a number; received {value!r}", var, line or line_of(value))
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        col.add(f"{what}: expected a number; received '{value}'", var, line or line_of(value))
        return math.nan


def numbers(value, what: str, col: Collector, var: str | None) -> np.ndarray:
    """Parse a number or a (nested) list of numbers into a float array."""
    if isinstance(value, (list, tuple)):
        parts = [numbers(v, what, col, var) for v in value]
        shapes = {p.shape for p in parts}
        if len(shapes) > 1:
            col.add(f"{what}: rows of different lengths {sorted(len(p) for p in parts)}", var,
                    line_of(value))
            return np.full((len(parts),), math.nan)
        return np.array(parts, dtype=float) if parts else np.zeros((0,))
    if isinstance(value, np.ndarray):
        return value.astype(float)
    return np.array(number(value, what, col, var))


def state_name(value, what: str, col: Collector, var: str | None) -> str:
    """A state name as written. Python ints become their digits; booleans are refused."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        col.add(f"{what}: state names are strings; received {value!r} (quote it)", var,
                line_of(value))
        return str(value)
    return str(value)


def whole_numbers(raw, what: str, col: Collector, var: str | None,
                  line: int | None) -> tuple[int, ...] | None:
    """A number or list of numbers as ints (``8`` or ``[8, 8]``); ``None`` after a problem."""
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    try:
        return tuple(int(str(x)) for x in items)
    except ValueError:
        col.add(f"{what}; received {raw!r}", var, line)
        return None
