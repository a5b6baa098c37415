"""Exact sums over discrete latents, and importance-weighted bounds on log p(x).

Every site lives in the same ``data`` plate (and, for several particles, a
``particles`` plate outside it), so once enumerated values broadcast along their own
leading axes, the log joint of a row is a sum of site log-probabilities and summing
out the discrete latents is one ``logsumexp`` over those leading axes. This is what
the cross-check against pgmpy and the IWAE bound both rest on.
"""
from __future__ import annotations

import math
from typing import Mapping

import torch

from pgmkit.backends.pyro.compile import Program
from pgmkit.errors import UnsupportedError

DATA_DIM, PARTICLE_DIM = -1, -2


def _log_weights(program: Program, data: Mapping[str, torch.Tensor], n: int,
                 particles: int) -> torch.Tensor:
    """``log p(x, z_k) - log q(z_k | x)`` with discrete latents summed out: shape (K, n)."""
    import pyro
    import pyro.poutine as poutine

    guide = poutine.enum(program.guide, first_available_dim=-3)
    with pyro.plate("particles", particles, dim=PARTICLE_DIM):
        guide_trace = poutine.trace(guide).get_trace(data, n, beta=False)
        guide_enum = sum(1 for s in guide_trace.nodes.values()
                         if s["type"] == "sample" and s["infer"].get("enumerate"))
        model = poutine.enum(poutine.replay(program.model, trace=guide_trace),
                             first_available_dim=-3 - guide_enum)
        model_trace = poutine.trace(model).get_trace(data, n, beta=False)
    model_trace.compute_log_prob()
    guide_trace.compute_log_prob()
    total = torch.zeros((), dtype=program.dtype)
    for site in model_trace.nodes.values():
        if site["type"] == "sample":
            total = total + site["log_prob"]
    for site in guide_trace.nodes.values():
        # A guide-enumerated discrete latent is summed exactly (weight 1 per value),
        # so only the sampled (continuous) sites are importance-weighted by q.
        if site["type"] == "sample" and not site["infer"].get("enumerate"):
            total = total - site["log_prob"]
    total = total.expand(torch.broadcast_shapes(total.shape, (particles, n)))
    # Leading axes are enumerated discrete values: sum them out (exactly) per particle.
    return torch.logsumexp(total.reshape(-1, particles, n), dim=0)


def iwae(program: Program, data: Mapping[str, torch.Tensor], n: int,
         num_samples: int) -> torch.Tensor:
    """Importance-weighted lower bound on ``log p(x)`` per row (exact without continuous latents)."""
    with torch.no_grad():
        logw = _log_weights(program, data, n, num_samples)
    return torch.logsumexp(logw, dim=0) - math.log(num_samples)


def log_evidence(program: Program, data: Mapping[str, torch.Tensor], n: int) -> torch.Tensor:
    """Exact ``log P(evidence)`` per row of a model whose latents are all discrete."""
    if program.guide_order:
        raise UnsupportedError(f"log_evidence sums out discrete latents only; model "
                               f"'{program.spec.name}' has guided latents "
                               f"{list(program.guide_order)}: use iwae for a bound")
    return iwae(program, data, n, 1)


def marginals(program: Program, data: Mapping[str, torch.Tensor], n: int,
              variables) -> dict[str, torch.Tensor]:
    """Exact posterior marginals ``P(v | data row)`` of discrete variables: ``(n, card)`` each.

    Each variable is clamped to every one of its states in turn (as extra rows of one
    batch) and the joint with the evidence is normalised: Bayes' rule by enumeration.
    """
    out = {}
    for v in variables:
        card = program.spec[v].card
        rows = {k: t.repeat_interleave(card, dim=0) for k, t in data.items()}
        rows[v] = torch.arange(card).repeat(n)
        joint = log_evidence(program, rows, n * card).reshape(n, card)
        out[v] = torch.softmax(joint, dim=-1)
    return out
