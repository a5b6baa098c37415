"""EM that keeps the spec's factorization.

E-step: forward-backward over the product state gives expected counts of product
states and of transitions between them. M-step: the counts are *projected* onto each
CPD's family (its parents and itself), so a factorial HMM learns ``p(h'|h)`` and
``p(v'|v)`` rather than one free joint matrix. Dirichlet pseudo-counts are added to the
cells the starting CPD allows (a structural zero, such as "no forgetting" in BKT,
stays zero). All groups (one model per skill, say) are fitted in the same batch.
:class:`ChainEM` is this engine's side of the one EM driver (:mod:`pgmkit.learn.em`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from pgmkit.backends.forward_backward import kernel
from pgmkit.backends.forward_backward.compile import Layout, Params, family_axes
from pgmkit.backends.forward_backward.engine import bind
from pgmkit.learn import em

log = logging.getLogger(__name__)
VAR_FLOOR = 1e-6


@dataclass(eq=False)
class Stats:
    """Expected sufficient statistics per group (leading axis ``G``, the *global* group
    codes), and ``n`` the events summarized. Statistics of two partitions of the
    sequences add up to those of both: ``Stats + Stats``."""

    loglik: np.ndarray
    gamma0: np.ndarray
    gamma: np.ndarray
    xi: np.ndarray
    emit: dict = field(default_factory=dict)
    gauss: dict = field(default_factory=dict)
    n: int = 0

    def __add__(self, other: "Stats") -> "Stats":
        emit = _merge(self.emit, other.emit, lambda a, b: a + b)
        gauss = _merge(self.gauss, other.gauss, lambda a, b: tuple(x + y for x, y in zip(a, b)))
        return Stats(self.loglik + other.loglik, self.gamma0 + other.gamma0,
                     self.gamma + other.gamma, self.xi + other.xi, emit, gauss, self.n + other.n)


def _merge(a: dict, b: dict, add) -> dict:
    """Keys of both (a partition without a column has no statistics for it)."""
    out = dict(a)
    for k, v in b.items():
        out[k] = add(out[k], v) if k in out else v
    return out


def expected_counts(bound) -> Stats:
    """One E-step over every sequence of the bound batch."""
    import torch

    pk, layout = bound.packed, bound.layout
    g_count, k = pk.G, layout.K
    fw = bound.forward()
    beta, w = kernel.backward(fw, bound.trans, pk)
    gamma = fw.alpha * beta
    ge = pk.event_group
    loglik = torch.zeros(g_count, dtype=gamma.dtype).index_add_(0, ge, fw.log_c)
    gamma0 = torch.zeros(g_count, k, dtype=gamma.dtype).index_add_(0, pk.seq_group[:pk.n0],
                                                                   gamma[:pk.n0])
    gsum = torch.zeros(g_count, k, dtype=gamma.dtype).index_add_(0, ge, gamma)
    xi = kernel.expected_transitions(fw, w, bound.trans, pk)
    stats = Stats(loglik.numpy(), gamma0.numpy(), gsum.numpy(), xi.numpy(), n=pk.E)
    for name in layout.emit:
        code = bound.batch.codes.get(name)
        if code is None:
            continue
        card = layout.spec[name].card
        idx = ge * (card + 1) + torch.as_tensor(code).remainder(card + 1)   # -1 -> the extra slot
        acc = torch.zeros(g_count * (card + 1), k, dtype=gamma.dtype).index_add_(0, idx, gamma)
        stats.emit[name] = acc.reshape(g_count, card + 1, k)[:, :card].permute(0, 2, 1).numpy()
    for name in layout.gauss:
        x = bound.batch.reals.get(name)
        if x is None:
            continue
        xt = torch.as_tensor(x)
        seen = (~torch.isnan(xt)).to(gamma.dtype)
        xf = torch.nan_to_num(xt, nan=0.0)
        parts = []
        for vals in (seen, xf, xf * xf):
            outer = gamma[:, :, None] * vals[:, None, :]
            acc = torch.zeros((g_count,) + outer.shape[1:], dtype=gamma.dtype)
            parts.append(acc.index_add_(0, ge, outer).numpy())
        stats.gauss[name] = tuple(parts)
    return stats


def _project(counts: np.ndarray, cards: tuple[int, ...], axes: list[int], tail: int = 0) -> np.ndarray:
    """Sum a ``(G, K[, K][, tail])`` count array down to one CPD family's axes."""
    lead = counts.shape[0]
    n_state = (counts.ndim - 1 - (1 if tail else 0))
    full = counts.reshape((lead,) + cards * n_state + ((counts.shape[-1],) if tail else ()))
    return np.einsum(full, list(range(full.ndim)), [0] + list(axes))


def _normalize(counts: np.ndarray, old: np.ndarray, free: np.ndarray, pseudo: float) -> np.ndarray:
    c = counts + pseudo * free
    total = c.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        new = c / total
    return np.where(total > 0, new, old)


