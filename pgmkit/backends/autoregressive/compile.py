"""Spec -> :class:`Autoregressive`: the network, the family and the conditioning inputs.

The family turns a network's ``(n, D, P)`` output into per-dimension log-probabilities:
bernoulli (one logit), categorical (K logits), normal (a mean and a log standard
deviation). Several orderings (MADE ``orders: K``) make an equal-weight mixture of K
autoregressive models sharing weights, whose log-likelihood is still exact.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from pgmkit.backends.autoregressive.networks import FVSBN, MADE, NADE, PixelCNN, live_parameters
from pgmkit.errors import UnsupportedError
from pgmkit.spec.model import ModelSpec

LOG_SCALE_BOUND = 7.0


def autoregressive_variable(spec: ModelSpec):
    """The one variable with an autoregressive CPD; the others must be its observed parents."""
    ar = [v for v in spec.variables if getattr(v.cpd, "kind", None) == "autoregressive"]
    if len(ar) != 1:
        raise UnsupportedError(f"model '{spec.name}' has {len(ar)} autoregressive variables; "
                               "the autoregressive engine runs one (with observed parents)")
    var = ar[0]
    others = [v.name for v in spec.variables if v.name != var.name and
              v.name not in var.parent_names]
    if others:
        raise UnsupportedError(f"model '{spec.name}': variable(s) {others} are neither the "
                               f"autoregressive '{var.name}' nor its parents; the autoregressive "
                               "engine runs p(x | parents) alone")
    return var


def network_rule(cpd, var):
    """The autoregressive kind: a builder of the network its ``network`` names."""
    def build(ranks, k_in, n_params, cond, shape):
        args = (ranks, k_in, n_params, cond)
        if cpd.network == "fvsbn":
            return FVSBN(*args)
        if cpd.network == "nade":
            return NADE(*args, cpd.hidden[0], cpd.activation)
        if cpd.network == "made":
            return MADE(*args, cpd.hidden, cpd.activation)
        return PixelCNN(shape, k_in, n_params, cond, cpd.hidden, cpd.kernel, cpd.activation)

    return build


def parent_rule(cpd, var):
    """A parent's own CPD (a prior over ``y``) is not modeled: ``y`` is conditioned on."""
    return None


