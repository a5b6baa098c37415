"""Column names pgmkit reads and writes, one convention for every model class.

- A real variable ``x`` is the column ``x`` when it holds one number, and the columns
  ``x[0]``, ``x[1]``, ... (flattened in C order) when it is a vector or an array. Every
  class reads and writes this naming (sampling, fitting, scoring, the CLI's CSVs).
- A posterior probability is the column ``P(var=state)``; a joint one
  ``P(A=a,B=b)``; an expected value ``E(x)`` (``E(x[0])`` for a vector). Every engine
  names its answers this way (batched queries, predictions, temporal filtering and
  smoothing, mixture posteriors).
- A per-row log-likelihood is named ``log_likelihood``.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

import numpy as np

from pgmkit.errors import DataError

LOG_LIKELIHOOD = "log_likelihood"


def real_columns(name: str, shape: Sequence[int]) -> list[str]:
    """Column names of a real variable: ``x`` for a scalar, ``x[0]``, ``x[1]``... otherwise.

    Examples
    --------
    >>> real_columns("x", (3,))
    ['x[0]', 'x[1]', 'x[2]']
    >>> real_columns("x", ())
    ['x']
    """
    size = int(np.prod(shape)) if len(shape) else 1
    return [name] if size == 1 and len(shape) <= 1 else [f"{name}[{i}]" for i in range(size)]


def posterior_column(pairs: Iterable[tuple[str, str]]) -> str:
    """``P(A=a)`` for one variable, ``P(A=a,B=b)`` for a joint state."""
    return "P(" + ",".join(f"{v}={s}" for v, s in pairs) + ")"


def posterior_columns(name: str, states: Sequence[str]) -> list[str]:
    """``P(name=state)`` for every state of ``name``."""
    return [posterior_column([(name, s)]) for s in states]


def expectation_column(column: str) -> str:
    return f"E({column})"


def check_real_columns(name: str, shape: Sequence[int], columns: Iterable) -> None:
    """A ``DataError`` when the columns of real variable ``name`` are spelled another way
    (``x_0`` or a partial set of ``x[i]``), naming the spelling pgmkit reads."""
    want = real_columns(name, shape)
    cols = [str(c) for c in columns]
    present = [c for c in want if c in cols]
    if present and len(present) != len(want):
        raise DataError(f"real variable '{name}' has {len(want)} columns {want[0]}..{want[-1]}; "
                        f"the data has {len(present)} of them")
    if not present and name not in cols:
        other = [c for c in cols if re.fullmatch(re.escape(name) + r"_\d+", c)]
        if other:
            raise DataError(f"columns like '{other[0]}' look like real variable '{name}': pgmkit "
                            f"names its columns {want[0]}..{want[-1]}; rename them")
