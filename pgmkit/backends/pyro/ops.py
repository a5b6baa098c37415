"""Running a compiled program forward: ancestral samples, guide means, decoding."""
from __future__ import annotations

from typing import Mapping

import torch

from pgmkit.backends.pyro.compile import Program, guide_inputs


def _trace(fn, *args, **kwargs):
    import pyro.poutine as poutine

    with torch.no_grad():
        return poutine.trace(fn).get_trace(*args, **kwargs)


def run_model(program: Program, data: Mapping[str, torch.Tensor], n: int,
              mean: bool = False) -> dict[str, torch.Tensor]:
    """Sample every variable not in ``data`` (no enumeration: plain ancestral sampling).

    With ``mean``, real variables report their distribution's mean given the sampled parents.
    """
    trace = _trace(program.model, data, n, beta=False)
    out = {}
    for name in program.order:
        site = trace.nodes[name]
        value = site["value"]
        if mean and not program.spec[name].is_discrete:
            value = site["fn"].mean
        # A root's draw has one row per sample, but its mean is shared: give it n rows too.
        var = program.spec[name]
        event = () if var.is_discrete else tuple(var.domain.shape)
        out[name] = value.expand((n,) + event)
    return out


def codes(program: Program, data: Mapping[str, torch.Tensor]):
    """Run the guides in order, each fed the most likely codes of the latents before it.

    Returns ``{latent: mean or class probabilities}`` and ``{latent: code}``.
    """
    values, summary, found = dict(data), {}, {}
    for name, net in zip(program.guide_order, program.guide_nets):
        if name in data:
            continue
        inputs = guide_inputs(name, net, values, data)
        with torch.no_grad():
            fn = net(*inputs)
        if program.spec[name].is_discrete:
            summary[name], found[name] = fn.probs, fn.probs.argmax(-1)
        else:
            summary[name] = found[name] = fn.mean
        values[name] = found[name]
    return summary, found


def guide_means(program: Program, data: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Per row: the guide's mean of each guided latent (class probabilities if discrete)."""
    return codes(program, data)[0]


def reconstruct(program: Program, data: Mapping[str, torch.Tensor],
                n: int) -> dict[str, torch.Tensor]:
    """Means of the real observed variables given the guide's codes for ``data``."""
    found = codes(program, data)[1]
    keep = {k: v for k, v in data.items() if not _is_target(program, k)}
    means = run_model(program, {**keep, **found}, n, mean=True)
    return {k: means[k] for k in data if _is_target(program, k)}


def _is_target(program: Program, name: str) -> bool:
    """A real observed variable is reconstructed; discrete ones (labels) are kept as given."""
    var = program.spec[name]
    return not var.latent and not var.is_discrete


def decode(program: Program, values: Mapping[str, torch.Tensor],
           n: int) -> dict[str, torch.Tensor]:
    """Means of the real observed variables given fixed values (tensors) of other variables."""
    means = run_model(program, values, n, mean=True)
    return {k: means[k] for k in program.order
            if k not in values and not program.spec[k].is_discrete and not program.spec[k].latent}