class Autoregressive(nn.Module):
    """``p(x | parents)`` for one variable of ``spec``, exact and normalized."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        var = autoregressive_variable(spec)
        cpd = var.cpd
        self.name, self.shape = var.name, tuple(var.domain.shape)
        self.family, self.D = cpd.family, var.domain.size
        self.K = cpd.categories if cpd.family == "categorical" else 0
        self.k_in = self.K or 1
        self.P = {"bernoulli": 1, "categorical": self.K, "normal": 2}[cpd.family]
        self.parents = tuple(spec[p.name] for p in var.parents)
        self.cond_size = sum(p.card if p.is_discrete else p.domain.size for p in self.parents)
        self.orders = [np.asarray(o) for o in cpd.orderings(self.D)]
        ranks = [np.argsort(o) for o in self.orders]
        from pgmkit.backends.autoregressive.rules import ENGINE

        for p in self.parents:
            if p.cpd is not None:
                ENGINE.rule(p.cpd, p)(p.cpd, p)       # refuses a kind it has no rule for
        build = ENGINE.rule(cpd, var)(cpd, var)
        self.net = build(ranks, self.k_in, self.P, self.cond_size, self.shape)

    @property
    def num_orders(self) -> int:
        return len(self.orders)

    def num_parameters(self) -> int:
        return live_parameters(self)

    # -- encoding -------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, D)`` values -> network inputs ``(n, D * k_in)`` (one-hot when categorical)."""
        if self.K:
            return F.one_hot(x.long().clamp(0, self.K - 1), self.K).to(x.dtype).flatten(1)
        return x

    def conditioning(self, given: dict[str, torch.Tensor], n: int, dtype) -> torch.Tensor | None:
        """Parents' values (codes for discrete, vectors for real) -> ``(n, C)``."""
        if not self.parents:
            return None
        parts = []
        for p in self.parents:
            v = given[p.name]
            parts.append(F.one_hot(v.long(), p.card).to(dtype) if p.is_discrete
                         else v.reshape(n, -1).to(dtype))
        return torch.cat(parts, 1)

    # -- densities ------------------------------------------------------------------
    def dim_log_probs(self, x: torch.Tensor, y: torch.Tensor | None, k: int = 0) -> torch.Tensor:
        """``log p(x_d | x_<d, y)`` under ordering ``k``, shape ``(n, D)``."""
        return self.family_log_prob(self.net(self.encode(x), y, k), x)

    def family_log_prob(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.family == "bernoulli":
            return -F.binary_cross_entropy_with_logits(out[..., 0], x, reduction="none")
        if self.family == "categorical":
            return out.log_softmax(-1).gather(-1, x.long().clamp(0, self.K - 1)[..., None])[..., 0]
        loc, log_scale = out[..., 0], out[..., 1].clamp(-LOG_SCALE_BOUND, LOG_SCALE_BOUND)
        return -0.5 * ((x - loc) * torch.exp(-log_scale)) ** 2 - log_scale - 0.5 * math.log(2 * math.pi)

    def log_prob(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """Exact ``log p(x | y)`` per row (the mixture over orderings when there are several)."""
        if self.num_orders == 1:
            return self.dim_log_probs(x, y).sum(1)
        per = torch.stack([self.dim_log_probs(x, y, k).sum(1) for k in range(self.num_orders)])
        return per.logsumexp(0) - math.log(self.num_orders)

    def training_loss(self, x, y, generator: torch.Generator) -> torch.Tensor:
        """Mean negative log-likelihood per row; with several orderings, one drawn per
        minibatch (the MADE paper's order-agnostic training)."""
        k = 0
        if self.num_orders > 1:
            k = int(torch.randint(self.num_orders, (1,), generator=generator))
        out = self.net(self.encode(x), y, k)
        if self.family == "bernoulli":     # one fused kernel: most of the step for small nets
            return F.binary_cross_entropy_with_logits(out[..., 0], x, reduction="sum") / x.shape[0]
        return -self.family_log_prob(out, x).sum() / x.shape[0]

    # -- drawing --------------------------------------------------------------------
    def draw(self, out: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One draw per entry of ``out`` (``(n, P)`` parameters of one dimension)."""
        if self.family == "bernoulli":
            u = torch.rand(out.shape[0], generator=generator, dtype=out.dtype)
            return (u < torch.sigmoid(out[:, 0])).to(out.dtype)
        if self.family == "categorical":
            return torch.multinomial(out.softmax(-1), 1, generator=generator)[:, 0].to(out.dtype)
        eps = torch.randn(out.shape[0], generator=generator, dtype=out.dtype)
        return out[:, 0] + eps * torch.exp(out[:, 1].clamp(-LOG_SCALE_BOUND, LOG_SCALE_BOUND))

    @torch.no_grad()
    def fill(self, x: torch.Tensor, missing: torch.Tensor, y, orders: torch.Tensor,
             generator: torch.Generator) -> torch.Tensor:
        """Draw the ``missing`` entries of ``x`` dimension by dimension, each row in its own
        ordering ``orders[row]``, given everything before it (observed or drawn)."""
        x = x.clone()
        for k in range(self.num_orders):
            rows = torch.nonzero(orders == k)[:, 0]
            if not len(rows):
                continue
            xs, ms = x[rows], missing[rows]
            ys = y[rows] if y is not None else None
            for d in self.orders[k]:
                todo = torch.nonzero(ms[:, d])[:, 0]
                if not len(todo):
                    continue
                out = self.net(self.encode(xs[todo]), ys[todo] if ys is not None else None, k)
                xs[todo, d] = self.draw(out[:, d], generator)
            x[rows] = xs
        return x

    @torch.no_grad()
    def proposal_log_weights(self, x: torch.Tensor, missing: torch.Tensor, y) -> torch.Tensor:
        """``log p(x) - log q(x_missing)`` for rows completed by :meth:`fill` with orderings
        drawn uniformly: importance weights that make resampling exact in the limit."""
        full, prop = [], []
        for k in range(self.num_orders):
            lp = self.dim_log_probs(x, y, k)
            full.append(lp.sum(1))
            prop.append((lp * missing).sum(1))
        return torch.stack(full).logsumexp(0) - torch.stack(prop).logsumexp(0)
