"""The one rule that turns data values into a discrete variable's states.

Every entry point (DataFrames for networks, event logs, deep-model data, evidence
dictionaries, CSV files read as text) goes through :func:`encode_values` or
:func:`state_of`, so a value means the same state everywhere:

- **missing**: ``None``, ``NaN``, ``pd.NA`` and ``NaT`` are unobserved (code ``-1``);
  whether that is allowed is the caller's policy.
- **text**, digit strings included, matches a state as written, surrounding spaces
  removed: ``"1"`` matches ``"1"``, never ``"1.0"`` or ``"01"``.
- **whole numbers** (``1``, ``np.int64(1)``, ``1.0``) match the state written as their
  digits (``"1"``); other numbers match their shortest text (``0.5`` -> ``"0.5"``).
- **booleans** match the states ``"0"``/``"1"`` (``False``/``True``) when the variable
  has both, else ``"False"``/``"True"`` when it has those; otherwise they are refused
  rather than guessed (``True`` is not ``"yes"``).
- **categoricals** are their values, by the rules above.

State names in a spec are always text (see the language reference), so nothing here
turns a state into a number or a boolean behind the user's back.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from pgmkit.errors import did_you_mean

MISSING = -1
BAD = -2


def is_missing(value) -> bool:
    """``None``, NaN, ``pd.NA`` or ``NaT``."""
    if value is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value)) if np.ndim(value) == 0 else False
    except (TypeError, ValueError):
        return False


def state_text(value, states: Sequence[str] | None = None) -> str | None:
    """The state text ``value`` stands for by the module's rule; ``None`` if missing.

    A boolean needs ``states`` to be read (``"0"/"1"`` or ``"False"/"True"``); without a
    match it comes back as ``"True"``/``"False"``, which names no state of a variable
    that lacks them, so the caller's "not a state" message applies.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if is_missing(value):
        return None
    if isinstance(value, bool):
        if states is not None and {"0", "1"} <= set(states):
            return "1" if value else "0"
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if math.isfinite(value) and value.is_integer() else repr(value)
    return str(value).strip()


def state_of(value, states: Sequence[str]) -> int:
    """The code of one value (``MISSING`` for a missing one, ``BAD`` for a non-state)."""
    text = state_text(value, states)
    if text is None:
        return MISSING
    try:
        return list(states).index(text)
    except ValueError:
        return BAD


def encode_values(values, states: Sequence[str]) -> np.ndarray:
    """Codes of many values: state index, ``MISSING`` (-1) or ``BAD`` (-2).

    The values are factorized first, so only the distinct ones are read by the rule (a
    log has millions of cells and a handful of values).
    """
    import pandas as pd

    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object)
                                                                    if np.ndim(values) else values)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    try:
        seen, uniques = pd.factorize(series)    # NaN-like cells are -1
    except TypeError:  # a list or dict in a cell names no state: let it be reported as text
        seen, uniques = pd.factorize(pd.Series(
            [repr(v) if isinstance(v, (list, dict, set)) else v for v in series], dtype=object))
    lookup = np.array([state_of(u, states) for u in uniques] + [MISSING], dtype=np.int64)
    return lookup[seen]


def not_a_state(value, name: str, states: Sequence[str]) -> str:
    """The shared tail of a "bad value" message: what was given, what the states are."""
    if isinstance(value, np.generic):
        value = value.item()
    text = state_text(value, states)
    text = str(value) if text is None else text
    hint = did_you_mean(text, states)
    if isinstance(value, bool):
        hint = " (a boolean matches states '0'/'1' or 'False'/'True' only)"
    return f"'{text}' is not a state of '{name}'{hint}; states are {list(states)}"
