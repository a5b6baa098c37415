"""Exact sum-product elimination in log space, many evidence rows at once.

The contraction engine multiplies probabilities in float64: a naive Bayes row over 400
features whose evidence has probability 1e-680 underflows to 0 there and would be
called impossible. This module is its rescue path: the same exact answer computed
with log-probabilities and log-sum-exp, so no product underflows. It is slower (numpy
elimination in Python, not a compiled contraction), so engines run it only on the rows
whose scaled answer underflowed or came out as impossible, to tell "tiny" from "zero".

Every factor carries a leading row axis (1 when it is shared by all rows); evidence
enters as a per-row log-likelihood factor (0 where a state is allowed, -inf where not).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from pgmkit.errors import CostError
from pgmkit.spec.model import ModelSpec

#: Largest intermediate table, in entries including the row axis, built at once; rows
#: are processed in chunks to stay under it.
MAX_ENTRIES = 20_000_000
#: Below this log-probability a float64 product has lost precision (1e-300).
UNDERFLOW_LOG = -690.0


def logsumexp(x: np.ndarray, axis) -> np.ndarray:
    """``log(sum(exp(x)))`` over ``axis`` without underflow; ``-inf`` for all ``-inf``."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


class _Factor:
    __slots__ = ("vars", "logp")

    def __init__(self, vars_: tuple[str, ...], logp: np.ndarray):
        self.vars, self.logp = vars_, logp     # logp: (rows or 1, *cards of vars)


def _relevant(spec: ModelSpec, names: set[str]) -> list[str]:
    """``names`` and their ancestors, in spec order: the rest sums to one."""
    keep, stack = set(), list(names)
    while stack:
        v = stack.pop()
        if v in keep:
            continue
        keep.add(v)
        stack.extend(p.name for p in spec[v].parents)
    return [v for v in spec.names if v in keep]


def _combine(factors: list[_Factor], cards: dict[str, int]) -> _Factor:
    union: list[str] = []
    for f in factors:
        union += [v for v in f.vars if v not in union]
    total = None
    for f in factors:
        order = sorted(range(len(f.vars)), key=lambda i: union.index(f.vars[i]))
        arr = np.transpose(f.logp, [0] + [1 + i for i in order])
        shape = [arr.shape[0]] + [cards[v] if v in f.vars else 1 for v in union]
        arr = arr.reshape(shape)
        total = arr if total is None else total + arr
    return _Factor(tuple(union), total)


def _order(scopes: list[set[str]], eliminate: set[str], cards: dict[str, int]
           ) -> tuple[list[str], float]:
    """A greedy min-size elimination order and its largest table (entries per row)."""
    scopes = [set(s) for s in scopes]
    order, largest = [], 1.0
    todo = set(eliminate)
    while todo:
        def size(v):
            merged = set().union(*(s for s in scopes if v in s))
            return math.prod(float(cards[u]) for u in merged), v
        best = min(todo, key=size)
        merged = set().union(*(s for s in scopes if best in s))
        largest = max(largest, math.prod(float(cards[u]) for u in merged))
        scopes = [s for s in scopes if best not in s] + [merged - {best}]
        todo.discard(best)
        order.append(best)
    return order, largest


def log_query(spec: ModelSpec, codes: np.ndarray, columns: Sequence[str],
              groups: Sequence[Sequence[str]] = ()) -> tuple[np.ndarray, list[np.ndarray]]:
    """Log evidence per row and the posterior of each group of variables, in log space.

    ``codes`` is ``(rows, len(columns))`` state codes, ``-1`` = unobserved. Returns
    ``log_evidence`` of shape ``(rows,)`` and, per group, ``(rows, *cards in group
    order)`` posteriors (NaN where the evidence is impossible). An observed member of a
    group gets its one-hot answer, as in the contraction engine.
    """
    codes = np.asarray(codes, dtype=np.int64).reshape(len(codes), len(columns))
    n = codes.shape[0]
    cards = spec.cards()
    seen = [c for j, c in enumerate(columns) if (codes[:, j] >= 0).any()]
    wanted = {v for g in groups for v in g}
    variables = _relevant(spec, set(seen) | wanted)
    scopes = [set(p.name for p in spec[v].parents) | {v} for v in variables]
    plans = []
    for g in (list(groups) or [()]):
        order, largest = _order(scopes, set(variables) - set(g), cards)
        largest = max(largest, math.prod(float(cards[v]) for v in g))
        if largest > MAX_ENTRIES:
            raise CostError(f"log-space elimination needs a table of {largest:.3g} entries "
                            f"(limit {MAX_ENTRIES:.0e})")
        plans.append((tuple(g), order, largest))
    step = max(1, int(MAX_ENTRIES // max(p[2] for p in plans)))
    log_ev = np.empty(n)
    results = [np.empty((n,) + tuple(cards[v] for v in g)) for g in groups]
    for start in range(0, n, step):
        rows = slice(start, min(n, start + step))
        part = codes[rows]
        base = _factors(spec, variables, part, columns, cards)
        for k, (g, order, _) in enumerate(plans):
            le, post = _eliminate(list(base), order, g, cards, part.shape[0])
            log_ev[rows] = le
            if groups:
                results[k][rows] = post
    return log_ev, results


def _factors(spec, variables, codes, columns, cards) -> list[_Factor]:
    out = []
    with np.errstate(divide="ignore"):
        for v in variables:
            var = spec[v]
            logp = np.log(var.cpd.probabilities)
            out.append(_Factor(tuple(p.name for p in var.parents) + (v,), logp[None]))
        for j, c in enumerate(columns):
            col = codes[:, j]
            if c not in variables or not (col >= 0).any():
                continue
            allowed = (col[:, None] == np.arange(cards[c])) | (col[:, None] < 0)
            out.append(_Factor((c,), np.where(allowed, 0.0, -np.inf)))
    return out


def _eliminate(factors: list[_Factor], order: list[str], group: tuple[str, ...],
               cards: dict[str, int], n: int):
    for var in order:
        involved = [f for f in factors if var in f.vars]
        if not involved:
            continue
        factors = [f for f in factors if var not in f.vars]
        joint = _combine(involved, cards)
        axis = 1 + joint.vars.index(var)
        factors.append(_Factor(joint.vars[:axis - 1] + joint.vars[axis:],
                               logsumexp(joint.logp, axis)))
    final = _combine(factors, cards) if factors else _Factor((), np.zeros((1,)))
    logp = np.broadcast_to(final.logp, (n,) + final.logp.shape[1:])
    log_ev = logsumexp(logp.reshape(n, -1), 1) if final.vars else logp.reshape(n)
    if not group:
        return log_ev, None
    logp = np.transpose(logp, [0] + [1 + final.vars.index(v) for v in group])
    with np.errstate(invalid="ignore"):
        post = np.exp(logp - log_ev.reshape((n,) + (1,) * len(group)))
    post[~np.isfinite(log_ev)] = np.nan
    return log_ev, post
