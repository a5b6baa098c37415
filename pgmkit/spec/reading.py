"""Reading raw values with every problem collected: the collector and scalar parsers
that the model, variable and CPD readers share."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from pgmkit.errors import Problem, did_you_mean
from pgmkit.spec.yaml_io import LocStr, line_of


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


def written_as_text(value) -> bool:
    """Whether ``value`` is text where a number belongs: a quoted YAML scalar, or a Python or
    JSON string (``"0.5"``). Unquoted YAML scalars are kept as text too, and are numbers."""
    if isinstance(value, LocStr):
        return value.quoted
    return isinstance(value, str)


def _parses(text) -> bool:
    try:
        float(text)
        return True
    except (TypeError, ValueError):
        return False


def number(value, what: str, col: Collector, var: str | None, line: int | None = None) -> float:
    """Parse one number, reporting the line when it is not one. Text is refused, not
    coerced: a probability written "0.5" is a mistake the user should see."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        col.add(f"{what}: expected a number; received {value!r}", var, line or line_of(value))
        return math.nan
    if written_as_text(value):
        hint = " as text (write numbers without quotes)" if _parses(value) else ""
        col.add(f"{what}: expected a number; received '{value}'{hint}", var,
                line or line_of(value))
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
            col.add(f"{what}: rows of different lengths "
                    f"{sorted(len(p) if p.ndim else 1 for p in parts)}", var,
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
    """A positive whole number or list of them as ints (``8`` or ``[8, 8]``); ``None``
    after a problem. Text (``'8'``), booleans, fractions and numbers < 1 are refused."""
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    out = []
    for x in items:
        if isinstance(x, (bool, float, list, tuple, dict)) or x is None or written_as_text(x):
            col.add(f"{what} (positive whole numbers); received {raw!r}", var, line)
            return None
        try:
            value = int(str(x))
        except ValueError:
            col.add(f"{what} (positive whole numbers); received {raw!r}", var, line)
            return None
        if value < 1:
            col.add(f"{what} (positive whole numbers); received {raw!r}", var, line)
            return None
        out.append(value)
    return tuple(out)
