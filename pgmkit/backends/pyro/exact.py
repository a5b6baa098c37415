"""Bayesian-network queries by Pyro's exact enumeration, in the contract's signatures.

The network compiles to a float64 :class:`Program`; every discrete variable absent from
a call's data is summed out in parallel (``infer.log_evidence``), so a joint posterior
is Bayes' rule over the query's states laid out as extra rows, and the most probable
explanation is Pyro's ``infer_discrete`` at temperature 0 (max-product).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import torch

from pgmkit.backends.pyro.infer import log_evidence
from pgmkit.backends.pyro.sites import LOG_ZERO
from pgmkit.errors import CostError, EvidenceError

#: Rows (evidence rows x query states) per enumeration call.
CHUNK = 8192
#: Largest joint state space a query enumerates as rows.
MAX_STATES = 1_000_000


def program(model):
    """The model's exact float64 program, compiled once."""
    from pgmkit.backends.pyro.compile import Program

    return model.compiled("pyro-exact", lambda: Program(model.spec, dtype=torch.float64))


def _codes(spec, evidence: dict[str, str], n: int) -> dict[str, torch.Tensor]:
    return {k: torch.full((n,), spec[k].index(s), dtype=torch.long) for k, s in evidence.items()}


def _log_evidence(model, data: dict[str, torch.Tensor], n: int) -> np.ndarray:
    """log P(data) per row; a zero probability (a table's LOG_ZERO) is ``-inf``."""
    prog, out = program(model), np.empty(n)
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        part = {k: t[start:stop] for k, t in data.items()}
        with torch.no_grad():
            out[start:stop] = log_evidence(prog, part, stop - start).double().numpy()
    out[out < LOG_ZERO / 2] = -math.inf
    return out


def _grid(spec, names: list[str]) -> np.ndarray:
    cards = [spec[v].card for v in names]
    size = math.prod(cards)
    if size > MAX_STATES:
        raise CostError(f"enumerating the joint of {names} needs {size:.3g} states (limit "
                        f"{MAX_STATES:.0e}); query fewer variables")
    return np.indices(cards).reshape(len(names), -1)


def query(model, names: list[str], evidence: dict[str, str]) -> np.ndarray:
    spec = model.spec
    grid = _grid(spec, names)
    k = grid.shape[1]
    data = _codes(spec, evidence, k)
    data.update({v: torch.as_tensor(grid[i]) for i, v in enumerate(names)})
    logj = _log_evidence(model, data, k)
    if not np.isfinite(logj).any():
        raise EvidenceError(f"the evidence {evidence} is impossible (probability 0 under the "
                            "model)")
    p = np.exp(logj - logj.max())
    return (p / p.sum()).reshape([spec[v].card for v in names])


def probability(model, evidence: dict[str, str]) -> float:
    if not evidence:
        return 0.0
    return float(_log_evidence(model, _codes(model.spec, evidence, 1), 1)[0])


def map_assignment(model, names: list[str], evidence: dict[str, str]
                   ) -> tuple[dict[str, str], float]:
    """Marginal MAP over ``names`` by enumeration, or (``names`` empty) the most probable
    explanation by ``infer_discrete`` at temperature 0."""
    import pyro.poutine as poutine
    from pyro.infer import infer_discrete

    spec = model.spec
    if names:
        values = query(model, names, evidence)
        idx = np.unravel_index(int(np.argmax(values)), values.shape)
        states = {v: spec[v].states[i] for v, i in zip(names, idx)}
    else:
        if probability(model, evidence) == -math.inf:
            raise EvidenceError(f"the evidence {evidence} is impossible (probability 0 under "
                                "the model)")
        prog = program(model)
        decoded = infer_discrete(prog.model, first_available_dim=-2, temperature=0)
        with torch.no_grad():
            trace = poutine.trace(decoded).get_trace(_codes(spec, evidence, 1), 1, beta=False)
        states = {v: spec[v].states[int(trace.nodes[v]["value"].reshape(-1)[0])]
                  for v in spec.names if v not in evidence}
    return states, probability(model, {**states, **evidence})


def _patterns(codes: np.ndarray):
    """Row indices grouped by which columns they observe."""
    seen = codes >= 0
    keys, inverse = np.unique(seen, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    for j, key in enumerate(keys):
        yield key, np.flatnonzero(inverse == j)


def log_likelihood(model, data: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
    columns = list(data.columns)
    out = np.empty(len(codes))
    for observed, rows in _patterns(codes):
        tensors = {c: torch.as_tensor(codes[rows, j]) for j, c in enumerate(columns)
                   if observed[j]}
        out[rows] = _log_evidence(model, tensors, len(rows)) if tensors else 0.0
    return out


def query_rows(model, names: list[str], evidence: pd.DataFrame, joint: bool = False,
               **options) -> pd.DataFrame:
    """Posteriors for every row of ``evidence``, in the contraction engine's layout."""
    from pgmkit.data.columns import posterior_column
    from pgmkit.data.tables import encode_frame
    from pgmkit.errors import UnsupportedError

    extra = sorted(set(options) - {"progress"})
    if extra:
        raise UnsupportedError(f"query_batch option(s) {extra} belong to backend 'contraction'; "
                               "backend 'pyro' takes progress only")
    spec = model.spec
    codes = encode_frame(spec, evidence)
    columns = list(evidence.columns)
    groups = [list(names)] if joint else [[v] for v in names]
    n = len(codes)
    log_ev = log_likelihood(model, evidence, codes)
    found = [np.full((n, math.prod(spec[v].card for v in g)), np.nan) for g in groups]
    for observed, rows in _patterns(codes):
        rows = rows[np.isfinite(log_ev[rows])]
        if not len(rows):
            continue
        given = {c: codes[rows, j] for j, c in enumerate(columns) if observed[j]}
        for g, out in zip(groups, found):
            out[rows] = _posterior(model, g, given, len(rows))
    data = {}
    for g, out in zip(groups, found):
        pairs = [[(v, s) for s in spec[v].states] for v in g]
        for j, combo in enumerate(itertools.product(*pairs)):
            data[posterior_column(combo)] = out[:, j]
    data["log_evidence"] = log_ev
    data["impossible"] = ~np.isfinite(log_ev)
    return pd.DataFrame(data, index=evidence.index)


def _posterior(model, group: list[str], given: dict[str, np.ndarray], m: int) -> np.ndarray:
    """P(group | each row's evidence), flat over the group's joint states: ``(m, K)``.
    Each row is repeated once per joint state; an observed query variable keeps its value
    (its other states get probability 0)."""
    spec = model.spec
    grid = _grid(spec, group)
    k = grid.shape[1]
    data = {c: torch.as_tensor(np.repeat(v, k)) for c, v in given.items() if c not in group}
    for i, v in enumerate(group):
        data[v] = torch.as_tensor(np.tile(grid[i], m))
    logj = _log_evidence(model, data, m * k).reshape(m, k)
    for i, v in enumerate(group):
        if v in given:
            logj[grid[i][None, :] != given[v][:, None]] = -math.inf
    logj = logj - logj.max(axis=1, keepdims=True)
    p = np.exp(logj)
    return p / p.sum(axis=1, keepdims=True)
