"""The batched message pass over a junction tree: every row at once, any pattern.

Collect: each active clique multiplies its table by the likelihood vectors of the
evidence it hosts and the messages of its children, and sends its parent the sum
over what the two do not share. Distribute (only towards the cliques that answer
queries): the parent's final belief, summed to the separator and divided by the
message the child sent up, multiplies the child's collect belief (0/0 is 0: a
separator state the child ruled out stays ruled out).

Every batched message is divided by its per-row maximum and the logarithm of the
divisor is added to the row's log evidence, and a clique multiplying many messages
rescales its running product as it goes: rows of probability 1e-680 (a naive Bayes
row over hundreds of features) keep every entry in floating-point range, and only a
row whose evidence has probability exactly zero is reported impossible.
"""
from __future__ import annotations

import math

import numpy as np

from pgmkit.backends.contraction.jtree import TreePlan

#: A running product is rescaled after this many factors (each at least 1e-300 / 8).
RESCALE_EVERY = 8
#: Rows per chunk keep the stored beliefs under about this many entries.
CHUNK_ENTRIES = 2 ** 23


def rows_per_chunk(plan: TreePlan) -> int:
    return int(min(8192, max(16, CHUNK_ENTRIES // max(plan.elements_per_row, 1.0))))


def likelihood(card: int, code: np.ndarray) -> np.ndarray:
    """Per-row likelihood, states first: one-hot where observed (code >= 0), ones where not."""
    return ((code == np.arange(card)[:, None]) | (code < 0)).astype(np.float64)


def _rescale(values: np.ndarray, log_scale: np.ndarray) -> np.ndarray:
    """Divide each row (last axis) by its maximum (a zero row stays zero) and record the
    divisor."""
    m = values.shape[-1]
    top = values.reshape(-1, m).max(axis=0)
    zero = top <= 0
    with np.errstate(divide="ignore"):
        log_scale += np.where(zero, -np.inf, np.log(np.where(zero, 1.0, top)))
    top[zero] = 1.0
    values /= top
    return values


def _product(base: np.ndarray, factors: list, log_ev: np.ndarray, out=None) -> np.ndarray:
    """``base`` (no row axis) times per-row ``factors`` (row axis last, broadcastable);
    ``out``, when given, is the per-row slice of ``base`` to start from instead.

    Factors whose joint scope is much smaller than the clique are multiplied together
    first, so the full-size product is formed as few times as possible.
    """
    if out is not None and not factors:
        return out
    size = base.size if out is None else out[..., 0].size
    factors = sorted(factors, key=lambda f: f.size)
    small, count, merged = None, 0, 0
    for f in factors:
        if small is not None and math.prod(np.broadcast_shapes(small.shape, f.shape)[:-1]) * 4 \
                <= size:
            small = small * f
            merged += 1
            if merged % RESCALE_EVERY == 0:
                _rescale(small, log_ev)
            continue
        if small is not None:
            out = base[..., None] * small if out is None else np.multiply(out, small, out=out)
            count += 1
            if count % RESCALE_EVERY == 0:
                _rescale(out, log_ev)
        small = f
    return base[..., None] * small if out is None else np.multiply(out, small, out=out)


def collect(plan: TreePlan, codes: dict[int, np.ndarray], m: int):
    """Collect phase for ``m`` rows; returns (log evidence, beliefs, upward messages)."""
    log_ev = np.zeros(m)
    beliefs: dict[int, np.ndarray] = {}
    ups: dict[int, np.ndarray] = {}
    for c in plan.order:
        cl = plan.cliques[c]
        if not cl.has_evidence:
            continue
        factors = [likelihood(plan.cards[e], codes[e]).reshape(plan.axes(c, (e,)) + (m,))
                   for e in cl.evidence]
        factors += [ups[k] for k in cl.children if k in ups]
        first = None
        if cl.gathered:                      # the row's slice of the table: one gather
            idx = sum(np.where(codes[e] < 0, plan.cards[e], codes[e]) * stride
                      for e, stride in cl.gathered)
            first = np.take(cl.base, idx, axis=-1)
        out = _product(cl.base, factors, log_ev, first)
        if cl.parent >= 0:
            parent = plan.cliques[cl.parent]
            drop = tuple(i for i, u in enumerate(cl.variables) if u not in parent.variables)
            msg = out.sum(axis=drop) if drop else out.copy()
            ups[c] = _rescale(msg.reshape(plan.axes(cl.parent, cl.variables) + (m,)), log_ev)
        else:                                # a tree with no evidence sums to one
            with np.errstate(divide="ignore"):
                log_ev += np.log(out.reshape(-1, m).sum(axis=0))
        if c in plan.needed:
            beliefs[c] = out
    return log_ev, beliefs, ups


def marginals(plan: TreePlan, codes: dict[int, np.ndarray], m: int):
    """Log evidence (m,) and, per queried variable, its posterior (m, states)."""
    log_ev, beliefs, ups = collect(plan, codes, m)
    final: dict[int, np.ndarray] = {}
    for c in reversed(plan.order):           # parents before children
        if c not in plan.needed:
            continue
        cl = plan.cliques[c]
        own = beliefs[c] if cl.has_evidence else cl.belief
        if not cl.has_evidence:
            own = own[..., None]
        if cl.parent < 0:
            final[c] = np.broadcast_to(own, own.shape[:-1] + (m,))
            continue
        parent = plan.cliques[cl.parent]
        drop = tuple(i for i, u in enumerate(parent.variables) if u not in cl.variables)
        fp = final[cl.parent]
        down = fp.sum(axis=drop) if drop else fp.copy()
        down = _rescale(np.ascontiguousarray(down).reshape(plan.axes(c, parent.variables) + (m,)),
                        np.zeros(m))
        up = ups[c] if c in ups else cl.up[..., None]
        up = np.broadcast_to(up.reshape(plan.axes(c, parent.variables) + (up.shape[-1],)),
                             down.shape)
        ratio = np.divide(down, up, out=np.zeros(down.shape), where=up > 0)
        final[c] = own * ratio
    out = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for t, h in plan.hosts.items():
            cl = plan.cliques[h]
            axis = cl.variables.index(t)
            drop = tuple(i for i in range(len(cl.variables)) if i != axis)
            value = (final[h].sum(axis=drop) if drop else np.array(final[h], dtype=float)).T
            out[t] = value / value.sum(axis=1, keepdims=True)
    bad = ~np.isfinite(log_ev)
    if bad.any():
        for value in out.values():
            value[bad] = np.nan
    return log_ev, out


def run(plan: TreePlan, codes: dict[int, np.ndarray], n: int, chunk_size: int | None = None):
    """Log evidence and posteriors of every queried variable for ``n`` rows, in chunks."""
    log_ev = np.empty(n)
    results = {t: np.empty((n, plan.cards[t])) for t in plan.hosts}
    size = rows_per_chunk(plan) if chunk_size is None else min(chunk_size, rows_per_chunk(plan))
    for start in range(0, n, size):
        part = slice(start, min(n, start + size))
        sub = {v: c[part] for v, c in codes.items()}
        le, res = marginals(plan, sub, part.stop - part.start)
        log_ev[part] = le
        for t, value in res.items():
            results[t][part] = value
    return log_ev, results


def tree_batch(net, codes: np.ndarray, columns: list[int], targets: list[int],
               chunk_size: int | None = None, max_cost: float | None = None):
    """Log evidence per row and each target's posterior (``infer._run``'s contract).

    The tree is compiled once per set of observed columns and targets and cached on
    the network; raises ``CostError`` (also cached) when it is over the budget.
    """
    from pgmkit.backends.contraction.jtree import build_tree
    from pgmkit.errors import CostError

    seen = [j for j in range(len(columns)) if (codes[:, j] >= 0).any()]
    evidence = tuple(sorted(columns[j] for j in seen))
    key = ("jtree", evidence, tuple(targets), max_cost)
    plan = net.plans.get(key)
    if plan is None:
        try:
            plan = build_tree(net, evidence, targets, max_cost=max_cost)
        except CostError as exc:
            plan = exc
        net.plans[key] = plan
    if isinstance(plan, CostError):
        raise plan
    rows = {columns[j]: codes[:, j] for j in seen}
    log_ev, results = run(plan, rows, codes.shape[0], chunk_size)
    return log_ev, [results[t] for t in targets]
