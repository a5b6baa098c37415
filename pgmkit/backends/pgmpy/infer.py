"""Exact queries through pgmpy's variable elimination, returned in pgmkit's axis order."""
from __future__ import annotations

import math
import warnings

import numpy as np

from pgmkit.errors import CostError, EvidenceError
from pgmkit.spec.model import ModelSpec

#: Largest joint table ``map`` builds over the queried variables (entries).
MAP_JOINT_LIMIT = 10_000_000


def engine(spec: ModelSpec):
    """A pgmpy ``VariableElimination`` over the compiled network."""
    from pgmkit.backends.pgmpy import pgmpy_module, quiet
    from pgmkit.backends.pgmpy.compile import compile_model

    with quiet():
        return pgmpy_module("pgmpy.inference").VariableElimination(compile_model(spec))


def _evidence_text(evidence: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in evidence.items())


def joint(ve, spec: ModelSpec, variables: list[str], evidence: dict[str, str]) -> np.ndarray:
    """P(variables | evidence) with axes in ``variables`` order and states in spec order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        factor = ve.query(variables=list(variables), evidence=dict(evidence) or None,
                          joint=True, show_progress=False)
    values = np.asarray(factor.values, dtype=float)
    # pgmpy's factor may order axes and states its own way: map both back.
    values = np.transpose(values, [factor.variables.index(v) for v in variables])
    index = tuple(np.array([factor.state_names[v].index(s) for s in spec[v].states])
                  for v in variables)
    values = values[np.ix_(*index)]
    if not np.all(np.isfinite(values)) or values.sum() <= 0:
        # pgmpy multiplies in float64: evidence below ~1e-300 underflows to 0 here though
        # it is possible. Tell tiny from impossible in log space.
        return _log_space_joint(spec, variables, evidence)
    return values / values.sum()


def _log_space_joint(spec: ModelSpec, variables: list[str], evidence: dict[str, str]
                     ) -> np.ndarray:
    from pgmkit.backends.logspace import log_query

    codes = np.array([[spec[k].index(s) for k, s in evidence.items()]]).reshape(1, -1)
    log_ev, (post,) = log_query(spec, codes, list(evidence), [tuple(variables)])
    if not np.isfinite(log_ev[0]):
        shown = _evidence_text(dict(list(evidence.items())[:8]))
        raise EvidenceError(f"the evidence {shown}{', ...' if len(evidence) > 8 else ''} is "
                            "impossible (probability 0 under the model)")
    return post[0]


def map_joint(ve, spec: ModelSpec, variables: list[str], evidence: dict[str, str]) -> dict[str, str]:
    """Most probable joint assignment of ``variables`` given evidence (others summed out)."""
    size = math.prod(spec[v].card for v in variables)
    if size > MAP_JOINT_LIMIT:
        raise CostError(f"map over {len(variables)} variables needs a joint table of {size:.3g} "
                        f"entries (limit {MAP_JOINT_LIMIT:.0e}); query fewer variables, or "
                        "call map() with variables=None for the most probable explanation of all")
    values = joint(ve, spec, variables, evidence)
    idx = np.unravel_index(int(np.argmax(values)), values.shape)
    return {v: spec[v].states[i] for v, i in zip(variables, idx)}


# -- the contract's operations (pgmkit.backends.contract.OPERATIONS) --------------------

def _ve(model):
    return model.compiled("pgmpy", lambda: engine(model.spec))


#: pgmpy's variable elimination multiplies in float64; its intermediate tables are of
#: the order of P(evidence), so below this log-probability they near the subnormal range
#: and lose digits. Past it, answers come from log-space elimination instead.
TRUSTED_LOG = -600.0


def query(model, names: list[str], evidence: dict[str, str]) -> np.ndarray:
    if evidence and _log_evidence(model, evidence) < TRUSTED_LOG:
        return _log_space_joint(model.spec, names, evidence)
    return joint(_ve(model), model.spec, names, evidence)


def _log_evidence(model, evidence: dict[str, str]) -> float:
    """log P(evidence) exactly, by the compiled contraction (rescued in log space)."""
    import pandas as pd

    from pgmkit.backends.contraction.infer import log_likelihood_rows

    return float(log_likelihood_rows(model.spec, pd.DataFrame([evidence]))[0])


def probability(model, evidence: dict[str, str]) -> float:
    """log P(evidence) by the chain rule: one single-variable query per assigned variable
    (in log space once the running total is too small for pgmpy's float products)."""
    exact = _log_evidence(model, evidence)     # cheap, and says when pgmpy cannot be trusted
    if not exact > TRUSTED_LOG:
        return exact
    spec, ve = model.spec, _ve(model)
    total, given = 0.0, {}
    for name in spec.topological_order():
        if name not in evidence:
            continue
        try:
            p = joint(ve, spec, [name], given)[spec[name].index(evidence[name])]
        except EvidenceError:
            return -math.inf
        if p <= 0:
            return _log_evidence(model, evidence)   # zero, or a product that underflowed
        total += math.log(p)
        given[name] = evidence[name]
    return total


def map_assignment(model, names: list[str], evidence: dict[str, str]
                   ) -> tuple[dict[str, str], float]:
    """pgmpy's most probable joint states of ``names`` (every unobserved variable when
    empty) and log P(states, evidence)."""
    spec = model.spec
    names = names or [n for n in spec.names if n not in evidence]
    states = map_joint(_ve(model), spec, names, evidence)
    return states, probability(model, {**states, **evidence})


def log_likelihood(model, data, codes: np.ndarray) -> np.ndarray:
    """log P(observed cells) per row: one chain-rule computation per distinct row."""
    spec = model.spec
    columns = list(data.columns)
    distinct, inverse = np.unique(codes, axis=0, return_inverse=True)
    values = np.array([probability(model, {c: spec[c].states[k] for c, k in zip(columns, row)
                                           if k >= 0}) for row in distinct])
    return values[np.asarray(inverse).reshape(-1)]


def query_rows(model, names: list[str], evidence, joint: bool = False, **options):
    """The posterior of ``names`` for every row of ``evidence``: one variable-elimination
    query per distinct row, in the contraction engine's column layout."""
    import itertools

    import pandas as pd

    from pgmkit.data.columns import posterior_column
    from pgmkit.data.tables import encode_frame
    from pgmkit.errors import UnsupportedError

    extra = sorted(set(options) - {"progress"})
    if extra:
        raise UnsupportedError(f"query_batch option(s) {extra} belong to backend 'contraction'; "
                               "backend 'pgmpy' takes progress only")
    spec = model.spec
    codes = encode_frame(spec, evidence)
    columns = list(evidence.columns)
    groups = [list(names)] if joint else [[v] for v in names]
    distinct, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    width = [int(np.prod([spec[v].card for v in g])) for g in groups]
    found = [np.full((len(distinct), w), np.nan) for w in width]
    log_ev = np.empty(len(distinct))
    for i, row in enumerate(distinct):
        ev = {c: spec[c].states[k] for c, k in zip(columns, row) if k >= 0}
        log_ev[i] = probability(model, ev)
        if log_ev[i] == -math.inf:
            continue
        for g, out in zip(groups, found):
            observed = [v for v in g if v in ev]
            free = [v for v in g if v not in ev]
            values = np.ones([spec[v].card for v in g])
            if free:
                part = query(model, free, {k: s for k, s in ev.items() if k not in free})
                values = values * np.expand_dims(part, [g.index(v) for v in observed]) \
                    if observed else part
            for v in observed:  # an observed query variable is certain: one-hot
                mask = np.zeros(spec[v].card)
                mask[spec[v].index(ev[v])] = 1.0
                shape = [1] * len(g)
                shape[g.index(v)] = spec[v].card
                values = values * mask.reshape(shape)
            out[i] = values.reshape(-1)
    data = {}
    for g, out in zip(groups, found):
        pairs = [[(v, s) for s in spec[v].states] for v in g]
        for j, combo in enumerate(itertools.product(*pairs)):
            data[posterior_column(combo)] = out[inverse, j]
    data["log_evidence"] = log_ev[inverse]
    data["impossible"] = ~np.isfinite(data["log_evidence"])
    return pd.DataFrame(data, index=evidence.index)
