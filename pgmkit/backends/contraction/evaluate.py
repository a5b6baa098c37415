"""Run plans on rows: group rows by evidence pattern, build per-row operands, contract.

Operands are built the same way for numpy (queries) and torch (the EM E-step, which
needs gradients), so both go through :func:`operands`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from pgmkit.backends.contraction.compile import CompiledNet, Plan
from pgmkit.errors import CostError

#: Patterns shared by fewer rows than this are merged into one pattern with per-row
#: likelihood vectors: one contraction order for all of them instead of one each.
MIN_PATTERN_ROWS = 48
#: Pieces costing more flops per row than this are contracted with torch.
TORCH_FLOPS = 1e5
#: One plan with per-row likelihood vectors serves every row (queries and the EM
#: E-step) when it costs at most this many flops per row; past it, rows are grouped by
#: the exact pattern they observe.
MERGE_FLOPS = 1e5


@dataclass(frozen=True)
class RowGroup:
    """Rows answered by one plan: ``hard`` columns observed in all, ``soft`` in some."""

    rows: np.ndarray
    hard: tuple[int, ...]
    soft: tuple[int, ...]


def group_rows(codes: np.ndarray, columns: list[int],
               min_rows: int = MIN_PATTERN_ROWS) -> list[RowGroup]:
    """Group rows by which columns they observe; merge the rare patterns.

    ``codes`` has one column per entry of ``columns`` (variable ids), ``-1`` = unobserved.
    """
    n = codes.shape[0]
    if codes.shape[1] == 0:
        return [RowGroup(np.arange(n), (), ())]
    seen = codes >= 0
    patterns, inverse, counts = np.unique(seen, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(counts)])
    groups, rare = [], []
    for k, pattern in enumerate(patterns):
        rows = order[bounds[k]:bounds[k + 1]]
        if counts[k] >= min_rows or len(patterns) == 1:
            groups.append(RowGroup(rows, tuple(c for c, s in zip(columns, pattern) if s), ()))
        else:
            rare.append(rows)
    if rare:
        rows = np.sort(np.concatenate(rare))
        every, some = seen[rows].all(axis=0), seen[rows].any(axis=0)
        groups.append(RowGroup(rows, tuple(c for c, s in zip(columns, every) if s),
                               tuple(c for c, a, e in zip(columns, some, every) if a and not e)))
    return groups


def row_groups_for(net: CompiledNet, codes: np.ndarray, columns: list[int], groups, *,
                   max_cost=None, min_rows: int = MIN_PATTERN_ROWS, prune: bool = True,
                   grad: bool = False, merge_flops: float = MERGE_FLOPS) -> list[RowGroup]:
    """One group for all rows when that plan is cheap per row, else one per pattern.

    With every partly observed column as a per-row likelihood vector, the part of the
    network no row observes folds into one small tensor over those columns and the
    queried variables; when the plan costs at most ``merge_flops`` per row, a single
    plan beats one plan per pattern.
    """
    seen = codes >= 0
    every = seen.all(axis=0)
    merged = RowGroup(np.arange(codes.shape[0]), tuple(c for c, e in zip(columns, every) if e),
                      tuple(c for c, a, e in zip(columns, seen.any(axis=0), every) if a and not e))
    if not merged.soft:
        return [merged]
    if merge_flops < 0:
        return group_rows(codes, columns, min_rows)
    try:
        plan = net.plan(merged.hard, merged.soft, groups, prune=prune, max_cost=max_cost,
                        grad=grad)
    except CostError:
        plan = None
    if plan is not None and plan.flops_per_row <= merge_flops:
        return [merged]
    return group_rows(codes, columns, min_rows)


def chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def gather_table(net: CompiledNet, v: int, hard: tuple[int, ...]):
    """Table of ``v`` with its hard axes first and flattened, plus their strides.

    Cached on the network: every pattern observing the same variables of a family
    reuses it.
    """
    key = ("gather", v, tuple(u for u in net.scope(v) if u in hard))
    found = net.plans.get(key)
    if found is None:
        scope = net.scope(v)
        axes = [i for i, u in enumerate(scope) if u in hard]
        rest = [i for i, u in enumerate(scope) if u not in hard]
        table = net.tables[v].transpose(axes + rest)
        lead = [net.cards[scope[i]] for i in axes]
        strides = np.cumprod([1] + lead[::-1])[:-1][::-1].astype(np.int64)
        flat = np.ascontiguousarray(table.reshape([-1] + [net.cards[scope[i]] for i in rest]))
        found = net.plans[key] = (tuple(scope[i] for i in axes), strides, flat)
    return found


def flat_index(net: CompiledNet, v: int, hard: tuple[int, ...], codes: dict) -> np.ndarray:
    axes, strides, _ = gather_table(net, v, hard)
    idx = codes[axes[0]] * strides[0]
    for u, s in zip(axes[1:], strides[1:]):
        idx = idx + codes[u] * s
    return idx


def soft_vector(card: int, code: np.ndarray) -> np.ndarray:
    """Per-row likelihood: one-hot where observed, ones where not."""
    states = np.arange(card)
    return ((code[:, None] == states) | (code[:, None] < 0)).astype(np.float64)


def operands(net: CompiledNet, plan: Plan, piece_ops, codes: dict, table=None,
             vector=None) -> list:
    """Arrays for the operands of a piece, for the rows whose ``codes`` are given.

    By default numpy, and tables that no evidence reaches are left out (the compiled
    expression holds them). EM passes ``table(v, hard_axes)`` returning a torch table
    (flattened over ``hard_axes`` when there are any, see :func:`gather_table`) and
    ``vector`` converting numpy arrays, so that every table is an operand.
    """
    out = []
    for kind, v in piece_ops:
        if kind == "soft":
            vec = soft_vector(net.cards[v], codes[v])
            out.append(vector(vec) if vector else vec)
            continue
        axes = tuple(u for u in net.scope(v) if u in plan.hard)
        if axes:
            idx = flat_index(net, v, plan.hard, codes)
            if table is None:
                out.append(gather_table(net, v, plan.hard)[2][idx])
            else:
                out.append(table(v, axes)[vector(idx)])
        elif table is not None:
            out.append(table(v, ()))
    return out


def evaluate(net: CompiledNet, plan: Plan, codes: dict, n: int):
    """Log evidence per row and the normalised result of each query group (numpy).

    Returns ``(log_evidence, results)``; ``results[i]`` has shape ``(n, *cards of
    group i)`` in group order, NaN only on rows whose evidence is impossible.
    """
    log_ev = np.zeros(n)
    with np.errstate(divide="ignore"):
        for v in plan.scalars:
            log_ev += np.log(gather_table(net, v, plan.hard)[2][flat_index(net, v, plan.hard,
                                                                           codes)])
        values = [_contract(net, plan, p, codes, n) for p in plan.pieces]
        for i in plan.norm_pieces:
            if not plan.pieces[i].batched:   # no evidence in it: its total is exactly 1
                continue
            z = values[i].reshape(n, -1).sum(axis=1)
            log_ev += np.log(z)
    results = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for g, k in zip(plan.groups, plan.group_piece):
            results.append(_group_result(net, plan, g, values[k] if k >= 0 else None, codes, n))
    bad = ~np.isfinite(log_ev)
    if bad.any():
        for r in results:
            r[bad] = np.nan
    return log_ev, results


def _contract(net: CompiledNet, plan: Plan, piece, codes: dict, n: int) -> np.ndarray:
    if not piece.batched:
        return np.broadcast_to(piece.value, (n,) + piece.value.shape)
    arrays = operands(net, plan, piece.operands, codes)
    if piece.flops_per_row < TORCH_FLOPS:
        return piece.expression(*arrays)
    # Heavy contractions: torch maps batched pairwise products to (threaded) matrix
    # products, numpy's einsum does not; its per-call overhead only pays off here.
    return piece.expression(*arrays, backend="torch")


def _group_result(net: CompiledNet, plan: Plan, group, value, codes: dict, n: int):
    if value is not None:
        flat = value.reshape(n, -1)
        value = (flat / flat.sum(axis=1, keepdims=True)).reshape(value.shape)
    else:
        value = np.ones(n)
    return np.ascontiguousarray(with_observed(net, value, group, plan.hard, codes))


def with_observed(net: CompiledNet, value: np.ndarray, group, observed, codes: dict
                  ) -> np.ndarray:
    """Put the observed members of ``group`` back as one-hot axes, axes in group order.

    ``value`` has the row axis, then the free (unobserved) members of ``group`` in
    group order; ``codes[v]`` holds each row's code of an observed ``v``.
    """
    n = value.shape[0]
    for v in group:
        if v in observed:
            value = value[..., None] * np.eye(net.cards[v])[codes[v]].reshape(
                (n,) + (1,) * (value.ndim - 1) + (net.cards[v],))
    current = [v for v in group if v not in observed] + [v for v in group if v in observed]
    return value.transpose([0] + [1 + current.index(v) for v in group])
