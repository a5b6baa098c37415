"""EM that keeps the spec's factorization.

E-step: forward-backward over the product state gives expected counts of product
states and of transitions between them. M-step: the counts are *projected* onto each
CPD's family (its parents and itself), so a factorial HMM learns ``p(h'|h)`` and
``p(v'|v)`` rather than one free joint matrix. Dirichlet pseudo-counts are added to the
cells the starting CPD allows (a structural zero, such as "no forgetting" in BKT,
stays zero). All groups (one model per skill, say) are fitted in the same batch.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from pgmkit.backends.forward_backward import kernel
from pgmkit.backends.forward_backward.compile import Layout, Params, family_axes
from pgmkit.backends.forward_backward.engine import bind

log = logging.getLogger(__name__)
VAR_FLOOR = 1e-6


@dataclass(eq=False)
class Stats:
    """Expected sufficient statistics per group (leading axis ``G``)."""

    loglik: np.ndarray
    gamma0: np.ndarray
    gamma: np.ndarray
    xi: np.ndarray
    emit: dict = field(default_factory=dict)
    gauss: dict = field(default_factory=dict)


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
    stats = Stats(loglik.numpy(), gamma0.numpy(), gsum.numpy(), xi.numpy())
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
    """The starting CPDs broadcast to every group, random where the spec gives none."""
    rand = random_params(layout, free, g_count, batch, rng)
    out = Params()
    for src, rnd, target in ((start.tables, rand.tables, out.tables),
                             (start.initial, rand.initial, out.initial),
                             (start.loc, rand.loc, out.loc), (start.scale, rand.scale, out.scale)):
        for name, arr in rnd.items():
            target[name] = (np.broadcast_to(src[name], arr.shape).copy() if name in src
                            and src[name].shape[0] in (1, g_count) else arr)
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


@dataclass(eq=False)
class EMResult:
    params: Params
    log_likelihood: list[float]          # total per iteration, best restart
    group_loglik: np.ndarray             # final per group
    converged: bool
    restarts: list[float]                # final total of each restart
    chosen: np.ndarray                   # restart chosen per group


@kernel.single_threaded
def run_em(layout: Layout, start: Params, batch, *, max_iter: int = 100, tol: float = 1e-6,
           restarts: int = 1, seed: int | None = 0, pseudo_count: float = 0.01,
           progress: bool = True) -> EMResult:
    """Fit every group's CPDs by EM; restart ``restarts`` times and keep the best per group.

    The first restart starts from the spec's CPDs (random where absent), later ones from
    random CPDs drawn with ``seed``. Iteration stops when the total log-likelihood gains
    less than ``tol`` per event.
    """
    from tqdm.auto import tqdm

    g_count = len(batch.groups)
    rng = np.random.default_rng(seed)
    free = free_cells(layout, start, g_count)
    packed = kernel.pack_indices(batch, g_count)
    runs = []
    bar = tqdm(total=max_iter * restarts, desc="EM", disable=not progress, leave=False)
    for r in range(restarts):
        params = (complete_start(layout, start, free, g_count, batch, rng) if r == 0
                  else random_params(layout, free, g_count, batch, rng))
        runs.append(_iterate(layout, params, free, batch, packed, max_iter, tol, pseudo_count, bar))
        log.info("EM restart %d: log-likelihood %.6g after %d iterations", r,
                 runs[-1][1][-1], len(runs[-1][1]))
    bar.close()
    finals = np.stack([run[2] for run in runs])              # (restarts, G)
    choice = np.argmax(finals, axis=0)
    totals = [float(f.sum()) for f in finals]
    best = int(np.argmax(totals))
    return EMResult(select([run[0] for run in runs], choice), runs[best][1],
                    finals[choice, np.arange(g_count)], runs[best][3], totals, choice)


def _iterate(layout, params, free, batch, packed, max_iter, tol, pseudo, bar):
    history: list[float] = []
    group_ll = np.zeros(packed.G)
    converged = False
    for it in range(max_iter):
        stats = expected_counts(bind(layout, params, batch, packed))
        group_ll = stats.loglik
        history.append(float(group_ll.sum()))
        bar.update(1)
        if it and history[-1] - history[-2] < tol * batch.num_events:
            converged = True
            bar.update(max_iter - it - 1)
            break
        params = maximize(layout, stats, params, free, pseudo)
    return params, history, group_ll, converged
