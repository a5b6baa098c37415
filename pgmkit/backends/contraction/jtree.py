"""A junction tree compiled once per (evidence columns, queried variables).

Rows of a table of evidence differ in which cells are observed. Planning a
contraction per observed pattern costs milliseconds each, and on wide tables nearly
every row has its own pattern. A junction tree does not care: every evidence column
enters as a per-row likelihood vector (one-hot where observed, ones where not), so
one structure and one batched message pass answer every row at the same cost.

The plan, built once and cached on the compiled network:

1. keeps the ancestors of the evidence columns and queried variables (the rest sums
   to one),
2. triangulates their moral graph by a greedy elimination order (min-fill and
   min-weight are both tried; the smaller total clique size wins) and links the
   cliques into a tree, one per connected component,
3. roots each tree at a clique holding evidence and marks *active* the cliques whose
   subtree holds evidence or a query; the others hold no per-row information, so
   their messages are computed once and multiplied into their parent's table,
4. sums out of each active clique's table the variables that occur in no other
   active clique and are neither evidence nor queried,
5. estimates the per-row cost of the batched pass and refuses past the budget with
   ``CostError``.

*Hard* evidence columns (observed in every row the plan serves) leave the graph before
triangulation: a CPD that mentions one is sliced per row at the observed state, so
the cliques are those of the network with these variables instantiated, often orders
of magnitude smaller (andes with its wide evidence: 390k entries per row with every
column soft, 7.5k with eight hard). ``propagate`` picks which columns to make hard
and groups the rows by which of those they observe.

``propagate`` runs the batched pass; ``sampling`` draws from a tree built without
steps 3-4.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from pgmkit.backends.contraction.compile import MAX_ELEMENTS_PER_ROW, CompiledNet, check_cost

#: Largest table (entries) the compile step itself may build for one clique.
MAX_CLIQUE_ENTRIES = 2 ** 26


@dataclass
class Clique:
    """One clique: its variables (sorted ids), table and place in the rooted tree."""

    variables: tuple[int, ...]
    table: np.ndarray                    # axes in ``variables`` order, no row axis
    parent: int = -1
    children: tuple[int, ...] = ()
    evidence: tuple[int, ...] = ()       # evidence columns whose vector enters here
    has_evidence: bool = False           # evidence somewhere in its subtree
    up: np.ndarray | None = None         # constant message to the parent (no evidence below)
    belief: np.ndarray | None = None     # constant collect-phase belief (no evidence below)
    base: np.ndarray | None = None       # table times the constant messages from below
    gathered: tuple[tuple[int, int], ...] = ()   # (evidence column, stride) sliced from base
    hard: tuple[int, ...] = ()           # hard evidence among its table's axes (sliced per row)

    @property
    def size(self) -> int:
        return int(self.table.size)


@dataclass
class TreePlan:
    """A rooted junction forest over the active cliques, ready to run on rows."""

    cliques: list[Clique]
    order: tuple[int, ...]               # active cliques, children before parents
    roots: tuple[int, ...]
    hosts: dict[int, int]                # queried variable -> clique that answers it
    needed: frozenset[int]               # cliques whose final belief the queries need
    cards: tuple[int, ...]
    flops_per_row: float
    elements_per_row: float
    #: factors over hard evidence only: (table, ((variable, stride), ...)), one per-row value
    scalars: tuple = ()
    hard: frozenset = frozenset()
    #: tabulated subtree messages (``propagate.subtree_tables``), built on first use
    subtrees: dict | None = None

    def axes(self, c: int, variables) -> tuple[int, ...]:
        """Broadcast shape (after the row axis) of a factor over ``variables`` in clique c."""
        return tuple(self.cards[v] if v in variables else 1 for v in self.cliques[c].variables)


# -- triangulation ------------------------------------------------------------------
def moral_graph(net: CompiledNet, nodes: set[int]) -> dict[int, set[int]]:
    adj = {v: set() for v in nodes}
    for v in nodes:
        fam = net.scope(v)
        for a in fam:
            for b in fam:
                if a != b:
                    adj[a].add(b)
    return adj


def elimination_order(adj: dict[int, set[int]], cards, rule: str) -> list[int]:
    """Greedy elimination order: ``"fill"`` (fewest fill-in edges, then smallest clique)
    or ``"weight"`` (smallest clique, then fewest fill-in edges)."""
    adj = {v: set(n) for v, n in adj.items()}

    def score(v):
        nb = adj[v]
        fill = sum(1 for a in nb for b in nb if a < b and b not in adj[a])
        weight = math.prod(cards[u] for u in nb) * cards[v]
        return (fill, weight, v) if rule == "fill" else (weight, fill, v)

    scores = {v: score(v) for v in adj}
    order = []
    while scores:
        v = min(scores, key=scores.__getitem__)
        nb = adj.pop(v)
        del scores[v]
        for a in nb:
            adj[a].discard(v)
            adj[a] |= nb - {a}
        touched = set(nb)
        for a in nb:
            touched |= adj[a]
        for u in touched:
            scores[u] = score(u)
        order.append(v)
    return order


def cliques_of(adj: dict[int, set[int]], order: list[int]):
    """Maximal cliques of the triangulated graph and their tree edges.

    Returns ``(cliques, parent, home)``: clique variable sets, each clique's parent
    (``None`` for a root) and, for each variable, the clique created when it was
    eliminated (merged into a superset when that one was not maximal).
    """
    adj = {v: set(n) for v, n in adj.items()}
    pos = {v: i for i, v in enumerate(order)}
    sets, parent = {}, {}
    for v in order:
        nb = adj.pop(v)
        sets[v] = frozenset(nb | {v})
        parent[v] = min(nb, key=pos.__getitem__) if nb else None
        for a in nb:
            adj[a].discard(v)
            adj[a] |= nb - {a}
    children = {v: [] for v in order}
    for v in order:
        if parent[v] is not None:
            children[parent[v]].append(v)
    home = {v: v for v in order}
    for v in order:                      # children come first in the elimination order
        for w in children[v]:
            if sets[v] <= sets[w]:       # v's clique is not maximal: w replaces it
                p = parent[v]
                parent[w] = p
                for x in children[v]:
                    if x != w:
                        parent[x] = w
                        children[w].append(x)
                if p is not None:
                    children[p] = [w if x == v else x for x in children[p]]
                home[v] = w
                del sets[v]
                break
    for v in order:
        while home[v] not in sets:
            home[v] = home[home[v]]
    return sets, {v: parent[v] for v in sets}, home


def triangulate(net: CompiledNet, nodes: set[int], hard=frozenset()):
    """The cheaper (total clique entries) of the min-fill and min-weight triangulations
    of the moral graph of ``nodes`` with the ``hard`` variables removed."""
    adj = moral_graph(net, nodes)
    if hard:
        adj = {v: nb - hard for v, nb in adj.items() if v not in hard}
    best = None
    for rule in ("fill", "weight"):
        order = elimination_order(adj, net.cards, rule)
        sets, parent, home = cliques_of(adj, order)
        total = sum(math.prod(net.cards[u] for u in s) for s in sets.values())
        if best is None or total < best[0]:
            best = (total, order, sets, parent, home)
    return best[1:]


# -- the plan -----------------------------------------------------------------------
def build_tree(net: CompiledNet, evidence, targets, *, fold: bool = True,
               max_cost: float | None = None, hard=()) -> TreePlan:
    """Compile the junction forest for these evidence columns and queried variables.

    ``hard`` (a subset of ``evidence``) are columns observed in every row the plan will
    serve: they leave the graph and are sliced out of the tables per row (see the
    module's docstring); no queried variable may be hard. With ``fold=False`` every
    variable of the network is kept, no clique is folded and nothing is summed out
    (what sampling needs).
    """
    evidence, targets, hard = tuple(evidence), tuple(targets), frozenset(hard)
    soft = tuple(e for e in evidence if e not in hard)
    nodes = net.ancestors(set(evidence) | set(targets)) if fold else set(range(len(net.names)))
    if not nodes - hard:
        return TreePlan([], (), (), {}, frozenset(), net.cards, 0.0, 0.0,
                        _scalars(net, nodes, hard), hard)
    order, sets, parent, home = triangulate(net, nodes, hard)
    ids = {v: i for i, v in enumerate(sets)}
    largest = max(math.prod(net.cards[u] for u in s) for s in sets.values())
    if largest > MAX_CLIQUE_ENTRIES:     # refuse before building the tables
        check_cost(net, targets, float(largest), float(MAX_ELEMENTS_PER_ROW) * 2, max_cost)
    pos = {v: i for i, v in enumerate(order)}
    place, extra = {}, {i: set() for i in range(len(sets))}
    for v in sorted(nodes):              # each table goes where its family was eliminated
        scope = [u for u in net.scope(v) if u not in hard]
        if scope:
            place[v] = ids[home[min(scope, key=pos.__getitem__)]]
            extra[place[v]] |= set(net.scope(v)) & hard
    cliques = []
    for i, s in enumerate(sets.values()):
        variables = tuple(sorted(s | extra[i]))
        cliques.append(Clique(variables, np.ones([net.cards[u] for u in variables]),
                              hard=tuple(sorted(extra[i]))))
    for v, c in place.items():
        _multiply_in(cliques[c], net.tables[v], net.scope(v), net.cards)
    links = {i: set() for i in range(len(cliques))}
    for v, p in parent.items():
        if p is not None:
            links[ids[v]].add(ids[p])
            links[ids[p]].add(ids[v])
    ev_host = {e: _smallest(cliques, e) for e in soft}
    for e, c in ev_host.items():
        cliques[c].evidence += (e,)
    hosting = set(ev_host.values()) | {i for i, c in enumerate(cliques) if c.hard}
    # one query: root at a clique holding it, so the collect pass alone answers it
    prefer = {i for i, c in enumerate(cliques) if targets[0] in c.variables} \
        if len(targets) == 1 else set()
    roots = _root(cliques, links, hosting, prefer)
    order_all = _post_order(cliques, roots)
    for c in order_all:
        cl = cliques[c]
        cl.has_evidence = bool(cl.evidence or cl.hard) or \
            any(cliques[k].has_evidence for k in cl.children)
    hosts = {t: _target_host(cliques, t) for t in targets}
    wanted = set(hosts.values())
    active = set()
    for c in order_all:                  # active: evidence or a query in the subtree
        cl = cliques[c]
        if cl.has_evidence or c in wanted or any(k in active for k in cl.children):
            active.add(c)
    if fold:
        _fold(cliques, order_all, active, net.cards)
    else:
        active = set(order_all)
    needed = set()
    for t in wanted:                     # final beliefs needed on each root-to-host path
        while t >= 0 and t not in needed:
            needed.add(t)
            t = cliques[t].parent
    order = tuple(c for c in order_all if c in active)
    if fold:
        _sum_out(cliques, order, set(evidence) | set(targets), net.cards)
    for c in order:                      # constant collect beliefs where no evidence is below
        cl = cliques[c]
        if not cl.has_evidence:
            _constant_collect(cliques, c, net.cards)
            continue
        cl.base = cl.table
        for k in cl.children:
            if not cliques[k].has_evidence:
                cl.base = cl.base * cliques[k].up
    if fold:
        _gather(cliques, order, set(targets), net.cards)
    plan = TreePlan(cliques, order, tuple(r for r in roots if r in active), hosts,
                    frozenset(needed), net.cards, 0.0, 0.0, _scalars(net, nodes, hard), hard)
    plan.flops_per_row, plan.elements_per_row = _cost(plan)
    check_cost(net, tuple(targets), plan.flops_per_row, plan.elements_per_row, max_cost)
    return plan


def _scalars(net: CompiledNet, nodes, hard) -> tuple:
    """The CPDs whose whole family is hard evidence: one value per row, by a gather."""
    out = []
    for v in sorted(nodes):
        scope = net.scope(v)
        if all(u in hard for u in scope):
            strides = [math.prod(net.cards[u] for u in scope[i + 1:]) for i in range(len(scope))]
            out.append((np.ascontiguousarray(net.tables[v]).ravel(), tuple(zip(scope, strides))))
    return tuple(out)


def _multiply_in(clique: Clique, table: np.ndarray, scope, cards) -> None:
    """Multiply a factor over ``scope`` (axes in scope order) into a clique's table."""
    perm = sorted(range(len(scope)), key=lambda i: scope[i])
    arr = np.transpose(table, perm)
    shape = [cards[u] if u in scope else 1 for u in clique.variables]
    clique.table = clique.table * arr.reshape(shape)


def _smallest(cliques: list[Clique], v: int) -> int:
    return min((c.size, i) for i, c in enumerate(cliques) if v in c.variables)[1]


def _root(cliques, links, hosting, prefer=frozenset()) -> tuple[int, ...]:
    """Orient each tree of the forest from a root: its largest ``prefer`` clique, else
    its largest evidence-holding clique, else its largest."""
    seen, roots = set(), []
    for start in range(len(cliques)):
        if start in seen:
            continue
        comp, todo = [], [start]
        seen.add(start)
        while todo:
            c = todo.pop()
            comp.append(c)
            for k in links[c]:
                if k not in seen:
                    seen.add(k)
                    todo.append(k)
        pool = [c for c in comp if c in prefer] or [c for c in comp if c in hosting] or comp
        root = max(pool, key=lambda c: (cliques[c].size, -c))
        roots.append(root)
        todo, cliques[root].parent = [root], -1
        while todo:
            c = todo.pop()
            kids = tuple(k for k in links[c] if k != cliques[c].parent)
            cliques[c].children = kids
            for k in kids:
                cliques[k].parent = c
                todo.append(k)
    return tuple(roots)


def _post_order(cliques, roots) -> list[int]:
    out, todo = [], [(r, False) for r in roots]
    while todo:
        c, done = todo.pop()
        if done:
            out.append(c)
            continue
        todo.append((c, True))
        todo.extend((k, False) for k in cliques[c].children)
    return out


def _target_host(cliques, v: int) -> int:
    """The clique answering ``v``: a root holding it, else the smallest holding it among
    those with evidence below (already on the batched path), else the shallowest
    smallest one."""
    holding = [i for i, c in enumerate(cliques) if v in c.variables]
    onpath = [i for i in holding if cliques[i].has_evidence]
    if onpath:                           # a root needs no distribute pass at all
        return min(onpath, key=lambda i: (cliques[i].parent >= 0, cliques[i].size, i))

    def depth(i):
        d = 0
        while cliques[i].parent >= 0:
            i, d = cliques[i].parent, d + 1
        return d
    return min(holding, key=lambda i: (depth(i), cliques[i].size, i))


def _message(cl: Clique, parent: Clique, value: np.ndarray) -> np.ndarray:
    """Sum a clique-shaped array (no row axis) down to the separator, parent-shaped."""
    drop = tuple(i for i, u in enumerate(cl.variables) if u not in parent.variables)
    msg = value.sum(axis=drop) if drop else value
    return msg.reshape([d if u in cl.variables else 1 for u, d in
                        zip(parent.variables, parent.table.shape)])


def _fold(cliques, order_all, active, cards) -> None:
    """Multiply the messages of inactive subtrees into their active parents, once."""
    for c in order_all:                  # children first: an inactive child's own
        if c in active:                  # inactive children are folded already
            continue
        cl = cliques[c]
        p = cliques[cl.parent] if cl.parent >= 0 else None
        if p is not None:
            p.table = p.table * _message(cl, p, cl.table)
            p.children = tuple(k for k in p.children if k != c)


def _occurrences(cliques, order) -> Counter:
    """How many of the ``order`` cliques hold each variable."""
    return Counter(u for c in order for u in cliques[c].variables)


def _sum_out(cliques, order, keep: set[int], cards) -> None:
    """Sum out of each active clique what no other active clique, evidence or query uses."""
    count = _occurrences(cliques, order)
    for c in order:
        cl = cliques[c]
        drop = [i for i, u in enumerate(cl.variables) if count[u] == 1 and u not in keep]
        if drop and len(drop) < len(cl.variables):
            cl.table = cl.table.sum(axis=tuple(drop))
            cl.variables = tuple(u for u in cl.variables if u not in
                                 {cl.variables[i] for i in drop})


def _gather(cliques, order, targets: set[int], cards) -> None:
    """Slice, rather than multiply, the evidence no other active clique shares.

    Such a column's axis is extended by one slot holding the sum over its states, moved
    last and flattened with the others: a row's slice of the table is one gather (its
    observed state, or the sum where the cell is missing), and the column never
    appears as an axis of the per-row arrays.
    """
    count = _occurrences(cliques, order)
    for c in order:
        cl = cliques[c]
        if not cl.has_evidence:
            continue
        cut = [e for e in cl.evidence if count[e] == 1 and e not in targets] + list(cl.hard)
        if not cut:
            continue
        axes = [cl.variables.index(e) for e in cut]
        table = cl.base
        for a in axes:
            table = np.concatenate([table, table.sum(axis=a, keepdims=True)], axis=a)
        rest = [i for i in range(len(cl.variables)) if i not in axes]
        table = table.transpose(rest + axes)
        ext = [cards[e] + 1 for e in cut]
        strides = [math.prod(ext[i + 1:]) for i in range(len(ext))]
        cl.base = np.ascontiguousarray(table.reshape(table.shape[:len(rest)] + (-1,)))
        cl.table = cl.base[..., 0]       # only its shape is read from here on
        cl.gathered = tuple(zip(cut, strides))
        cl.evidence = tuple(e for e in cl.evidence if e not in cut)
        cl.variables = tuple(cl.variables[i] for i in rest)


def _constant_collect(cliques, c: int, cards) -> None:
    """Collect belief and upward message of a clique with no evidence below it."""
    cl = cliques[c]
    belief = cl.table
    for k in cl.children:
        belief = belief * cliques[k].up
    cl.belief = belief
    if cl.parent >= 0:
        cl.up = _message(cl, cliques[cl.parent], belief)


def _cost(plan: TreePlan) -> tuple[float, float]:
    """Estimated flops and stored entries per row of the batched pass."""
    flops = elements = 0.0
    for c in plan.order:
        cl = plan.cliques[c]
        if not cl.has_evidence and c not in plan.needed:
            continue
        factors = 2 + len(cl.evidence) + len(cl.children) + bool(cl.gathered)
        flops += cl.size * factors * (2 if c in plan.needed else 1)
        elements += cl.size
    return flops, elements