def maximize(layout: Layout, stats: Stats, old: Params, free: Params, pseudo: float) -> Params:
    """M-step: every CPD from its projected expected counts."""
    d = len(layout.state)
    new = old.copy()
    for name in layout.state:
        v = layout.spec[name]
        if v.lagged_parents:
            c = _project(stats.xi, layout.cards, family_axes(layout, v, True))
            new.initial[name] = _normalize(_project(stats.gamma0, layout.cards,
                                                    family_axes(layout, v, False)),
                                           old.initial[name], free.initial[name], pseudo)
        else:
            c = _project(stats.gamma, layout.cards, family_axes(layout, v, False))
        new.tables[name] = _normalize(c, old.tables[name], free.tables[name], pseudo)
    for name, counts in stats.emit.items():
        axes = [1 + layout.axis(p) for p in layout.spec[name].parent_names] + [1 + d]
        new.tables[name] = _normalize(_project(counts, layout.cards, axes, tail=1),
                                      old.tables[name], free.tables[name], pseudo)
    for name, (w, s1, s2) in stats.gauss.items():
        axes = [1 + layout.axis(p) for p in layout.spec[name].parent_names] + [1 + d]
        w, s1, s2 = (_project(a, layout.cards, axes, tail=1) for a in (w, s1, s2))
        ok = w > 1e-10
        with np.errstate(invalid="ignore", divide="ignore"):
            loc = s1 / w
            var = s2 / w - loc * loc
        new.loc[name] = np.where(ok, loc, old.loc[name])
        new.scale[name] = np.where(ok, np.sqrt(np.maximum(var, VAR_FLOOR)), old.scale[name])
    return new


def table_shapes(layout: Layout) -> dict[str, tuple[tuple[int, ...], tuple[int, ...] | None]]:
    """Shapes of each discrete variable's table and (for lagged state variables) initial table."""
    spec, out = layout.spec, {}
    for v in spec.variables:
        if not v.is_discrete:
            continue
        shape = tuple(spec[p.name].card for p in v.parents) + (v.card,)
        init = (tuple(spec[p].card for p in v.parent_names) + (v.card,)
                if v.name in layout.state and v.lagged_parents else None)
        out[v.name] = (shape, init)
    return out


def free_cells(layout: Layout, start: Params, g_count: int) -> Params:
    """Which cells EM may move: all, except the zeros of a given starting CPD."""
    free = Params()
    for name, (shape, init) in table_shapes(layout).items():
        for target, src, shp in ((free.tables, start.tables, shape), (free.initial, start.initial, init)):
            if shp is None:
                continue
            base = (src[name] > 0).astype(float) if name in src else np.ones((1,) + shp)
            target[name] = np.broadcast_to(base, (g_count,) + shp).copy()
    return free


def random_params(layout: Layout, free: Params, g_count: int, batch, rng) -> Params:
    """Random CPDs (Dirichlet(1) rows over the free cells; Gaussian means at data points)."""
    out = Params()
    for src, target in ((free.tables, out.tables), (free.initial, out.initial)):
        for name, mask in src.items():
            x = rng.gamma(1.0, size=mask.shape) * mask + 1e-12 * mask
            target[name] = x / x.sum(-1, keepdims=True)
    for name in layout.gauss:
        v = layout.spec[name]
        pshape = tuple(layout.spec[p].card for p in v.parent_names)
        x = batch.reals.get(name)
        size = v.domain.size
        if x is None or not np.isfinite(x).any():
            x = np.zeros((1, size))
        rows = x[np.isfinite(x).all(axis=1)] if np.isfinite(x).all(axis=1).any() else np.nan_to_num(x)
        pick = rng.integers(0, len(rows), size=(g_count,) + pshape)
        out.loc[name] = rows[pick]
        sd = np.nanstd(x, axis=0) if np.isfinite(x).sum() > 1 else np.ones(size)
        out.scale[name] = np.broadcast_to(np.maximum(sd, 1e-3), (g_count,) + pshape + (size,)).copy()
    return out


def complete_start(layout: Layout, start: Params, free: Params, g_count: int, batch, rng) -> Params:
    """The starting CPDs broadcast to every group, random where the spec gives none and
    where a latent variable's states are interchangeable in a child's CPD (EM could
    never separate them: identical states get identical statistics)."""
    rand = random_params(layout, free, g_count, batch, rng)
    tied = symmetric_children(layout, start)
    out = Params()
    for src, rnd, target in ((start.tables, rand.tables, out.tables),
                             (start.initial, rand.initial, out.initial),
                             (start.loc, rand.loc, out.loc), (start.scale, rand.scale, out.scale)):
        for name, arr in rnd.items():
            given = name in src and src[name].shape[0] in (1, g_count) and name not in tied
            target[name] = np.broadcast_to(src[name], arr.shape).copy() if given else arr
    if tied:
        log.info("EM: states of a latent variable are interchangeable in the CPDs of %s; "
                 "those start random", sorted(tied))
    return out


