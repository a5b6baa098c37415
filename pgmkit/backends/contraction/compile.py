"""Spec -> factor tensors, and per-evidence-pattern contraction plans.

A discrete network compiles to one float64 table per variable (axes: parents in listed
order, then the child). Rows of evidence are answered in groups that share an
*evidence pattern*: which variables are observed with a fixed code per row ("hard",
their table axes are gathered away row by row) and which carry a per-row likelihood
vector ("soft": one-hot where observed, ones where not, so rows observing different
subsets can share one contraction). For each pattern the plan

1. keeps only the ancestors of the evidence and query variables (barren variables sum
   to one and drop out),
2. splits what is left into the pieces that hard evidence d-separates (connected
   components of the moral graph once observed variables are removed); a query needs
   only its own piece, the others only contribute their normalising constant to the
   evidence probability,
3. folds the tables no evidence reaches into small constant tensors, computed once
   (when that is cheaper per row than keeping them apart),
4. finds a contraction order per piece once (opt_einsum's search or a variable-
   elimination order, whichever is cheaper), estimates its cost (largest intermediate
   and flops per row), refuses past a budget with ``CostError``, and caches the
   compiled expression on the network object.

Tables are float64, renormalised row by row (see ``compile_cpd``).
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from pgmkit.errors import CostError, SpecError, UnsupportedError
from pgmkit.spec.cpd import TableCPD
from pgmkit.spec.model import ModelSpec, Variable

log = logging.getLogger(__name__)

#: Default budget: estimated floating-point operations to answer one row.
MAX_FLOPS_PER_ROW = 2e9
#: Largest intermediate tensor allowed for one row (elements; 2**27 float64 = 1 GiB).
MAX_ELEMENTS_PER_ROW = 2 ** 27
#: Rows per chunk are chosen so the largest intermediate stays under this many elements.
CHUNK_ELEMENTS = 2 ** 23
#: Folded plans costing more per row than this are compared with the unfolded one.
FOLD_FLOPS = 1e4
#: Rows per chunk for which contraction orders are chosen (reused for any size).
PATH_ROWS = 1000


def compile_cpd(cpd, spec: ModelSpec, var: Variable) -> np.ndarray:
    """The factor of one CPD, by this engine's rule for its kind (``rules.py``)."""
    from pgmkit.backends.contraction.rules import ENGINE

    return ENGINE.rule(cpd, var)(cpd, spec, var)


def table_factor(cpd: TableCPD, spec: ModelSpec, var: Variable) -> np.ndarray:
    # Row-normalised (TableCPD.probabilities): summing out an unobserved variable gives
    # exactly 1, so answers do not depend on how much of the network a strategy prunes.
    return np.ascontiguousarray(cpd.probabilities)


def normalized(spec: ModelSpec) -> ModelSpec:
    """``spec`` with every table row divided by its sum: the model this engine answers.

    Give it to another engine to compare answers to rounding error.
    """
    return spec.with_cpds({v.name: TableCPD(v.cpd.probabilities)
                           for v in spec.variables if isinstance(v.cpd, TableCPD)})


@dataclass(frozen=True)
class Piece:
    """One contraction: a d-separated piece of the pruned network for one pattern.

    ``operands`` lists ``("table", v)`` (the table of ``v`` with its hard axes gathered
    per row) and ``("soft", v)`` (the per-row likelihood of ``v``). ``outputs`` are the
    variables left free, after the row axis when ``batched``.
    """

    equation: str
    operands: tuple[tuple[str, int], ...]
    outputs: tuple[int, ...]
    batched: bool
    flops_per_row: float
    elements_per_row: float
    path: tuple = field(repr=False, compare=False)
    expression: object = field(default=None, repr=False, compare=False)
    value: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Plan:
    """Everything needed to answer rows of one evidence pattern."""

    hard: tuple[int, ...]
    soft: tuple[int, ...]
    scalars: tuple[int, ...]            # tables whose every axis is hard: a per-row factor
    pieces: tuple[Piece, ...]           # the first piece of each query group carries it
    groups: tuple[tuple[int, ...], ...]  # query groups (one per marginal, or one joint)
    group_piece: tuple[int, ...]        # piece index answering each group
    norm_pieces: tuple[int, ...]        # pieces whose constants make up P(evidence)
    rows_per_chunk: int

    @property
    def flops_per_row(self) -> float:
        return sum(p.flops_per_row for p in self.pieces if p.batched)


