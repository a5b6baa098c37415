"""Answer rows by lookup in the joint table of the evidence columns and the queries.

When a table of evidence has few columns, the joint distribution of those columns and
the queried variables is a small tensor. It is computed once by one pruned contraction
(only the ancestors of the columns and queries take part). Each evidence pattern then
sums out the columns it does not observe (once per pattern), and every row is one
gather from that tensor: O(states of the query) work per row, however large the
network. The engine falls back to per-row contractions when the joint is too big.
"""
from __future__ import annotations

import numpy as np

from pgmkit.backends.contraction.compile import CompiledNet, constant_tensor
from pgmkit.backends.contraction.evaluate import with_observed

#: Largest joint table (entries) worth building; 2**21 float64 = 16 MiB.
MAX_JOINT = 2 ** 21


def joint_size(net: CompiledNet, columns, groups) -> float:
    """Entries of the largest joint table the lookup would need (may be ``inf``)."""
    with np.errstate(over="ignore"):
        sizes = [float(np.prod([net.cards[v] for v in sorted(set(columns) | set(g))],
                               dtype=float)) for g in (groups or [()])]
    return max(sizes)


def joint_table(net: CompiledNet, variables: tuple[int, ...], max_cost=None) -> np.ndarray:
    """P(variables) as a tensor with one axis per variable, in the given (sorted) order."""
    relevant = sorted(net.ancestors(variables))
    ops = tuple(("table", v) for v in relevant)
    return constant_tensor(net, ops, [net.scope(v) for v in relevant], variables, max_cost)


def lookup_batch(net: CompiledNet, codes: np.ndarray, columns: list[int], groups,
                 max_cost=None):
    """Log evidence per row and one normalised array per query group (as ``evaluate``)."""
    n = codes.shape[0]
    seen = codes >= 0
    keys = seen @ (1 << np.arange(seen.shape[1], dtype=np.int64)) if seen.shape[1] else \
        np.zeros(n, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    bounds = np.flatnonzero(np.diff(keys[order])) + 1
    log_ev = np.empty(n)
    results = [np.empty((n,) + tuple(net.cards[v] for v in g)) for g in groups]
    tables = [(g, _axes(columns, g), joint_table(net, _axes(columns, g), max_cost))
              for g in (list(groups) or [()])]
    with np.errstate(divide="ignore", invalid="ignore"):
        for rows in np.split(order, bounds):
            observed = tuple(c for c, s in zip(columns, seen[rows[0]]) if s)
            sub = {c: codes[rows, j] for j, c in enumerate(columns)}
            for k, (g, axes, joint) in enumerate(tables):
                value = _slice(net, joint, axes, observed, g)
                value = value[tuple(sub[c] for c in observed)] if observed else \
                    np.broadcast_to(value, (len(rows),) + value.shape)
                z = value.reshape(len(rows), -1).sum(axis=1)
                if k == 0:
                    log_ev[rows] = np.log(z)
                if g:
                    value = value / z.reshape((-1,) + (1,) * (value.ndim - 1))
                    results[k][rows] = with_observed(net, value, g, observed, sub)
    bad = ~np.isfinite(log_ev)
    for r in results:
        r[bad] = np.nan
    return log_ev, results


def _axes(columns, group) -> tuple[int, ...]:
    return tuple(sorted(set(columns) | set(group)))


def _slice(net: CompiledNet, joint: np.ndarray, axes, observed, group) -> np.ndarray:
    """The joint with unobserved non-query columns summed out, observed axes first
    (then the free query variables in group order); cached per pattern."""
    free = [v for v in group if v not in observed]
    key = ("lookup", axes, observed, tuple(free))
    found = net.plans.get(key)
    if found is None:
        drop = tuple(i for i, v in enumerate(axes) if v not in observed and v not in free)
        kept = [v for v in axes if v in observed or v in free]
        summed = joint.sum(axis=drop) if drop else joint
        perm = [kept.index(v) for v in observed] + [kept.index(v) for v in free]
        found = net.plans[key] = np.ascontiguousarray(summed.transpose(perm))
    return found
