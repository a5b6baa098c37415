"""One torch module per CPD kind: given parent values, return a Pyro distribution.

Values flow as tensors: a discrete variable as integer state codes (``long``), a real
variable as floats of shape ``(*batch, *shape)``. Enumerated discrete values carry extra
leading axes; every rule broadcasts over them, so one call covers every enumerated state.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from pgmkit.backends.pyro.networks import MLP, concat_inputs
from pgmkit.spec.cpd import LinearGaussianCPD, NeuralCPD, NormalCPD, TableCPD
from pgmkit.spec.model import Variable

# Zero probabilities become this log-weight: exp underflows to exactly 0 in float32 and
# float64, while gradients stay finite (a true -inf would give NaN in Adam).
LOG_ZERO = -1e4
SCALE_FLOOR = 1e-5


def _event(dist, shape: tuple[int, ...]):
    return dist.to_event(len(shape)) if shape else dist


def _tensor(values, dtype) -> torch.Tensor:
    return torch.tensor(np.array(values, dtype=float), dtype=dtype)


def _index(parents: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    return tuple(p.long() for p in parents)


class Site(nn.Module):
    """Base: ``inputs`` names the variables the distribution depends on, in order."""

    def __init__(self, var: Variable, inputs: Sequence[Variable]):
        super().__init__()
        self.var_name = var.name
        self.inputs = tuple(v.name for v in inputs)

    def learned_cpd(self):
        """The CPD with its current values, for writing back into the spec (None: weights)."""
        return None


class TableSite(Site):
    """A categorical child of discrete parents; the table is learned as logits."""

    def __init__(self, var: Variable, inputs: Sequence[Variable], table, dtype):
        super().__init__(var, inputs)
        if table is None:
            shape = tuple(v.card for v in inputs) + (var.card,)
            logits = torch.zeros(shape, dtype=dtype)
        else:
            with np.errstate(divide="ignore"):
                logits = _tensor(np.maximum(np.log(table), LOG_ZERO), dtype)
        self.logits = nn.Parameter(logits)

    def forward(self, *parents: torch.Tensor):
        import pyro.distributions as dist

        logits = self.logits[_index(parents)] if parents else self.logits
        return dist.Categorical(logits=logits)

    def learned_cpd(self) -> TableCPD:
        logits = self.logits.detach().to(torch.float64)
        probs = torch.softmax(logits, dim=-1).cpu().numpy()
        return TableCPD(probs / probs.sum(axis=-1, keepdims=True))


class NormalSite(Site):
    """A Gaussian with loc and scale looked up by the discrete parents' states."""

    def __init__(self, var: Variable, inputs: Sequence[Variable], cpd: NormalCPD, dtype):
        super().__init__(var, inputs)
        self.shape = tuple(var.domain.shape)
        self.learn = cpd.learn
        loc, log_scale = _tensor(cpd.loc, dtype), _tensor(np.log(cpd.scale), dtype)
        if cpd.learn:
            self.loc, self.log_scale = nn.Parameter(loc), nn.Parameter(log_scale)
        else:
            self.register_buffer("loc", loc)
            self.register_buffer("log_scale", log_scale)

    def forward(self, *parents: torch.Tensor):
        import pyro.distributions as dist

        idx = _index(parents)
        loc = self.loc[idx] if idx else self.loc
        scale = (self.log_scale[idx] if idx else self.log_scale).exp()
        return _event(dist.Normal(loc, scale), self.shape)

    def learned_cpd(self) -> NormalCPD | None:
        if not self.learn:
            return None
        return NormalCPD(self.loc.detach().double().cpu().numpy(),
                         self.log_scale.detach().double().exp().cpu().numpy(), learn=True)


class LinearGaussianSite(Site):
    """``Normal(bias + sum_p W_p @ parent_p, scale)``; bias, weights and scale are learned."""

    def __init__(self, var: Variable, inputs: Sequence[Variable], cpd: LinearGaussianCPD, dtype):
        super().__init__(var, inputs)
        self.shape = tuple(var.domain.shape)
        self.parent_ndims = tuple(len(v.domain.shape) for v in inputs)
        self.bias = nn.Parameter(_tensor(cpd.bias, dtype))
        self.log_scale = nn.Parameter(_tensor(np.log(cpd.scale), dtype))
        self.weights = nn.ParameterList(nn.Parameter(_tensor(w, dtype)) for w in cpd.weights)

    def forward(self, *parents: torch.Tensor):
        import pyro.distributions as dist

        mean = self.bias
        for value, ndim, w in zip(parents, self.parent_ndims, self.weights):
            flat = value.unsqueeze(-1) if ndim == 0 else value.flatten(-ndim)
            mean = mean + flat @ w.T
        mean = mean.reshape(mean.shape[:-1] + self.shape)
        scale = self.log_scale.exp().reshape(self.shape)
        return _event(dist.Normal(mean, scale), self.shape)

    def learned_cpd(self) -> LinearGaussianCPD:
        return LinearGaussianCPD(self.bias.detach().double().cpu().numpy(),
                                 tuple(w.detach().double().cpu().numpy() for w in self.weights),
                                 self.log_scale.detach().double().exp().cpu().numpy())


class NeuralSite(Site):
    """An MLP from the inputs (real flattened, discrete one-hot) to a family's parameters."""

    def __init__(self, var: Variable, inputs: Sequence[Variable], cpd: NeuralCPD, dtype):
        super().__init__(var, inputs)
        self.family, self.fixed_scale = cpd.family, cpd.scale
        self.shape = () if var.is_discrete else tuple(var.domain.shape)
        self.in_kinds = tuple((v.card, 0) if v.is_discrete else (0, len(v.domain.shape))
                              for v in inputs)
        in_size = sum(v.card if v.is_discrete else v.domain.size for v in inputs)
        out = var.card if var.is_discrete else var.domain.size
        heads = (out, out) if cpd.family == "normal" and cpd.scale is None else (out,)
        self.net = MLP(in_size, cpd.hidden, cpd.activation, heads).to(dtype)
        self.dtype = dtype

    def features(self, parents: Sequence[torch.Tensor]) -> torch.Tensor:
        parts = []
        for value, (card, ndim) in zip(parents, self.in_kinds):
            if card:
                parts.append(nn.functional.one_hot(value.long(), card).to(self.dtype))
            else:
                parts.append(value.unsqueeze(-1) if ndim == 0 else value.flatten(-ndim))
        return concat_inputs(parts, self.dtype)

    def forward(self, *parents: torch.Tensor):
        import pyro.distributions as dist

        outs = self.net(self.features(parents))
        if self.family == "categorical":
            return dist.Categorical(logits=outs[0])
        first = outs[0].reshape(outs[0].shape[:-1] + self.shape)
        if self.family == "bernoulli":
            return _event(dist.Bernoulli(logits=first, validate_args=False), self.shape)
        if self.fixed_scale is not None:
            scale = torch.full_like(first, float(self.fixed_scale))
        else:
            raw = outs[1].reshape(first.shape)
            scale = nn.functional.softplus(raw) + SCALE_FLOOR
        return _event(dist.Normal(first, scale), self.shape)