class CompiledNet:
    """The factor tensors of a discrete static network, plus a cache of plans."""

    def __init__(self, spec: ModelSpec):
        if spec.temporal:
            raise UnsupportedError(f"backend 'contraction' answers static networks; model "
                                   f"'{spec.name}' is temporal: use DynamicBayesNet")
        if spec.missing_cpds:
            raise SpecError(f"model '{spec.name}': variable(s) {list(spec.missing_cpds)} have no "
                            "CPD; give one or fit the model first")
        self.spec = spec
        self.names = spec.names
        self.index = {n: i for i, n in enumerate(self.names)}
        self.cards = tuple(v.card for v in spec.variables)
        self.parents = tuple(tuple(self.index[p.name] for p in v.parents) for v in spec.variables)
        self.tables = tuple(compile_cpd(v.cpd, spec, v) for v in spec.variables)
        self.plans: dict = {}

    def scope(self, v: int) -> tuple[int, ...]:
        """Variables of the table of ``v``: its parents, then itself."""
        return self.parents[v] + (v,)

    def ancestors(self, seeds) -> set[int]:
        """``seeds`` and all their ancestors."""
        seen, todo = set(seeds), list(seeds)
        while todo:
            for p in self.parents[todo.pop()]:
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    def plan(self, hard: Sequence[int], soft: Sequence[int], groups: Sequence[Sequence[int]],
             *, prune: bool = True, max_cost: float | None = None, grad: bool = False) -> Plan:
        """The cached plan for a pattern (see the module docstring).

        ``grad`` keeps every table an operand (for EM's gradients) instead of folding
        the evidence-free ones into constants.
        """
        key = (tuple(sorted(hard)), tuple(sorted(soft)), tuple(map(tuple, groups)), prune,
               max_cost, grad)
        found = self.plans.get(key)
        if found is None:
            found = self.plans[key] = _make_plan(self, *key[:3], prune=prune, max_cost=max_cost,
                                                 grad=grad)
        return found


@functools.lru_cache(maxsize=8)
def compile_net(spec: ModelSpec) -> CompiledNet:
    """The compiled network of ``spec`` (cached: plans are reused across calls)."""
    return CompiledNet(spec)


def _components(net: CompiledNet, relevant: set[int], hard: set[int]) -> list[set[int]]:
    """Free variables of ``relevant`` grouped by the factors that link them."""
    parent = {v: v for v in relevant if v not in hard}

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for v in relevant:
        free = [u for u in net.scope(v) if u not in hard]
        for u in free[1:]:
            ra, rb = find(free[0]), find(u)
            if ra != rb:
                parent[rb] = ra
    comps: dict[int, set[int]] = {}
    for v in parent:
        comps.setdefault(find(v), set()).add(v)
    return sorted(comps.values(), key=min)


