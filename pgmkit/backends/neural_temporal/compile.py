"""Spec -> :class:`TemporalNet`: a temporal model whose CPDs may be networks.

Roles of the variables of one slice:

- the *chain*: at most one latent discrete variable with parents ``[h[t-1]]`` (or none),
  whose table CPDs (``initial`` and the transition) are learned as softmax logits; it is
  summed out exactly by the forward algorithm (:mod:`.forward`);
- the *state*: at most one latent real variable with a ``recurrent`` CPD, computed by a
  GRU/LSTM over each sequence (a packed batch, so ragged lengths cost no padding);
- *modeled* observed variables: a ``neural`` CPD (an MLP of the parents: the chain's
  state one-hot, the recurrent state, observed variables now or at ``t-1``) or a
  ``table`` with no parent or the chain as its only parent;
- *inputs*: observed variables without a CPD, conditioned on and not modeled (the skill
  of each answer in knowledge tracing).

Lagged inputs are zero in a sequence's first slice, where a flag input is 1. A missing
cell of a modeled variable is summed out (its term drops from the likelihood); a missing
input enters as zeros.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from pgmkit.backends.autoregressive.networks import ACTIVATION
from pgmkit.errors import UnsupportedError
from pgmkit.spec.model import ModelSpec, Variable

MIN_SCALE = 1e-3
RNN_CHUNK = 64          # sequences per padded recurrent pass
TABLE_FLOOR = 1e-12


@dataclass(frozen=True)
class Roles:
    chain: Variable | None
    state: Variable | None
    modeled: tuple[Variable, ...]
    inputs: tuple[Variable, ...]


def table_rule(cpd, var) -> str:
    return "table"


def neural_rule(cpd, var) -> str:
    return "head"


def recurrent_rule(cpd, var) -> str:
    return "recurrent"


def roles_of(spec: ModelSpec) -> Roles:
    """Split ``spec`` into the roles above, refusing what this engine cannot run."""
    def refuse(message: str):
        raise UnsupportedError(f"model '{spec.name}': {message}")

    from pgmkit.backends.neural_temporal.rules import ENGINE, hidden_problem

    for v in spec.variables:
        for c in (v.cpd, v.initial):
            if c is not None:
                ENGINE.rule(c, v)(c, v)     # refuses, naming the backends that can, any other kind
    why = hidden_problem(spec)
    if why is not None:
        refuse(why)
    chains = [v for v in spec.variables if v.latent and v.is_discrete]
    states = [v for v in spec.variables if v.latent and not v.is_discrete]
    chain = chains[0] if chains else None
    if chain is not None:
        if any(p.name != chain.name or p.lag != 1 for p in chain.parents):
            refuse(f"hidden chain '{chain.name}' may have only its own past "
                   f"'{chain.name}[t-1]' as a parent; received {[str(p) for p in chain.parents]}")
        for c in (chain.cpd, chain.initial):
            if c is not None and c.kind != "table":
                refuse(f"hidden chain '{chain.name}' needs table CPDs; received a {c.kind} CPD")
    modeled, inputs = [], []
    for v in spec.variables:
        if v.latent:
            continue
        if v.cpd is None:
            if v.parents:
                refuse(f"'{v.name}' has parents but no CPD: give it one (e.g. {{neural: {{family: "
                       f"{'categorical' if v.is_discrete else 'normal'}}}}})")
            inputs.append(v)
            continue
        if v.initial is not None:
            refuse(f"'{v.name}': a {v.cpd.kind} CPD with lagged parents covers the first slice "
                   "itself (lagged inputs are zero there, with a first-slice flag); remove 'initial'")
        if v.cpd.kind == "table":
            if any(p.lag or spec[p.name] is not chain for p in v.parents):
                refuse(f"table CPD of '{v.name}' may condition on the hidden chain only; use a "
                       "neural CPD for other parents")
        elif v.cpd.kind != "neural":
            refuse(f"'{v.name}' has a {v.cpd.kind} CPD; observed variables of a neural temporal "
                   "model take 'neural' or 'table' CPDs")
        for p in v.parents:
            pv = spec[p.name]
            if pv.latent and p.lag:
                refuse(f"'{v.name}' reads '{p}': latent parents enter at lag 0 only")
        modeled.append(v)
    if not modeled:
        refuse("no observed variable has a CPD: there is nothing to fit")
    return Roles(chain, states[0] if states else None, tuple(modeled), tuple(inputs))


def feature_size(spec: ModelSpec, refs, roles: Roles, cross: bool = False) -> int:
    """Width of the input features of ``refs`` (the chain is added per state, not here)."""
    size, discrete = 0, []
    for p in refs:
        v = spec[p.name]
        if roles.chain is not None and v.name == roles.chain.name:
            continue
        if cross and v.is_discrete:
            discrete.append(v.card)
        else:
            size += v.card if v.is_discrete else v.domain.size
    size += int(np.prod(discrete)) if discrete else 0
    return size + (1 if any(p.lag for p in refs) else 0)


class Head(nn.Module):
    """An MLP from features (and the chain's state) to a family's parameters per state."""

    def __init__(self, n_feat: int, n_chain: int, hidden: tuple[int, ...], activation: str,
                 n_out: int):
        super().__init__()
        sizes = list(hidden) + [n_out]
        self.inp = nn.Linear(n_feat, sizes[0]) if n_feat else None
        self.chain = nn.Linear(n_chain, sizes[0], bias=self.inp is None) if n_chain else None
        if self.inp is None and self.chain is None:
            self.bias = nn.Parameter(torch.zeros(sizes[0]))
        self.rest = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.act = ACTIVATION[activation]()

    def forward(self, feats: torch.Tensor, n_events: int) -> torch.Tensor:
        """``(E, K, n_out)``: K is the chain's states (1 without a chain parent)."""
        h = self.inp(feats)[:, None, :] if self.inp is not None else None
        if self.chain is not None:
            w = self.chain(torch.eye(self.chain.in_features, dtype=self.chain.weight.dtype))
            h = w[None] if h is None else h + w[None]
        if h is None:
            h = self.bias.expand(n_events, 1, -1)
        for layer in self.rest:
            h = layer(self.act(h))
        return h.expand(n_events, -1, -1) if h.shape[0] != n_events else h


class TemporalNet(nn.Module):
    """Every learnable piece of a neural temporal spec, and the per-event log-densities."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        self.spec, self.roles = spec, roles_of(spec)
        chain = self.roles.chain
        self.K = chain.card if chain is not None else 1
        if chain is not None:
            self.init_logits = nn.Parameter(_logits(chain.initial if chain.lagged_parents
                                                    else chain.cpd, (self.K,)))
            if chain.lagged_parents:
                self.trans_logits = nn.Parameter(_logits(chain.cpd, (self.K, self.K)))
        state = self.roles.state
        if state is not None:
            refs = [p for p in state.parents if p.name != state.name]
            cell = nn.LSTM if state.cpd.cell == "lstm" else nn.GRU
            self.rnn = cell(feature_size(spec, refs, self.roles, state.cpd.cross),
                            state.domain.size, num_layers=state.cpd.layers)
        self.heads = nn.ModuleDict()
        self.tables = nn.ParameterDict()
        for v in self.roles.modeled:
            if v.cpd.kind == "table":
                rows = self.K if v.parents else 1
                self.tables[v.name] = nn.Parameter(_logits(v.cpd, (rows, v.card)))
                continue
            cpd = v.cpd
            n_out = v.card if v.is_discrete else v.domain.size * (
                2 if cpd.family == "normal" and cpd.scale is None else 1)
            n_chain = self.K if any(chain is not None and p.name == chain.name
                                    for p in v.parents) else 0
            self.heads[v.name] = Head(feature_size(spec, v.parents, self.roles), n_chain,
                                      cpd.hidden, cpd.activation, n_out)

    # -- features ---------------------------------------------------------------------
    def features(self, refs, batch, state=None, cross: bool = False) -> torch.Tensor:
        """Inputs of a CPD over ``refs`` for every event of ``batch``: ``(E, width)``."""
        parts, discrete = [], []
        first = batch.prev < 0
        for p in refs:
            v = self.spec[p.name]
            if self.roles.chain is not None and v.name == self.roles.chain.name:
                continue
            if self.roles.state is not None and v.name == self.roles.state.name:
                parts.append(state)
                continue
            if v.is_discrete:
                codes = batch.lagged_codes(v.name) if p.lag else batch.codes[v.name]
                if cross:
                    discrete.append((codes, v.card))
                else:
                    parts.append(_one_hot(codes, v.card, batch.dtype))
            else:
                vals = batch.lagged_reals(v.name) if p.lag else batch.reals[v.name]
                parts.append(torch.nan_to_num(vals, nan=0.0))
        if discrete:
            index, stride, ok = 0, 1, torch.ones_like(discrete[0][0], dtype=torch.bool)
            for codes, card in reversed(discrete):
                index, stride, ok = index + codes.clamp(min=0) * stride, stride * card, ok & (codes >= 0)
            parts.append(_one_hot(torch.where(ok, index, -1), stride, batch.dtype))
        if any(p.lag for p in refs):
            parts.append(first.to(batch.dtype)[:, None])
        if not parts:
            return torch.zeros(batch.num_events, 0, dtype=batch.dtype)
        return torch.cat(parts, 1)

    def recurrent_state(self, batch) -> torch.Tensor | None:
        """``s_t`` for every event (packed order), or ``None`` without a recurrent state."""
        state = self.roles.state
        if state is None:
            return None
        refs = [p for p in state.parents if p.name != state.name]
        x = self.features(refs, batch, cross=state.cpd.cross)
        # Padded chunks of similar-length sequences, not one PackedSequence: torch's CPU
        # backward through a packed LSTM slows down quadratically when batch sizes shrink
        # along a long tail (measured: 70 s for one 2,800-step minibatch, 0.3 s padded).
        sizes = np.asarray(batch.batch_sizes)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        t_all = np.repeat(np.arange(len(sizes)), sizes)
        i_all = np.arange(batch.num_events) - np.repeat(offsets, sizes)
        out = x.new_zeros(batch.num_events, state.domain.size)
        for lo in range(0, int(sizes[0]), RNN_CHUNK):
            hi = min(lo + RNN_CHUNK, int(sizes[0]))
            steps = int((sizes > lo).sum())
            pick = np.flatnonzero((i_all >= lo) & (i_all < hi))
            t, i = torch.as_tensor(t_all[pick]), torch.as_tensor(i_all[pick] - lo)
            padded = x.new_zeros(steps, hi - lo, x.shape[1])
            padded[t, i] = x[pick]
            h, _ = self.rnn(padded)
            out = out.index_put((torch.as_tensor(pick),), h[t, i])
        return out

    def outputs(self, batch) -> dict[str, torch.Tensor]:
        """Raw CPD outputs per modeled variable: ``(E, K, P)`` (K = 1 off the chain)."""
        s = self.recurrent_state(batch)
        out = {}
        for v in self.roles.modeled:
            if v.name in self.tables:
                logits = self.tables[v.name]
                out[v.name] = logits[None].expand(batch.num_events, -1, -1)
            else:
                out[v.name] = self.heads[v.name](self.features(v.parents, batch, s),
                                                 batch.num_events)
        return out

    # -- densities --------------------------------------------------------------------
    def log_prob(self, v: Variable, out: torch.Tensor, batch) -> torch.Tensor:
        """``log p(v_t | parents)`` per event and chain state ``(E, K)``; 0 where missing."""
        if v.is_discrete:
            codes = batch.codes[v.name]
            lp = out.log_softmax(-1).gather(-1, codes.clamp(min=0)[:, None, None]
                                            .expand(-1, out.shape[1], 1))[..., 0]
            return lp * (codes >= 0).to(lp.dtype)[:, None]
        x = batch.reals[v.name][:, None, :]
        seen = ~torch.isnan(x)
        x = torch.nan_to_num(x, nan=0.0)
        if v.cpd.family == "bernoulli":
            lp = -F.binary_cross_entropy_with_logits(out, x.expand_as(out), reduction="none")
        else:
            loc, scale = self._normal(v, out)
            z = (x - loc) / scale
            lp = -0.5 * z * z - torch.log(scale) - 0.5 * math.log(2 * math.pi)
        return (lp * seen).sum(-1)

    def _normal(self, v: Variable, out: torch.Tensor):
        size = v.domain.size
        if v.cpd.scale is not None:
            return out, torch.full_like(out, float(v.cpd.scale))
        return out[..., :size], F.softplus(out[..., size:]) + MIN_SCALE

    def mean(self, v: Variable, out: torch.Tensor) -> torch.Tensor:
        """State probabilities (discrete) or the mean (real) per event and chain state."""
        if v.is_discrete:
            return out.softmax(-1)
        if v.cpd.family == "bernoulli":
            return torch.sigmoid(out)
        return self._normal(v, out)[0]

    def emission_log_probs(self, batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Sum over modeled variables of their log-densities, ``(E, K)``, and the outputs."""
        outs = self.outputs(batch)
        total = torch.zeros(batch.num_events, self.K, dtype=batch.dtype)
        for v in self.roles.modeled:
            total = total + self.log_prob(v, outs[v.name], batch)
        return total, outs

    def chain_log_params(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Log initial distribution ``(K,)`` and log transition matrix ``(K, K)``."""
        if self.roles.chain is None:
            return torch.zeros(1), torch.zeros(1, 1)
        init = self.init_logits.log_softmax(-1)
        if not self.roles.chain.lagged_parents:       # no memory: every slice draws afresh
            return init, init.expand(self.K, -1)
        return init, self.trans_logits.log_softmax(-1)

    def learned_tables(self) -> dict[str, dict[str, np.ndarray]]:
        """The learned table CPDs as arrays, for the spec: ``{"cpd": {...}, "initial": {...}}``."""
        cpds, initial = {}, {}
        chain = self.roles.chain
        if chain is not None:
            init, trans = (t.detach().exp().double().numpy() for t in self.chain_log_params())
            if chain.lagged_parents:
                cpds[chain.name], initial[chain.name] = trans, init
            else:
                cpds[chain.name] = init
        for name, logits in self.tables.items():
            v = self.spec[name]
            table = logits.detach().double().softmax(-1).numpy()
            cpds[name] = table.reshape(tuple(self.spec[p.name].card for p in v.parents) + (v.card,))
        return {"cpd": cpds, "initial": initial}

    def num_parameters(self) -> int:
        return int(sum(p.numel() for p in self.parameters()))


def _one_hot(codes: torch.Tensor, card: int, dtype) -> torch.Tensor:
    """One-hot rows; a missing code (-1) gives a row of zeros."""
    return F.one_hot(codes.clamp(min=0), card).to(dtype) * (codes >= 0).to(dtype)[:, None]


def _logits(cpd, shape: tuple[int, ...]) -> torch.Tensor:
    """Starting logits: the log of a given table (floored), else small random values
    (drawn from torch's generator, which the caller seeds) to break the symmetry."""
    if cpd is not None and getattr(cpd, "kind", None) == "table" and cpd.table.size == int(np.prod(shape)):
        table = np.maximum(cpd.probabilities.reshape(shape), TABLE_FLOOR)
        return torch.as_tensor(np.log(table), dtype=torch.get_default_dtype())
    return 0.5 * torch.randn(shape)

