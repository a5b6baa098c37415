"""CPDs as labelled tables: rows named by parent states, columns by the child's states."""
from __future__ import annotations

import itertools

import numpy as np

from pgmkit.errors import EvidenceError, UnsupportedError, did_you_mean


def cpd_frame(spec, variable: str):
    """``variable``'s table CPD as a DataFrame: one row per parent assignment (a MultiIndex
    named by the parents; one row ``"P"`` for a root), one column per state.

    Examples
    --------
    >>> import pgmkit
    >>> print(pgmkit.example("alarm").cpd("JohnCalls"))
    JohnCalls    no   yes
    Alarm                
    no         0.95  0.05
    yes        0.10  0.90
    """
    import pandas as pd

    if variable not in spec:
        raise EvidenceError(f"model '{spec.name}' has no variable '{variable}'"
                            f"{did_you_mean(variable, spec.names)}")
    var = spec[variable]
    if var.cpd is None:
        raise UnsupportedError(f"'{variable}' has no CPD yet: fit the model first")
    if not hasattr(var.cpd, "table"):
        raise UnsupportedError(f"'{variable}' has a {var.cpd.kind} CPD; only tables print as "
                               "labelled rows")
    parents = [p for p in var.parents]
    names = [str(p) for p in parents]
    table = np.asarray(var.cpd.table, dtype=float).reshape(-1, var.card)
    columns = pd.Index(list(var.states), name=variable)
    if not parents:
        return pd.DataFrame(table, index=pd.Index(["P"], name=None), columns=columns)
    combos = list(itertools.product(*(spec[p.name].states for p in parents)))
    index = (pd.Index([c[0] for c in combos], name=names[0]) if len(parents) == 1
             else pd.MultiIndex.from_tuples(combos, names=names))
    return pd.DataFrame(table, index=index, columns=columns)
