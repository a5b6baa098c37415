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

import dataclasses
import math

import numpy as np

from pgmkit.backends.contraction.jtree import TreePlan

#: A running product is rescaled after this many factors (each at least 1e-300 / 8).
RESCALE_EVERY = 8
#: Rows per chunk keep the stored beliefs under about this many entries.
CHUNK_ENTRIES = 2 ** 23
#: A subtree whose evidence columns have at most this many joint codes (a missing cell
#: is a code of its own) has its upward message tabulated once per tree ...
TABLE_CODES = 1024
#: ... once a call brings at least this many rows (a table costs its codes' worth of rows).
TABLE_ROWS = 1024


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


def collect(plan: TreePlan, codes: dict[int, np.ndarray], m: int, tables=None):
    """Collect phase for ``m`` rows; returns (log evidence, beliefs, upward messages).

    ``tables`` (from :func:`subtree_tables`) answer whole subtrees by one gather each.
    """
    log_ev = np.zeros(m)
    with np.errstate(divide="ignore"):
        for table, pairs in plan.scalars:    # CPDs of hard evidence only
            log_ev += np.log(table[sum(codes[v] * stride for v, stride in pairs)])
    beliefs: dict[int, np.ndarray] = {}
    ups: dict[int, np.ndarray] = {}
    skip: set[int] = set()
    for c, (columns, strides, message, scale, members) in (tables or {}).items():
        key = sum((codes[e] + 1) * stride for e, stride in zip(columns, strides))
        ups[c] = np.take(message, key, axis=-1)
        log_ev += scale[key]
        skip.update(members)
    for c in plan.order:
        cl = plan.cliques[c]
        if not cl.has_evidence or c in skip:
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


def subtree_tables(plan: TreePlan, rows: int) -> dict:
    """Upward messages of small-evidence subtrees, tabulated by their rows' codes.

    A subtree's message to its parent depends on nothing but the codes of the evidence
    columns entering inside it. When those have few joint codes (``TABLE_CODES``, a
    missing cell counting as one), the subtree is run once on every code combination
    and each row's message (and the log scale it carries) is one gather from that
    table: the cliques inside are not visited per row. Only the largest such subtrees
    are tabulated, none holding a clique whose final belief a query needs. Built on the
    first call with at least ``TABLE_ROWS`` rows and kept on the plan.
    """
    if plan.subtrees is not None:
        return plan.subtrees
    if rows < TABLE_ROWS:
        return {}
    columns: dict[int, set[int]] = {}
    needy: dict[int, bool] = {}
    members: dict[int, list[int]] = {}
    for c in plan.order:                     # children first
        cl = plan.cliques[c]
        if not cl.has_evidence:
            continue
        cols = set(cl.evidence) | {e for e, _ in cl.gathered}
        needy[c] = c in plan.needed
        members[c] = []
        for k in cl.children:
            if k in columns:
                cols |= columns[k]
                needy[c] |= needy[k]
                members[c] += members[k]
        members[c].append(c)
        columns[c] = cols

    def fits(c):
        codes = math.prod(plan.cards[e] + 1 for e in columns[c])
        return plan.cliques[c].parent >= 0 and not needy[c] and codes <= TABLE_CODES

    tables = {}
    for c in columns:
        if not fits(c) or fits(plan.cliques[c].parent):
            continue
        cols = sorted(columns[c])
        ext = [plan.cards[e] + 1 for e in cols]
        digits = np.unravel_index(np.arange(math.prod(ext)), ext)
        sub = dataclasses.replace(plan, order=tuple(members[c]), scalars=(),
                                  needed=frozenset(), subtrees={})
        log_ev, _, ups = collect(sub, {e: d - 1 for e, d in zip(cols, digits)}, len(digits[0]))
        strides = [math.prod(ext[i + 1:]) for i in range(len(ext))]
        tables[c] = (tuple(cols), tuple(strides), np.ascontiguousarray(ups[c]), log_ev,
                     tuple(members[c]))
    plan.subtrees = tables
    return tables


def marginals(plan: TreePlan, codes: dict[int, np.ndarray], m: int, tables=None):
    """Log evidence (m,) and, per queried variable, its posterior (m, states)."""
    log_ev, beliefs, ups = collect(plan, codes, m, tables)
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
    tables = subtree_tables(plan, n)
    for start in range(0, n, size):
        part = slice(start, min(n, start + size))
        sub = {v: c[part] for v, c in codes.items()}
        le, res = marginals(plan, sub, part.stop - part.start, tables)
        log_ev[part] = le
        for t, value in res.items():
            results[t][part] = value
    return log_ev, results