def _make_plan(net: CompiledNet, hard, soft, groups, *, prune: bool,
               max_cost: float | None, grad: bool) -> Plan:
    hard_set, soft_set = set(hard), set(soft)
    seeds = hard_set | soft_set | {v for g in groups for v in g}
    relevant = net.ancestors(seeds) if prune else set(range(len(net.names)))
    comps = _components(net, relevant, hard_set)
    where = {v: i for i, c in enumerate(comps) for v in c}
    scalars = tuple(sorted(v for v in relevant if v in hard_set and
                           all(u in hard_set for u in net.scope(v))))
    members: list[list[tuple[str, int]]] = [[] for _ in comps]
    for v in sorted(relevant):
        if v in scalars:
            continue
        free = next(u for u in net.scope(v) if u not in hard_set)
        members[where[free]].append(("table", v))
    for v in sorted(soft_set):
        members[where[v]].append(("soft", v))

    pieces: list[Piece] = []
    group_piece, norm, counted = [], [], set()
    for g in groups:
        free = tuple(v for v in g if v not in hard_set)
        if not free:                   # every queried variable observed: nothing to sum
            group_piece.append(-1)
            continue
        cids = sorted({where[v] for v in free})
        ops = tuple(op for c in cids for op in members[c])
        pieces.append(_make_piece(net, ops, free, hard_set, max_cost, grad))
        group_piece.append(len(pieces) - 1)
        if counted.isdisjoint(cids):   # its total is P(evidence of these pieces)
            norm.append(len(pieces) - 1)
            counted.update(cids)
    for c, ops in enumerate(members):
        if c not in counted:
            pieces.append(_make_piece(net, tuple(ops), (), hard_set, max_cost, grad))
            norm.append(len(pieces) - 1)
    worst = max([p.elements_per_row for p in pieces] + [1.0])
    rows = int(max(1, min(8192, CHUNK_ELEMENTS // worst)))
    return Plan(tuple(sorted(hard_set)), tuple(sorted(soft_set)), scalars, tuple(pieces),
                tuple(map(tuple, groups)), tuple(group_piece), tuple(norm), rows)


def _symbol(i: int) -> str:
    import opt_einsum

    return opt_einsum.get_symbol(i)


def operand_shape(net: CompiledNet, op: tuple[str, int], hard: set[int], rows: int):
    """Subscripts (variable ids, ``-1`` for the row axis) and shape of one operand."""
    kind, v = op
    if kind == "soft":
        return (-1, v), (rows, net.cards[v])
    scope = net.scope(v)
    free = tuple(u for u in scope if u not in hard)
    if len(free) == len(scope):
        return free, tuple(net.cards[u] for u in free)
    return (-1,) + free, (rows,) + tuple(net.cards[u] for u in free)


def _equation(subs, outputs) -> str:
    letters = {-1: _symbol(0)}
    for s in subs:
        for u in s:
            letters.setdefault(u, _symbol(len(letters)))
    return ",".join("".join(letters[u] for u in s) for s in subs) + "->" + "".join(
        letters[u] for u in outputs)


def _path(net, equation: str, shapes, outputs, batched: bool, max_cost):
    """Contraction order and its per-row cost (checked against the budget).

    Candidates: opt_einsum's search and a variable-elimination order, each searched as
    if a chunk had few or very many rows (many rows favour summing evidence-free tables
    first; few favour the smallest intermediates). The one cheapest for a chunk of
    ``PATH_ROWS`` rows wins.
    """
    import opt_einsum

    from pgmkit.backends.contraction.order import elimination_path

    inputs, output = equation.split("->")
    inputs = inputs.split(",")
    row = _symbol(0)

    def sized(rows):
        return [((rows,) + tuple(sh[1:])) if s[:1] == row else tuple(sh)
                for s, sh in zip(inputs, shapes)]

    target = sized(PATH_ROWS) if batched else list(shapes)
    found = []
    for rows in ((1, PATH_ROWS, 100 * PATH_ROWS) if batched else (None,)):
        trial = sized(rows) if batched else target
        found.append(opt_einsum.contract_path(equation, *trial, shapes=True, optimize="auto"))
        if rows not in (None, PATH_ROWS):  # cost it for the chunk size it will run at
            found[-1] = opt_einsum.contract_path(equation, *target, shapes=True,
                                                 optimize=list(found[-1][0]))
        if len(shapes) > 8:
            sizes = {i: d for s, sh in zip(inputs, trial) for i, d in zip(s, sh)}
            found.append(opt_einsum.contract_path(
                equation, *target, shapes=True,
                optimize=elimination_path(inputs, output, sizes)))
    path, info = min(found, key=lambda f: f[1].opt_cost)
    per = PATH_ROWS if batched else 1
    flops, elements = float(info.opt_cost) / per, float(info.largest_intermediate) / per
    check_cost(net, outputs, flops, elements, max_cost)
    return tuple(path), flops, elements


def _make_piece(net: CompiledNet, ops, outputs, hard: set[int], max_cost: float | None,
                grad: bool = False) -> Piece:
    """One contraction over ``ops`` leaving ``outputs`` (and the row axis) free.

    For queries the tables that no evidence reaches are first contracted once into
    small tensors over the variables they share with the evidence (see
    :func:`_two_phase`); with ``grad`` every table stays an operand so that EM can
    differentiate through it.
    """
    import opt_einsum

    subs, shapes = zip(*(operand_shape(net, op, hard, PATH_ROWS) for op in ops))
    batched = any(-1 in s for s in subs)
    out = ((-1,) if batched else ()) + tuple(outputs)
    folded = None
    if batched and not grad and not all(-1 in s for s in subs):
        try:
            folded = _two_phase(net, ops, subs, shapes, out, max_cost)
        except CostError:              # the constants' boundary is too wide: keep them apart
            folded = None
        if folded is not None and folded.flops_per_row <= FOLD_FLOPS:
            return folded
    equation = _equation(subs, out)
    try:
        path, flops, elements = _path(net, equation, shapes, outputs, batched, max_cost)
    except CostError:
        if folded is None:
            raise
        return folded
    if folded is not None and folded.flops_per_row <= flops:
        return folded
    if not batched and not grad:       # no evidence reaches it: one value for every row
        value = opt_einsum.contract(equation, *(net.tables[v] for _, v in ops), optimize=path)
        return Piece(equation, tuple(ops), tuple(outputs), False, flops, elements, path,
                     value=np.asarray(value))
    if grad:                           # EM passes every table itself, as torch tensors
        return Piece(equation, tuple(ops), tuple(outputs), batched, flops, elements, path)
    constants = [i for i, s in enumerate(subs) if -1 not in s]
    args = [net.tables[ops[i][1]] if i in constants else shapes[i] for i in range(len(ops))]
    expression = opt_einsum.contract_expression(equation, *args, optimize=list(path),
                                                constants=constants)
    return Piece(equation, tuple(o for i, o in enumerate(ops) if i not in constants),
                 tuple(outputs), batched, flops, elements, path, expression=expression)


def _two_phase(net: CompiledNet, ops, subs, shapes, out, max_cost) -> Piece:
    """Fold the evidence-free tables into constants, then plan the per-row contraction."""
    import opt_einsum

    const = [i for i, s in enumerate(subs) if -1 not in s]
    rows = [i for i, s in enumerate(subs) if -1 in s]
    keep = set(out) | {u for i in rows for u in subs[i]}
    tensors, tensor_subs = [], []
    for comp in _linked([subs[i] for i in const]):
        members = [const[k] for k in comp]
        free = tuple(sorted({u for i in members for u in subs[i]} & keep))
        if free:
            tensors.append(constant_tensor(net, tuple(ops[i] for i in members),
                                            [subs[i] for i in members], free, max_cost))
            tensor_subs.append(free)
        # a piece of the prior that touches nothing else sums to exactly 1: dropped
    all_subs = [subs[i] for i in rows] + tensor_subs
    all_shapes = [shapes[i] for i in rows] + [t.shape for t in tensors]
    equation = _equation(all_subs, out)
    path, flops, elements = _path(net, equation, all_shapes, out[1:], True, max_cost)
    constants = list(range(len(rows), len(all_subs)))
    args = [all_shapes[i] for i in range(len(rows))] + tensors
    expression = opt_einsum.contract_expression(equation, *args, optimize=path,
                                                constants=constants)
    return Piece(equation, tuple(ops[i] for i in rows), tuple(out[1:]), True, flops, elements,
                 path, expression=expression)


def _linked(subs) -> list[list[int]]:
    """Operands grouped into connected components by shared variables."""
    owner: dict[int, int] = {}
    comps: list[set[int]] = []
    for i, s in enumerate(subs):
        hit = {owner[u] for u in s if u in owner}
        merged = {i}
        for c in sorted(hit, reverse=True):
            merged |= comps[c]
            comps[c] = set()
        comps.append(merged)
        for j in merged:
            for u in subs[j]:
                owner[u] = len(comps) - 1
    return [sorted(c) for c in comps if c]


def constant_tensor(net: CompiledNet, ops, subs, free, max_cost) -> np.ndarray:
    """Sum a group of evidence-free tables down to ``free`` (cached across patterns)."""
    import opt_einsum

    key = ("const", ops, free)
    found = net.plans.get(key)
    if found is None:
        equation = _equation(subs, free)
        shapes = [net.tables[v].shape for _, v in ops]
        path, flops, elements = _path(net, equation, shapes, free, False, max_cost)
        found = net.plans[key] = (np.asarray(opt_einsum.contract(
            equation, *(net.tables[v] for _, v in ops), optimize=path)), flops, elements)
    else:                              # cached under another budget: check this one
        check_cost(net, free, found[1], found[2], max_cost)
    return found[0]


def check_cost(net: CompiledNet, outputs, flops: float, elements: float,
               max_cost: float | None) -> None:
    """Raise ``CostError`` when a per-row cost exceeds the budget."""
    budget = MAX_FLOPS_PER_ROW if max_cost is None else float(max_cost)
    if flops <= budget and elements <= MAX_ELEMENTS_PER_ROW:
        return
    names = [net.names[v] for v in outputs]
    shown = ", ".join(names[:4]) + (f", ... ({len(names)} variables)" if len(names) > 4 else "")
    what = f"P({shown} | evidence)" if outputs else "P(evidence)"
    raise CostError(
        f"exact inference on model '{net.spec.name}' is too costly: {what} needs about "
        f"{flops:.3g} flops and an intermediate table of {elements:.3g} entries "
        f"({elements * 8 / 2**30:.3g} GiB) per row (budget: {budget:.3g} flops, "
        f"{MAX_ELEMENTS_PER_ROW:.3g} entries); observe more variables, query fewer, raise "
        "max_cost, or use approximate inference by sampling (BayesNet.sample with evidence)")