def _children(layout: Layout, name: str) -> list[tuple[str, int]]:
    """Variables with ``name`` as a same-slice parent, and that parent's axis in their
    arrays (after the group axis)."""
    out = []
    for v in layout.spec.variables:
        same_slice = [p.name for p in v.parents if not p.lag]
        if name in same_slice:
            out.append((v.name, 1 + [p.name if not p.lag else None for p in v.parents].index(name)))
    return out


def _child_arrays(params: Params, child: str) -> list[np.ndarray]:
    if child in params.tables:
        return [params.tables[child]]
    return [a[child] for a in (params.loc, params.scale) if child in a]


def symmetric_children(layout: Layout, params: Params) -> set[str]:
    """Children whose given CPD does not depend on a latent state parent."""
    out = set()
    for name in layout.state:
        if not layout.spec[name].latent or layout.spec[name].card < 2:
            continue
        for child, axis in _children(layout, name):
            arrays = _child_arrays(params, child)
            if arrays and all(np.allclose(a, np.take(a, [0], axis=axis)) for a in arrays):
                out.add(child)
    return out


def collapsed_states(layout: Layout, params: Params, stats: Stats, groups) -> list[str]:
    """Latent states EM emptied or merged, per group (see :func:`pgmkit.learn.em.collapse_messages`)."""
    from pgmkit.learn.em import collapse_messages

    out = []
    spec = layout.spec
    for name in layout.state:
        v = spec[name]
        if not v.latent:
            continue
        occ = stats.gamma.reshape((stats.gamma.shape[0],) + layout.cards)
        occ = np.moveaxis(occ, 1 + layout.axis(name), -1).reshape(occ.shape[0], -1, v.card).sum(1)
        kids = _children(layout, name)
        for g in groups:
            children = [np.moveaxis(a[g], axis - 1, 0) for child, axis in kids
                        for a in _child_arrays(params, child)]
            label = f"group {int(g)}" if len(occ) > 1 else ""
            out += collapse_messages(name, v.states, occ[g], children, label)
    return out


def select(candidates: list[Params], choice: np.ndarray) -> Params:
    """Per group ``g``, the parameters of candidate ``choice[g]``."""
    g = np.arange(len(choice))
    out = Params()
    for attr in ("tables", "initial", "loc", "scale"):
        for name in getattr(candidates[0], attr):
            stacked = np.stack([getattr(c, attr)[name] for c in candidates])
            getattr(out, attr)[name] = stacked[choice, g]
    return out


@dataclass(frozen=True, eq=False)
class Partition:
    """One packed batch of whole sequences, with its torch indices."""

    batch: object
    packed: kernel.Packed


class ChainEM:
    """EM of a spec laid out as a chain over product states, every group at once
    (this engine's side of :mod:`pgmkit.learn.em`).

    ``groups`` is the number of *global* groups (the statistics' leading axis);
    ``sample`` is a batch random starts draw Gaussian means from.
    """

    def __init__(self, layout: Layout, start: Params, groups: int, sample,
                 pseudo_count: float = 0.0):
        self.layout, self.start_params, self.groups = layout, start, groups
        self.sample, self.pseudo = sample, float(pseudo_count)
        self.free = free_cells(layout, start, groups)
        spec = layout.spec
        # a symmetric start is partly random too, so it gets the random-start default
        self.fully_given = not spec.missing_cpds and all(
            v.initial is not None for v in spec.variables
            if v.name in layout.state and v.lagged_parents) and not symmetric_children(
            layout, start)

    def partition(self, batch) -> Partition:
        return Partition(batch, kernel.pack_indices(batch, self.groups))

    def start(self, restart: int, rng) -> Params:
        if restart == 0:
            return complete_start(self.layout, self.start_params, self.free, self.groups,
                                  self.sample, rng)
        return random_params(self.layout, self.free, self.groups, self.sample, rng)

    def summarize(self, params: Params, part: Partition) -> Stats:
        return expected_counts(bind(self.layout, params, part.batch, part.packed))

    def maximize(self, stats: Stats, params: Params) -> Params:
        return maximize(self.layout, stats, params, self.free, self.pseudo)

    def select(self, candidates: list[Params], choice: np.ndarray) -> Params:
        return select(candidates, choice)

    def collapsed(self, params: Params, stats: Stats, groups) -> list[str]:
        return collapsed_states(self.layout, params, stats, groups)


@kernel.single_threaded
def run_em(layout: Layout, start: Params, batch, *, max_iter: int = em.MAX_ITER,
           tol: float = em.TOL, restarts: int | None = None, seed: int | None = 0,
           pseudo_count: float = em.PSEUDO_COUNT, progress: bool = True) -> em.EMResult:
    """Fit every group's CPDs by EM on one in-memory batch (see :func:`pgmkit.learn.em.run`).

    The first restart starts from the spec's CPDs (random where absent or symmetric),
    later ones from random CPDs drawn with ``seed``; the best run is kept per group.
    """
    em.check_settings(max_iter, tol, pseudo_count)
    problem = ChainEM(layout, start, len(batch.groups), batch, pseudo_count)
    return em.run(problem, em.LocalRunner([problem.partition(batch)]), max_iter=max_iter,
                  tol=tol, restarts=restarts, seed=seed, progress=progress)