def tree_batch(net, codes: np.ndarray, columns: list[int], targets: list[int],
               chunk_size: int | None = None, max_cost: float | None = None):
    """Log evidence per row and each target's posterior (``infer._run``'s contract).

    A few *key* evidence columns (:func:`choose_keys`) are hard evidence in the tree:
    they leave the graph, which shrinks the cliques. A row that does not observe a key
    is answered by conditioning on it: the row is run once per state of each missing
    key and the copies are summed (log evidence) and mixed (posteriors) by their
    weights, exactly. One tree serves every row; its cost per row is bounded by the
    product of the missing keys' states. The tree is compiled once per (observed
    columns, targets) and cached on the network; raises ``CostError`` (also cached)
    when it is over the budget.
    """
    n = codes.shape[0]
    seen_cols = [j for j in range(len(columns)) if (codes[:, j] >= 0).any()]
    evidence = tuple(sorted(columns[j] for j in seen_cols))
    rows = {columns[j]: codes[:, j] for j in seen_cols}
    keys = choose_keys(net, evidence, tuple(targets), rows, max_cost)
    plan = _tree(net, evidence, tuple(targets), keys, max_cost)
    if not keys:
        log_ev, results = run(plan, rows, n, chunk_size)
        return log_ev, [results[t] for t in targets]
    rep, offsets, expanded = _expand(net, keys, rows)
    le, res = run(plan, expanded, len(rep), chunk_size)
    for t in keys:                           # a key queried: the state of each copy
        if t in targets:
            res[t] = (expanded[t][:, None] == np.arange(net.cards[t])).astype(float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        top = np.maximum.reduceat(le, offsets)
        finite = np.isfinite(top)
        w = np.exp(le - np.where(finite, top, 0.0)[rep])
        w[~np.isfinite(le)] = 0.0
        z = np.add.reduceat(w, offsets)
        log_ev = np.where(finite, top + np.log(z), -np.inf)
        w /= np.where(z > 0, z, 1.0)[rep]
        out = []
        for t in targets:
            value = np.add.reduceat(np.where(w[:, None] > 0, res[t], 0.0) * w[:, None],
                                    offsets, axis=0)
            value[~finite] = np.nan
            out.append(value)
    return log_ev, out


def _expand(net, keys, rows):
    """One copy of each row per joint state of its missing keys.

    Returns ``(rep, offsets, expanded)``: the original row of each copy, where each
    row's copies start, and the codes of every column for the copies (keys filled in).
    """
    n = len(next(iter(rows.values())))
    missing = np.stack([rows[k] < 0 for k in keys], axis=1)
    cards = np.array([net.cards[k] for k in keys], dtype=np.int64)
    copies = np.prod(np.where(missing, cards, 1), axis=1)
    rep = np.repeat(np.arange(n), copies)
    offsets = np.concatenate([[0], np.cumsum(copies)[:-1]])
    j = np.arange(len(rep)) - offsets[rep]            # the copy's index within its row
    expanded = {v: c[rep] for v, c in rows.items()}
    stride = np.ones(n, dtype=np.int64)
    for i in reversed(range(len(keys))):              # mixed radix over the missing keys
        k = keys[i]
        fill = missing[rep, i]
        expanded[k] = np.where(fill, (j // stride[rep]) % cards[i], expanded[k])
        stride = np.where(missing[:, i], stride * cards[i], stride)
    return rep, offsets, expanded


#: A key is added only if it cuts the estimated work per row by at least this factor.
KEY_GAIN = 0.95
#: Keys are considered while the tree's largest clique has more entries than this.
KEY_CLIQUE = 2 ** 9
#: At most this many key columns.
MAX_KEYS = 8
#: The keys' joint states (the copies a row missing every key needs) stay under this.
MAX_COPIES = 256


def _tree(net, evidence, targets, hard, max_cost):
    from pgmkit.backends.contraction.jtree import build_tree
    from pgmkit.errors import CostError

    key = ("jtree", evidence, targets, max_cost, hard)
    plan = net.plans.get(key)
    if plan is None:
        try:
            plan = build_tree(net, evidence, [t for t in targets if t not in hard],
                              max_cost=max_cost, hard=hard)
        except CostError as exc:
            plan = exc
        net.plans[key] = plan
    if isinstance(plan, CostError):
        raise plan
    return plan


def choose_keys(net, evidence, targets, rows, max_cost) -> tuple[int, ...]:
    """Evidence columns worth making hard (cached per columns and targets).

    Greedy: while the largest clique of the tree (with the keys so far hard) is large,
    take from it the most connected column (per copy it adds to rows missing it), keep it
    if the estimated work per row (total clique entries times the mean number of
    copies rows missing keys need) falls by at least ``KEY_GAIN``. The keys' joint
    states are capped (``MAX_COPIES``), which bounds the copies of any one row.
    """
    import math

    from pgmkit.backends.contraction.jtree import moral_graph, triangulate

    cache = ("jtree-keys", evidence, targets)
    if cache in net.plans:
        return net.plans[cache]
    nodes = net.ancestors(set(evidence) | set(targets))
    n = len(next(iter(rows.values()))) if rows else 0
    if not n:
        return ()
    share = {v: float((c >= 0).mean()) for v, c in rows.items()}
    degree = {v: len(nb) for v, nb in moral_graph(net, nodes).items()}
    copies = np.ones(n)

    def entries(sets):
        return sum(math.prod(net.cards[u] for u in s) for s in sets)

    keys: list[int] = []
    sets = list(triangulate(net, nodes)[1].values())
    work = entries(sets)
    while len(keys) < MAX_KEYS:
        big = max(sets, key=lambda s: math.prod(net.cards[u] for u in s))
        if math.prod(net.cards[u] for u in big) <= KEY_CLIQUE:
            break
        room = MAX_COPIES // math.prod(net.cards[k] for k in keys)
        pool = [v for v in big if v in share and v not in keys and share[v] >= 0.5
                and net.cards[v] <= room]
        if not pool:
            break
        pick = max(pool, key=lambda v: (degree[v] / (1 + (net.cards[v] - 1) * (1 - share[v])),
                                        -v))
        more = copies * np.where(rows[pick] < 0, net.cards[pick], 1)
        trial = list(triangulate(net, nodes, frozenset(keys + [pick]))[1].values())
        new = entries(trial) * float(more.mean())
        if new > KEY_GAIN * work:
            break
        keys.append(pick)
        sets, work, copies = trial, new, more
    net.plans[cache] = tuple(sorted(keys))
    return net.plans[cache]
