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

from dataclasses import dataclass, field

import numpy as np

from pgmkit.backends.forward_backward import kernel
from pgmkit.backends.forward_backward.compile import Layout, Params, family_axes
from pgmkit.backends.forward_backward.engine import bind
from pgmkit.backends.forward_backward.starts import (as_sample, child_arrays, children_of,
                                                     complete_start, free_cells, random_params,
                                                     symmetric_children)
from pgmkit.learn import em

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
    """One E-step over every sequence of the bound batch.

    Runs where the bound tensors live (see :func:`~pgmkit.backends.forward_backward.engine.bind`);
    the statistics come back to the CPU as numpy arrays for the M-step.
    """
    import torch

    pk, layout = bound.packed, bound.layout
    g_count, k = pk.G, layout.K
    fw = bound.forward()
    beta, w = kernel.backward(fw, bound.trans, pk)
    gamma = fw.alpha * beta
    ge = pk.event_group
    like = {"dtype": gamma.dtype, "device": gamma.device}
    loglik = _group_sum(fw.log_c, ge, g_count)
    gamma0 = _group_sum(gamma[:pk.n0], pk.seq_group[:pk.n0], g_count)
    gsum = _group_sum(gamma, ge, g_count)
    xi = kernel.expected_transitions(fw, w, bound.trans, pk)
    stats = Stats(_host(loglik), _host(gamma0), _host(gsum), _host(xi), n=pk.E)
    for name in layout.emit:
        code = bound.batch.codes.get(name)
        if code is None:
            continue
        card = layout.spec[name].card
        # -1 (missing) lands in an extra slot, dropped below
        idx = ge * (card + 1) + torch.as_tensor(code, device=gamma.device).remainder(card + 1)
        acc = _group_sum(gamma, idx, g_count * (card + 1))
        stats.emit[name] = _host(acc.reshape(g_count, card + 1, k)[:, :card].permute(0, 2, 1))
    for name in layout.gauss:
        x = bound.batch.reals.get(name)
        if x is None:
            continue
        xt = torch.as_tensor(x, device=gamma.device)
        seen = (~torch.isnan(xt)).to(gamma.dtype)
        xf = torch.nan_to_num(xt, nan=0.0)
        parts = []
        for vals in (seen, xf, xf * xf):
            outer = gamma[:, :, None] * vals[:, None, :]
            acc = torch.zeros((g_count,) + outer.shape[1:], **like)
            parts.append(_host(acc.index_add_(0, ge, outer)))
        stats.gauss[name] = tuple(parts)
    return stats


def _group_sum(values, groups, count: int):
    """``out[g] = sum of values[i] over groups[i] == g`` for ``g < count`` (one group: a
    plain sum, which skips ``index_add_``'s scatter)."""
    import torch

    if count == 1:
        return values.sum(0, keepdim=True)
    return torch.zeros((count,) + values.shape[1:], dtype=values.dtype,
                       device=values.device).index_add_(0, groups, values)


def _host(t) -> np.ndarray:
    """A tensor as a numpy array on the CPU (no copy for one already there)."""
    return t.cpu().numpy()


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
        kids = children_of(layout, name)
        for g in groups:
            children = [np.moveaxis(a[g], axis - 1, 0) for child, axis in kids
                        for a in child_arrays(params, child)]
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
    ``sample`` is what random starts read of the data: a packed batch or a
    :class:`~pgmkit.backends.forward_backward.starts.RealSample` (None where no start is
    drawn, as on a Dask worker). ``device`` is where the E-step runs: None on the CPU
    with the kernel's numpy loops, else a ``torch.device`` (the statistics come back to
    the CPU for the M-step).
    """

    def __init__(self, layout: Layout, start: Params, groups: int, sample,
                 pseudo_count: float = 0.0, device=None):
        self.layout, self.start_params, self.groups = layout, start, groups
        self.sample, self.pseudo = as_sample(sample), float(pseudo_count)
        self.device = device
        self.free = free_cells(layout, start, groups)
        spec = layout.spec
        # a symmetric start is partly random too, so it gets the random-start default
        self.fully_given = not spec.missing_cpds and all(
            v.initial is not None for v in spec.variables
            if v.name in layout.state and v.lagged_parents) and not symmetric_children(
            layout, start)

    def partition(self, batch) -> Partition:
        return Partition(batch, kernel.pack_indices(batch, self.groups, self.device))

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


def run_em(layout: Layout, start: Params, batch, *, max_iter: int = em.MAX_ITER,
           tol: float = em.TOL, restarts: int | None = None, seed: int | None = 0,
           pseudo_count: float = em.PSEUDO_COUNT, progress: bool = True,
           device=None) -> em.EMResult:
    """Fit every group's CPDs by EM on one in-memory batch (see :func:`pgmkit.learn.em.run`).

    The first restart starts from the spec's CPDs (random where absent or symmetric),
    later ones from random CPDs drawn with ``seed``; the best run is kept per group.
    ``device`` (a ``torch.device``) runs the E-steps in torch there instead of the CPU's
    numpy loops (see :class:`ChainEM`).
    """
    em.check_settings(max_iter, tol, pseudo_count)
    with kernel.few_threads(1, blas=True):
        problem = ChainEM(layout, start, len(batch.groups), batch, pseudo_count, device)
        return em.run(problem, em.LocalRunner([problem.partition(batch)]), max_iter=max_iter,
                      tol=tol, restarts=restarts, seed=seed, progress=progress)
