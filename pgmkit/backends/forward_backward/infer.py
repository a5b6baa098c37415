"""Queries on a bound model: filter, smooth, Viterbi, one-step prediction, sampling.

Every function returns arrays in packed event order (see
:mod:`pgmkit.data.sequences`); the facade puts them back in input-row order.
"""
from __future__ import annotations

import numpy as np

from pgmkit.backends.forward_backward import kernel
from pgmkit.backends.forward_backward.compile import Layout, gaussian_by_state, log_emission_tables
from pgmkit.spec.model import ModelSpec


def state_posterior(bound, smooth: bool):
    """``p(state_t | obs_1..t)`` (filter) or ``p(state_t | all obs)`` (smooth), ``(E, K)``."""
    fw = bound.forward()
    if not smooth:
        return fw.alpha.numpy()
    beta, _ = kernel.backward(fw, bound.trans, bound.packed)
    return (fw.alpha * beta).numpy()


def marginals(layout: Layout, probs: np.ndarray, names) -> dict[str, np.ndarray]:
    """Per state variable, its marginal ``(E, card)`` of a product-state distribution."""
    full = probs.reshape((probs.shape[0],) + layout.cards)
    out = {}
    for name in names:
        axis = 1 + layout.axis(name)
        others = tuple(a for a in range(1, full.ndim) if a != axis)
        out[name] = full.sum(axis=others) if others else full
    return out


def viterbi_states(bound) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Most probable path: the code of each state variable per event, and each
    sequence's path log-probability (in packed sequence order)."""
    path, score = kernel.viterbi(bound.log_e, bound.log_pi, bound.trans, bound.packed,
                                 bound.batch.lengths, bound.labels)
    codes = np.unravel_index(path.numpy(), bound.layout.cards)
    return {n: codes[i] for i, n in enumerate(bound.layout.state)}, score.numpy()


def predictive_state(bound, fw=None):
    """``p(state_t | obs_1..t-1)`` for every event, ``(E, K)``."""
    import torch

    fw = fw or bound.forward()
    pk = bound.packed
    pi = torch.exp(bound.log_pi)
    pred = torch.empty_like(fw.alpha)
    pred[:pk.n0] = pi[0] if pi.shape[0] == 1 else pi[pk.seq_group[:pk.n0]]
    pred[pk.n0:] = bound.trans.rows(fw.alpha[pk.prev], pk.event_group[pk.n0:])
    return pred


def predict_next(bound) -> dict[str, np.ndarray]:
    """For each event, the distribution of each observed variable given the earlier events
    of its sequence: ``(E, card)`` for discrete variables, the mean ``(E, size)`` for real."""
    layout = bound.layout
    pred = predictive_state(bound).numpy()
    g = bound.packed.event_group.numpy()
    out = {}
    shared = bound.params.G == 1
    for name, table in log_emission_tables(layout, bound.params).items():
        b = np.exp(table)
        out[name] = pred @ b[0] if shared else np.einsum("ek,ekc->ec", pred, b[g])
    observed_state = [n for n in layout.state if not layout.spec[n].latent]
    out.update(marginals(layout, pred, observed_state))
    for name, (loc, _) in gaussian_by_state(layout, bound.params).items():
        out[name] = pred @ loc[0] if shared else np.einsum("ek,ekd->ed", pred, loc[g])
    return out


def sample_sequences(spec: ModelSpec, n: int, length: int, seed: int | None = None
                     ) -> dict[str, np.ndarray]:
    """Ancestral samples of ``n`` sequences of ``length`` slices: state codes ``(n, length)``
    for discrete variables, floats ``(n, length, *shape)`` for real ones."""
    rng = np.random.default_rng(seed)
    values: dict[str, np.ndarray] = {}
    for v in spec.variables:
        shape = (n, length) + (() if v.is_discrete else tuple(v.domain.shape))
        values[v.name] = np.zeros(shape, dtype=np.int64 if v.is_discrete else float)
    order = spec.topological_order()
    for t in range(length):
        for name in order:
            v = spec[name]
            first = t == 0 and bool(v.lagged_parents)
            cpd = v.initial if first else v.cpd
            parents = [p for p in v.parents if not first or p.lag == 0]
            idx = tuple(values[p.name][:, t - p.lag] for p in parents)
            if v.is_discrete:
                probs = np.broadcast_to(cpd.table[idx], (n, v.card))
                u = rng.random(n)[:, None]
                values[name][:, t] = np.minimum((probs.cumsum(1) < u).sum(1), v.card - 1)
            else:
                loc = np.broadcast_to(cpd.loc[idx], (n,) + tuple(v.domain.shape))
                scale = np.broadcast_to(cpd.scale[idx], loc.shape)
                values[name][:, t] = loc + scale * rng.standard_normal(loc.shape)
    return values
