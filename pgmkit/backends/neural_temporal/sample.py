"""Ancestral sampling of whole sequences from a :class:`TemporalNet`, slice by slice.

Each slice is drawn in the spec's topological order: the hidden chain from its initial or
transition table, the recurrent state by one step of its cell, the modeled variables from
their CPDs given what is already drawn (their lagged parents read the previous slice).
"""
from __future__ import annotations

import numpy as np
import torch

from pgmkit.backends.neural_temporal.data import Packed


@torch.no_grad()
def sample(net, n: int, length: int, seed: int) -> dict[str, np.ndarray]:
    """``{name: (n, length[, size])}`` for the chain and every observed variable."""
    spec, roles = net.spec, net.roles
    gen = torch.Generator().manual_seed(int(seed))
    dtype = next(net.parameters()).dtype
    codes = {v.name: torch.full((n, length), -1, dtype=torch.long)
             for v in spec.variables if v.is_discrete}
    reals = {v.name: torch.full((n, length, v.domain.size), float("nan"), dtype=dtype)
             for v in spec.variables if not v.is_discrete and not v.latent}
    log_init, log_trans = net.chain_log_params()
    hidden, state_prev = None, None
    state_size = roles.state.domain.size if roles.state is not None else 0
    for t in range(length):
        steps = [t - 1, t] if t else [t]
        packed = _slice_batch(codes, reals, steps, n, dtype)
        here = slice(packed.num_events - n, packed.num_events)
        s_full = None
        for name in spec.topological_order():
            v = spec[name]
            if roles.chain is not None and name == roles.chain.name:
                probs = (log_init.expand(n, -1) if t == 0 else
                         log_trans[codes[name][:, t - 1]]).exp()
                codes[name][:, t] = torch.multinomial(probs, 1, generator=gen)[:, 0]
                packed.codes[name] = _stack(codes[name], steps)
            elif roles.state is not None and name == roles.state.name:
                refs = [p for p in v.parents if p.name != name]
                x = net.features(refs, packed, cross=v.cpd.cross)[here]
                out, hidden = net.rnn(x[None], hidden)
                current = out[0]
                before = state_prev if state_prev is not None else torch.zeros(n, state_size, dtype=dtype)
                s_full = torch.cat([before, current]) if t else current
                state_prev = current
            elif name in {m.name for m in roles.modeled}:
                if v.name in net.tables:
                    out = net.tables[v.name][None].expand(n, -1, -1)
                else:
                    out = net.heads[v.name](net.features(v.parents, packed, s_full),
                                            packed.num_events)[here]
                k = (codes[roles.chain.name][:, t] if out.shape[1] > 1
                     else torch.zeros(n, dtype=torch.long))
                params = out[torch.arange(n), k]
                drawn = _draw(net, v, params, gen)
                if v.is_discrete:
                    codes[name][:, t] = drawn
                    packed.codes[name] = _stack(codes[name], steps)
                else:
                    reals[name][:, t] = drawn
                    packed.reals[name] = _stack(reals[name], steps)
    out = {k: c.numpy() for k, c in codes.items()}
    out.update({k: r.double().numpy() for k, r in reals.items()})
    return out


def _stack(values: torch.Tensor, steps: list[int]) -> torch.Tensor:
    return torch.cat([values[:, s] for s in steps])


def _slice_batch(codes, reals, steps: list[int], n: int, dtype) -> Packed:
    prev = torch.full((n,), -1, dtype=torch.long)
    if len(steps) == 2:
        prev = torch.cat([prev, torch.arange(n)])
    return Packed({k: _stack(v, steps) for k, v in codes.items()},
                  {k: _stack(v, steps) for k, v in reals.items()},
                  [n] * len(steps), prev, dtype)


def _draw(net, v, params: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    if v.is_discrete:
        return torch.multinomial(params.softmax(-1), 1, generator=gen)[:, 0]
    if v.cpd.family == "bernoulli":
        u = torch.rand(params.shape, generator=gen, dtype=params.dtype)
        return (u < torch.sigmoid(params)).to(params.dtype)
    loc, scale = net._normal(v, params)
    return loc + scale * torch.randn(loc.shape, generator=gen, dtype=loc.dtype)
